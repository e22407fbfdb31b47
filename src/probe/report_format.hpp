// The probe's report as JSON and as a table for people.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "probe/recorder.hpp"

namespace baton::probe {

nlohmann::json to_json(const std::vector<WindowReport>& windows);
std::string to_table(const std::vector<WindowReport>& windows);

}  // namespace baton::probe
