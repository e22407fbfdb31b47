// Internal to the orchestrator config parser: one function per section of batond.yaml, each
// reading its key of the top-level map into the config and recording what is wrong.
// Sections that depend on others run after them (parse order in orchestrator.cpp).
#pragma once

#include "config/fields.hpp"
#include "config/orchestrator.hpp"

namespace baton::config::detail {

// orchestrator_ha.cpp
void read_identity(MapReader& top, OrchestratorConfig& c);
void read_vrrp(MapReader& top, OrchestratorConfig& c);  // after the group name
void read_peer_detection(MapReader& top, OrchestratorConfig& c);
void read_peer(MapReader& top, OrchestratorConfig& c);

// orchestrator_members.cpp
void read_members(MapReader& top, OrchestratorConfig& c);    // members and spares
void read_autoscale(MapReader& top, OrchestratorConfig& c);  // after the members

// orchestrator_segments.cpp
void read_segments(MapReader& top, OrchestratorConfig& c);  // after vrrp (its version)

}  // namespace baton::config::detail
