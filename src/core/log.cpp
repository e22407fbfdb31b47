#include "core/log.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>

namespace baton::log {

Result<spdlog::level::level_enum> parse_level(std::string_view name) {
  using spdlog::level::level_enum;
  static constexpr std::pair<std::string_view, level_enum> kLevels[] = {
      {"trace", level_enum::trace}, {"debug", level_enum::debug}, {"info", level_enum::info},
      {"warn", level_enum::warn},   {"error", level_enum::err},   {"off", level_enum::off},
  };
  for (const auto& [n, l] : kLevels)
    if (n == name) return l;
  return err("unknown log level '{}' (expected trace, debug, info, warn, error or off)", name);
}

Status setup(std::string_view program, std::string_view level) {
  auto lvl = parse_level(level);
  if (!lvl) return lvl.error();
  auto logger = spdlog::stderr_color_mt(std::string(program));
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %n[%P] %^%l%$: %v");
  logger->set_level(*lvl);
  spdlog::set_default_logger(std::move(logger));
  return {};
}

}  // namespace baton::log
