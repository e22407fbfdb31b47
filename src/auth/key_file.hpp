// Loading a key file (the only I/O in baton_auth). The file must be
//   - a regular file (symbolic links are refused, so the checks apply to the file itself),
//   - owned by root (uid 0; tests may name another owner through KeyFileRules),
//   - not accessible to group or other: no permission bit in 0077 (chmod 600 or 400),
//   - at most 4096 bytes, holding key material as described in key.hpp (≥ 32 bytes).
// Every error names the file and the problem, e.g.
//   "key file /etc/baton/control.key: mode 0644 gives group/other access (chmod 600 it)".
#pragma once

#include <string>
#include <sys/types.h>

#include "auth/key.hpp"
#include "core/result.hpp"

namespace baton::auth {

struct KeyFileRules {
  uid_t owner = 0;  // the uid that must own the file; root in production
};

Result<Key> load_key_file(const std::string& path, KeyFileRules rules = {});

}  // namespace baton::auth
