#include "agent/admin_store.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <tuple>

#include <nlohmann/json.hpp>

namespace baton::agent {
namespace {

using nlohmann::json;

std::string dir_of(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

Status fsync_path(const std::string& path, int flags) {
  int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) return err("{}: open: {}", path, std::strerror(errno));
  int rc = ::fsync(fd);
  int e = errno;
  ::close(fd);
  if (rc != 0) return err("{}: fsync: {}", path, std::strerror(e));
  return {};
}

Status ensure_dir(const std::string& dir) {
  if (::mkdir(dir.c_str(), 0700) == 0 || errno == EEXIST) return {};
  return err("state_dir {}: mkdir: {}", dir, std::strerror(errno));
}

}  // namespace

Result<std::string> read_small_file(const std::string& path, std::size_t limit) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int e = errno;
    auto r = err("{}: cannot open: {}", path, std::strerror(e));
    errno = e;
    return r;
  }
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int e = errno;
      ::close(fd);
      errno = e;
      return err("{}: read: {}", path, std::strerror(e));
    }
    if (n == 0) break;
    out.append(buf, static_cast<std::size_t>(n));
    if (out.size() > limit) {
      ::close(fd);
      errno = EFBIG;
      return err("{}: larger than {} bytes", path, limit);
    }
  }
  ::close(fd);
  return out;
}

std::string admin_to_json(const AdminRecord& r) {
  json j = {{"version", 1},
            {"state", r.state.state == control::Admin::down ? "down" : "up"},
            {"persistent", r.state.persistent},
            {"who", r.state.who},
            {"reason", r.state.reason},
            {"since_ms", r.since_ms}};
  return j.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
}

Result<std::optional<AdminRecord>> parse_admin_json(std::string_view text) {
  json j = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return err("not valid JSON");
  if (!j.is_object()) return err("not a JSON object");
  auto field = [&](const char* name) -> const json* {
    auto it = j.find(name);
    return it == j.end() ? nullptr : &*it;
  };
  const json* version = field("version");
  if (!version || !version->is_number_unsigned() || version->get<std::uint64_t>() != 1)
    return err("\"version\" must be 1");
  const json* state = field("state");
  if (!state || !state->is_string()) return err("\"state\" must be \"up\" or \"down\"");
  const auto& s = state->get_ref<const std::string&>();
  if (s != "up" && s != "down") return err("\"state\" must be \"up\" or \"down\", not \"{}\"", s);
  AdminRecord r;
  r.state.state = s == "down" ? control::Admin::down : control::Admin::up;
  const json* persistent = field("persistent");
  if (!persistent || !persistent->is_boolean()) return err("\"persistent\" must be true or false");
  r.state.persistent = persistent->get<bool>();
  for (auto [name, out, limit] : {std::tuple{"who", &r.state.who, control::kMaxWhoBytes},
                                  std::tuple{"reason", &r.state.reason, control::kMaxTextBytes}}) {
    const json* f = field(name);
    if (!f) continue;
    if (!f->is_string()) return err("\"{}\" must be a string", name);
    *out = f->get<std::string>();
    if (out->size() > limit) return err("\"{}\" is longer than {} bytes", name, limit);
  }
  for (char c : r.state.who)
    if (c < 0x20 || c > 0x7e) return err("\"who\" has a non-printable character");
  if (r.state.reason.find('\0') != std::string::npos) return err("\"reason\" contains NUL");
  if (const json* since = field("since_ms")) {
    if (!since->is_number_integer() ||
        (since->is_number_unsigned() && since->get<std::uint64_t>() > INT64_MAX))
      return err("\"since_ms\" must be an integer (ms since 1970)");
    r.since_ms = since->get<std::int64_t>();
  }
  if (r.state.state == control::Admin::up) return std::optional<AdminRecord>{};
  if (!r.state.persistent) return err("\"state\" is \"down\" but \"persistent\" is false");
  return std::optional<AdminRecord>{r};
}

LoadedAdmin load_admin_state(const std::string& state_dir) {
  std::string path = state_dir + "/" + std::string(kAdminFile);
  auto text = read_small_file(path);
  if (!text) {
    if (errno == ENOENT) return {};
    return {std::nullopt, text.error().message};
  }
  auto parsed = parse_admin_json(*text);
  if (!parsed) return {std::nullopt, fmt::format("{}: {}", path, parsed.error().message)};
  return {*parsed, std::nullopt};
}

Status write_file_atomic(const std::string& path, std::string_view text) {
  std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return err("{}: open: {}", tmp, std::strerror(errno));
  std::size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int e = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      return err("{}: write: {}", tmp, std::strerror(e));
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) {
    int e = errno;
    ::close(fd);
    ::unlink(tmp.c_str());
    return err("{}: fsync: {}", tmp, std::strerror(e));
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int e = errno;
    ::unlink(tmp.c_str());
    return err("{}: rename to {}: {}", tmp, path, std::strerror(e));
  }
  return fsync_path(dir_of(path), O_RDONLY | O_DIRECTORY);
}

Status save_admin_state(const std::string& state_dir, const AdminRecord& r) {
  if (auto s = ensure_dir(state_dir); !s) return s;
  return write_file_atomic(state_dir + "/" + std::string(kAdminFile), admin_to_json(r));
}

Status clear_admin_state(const std::string& state_dir) {
  std::string path = state_dir + "/" + std::string(kAdminFile);
  if (::unlink(path.c_str()) != 0) {
    if (errno == ENOENT) return {};
    return err("{}: unlink: {}", path, std::strerror(errno));
  }
  return fsync_path(state_dir, O_RDONLY | O_DIRECTORY);
}

}  // namespace baton::agent
