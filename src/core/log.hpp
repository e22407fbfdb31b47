// Logging policy: one spdlog logger per daemon, set up once at start.
//   error: the daemon cannot do what it was asked (and says what it will do instead)
//   warn:  something degraded or unexpected that the operator should know (fallback mode,
//          dropped input from the network, a config reload refused)
//   info:  decisions and state changes (a member failed, a table generation committed, a
//          VRRP transition) with the inputs that led to them
//   debug/trace: per-message detail, off in production
// Packet paths never log per packet; they count (see the counters of each component).
#pragma once

#include <string_view>

#include <spdlog/spdlog.h>

#include "core/result.hpp"

namespace baton::log {

// Parses "trace|debug|info|warn|error|off".
Result<spdlog::level::level_enum> parse_level(std::string_view name);

// Sets the default logger's name, level and pattern (to stderr).
Status setup(std::string_view program, std::string_view level);

}  // namespace baton::log
