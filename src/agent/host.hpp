// What the agent reads from and keeps on its host besides admin.json: its interfaces' MAC
// addresses (sysfs) and its control-channel session epoch (state_dir/epoch, see
// auth/epoch.hpp: every run must use a larger epoch than the one before).
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "core/result.hpp"

namespace baton::agent {

// `root`/sys/class/net/`ifname`/address ("/" in production).
Result<std::array<std::uint8_t, 6>> read_mac(const std::string& root, const std::string& ifname);

// Reads state_dir/epoch (absent: 0), picks auth::next_epoch(that, realtime_ns) and writes it
// back (atomically, fsynced) before returning it. A corrupt file is an error naming it.
Result<std::uint64_t> next_session_epoch(const std::string& state_dir, std::uint64_t realtime_ns);

}  // namespace baton::agent
