// Internal to baton_sync_ct: the C headers (wrapped for the strict warnings), RAII for the
// library objects, and the conversion between nf_conntrack objects and Conn (conn.hpp). Not
// included by capture.hpp / install.hpp, so users of the adapter never see the C headers.
#pragma once

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wold-style-cast"
#pragma GCC diagnostic ignored "-Wconversion"
#pragma GCC diagnostic ignored "-Wcast-align"
#pragma GCC diagnostic ignored "-Wpedantic"
#pragma GCC diagnostic ignored "-Wsign-conversion"
#include <libmnl/libmnl.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack_tcp.h>
#pragma GCC diagnostic pop

#include <cstdint>
#include <memory>
#include <string>

#include "core/result.hpp"
#include "sync/conn.hpp"

namespace baton::sync::ct::detail {

struct NfctFree {
  void operator()(nf_conntrack* ct) const { nfct_destroy(ct); }
};
using NfctPtr = std::unique_ptr<nf_conntrack, NfctFree>;

struct MnlClose {
  void operator()(mnl_socket* s) const { mnl_socket_close(s); }
};
using MnlPtr = std::unique_ptr<mnl_socket, MnlClose>;

// "socket(NETLINK_NETFILTER): Operation not permitted" from the current errno.
std::string errno_text(const char* what);
std::string errno_text(const char* what, int err);

// An nf_conntrack object; aborts on allocation failure (as new does).
NfctPtr new_nfct();

// Opens a NETLINK_NETFILTER socket bound to `groups` (0 for requests only).
Result<MnlPtr> open_netfilter_socket(unsigned groups);

// Sets a socket buffer (SO_RCVBUF or SO_SNDBUF) to `bytes`, first with the *FORCE variant
// (root, ignores net.core.*mem_max) then the plain one; returns the size the kernel reports
// (which is doubled by the kernel for bookkeeping).
Result<int> set_buffer(int fd, bool receive, int bytes);

// Conn <-> nf_conntrack. `nlh` is the message the object was parsed from: the ICMP id/type/code
// of the reply tuple are read from it (libnetfilter_conntrack parses them but exposes no
// getter for the reply direction).
struct Decoded {
  Conn conn;
  bool has_timeout = false;
  bool has_tcp_state = false;
};
Result<Decoded> decode(const nlmsghdr* nlh);

// The status bits a member may set when creating an entry (see creatable_status in install.hpp).
std::uint32_t creatable_status(std::uint32_t status);

// Sets the original tuple and zone: what CT_GET and CT_DELETE need.
void set_key(nf_conntrack* ct, const ConnKey& key, std::uint16_t zone);
// Sets everything CT_NEW needs to create `c` as HyperSync installs it (install.hpp).
void set_for_create(nf_conntrack* ct, const Conn& c);

// Starts a ctnetlink request in `buf`: header, nfgenmsg; returns the header.
nlmsghdr* put_request(void* buf, std::uint8_t msg, std::uint16_t flags, std::uint32_t seq,
                      std::uint8_t family);

// AF_INET / AF_INET6 for Conn's 4 / 6.
inline std::uint8_t af_of(std::uint8_t family) {
  return family == 6 ? static_cast<std::uint8_t>(AF_INET6) : static_cast<std::uint8_t>(AF_INET);
}

}  // namespace baton::sync::ct::detail
