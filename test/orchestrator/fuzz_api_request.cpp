// libFuzzer target for batond's API input: any bytes, as the JSON socket would hand them over
// (parsed without exceptions), must give a request or an error, never a crash.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "orchestrator/api_request.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return 0;
  auto r = baton::orchestrator::parse_api_request(j);
  if (!r && r.error().message.empty()) std::abort();  // every refusal says why
  return 0;
}
