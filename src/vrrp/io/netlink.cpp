#include "vrrp/io/netlink.hpp"

// glibc's net/if.h first: linux/if.h then leaves out what glibc already defines.
#include <net/if.h>

#include <libmnl/libmnl.h>
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <ctime>

namespace baton::vrrp::io {
namespace {

constexpr std::size_t kBufSize = 16384;

int link_attr_cb(const nlattr* attr, void* data) {
  auto* info = static_cast<LinkInfo*>(data);
  switch (mnl_attr_get_type(attr)) {
    case IFLA_IFNAME:
      if (mnl_attr_validate(attr, MNL_TYPE_STRING) >= 0) info->name = mnl_attr_get_str(attr);
      break;
    case IFLA_ADDRESS:
      if (mnl_attr_get_payload_len(attr) == 6)
        std::memcpy(info->mac.data(), mnl_attr_get_payload(attr), 6);
      break;
    default:
      break;
  }
  return MNL_CB_OK;
}

LinkInfo parse_link(const nlmsghdr* nlh) {
  LinkInfo info;
  const auto* ifi = static_cast<const ifinfomsg*>(mnl_nlmsg_get_payload(nlh));
  info.ifindex = ifi->ifi_index;
  info.admin_up = (ifi->ifi_flags & IFF_UP) != 0;
  info.carrier = (ifi->ifi_flags & IFF_LOWER_UP) != 0;
  mnl_attr_parse(nlh, sizeof(ifinfomsg), link_attr_cb, &info);
  return info;
}

int link_cb(const nlmsghdr* nlh, void* data) {
  if (nlh->nlmsg_type == RTM_NEWLINK) *static_cast<LinkInfo*>(data) = parse_link(nlh);
  return MNL_CB_OK;
}

struct AddrDump {
  int ifindex;
  Family family;
  std::vector<IpPrefix> first;  // IPv4 primaries / IPv6 link-local
  std::vector<IpPrefix> rest;
};

struct AddrAttrs {
  const nlattr* local = nullptr;
  const nlattr* address = nullptr;
};

int addr_attr_cb(const nlattr* attr, void* data) {
  auto* a = static_cast<AddrAttrs*>(data);
  if (mnl_attr_get_type(attr) == IFA_LOCAL) a->local = attr;
  if (mnl_attr_get_type(attr) == IFA_ADDRESS) a->address = attr;
  return MNL_CB_OK;
}

int addr_cb(const nlmsghdr* nlh, void* data) {
  auto* dump = static_cast<AddrDump*>(data);
  const auto* ifa = static_cast<const ifaddrmsg*>(mnl_nlmsg_get_payload(nlh));
  if (static_cast<int>(ifa->ifa_index) != dump->ifindex) return MNL_CB_OK;
  if (ifa->ifa_family != af_of(dump->family)) return MNL_CB_OK;
  AddrAttrs attrs;
  mnl_attr_parse(nlh, sizeof(ifaddrmsg), addr_attr_cb, &attrs);
  const nlattr* local = attrs.local;
  const nlattr* address = attrs.address;
  const nlattr* pick = local != nullptr ? local : address;
  if (pick == nullptr) return MNL_CB_OK;
  auto bytes = std::span<const std::uint8_t>(
      static_cast<const std::uint8_t*>(mnl_attr_get_payload(pick)),
      mnl_attr_get_payload_len(pick));
  if (bytes.size() != (dump->family == Family::ipv4 ? 4u : 16u)) return MNL_CB_OK;
  IpPrefix p{IpAddr::from_bytes(dump->family, bytes), ifa->ifa_prefixlen};
  // Secondary IPv4 addresses after the primary; IPv6 link-local first.
  bool front = dump->family == Family::ipv6 ? p.addr.is_link_local()
                                            : (ifa->ifa_flags & IFA_F_SECONDARY) == 0;
  (front ? dump->first : dump->rest).push_back(p);
  return MNL_CB_OK;
}

void put_addr_msg(nlmsghdr* nlh, int ifindex, const IpPrefix& p) {
  auto* ifa = static_cast<ifaddrmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifaddrmsg)));
  ifa->ifa_family = static_cast<std::uint8_t>(af_of(p.addr.family));
  ifa->ifa_prefixlen = p.length;
  ifa->ifa_flags = p.addr.family == Family::ipv6 ? IFA_F_NODAD : 0;
  ifa->ifa_scope = p.addr.is_link_local() ? RT_SCOPE_LINK : RT_SCOPE_UNIVERSE;
  ifa->ifa_index = static_cast<unsigned>(ifindex);
  mnl_attr_put(nlh, IFA_LOCAL, p.addr.size(), p.addr.bytes.data());
  mnl_attr_put(nlh, IFA_ADDRESS, p.addr.size(), p.addr.bytes.data());
}

}  // namespace

std::string mac_to_string(const MacAddress& m) {
  char buf[18];
  std::snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4],
                m[5]);
  return buf;
}

