// The member agent's configuration (baton-agent.yaml): which member this is, where its
// orchestrators are, its interfaces on each side, its key, where it persists admin state, the
// HyperSync link and logging. Reference: docs/operator-guide.md, "Configuration reference".
#pragma once

#include <spdlog/common.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/orchestrator.hpp"
#include "config/values.hpp"
#include "core/result.hpp"

namespace baton::config {

inline constexpr std::uint16_t kDefaultSyncPort = 7702;  // member <-> member (HyperSync)

struct AgentSync {
  std::string interface;
  IpAddr address;  // this member's address on the sync segment
  std::uint16_t port = kDefaultSyncPort;
  bool operator==(const AgentSync&) const = default;
};

struct AgentConfig {
  std::string member;                   // the name the orchestrators know it by
  std::vector<Endpoint> orchestrators;  // one or two; port defaults to kDefaultControlPort
  std::string interface_ext;            // towards the orchestrators' dl-ext segment
  std::string interface_int;            // towards dl-int
  std::string key_file;
  std::string state_dir = "/var/lib/baton-agent";  // persisted admin state (down -p)
  std::string socket = "/run/baton/agent.sock";    // the local JSON API (docs/api.md)
  std::optional<AgentSync> sync;
  spdlog::level::level_enum log_level = spdlog::level::info;
  bool operator==(const AgentConfig&) const = default;
};

Result<AgentConfig> parse_agent_config(std::string_view text, std::string_view name_for_messages);
Result<AgentConfig> load_agent_config(const std::string& path);

}  // namespace baton::config
