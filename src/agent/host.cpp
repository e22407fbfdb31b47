#include "agent/host.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "agent/admin_store.hpp"
#include "agent/load.hpp"
#include "auth/epoch.hpp"
#include "config/values.hpp"

namespace baton::agent {

Result<std::array<std::uint8_t, 6>> read_mac(const std::string& root, const std::string& ifname) {
  std::string base = root == "/" ? "" : root;
  std::string path = base + "/sys/class/net/" + ifname + "/address";
  auto text = read_small_file(path, 256);
  if (!text) return err("interface {}: {}", ifname, text.error().message);
  std::string_view s = *text;
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.remove_suffix(1);
  auto mac = config::parse_mac(s);
  if (!mac) return err("interface {}: {}: {}", ifname, path, mac.error().message);
  return mac->bytes;
}

Result<std::uint64_t> next_session_epoch(const std::string& state_dir, std::uint64_t realtime_ns) {
  if (::mkdir(state_dir.c_str(), 0700) != 0 && errno != EEXIST)
    return err("state_dir {}: mkdir: {}", state_dir, std::strerror(errno));
  std::string path = state_dir + "/epoch";
  std::uint64_t last = 0;
  if (auto text = read_small_file(path, 256)) {
    auto v = parse_counter(*text);
    if (!v) return err("{}: {} (remove the file; the clock then chooses the epoch)", path,
                       v.error().message);
    last = *v;
  } else if (errno != ENOENT) {
    return text.error();
  }
  std::uint64_t epoch = auth::next_epoch(last, realtime_ns);
  if (auto s = write_file_atomic(path, std::to_string(epoch) + "\n"); !s) return s.error();
  return epoch;
}

}  // namespace baton::agent