MacAddress virtual_mac(Family f, std::uint8_t vrid) {
  return {0x00, 0x00, 0x5e, 0x00, static_cast<std::uint8_t>(f == Family::ipv4 ? 0x01 : 0x02),
          vrid};
}

Result<Netlink> Netlink::open() {
  mnl_socket* s = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
  if (s == nullptr) return err("netlink socket: {}", std::strerror(errno));
  if (mnl_socket_bind(s, 0, MNL_SOCKET_AUTOPID) < 0) {
    int e = errno;
    mnl_socket_close(s);
    return err("netlink bind: {}", std::strerror(e));
  }
  return Netlink(s);
}

Netlink::Netlink(mnl_socket* s)
    : sock_(s), portid_(mnl_socket_get_portid(s)), seq_(static_cast<unsigned>(std::time(nullptr))) {}
Netlink::Netlink(Netlink&& o) noexcept : sock_(o.sock_), portid_(o.portid_), seq_(o.seq_) {
  o.sock_ = nullptr;
}
Netlink& Netlink::operator=(Netlink&& o) noexcept {
  std::swap(sock_, o.sock_);
  portid_ = o.portid_;
  seq_ = o.seq_;
  return *this;
}
Netlink::~Netlink() {
  if (sock_ != nullptr) mnl_socket_close(sock_);
}

// Sends one request and reads until its ack (or its dump's end); `cb` sees each reply.
// `code` (if given) receives the kernel's errno on failure.
static Status run_request(mnl_socket* sock, unsigned portid, nlmsghdr* nlh, const char* what,
                          mnl_cb_t cb, void* data, int* code = nullptr) {
  if (mnl_socket_sendto(sock, nlh, nlh->nlmsg_len) < 0)
    return err("netlink {}: send: {}", what, std::strerror(errno));
  char buf[kBufSize];
  const unsigned seq = nlh->nlmsg_seq;
  for (;;) {
    ssize_t n = mnl_socket_recvfrom(sock, buf, sizeof buf);
    if (n < 0) return err("netlink {}: receive: {}", what, std::strerror(errno));
    int rc = mnl_cb_run(buf, static_cast<std::size_t>(n), seq, portid, cb, data);
    if (rc < 0) {
      int e = errno;
      if (code != nullptr) *code = e;
      return err("netlink {}: {}", what, std::strerror(e));
    }
    if (rc == MNL_CB_STOP) return {};
  }
}

Status Netlink::transact(void* p, const char* what) {
  auto* nlh = static_cast<nlmsghdr*>(p);
  nlh->nlmsg_flags |= NLM_F_ACK;
  return run_request(sock_, portid_, nlh, what, nullptr, nullptr);
}

Result<LinkInfo> Netlink::link(const std::string& name) {
  unsigned idx = if_nametoindex(name.c_str());
  if (idx == 0) return err("no interface named '{}'", name);
  return link(static_cast<int>(idx));
}

Result<LinkInfo> Netlink::link(int ifindex) {
  char buf[kBufSize];
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf);
  nlh->nlmsg_type = RTM_GETLINK;
  nlh->nlmsg_flags = NLM_F_REQUEST;
  nlh->nlmsg_seq = ++seq_;
  auto* ifi = static_cast<ifinfomsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifinfomsg)));
  ifi->ifi_family = AF_UNSPEC;
  ifi->ifi_index = ifindex;
  LinkInfo info;
  // A GETLINK for one link answers with the link and no ack: stop after the first message.
  if (mnl_socket_sendto(sock_, nlh, nlh->nlmsg_len) < 0)
    return err("netlink get link {}: send: {}", ifindex, std::strerror(errno));
  ssize_t n = mnl_socket_recvfrom(sock_, buf, sizeof buf);
  if (n < 0) return err("netlink get link {}: {}", ifindex, std::strerror(errno));
  if (mnl_cb_run(buf, static_cast<std::size_t>(n), seq_, portid_, link_cb, &info) < 0)
    return err("interface index {}: {}", ifindex, std::strerror(errno));
  if (info.ifindex != ifindex) return err("interface index {}: no such link", ifindex);
  return info;
}

Result<int> Netlink::create_macvlan(int parent, const std::string& name, const MacAddress& mac,
                                    MacvlanMode mode) {
  if (unsigned old = if_nametoindex(name.c_str()); old != 0) {
    if (auto s = delete_link(static_cast<int>(old)); !s) return s.error();
  }
  char buf[kBufSize];
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf);
  nlh->nlmsg_type = RTM_NEWLINK;
  nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL;
  nlh->nlmsg_seq = ++seq_;
  auto* ifi = static_cast<ifinfomsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifinfomsg)));
  ifi->ifi_family = AF_UNSPEC;
  mnl_attr_put_strz(nlh, IFLA_IFNAME, name.c_str());
  mnl_attr_put_u32(nlh, IFLA_LINK, static_cast<std::uint32_t>(parent));
  mnl_attr_put(nlh, IFLA_ADDRESS, mac.size(), mac.data());
  nlattr* linkinfo = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
  mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "macvlan");
  nlattr* data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
  mnl_attr_put_u32(nlh, IFLA_MACVLAN_MODE, static_cast<std::uint32_t>(mode));
  mnl_attr_nest_end(nlh, data);
  mnl_attr_nest_end(nlh, linkinfo);
  std::string what = "create macvlan " + name;
  if (auto s = transact(nlh, what.c_str()); !s) return s.error();
  unsigned idx = if_nametoindex(name.c_str());
  if (idx == 0) return err("macvlan {} created but not found", name);
  return static_cast<int>(idx);
}

