#include "vrrp/io/sysctl.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace baton::vrrp::io {

Status write_sysctl(const std::string& key, const std::string& value) {
  std::string path = "/proc/sys/" + key;
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return err("sysctl {}: {}", key, std::strerror(errno));
  ssize_t n = ::write(fd, value.data(), value.size());
  int e = errno;
  ::close(fd);
  if (n != static_cast<ssize_t>(value.size()))
    return err("sysctl {} = {}: {}", key, value, std::strerror(e));
  return {};
}

}  // namespace baton::vrrp::io
