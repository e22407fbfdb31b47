// Getting a config file into a YAML tree, safely: reading it (errors name the file and the
// system's reason), bounding its size and nesting before yaml-cpp sees it (yaml-cpp recurses
// once per nesting level), and turning yaml-cpp's exceptions into located diagnostics.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "config/diagnostics.hpp"
#include "core/result.hpp"

namespace baton::config {

inline constexpr std::size_t kMaxFileBytes = 1024 * 1024;
// A baton config nests a handful of levels; anything deeper is refused before parsing.
inline constexpr int kMaxFlowNesting = 64;   // [ and { open at once
inline constexpr int kMaxBlockColumn = 256;  // column where a block line's content starts

// The whole file, or "path: cannot read: <reason>" / "path: file is larger than 1 MiB".
Result<std::string> read_config_file(const std::string& path);

// Where the text nests deeper than the limits above, if it does (a located diagnostic).
bool check_nesting(std::string_view text, Diagnostics& d);

// The single YAML document in `text`, or nothing with the reasons recorded in `d`: too large,
// too deep, not YAML, empty, or more than one document.
std::optional<YAML::Node> load_document(std::string_view text, Diagnostics& d);

// yaml-cpp's 0-based mark as a 1-based location (line 0 if the mark is unknown).
Location location_of(const YAML::Mark& m);

}  // namespace baton::config
