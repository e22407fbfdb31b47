// Helpers for the namespace tests of the XDP program: raw frames in and out of interfaces,
// interface facts, and what XDP program an interface runs.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "bpf/types.hpp"
#include "core/result.hpp"
#include "support/packets.hpp"

namespace baton::bpf::testing {

// Sends frames out of `ifname` (calling thread's namespace) through an AF_PACKET socket.
Status send_frames(const std::string& ifname, const std::vector<test::Bytes>& frames);

// Receives frames arriving on `ifname` until `stop`; call on a thread inside the namespace.
Result<std::vector<test::Bytes>> receive_frames(const std::string& ifname,
                                                const std::atomic<bool>& stop);

Result<Mac> interface_mac(const std::string& ifname);
// Id of the XDP program attached to `ifname` (0 if none), in the calling thread's namespace.
Result<std::uint32_t> attached_prog_id(const std::string& ifname);
// Id of a loaded program.
std::uint32_t prog_id(int prog_fd);

}  // namespace baton::bpf::testing
