// The persisted admin state: state_dir/admin.json, present only while a persistent down
// (clusterXL_admin down -p, or a persistent COMMAND) is in force. Written to a temporary file,
// fsynced, renamed over the old one, and the directory fsynced, so a crash leaves either the
// old or the new file. A corrupt file is reported (the caller logs it) and read as "up":
// the agent never refuses to start because of it.
//
//   {"version":1,"state":"down","persistent":true,"who":"alice","reason":"disk swap",
//    "since_ms":1764115200000}
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "agent/core.hpp"
#include "core/result.hpp"

namespace baton::agent {

inline constexpr std::string_view kAdminFile = "admin.json";

// The text of admin.json for `r`.
std::string admin_to_json(const AdminRecord& r);
// Parses admin.json: a persistent down, or nothing for a file that says "up". Errors name the
// field that is wrong.
Result<std::optional<AdminRecord>> parse_admin_json(std::string_view text);

struct LoadedAdmin {
  std::optional<AdminRecord> record;  // a persistent down in force
  std::optional<std::string> error;   // the file exists but could not be read or parsed
};
// Reads state_dir/admin.json; a missing file is "up" without error.
LoadedAdmin load_admin_state(const std::string& state_dir);
// Writes state_dir/admin.json (creating state_dir, mode 0700, if it is missing).
Status save_admin_state(const std::string& state_dir, const AdminRecord& r);
// Removes state_dir/admin.json (no error if it is absent).
Status clear_admin_state(const std::string& state_dir);

// Reads a whole file of at most `limit` bytes. On error, errno is left as the failing call
// set it (ENOENT for a missing file).
Result<std::string> read_small_file(const std::string& path, std::size_t limit = 65536);
// Writes `path` atomically: `path`.tmp, fsync, rename, fsync of the directory.
Status write_file_atomic(const std::string& path, std::string_view text);

}  // namespace baton::agent
