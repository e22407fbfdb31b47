#include "auth/key_file.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

namespace baton::auth {
namespace {

// Closes the descriptor on every path out of load_key_file.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

}  // namespace

Result<Key> load_key_file(const std::string& path, KeyFileRules rules) {
  auto fail = [&](const std::string& problem) { return err("key file {}: {}", path, problem); };
  Fd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK));
  if (fd.get() < 0) {
    int e = errno;
    if (e == ENOENT) return fail("missing (no such file)");
    if (e == ELOOP) return fail("is a symbolic link; point the configuration at the file itself");
    return fail(fmt::format("cannot open: {}", std::strerror(e)));
  }
  struct stat st{};
  if (::fstat(fd.get(), &st) != 0) return fail(fmt::format("cannot stat: {}", std::strerror(errno)));
  if (!S_ISREG(st.st_mode)) return fail("not a regular file");
  if (st.st_uid != rules.owner)
    return fail(fmt::format("wrong owner: owned by uid {}, must be owned by uid {}{}", st.st_uid,
                            rules.owner, rules.owner == 0 ? " (root)" : ""));
  auto mode = st.st_mode & 07777;
  if ((mode & 0077) != 0)
    return fail(fmt::format("wrong mode: {:04o} gives group/other access (chmod 600 it)", mode));
  if (st.st_size > static_cast<off_t>(kMaxKeyFileBytes))
    return fail(fmt::format("too long: {} bytes, a key file holds at most {}", st.st_size,
                            kMaxKeyFileBytes));

  std::vector<std::uint8_t> buf(kMaxKeyFileBytes + 1);
  std::size_t got = 0;
  while (got < buf.size()) {
    ssize_t n = ::read(fd.get(), buf.data() + got, buf.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      OPENSSL_cleanse(buf.data(), buf.size());
      return fail(fmt::format("cannot read: {}", std::strerror(errno)));
    }
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  auto key = parse_key(std::span<const std::uint8_t>(buf).first(got));
  OPENSSL_cleanse(buf.data(), buf.size());
  if (!key) return fail(key.error().message);
  return key;
}

}  // namespace baton::auth
