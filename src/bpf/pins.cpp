#include "bpf/pins.hpp"

#include <dirent.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/log.hpp"

namespace baton::bpf {
namespace {

constexpr long kBpfFsMagic = 0xcafe4a11;
constexpr const char* kBpfFs = "/sys/fs/bpf";

}  // namespace

Status ensure_pin_dir(const std::string& dir) {
  struct statfs st {};
  if (statfs(kBpfFs, &st) != 0 || st.f_type != kBpfFsMagic) {
    if (mount("bpf", kBpfFs, "bpf", 0, "mode=0700") != 0)
      return err("no BPF filesystem at {} and mounting one failed: {}", kBpfFs,
                 std::strerror(errno));
    spdlog::info("xdp: mounted a BPF filesystem at {}", kBpfFs);
  }
  if (dir.rfind(std::string(kBpfFs) + "/", 0) != 0)
    return err("pin directory {} is not under {}", dir, kBpfFs);
  for (std::size_t pos = std::strlen(kBpfFs) + 1; pos != std::string::npos;) {
    pos = dir.find('/', pos + 1);
    const std::string part = dir.substr(0, pos);
    if (mkdir(part.c_str(), 0700) != 0 && errno != EEXIST)
      return err("cannot create pin directory {}: {}", part, std::strerror(errno));
  }
  return {};
}

std::vector<std::string> list_pins(const std::string& dir) {
  std::vector<std::string> out;
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return out;
  while (dirent* e = readdir(d)) {
    const std::string name = e->d_name;
    if (name != "." && name != "..") out.push_back(name);
  }
  closedir(d);
  return out;
}

Status remove_pin_dir(const std::string& dir) {
  if (rmdir(dir.c_str()) != 0 && errno != ENOENT) {
    const int e = errno;
    std::string left;
    for (const auto& n : list_pins(dir)) left += " " + n;
    return err("cannot remove pin directory {}: {} (left:{})", dir, std::strerror(e), left);
  }
  return {};
}

}  // namespace baton::bpf