Status Netlink::delete_link(int ifindex) {
  char buf[kBufSize];
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf);
  nlh->nlmsg_type = RTM_DELLINK;
  nlh->nlmsg_flags = NLM_F_REQUEST;
  nlh->nlmsg_seq = ++seq_;
  auto* ifi = static_cast<ifinfomsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifinfomsg)));
  ifi->ifi_family = AF_UNSPEC;
  ifi->ifi_index = ifindex;
  return transact(nlh, "delete link");
}

Status Netlink::set_up(int ifindex, bool up) {
  char buf[kBufSize];
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf);
  nlh->nlmsg_type = RTM_NEWLINK;
  nlh->nlmsg_flags = NLM_F_REQUEST;
  nlh->nlmsg_seq = ++seq_;
  auto* ifi = static_cast<ifinfomsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifinfomsg)));
  ifi->ifi_family = AF_UNSPEC;
  ifi->ifi_index = ifindex;
  ifi->ifi_change = IFF_UP;
  ifi->ifi_flags = up ? IFF_UP : 0;
  return transact(nlh, up ? "set link up" : "set link down");
}

Status Netlink::add_address(int ifindex, const IpPrefix& p) {
  char buf[kBufSize];
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf);
  nlh->nlmsg_type = RTM_NEWADDR;
  nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_REPLACE;
  nlh->nlmsg_seq = ++seq_;
  put_addr_msg(nlh, ifindex, p);
  std::string what = "add address " + p.to_string();
  return transact(nlh, what.c_str());
}

Status Netlink::del_address(int ifindex, const IpPrefix& p) {
  char buf[kBufSize];
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf);
  nlh->nlmsg_type = RTM_DELADDR;
  nlh->nlmsg_flags = NLM_F_REQUEST;
  nlh->nlmsg_seq = ++seq_;
  put_addr_msg(nlh, ifindex, p);
  nlh->nlmsg_flags |= NLM_F_ACK;
  int code = 0;
  std::string what = "delete address " + p.to_string();
  Status s = run_request(sock_, portid_, nlh, what.c_str(), nullptr, nullptr, &code);
  if (!s && code == EADDRNOTAVAIL) return {};
  return s;
}

Result<std::vector<IpPrefix>> Netlink::addresses(int ifindex, Family f) {
  char buf[kBufSize];
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf);
  nlh->nlmsg_type = RTM_GETADDR;
  nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  nlh->nlmsg_seq = ++seq_;
  auto* ifa = static_cast<ifaddrmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifaddrmsg)));
  ifa->ifa_family = static_cast<std::uint8_t>(af_of(f));
  AddrDump dump{ifindex, f, {}, {}};
  if (auto s = run_request(sock_, portid_, nlh, "list addresses", addr_cb, &dump); !s)
    return s.error();
  for (auto& p : dump.rest) dump.first.push_back(p);
  return std::move(dump.first);
}

Result<LinkMonitor> LinkMonitor::open() {
  mnl_socket* s = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC | SOCK_NONBLOCK);
  if (s == nullptr) return err("netlink monitor socket: {}", std::strerror(errno));
  if (mnl_socket_bind(s, RTMGRP_LINK, MNL_SOCKET_AUTOPID) < 0) {
    int e = errno;
    mnl_socket_close(s);
    return err("netlink monitor bind: {}", std::strerror(e));
  }
  return LinkMonitor(s);
}

LinkMonitor::LinkMonitor(LinkMonitor&& o) noexcept : sock_(o.sock_) { o.sock_ = nullptr; }
LinkMonitor::~LinkMonitor() {
  if (sock_ != nullptr) mnl_socket_close(sock_);
}
int LinkMonitor::fd() const { return mnl_socket_get_fd(sock_); }

std::vector<LinkInfo> LinkMonitor::drain() {
  std::vector<LinkInfo> out;
  char buf[kBufSize];
  for (;;) {
    ssize_t n = mnl_socket_recvfrom(sock_, buf, sizeof buf);
    if (n <= 0) break;
    auto len = static_cast<int>(n);
    for (auto* nlh = reinterpret_cast<nlmsghdr*>(buf); mnl_nlmsg_ok(nlh, len);
         nlh = mnl_nlmsg_next(nlh, &len)) {
      if (nlh->nlmsg_type == RTM_NEWLINK) out.push_back(parse_link(nlh));
    }
  }
  return out;
}

}  // namespace baton::vrrp::io
