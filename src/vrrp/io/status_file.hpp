// The daemon's status as a JSON file, replaced atomically (write to a temporary file, then
// rename), so a reader (tests, the benchmark, an operator's `cat`) never sees half of it.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "core/result.hpp"

namespace baton::vrrp::io {

Status write_status_file(const std::string& path, const nlohmann::json& status);

}  // namespace baton::vrrp::io
