// Output of baton-sim: a human table (default) or one JSON document (--json).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "sim/report.hpp"

namespace baton::sim {

// {"tool", "parameters", "population", "initial", "events": [...]}, keys in that order.
// Fractions are of all flows (or buckets); a max/min ratio with a member at 0 flows is null.
nlohmann::ordered_json to_json(const RunReport& r);

std::string to_text(const RunReport& r);

}  // namespace baton::sim
