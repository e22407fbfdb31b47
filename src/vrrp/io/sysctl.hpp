// Writing per-interface sysctls of the calling process's network namespace (/proc/sys/net).
#pragma once

#include <string>

#include "core/result.hpp"

namespace baton::vrrp::io {

// write_sysctl("net/ipv4/conf/eth0/arp_ignore", "1")
Status write_sysctl(const std::string& key, const std::string& value);

}  // namespace baton::vrrp::io
