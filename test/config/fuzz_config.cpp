// libFuzzer target: both config parsers take any bytes and return a config or an error with
// a message; they never crash, hang or recurse without bound. Every input goes through both
// parsers, so one corpus (both example files and broken variants) serves both.
#include <cstdint>
#include <string_view>

#include "config/agent.hpp"
#include "config/orchestrator.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto o = baton::config::parse_orchestrator_config(text, "fuzz.yaml");
  if (!o && o.error().message.empty()) __builtin_trap();
  auto a = baton::config::parse_agent_config(text, "fuzz.yaml");
  if (!a && a.error().message.empty()) __builtin_trap();
  if (o && o->members.empty()) __builtin_trap();  // members are required
  if (a && a->orchestrators.empty()) __builtin_trap();
  return 0;
}
