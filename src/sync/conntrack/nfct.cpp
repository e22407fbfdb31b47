#include "sync/conntrack/nfct.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace baton::sync::ct::detail {

namespace {

bool has_ports(std::uint8_t proto) {
  return proto == IPPROTO_TCP || proto == IPPROTO_UDP || proto == IPPROTO_SCTP ||
         proto == IPPROTO_DCCP || proto == IPPROTO_UDPLITE;
}

bool is_icmp(std::uint8_t proto) { return proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6; }

bool attr_set(const nf_conntrack* ct, int attr) {
  return nfct_attr_is_set(ct, static_cast<nf_conntrack_attr>(attr)) > 0;
}

// Copies an address attribute (4 or 16 bytes) into `out`; false if absent.
bool get_addr(const nf_conntrack* ct, int attr, std::size_t len, std::array<std::uint8_t, 16>& out) {
  if (!attr_set(ct, attr)) return false;
  const void* p = nfct_get_attr(ct, static_cast<nf_conntrack_attr>(attr));
  if (p == nullptr) return false;
  out.fill(0);
  std::memcpy(out.data(), p, len);
  return true;
}

// The first nested attribute of `type` inside `nest`, or nullptr.
const nlattr* find_nested(const nlattr* nest, std::uint16_t type) {
  const auto* payload = static_cast<const char*>(mnl_attr_get_payload(nest));
  int left = static_cast<int>(mnl_attr_get_payload_len(nest));
  const auto* a = reinterpret_cast<const nlattr*>(payload);
  while (mnl_attr_ok(a, left)) {
    if (mnl_attr_get_type(a) == type) return a;
    left -= static_cast<int>(MNL_ALIGN(a->nla_len));
    a = mnl_attr_next(a);
  }
  return nullptr;
}

// The top-level attribute of `type` of a ctnetlink message, or nullptr.
const nlattr* find_top(const nlmsghdr* nlh, std::uint16_t type) {
  const std::size_t off = MNL_ALIGN(sizeof(nfgenmsg));
  if (nlh->nlmsg_len < MNL_NLMSG_HDRLEN + off) return nullptr;
  const auto* a = reinterpret_cast<const nlattr*>(
      static_cast<const char*>(mnl_nlmsg_get_payload(nlh)) + off);
  int left = static_cast<int>(nlh->nlmsg_len - MNL_NLMSG_HDRLEN - off);
  while (mnl_attr_ok(a, left)) {
    if (mnl_attr_get_type(a) == type) return a;
    left -= static_cast<int>(MNL_ALIGN(a->nla_len));
    a = mnl_attr_next(a);
  }
  return nullptr;
}

// ICMP id and (type << 8 | code) of the reply tuple, read from the raw message.
bool reply_icmp(const nlmsghdr* nlh, std::uint8_t proto, Tuple& t) {
  const nlattr* tuple = find_top(nlh, CTA_TUPLE_REPLY);
  if (tuple == nullptr) return false;
  const nlattr* p = find_nested(tuple, CTA_TUPLE_PROTO);
  if (p == nullptr) return false;
  const bool v6 = proto == IPPROTO_ICMPV6;
  const nlattr* id = find_nested(p, v6 ? CTA_PROTO_ICMPV6_ID : CTA_PROTO_ICMP_ID);
  const nlattr* type = find_nested(p, v6 ? CTA_PROTO_ICMPV6_TYPE : CTA_PROTO_ICMP_TYPE);
  const nlattr* code = find_nested(p, v6 ? CTA_PROTO_ICMPV6_CODE : CTA_PROTO_ICMP_CODE);
  if (id == nullptr || type == nullptr || code == nullptr) return false;
  t.sport = ntohs(mnl_attr_get_u16(id));
  t.dport = static_cast<std::uint16_t>((mnl_attr_get_u8(type) << 8) | mnl_attr_get_u8(code));
  return true;
}

std::uint32_t word(const std::array<std::uint8_t, 16>& a) {
  std::uint32_t v;
  std::memcpy(&v, a.data(), 4);
  return v;  // network order, as libnetfilter_conntrack wants it
}

void set_tuple(nf_conntrack* ct, bool reply, std::uint8_t family, std::uint8_t proto,
               const Tuple& t) {
  if (family == 6) {
    nfct_set_attr(ct, reply ? ATTR_REPL_IPV6_SRC : ATTR_ORIG_IPV6_SRC, t.src.data());
    nfct_set_attr(ct, reply ? ATTR_REPL_IPV6_DST : ATTR_ORIG_IPV6_DST, t.dst.data());
  } else {
    nfct_set_attr_u32(ct, reply ? ATTR_REPL_IPV4_SRC : ATTR_ORIG_IPV4_SRC, word(t.src));
    nfct_set_attr_u32(ct, reply ? ATTR_REPL_IPV4_DST : ATTR_ORIG_IPV4_DST, word(t.dst));
  }
  if (is_icmp(proto) && !reply) {
    // Type first: setting it also sets the reply type (its inverse); the reply setters below
    // overwrite that with the reply tuple as given.
    nfct_set_attr_u8(ct, ATTR_ICMP_TYPE, static_cast<std::uint8_t>(t.dport >> 8));
    nfct_set_attr_u8(ct, ATTR_ICMP_CODE, static_cast<std::uint8_t>(t.dport & 0xff));
    nfct_set_attr_u16(ct, ATTR_ICMP_ID, htons(t.sport));
  } else if (has_ports(proto) || is_icmp(proto)) {
    // For ICMP in the reply direction the port fields are the same union as id / type-code:
    // the id in the source port, the bytes {type, code} in the destination port.
    nfct_set_attr_u16(ct, reply ? ATTR_REPL_PORT_SRC : ATTR_ORIG_PORT_SRC, htons(t.sport));
    nfct_set_attr_u16(ct, reply ? ATTR_REPL_PORT_DST : ATTR_ORIG_PORT_DST, htons(t.dport));
  }
}

}  // namespace

std::string errno_text(const char* what) { return errno_text(what, errno); }

std::string errno_text(const char* what, int err) {
  return fmt::format("{}: {}", what, std::strerror(err));
}

NfctPtr new_nfct() {
  nf_conntrack* ct = nfct_new();
  if (ct == nullptr) panic("nfct_new: out of memory");
  return NfctPtr(ct);
}

Result<MnlPtr> open_netfilter_socket(unsigned groups) {
  MnlPtr nl(mnl_socket_open(NETLINK_NETFILTER));
  if (!nl) return Error{errno_text("socket(AF_NETLINK, NETLINK_NETFILTER)")};
  if (mnl_socket_bind(nl.get(), groups, MNL_SOCKET_AUTOPID) < 0) {
    return Error{errno_text(groups != 0 ? "bind(netlink, conntrack event groups)"
                                        : "bind(netlink)")};
  }
  return nl;
}

Result<int> set_buffer(int fd, bool receive, int bytes) {
  const int force = receive ? SO_RCVBUFFORCE : SO_SNDBUFFORCE;
  const int plain = receive ? SO_RCVBUF : SO_SNDBUF;
  if (setsockopt(fd, SOL_SOCKET, force, &bytes, sizeof bytes) < 0) {
    const int e = errno;
    if (setsockopt(fd, SOL_SOCKET, plain, &bytes, sizeof bytes) < 0) {
      return Error{fmt::format("setsockopt({}, {} bytes): {} (and {}: {})",
                               receive ? "SO_RCVBUF" : "SO_SNDBUF", bytes,
                               std::strerror(errno),
                               receive ? "SO_RCVBUFFORCE" : "SO_SNDBUFFORCE", std::strerror(e))};
    }
  }
  int got = 0;
  socklen_t len = sizeof got;
  if (getsockopt(fd, SOL_SOCKET, plain, &got, &len) < 0) {
    return Error{errno_text(receive ? "getsockopt(SO_RCVBUF)" : "getsockopt(SO_SNDBUF)")};
  }
  return got;
}

Result<Decoded> decode(const nlmsghdr* nlh) {
  NfctPtr ct = new_nfct();
  if (nfct_nlmsg_parse(nlh, ct.get()) < 0) return Error{errno_text("nfct_nlmsg_parse")};
  Decoded d;
  Conn& c = d.conn;
  const std::uint8_t l3 = nfct_get_attr_u8(ct.get(), ATTR_L3PROTO);
  if (l3 == AF_INET) {
    c.key.family = 4;
  } else if (l3 == AF_INET6) {
    c.key.family = 6;
  } else {
    return Error{fmt::format("conntrack message with address family {}", l3)};
  }
  if (!attr_set(ct.get(), ATTR_L4PROTO)) return Error{"conntrack message without a protocol"};
  c.key.proto = nfct_get_attr_u8(ct.get(), ATTR_L4PROTO);
  const bool v6 = c.key.family == 6;
  const std::size_t alen = v6 ? 16 : 4;
  const bool addrs =
      get_addr(ct.get(), v6 ? ATTR_ORIG_IPV6_SRC : ATTR_ORIG_IPV4_SRC, alen, c.key.orig.src) &&
      get_addr(ct.get(), v6 ? ATTR_ORIG_IPV6_DST : ATTR_ORIG_IPV4_DST, alen, c.key.orig.dst) &&
      get_addr(ct.get(), v6 ? ATTR_REPL_IPV6_SRC : ATTR_REPL_IPV4_SRC, alen, c.reply.src) &&
      get_addr(ct.get(), v6 ? ATTR_REPL_IPV6_DST : ATTR_REPL_IPV4_DST, alen, c.reply.dst);
  if (!addrs) return Error{"conntrack message without both tuples' addresses"};
  if (has_ports(c.key.proto)) {
    c.key.orig.sport = ntohs(nfct_get_attr_u16(ct.get(), ATTR_ORIG_PORT_SRC));
    c.key.orig.dport = ntohs(nfct_get_attr_u16(ct.get(), ATTR_ORIG_PORT_DST));
    c.reply.sport = ntohs(nfct_get_attr_u16(ct.get(), ATTR_REPL_PORT_SRC));
    c.reply.dport = ntohs(nfct_get_attr_u16(ct.get(), ATTR_REPL_PORT_DST));
  } else if (is_icmp(c.key.proto)) {
    c.key.orig.sport = ntohs(nfct_get_attr_u16(ct.get(), ATTR_ICMP_ID));
    c.key.orig.dport =
        static_cast<std::uint16_t>((nfct_get_attr_u8(ct.get(), ATTR_ICMP_TYPE) << 8) |
                                   nfct_get_attr_u8(ct.get(), ATTR_ICMP_CODE));
    if (!reply_icmp(nlh, c.key.proto, c.reply)) {
      return Error{"ICMP conntrack message without the reply id/type/code"};
    }
  }
  if (attr_set(ct.get(), ATTR_STATUS)) c.status = nfct_get_attr_u32(ct.get(), ATTR_STATUS);
  if (attr_set(ct.get(), ATTR_TIMEOUT)) {
    c.timeout_s = nfct_get_attr_u32(ct.get(), ATTR_TIMEOUT);
    d.has_timeout = true;
  }
  if (attr_set(ct.get(), ATTR_MARK)) c.mark = nfct_get_attr_u32(ct.get(), ATTR_MARK);
  if (attr_set(ct.get(), ATTR_ZONE)) c.zone = nfct_get_attr_u16(ct.get(), ATTR_ZONE);
  if (c.key.proto == IPPROTO_TCP && attr_set(ct.get(), ATTR_TCP_STATE)) {
    c.tcp_state = nfct_get_attr_u8(ct.get(), ATTR_TCP_STATE);
    d.has_tcp_state = true;
  }
  return d;
}

std::uint32_t creatable_status(std::uint32_t status) {
  return status & (IPS_SEEN_REPLY | IPS_ASSURED | IPS_FIXED_TIMEOUT);
}

void set_key(nf_conntrack* ct, const ConnKey& key, std::uint16_t zone) {
  nfct_set_attr_u8(ct, ATTR_L3PROTO, af_of(key.family));
  nfct_set_attr_u8(ct, ATTR_L4PROTO, key.proto);
  set_tuple(ct, false, key.family, key.proto, key.orig);
  nfct_set_attr_u16(ct, ATTR_ZONE, zone);
}

void set_for_create(nf_conntrack* ct, const Conn& c) {
  const std::uint8_t af = af_of(c.key.family);
  nfct_set_attr_u8(ct, ATTR_L3PROTO, af);
  nfct_set_attr_u8(ct, ATTR_REPL_L3PROTO, af);
  nfct_set_attr_u8(ct, ATTR_L4PROTO, c.key.proto);
  nfct_set_attr_u8(ct, ATTR_REPL_L4PROTO, c.key.proto);
  set_tuple(ct, false, c.key.family, c.key.proto, c.key.orig);
  const bool natted = (c.status & (IPS_SRC_NAT | IPS_DST_NAT)) != 0;
  if (natted) {
    // The kernel translates only if its NAT setup changes the reply tuple: give it the
    // untranslated reply (the inverse of the original) and the NAT ranges below, and it
    // computes the translated reply and sets the NAT bits itself (conntrackd's SETUP_REPLY).
    Tuple inverse = c.reply;
    inverse.src = c.key.orig.dst;
    inverse.dst = c.key.orig.src;
    if (has_ports(c.key.proto)) {
      inverse.sport = c.key.orig.dport;
      inverse.dport = c.key.orig.sport;
    }
    set_tuple(ct, true, c.key.family, c.key.proto, inverse);
  } else {
    set_tuple(ct, true, c.key.family, c.key.proto, c.reply);
  }
  nfct_set_attr_u32(ct, ATTR_STATUS, creatable_status(c.status));
  // The kernel refuses a create without a timeout; an entry read at its last second is
  // installed with one second rather than refused.
  nfct_set_attr_u32(ct, ATTR_TIMEOUT, c.timeout_s == 0 ? 1 : c.timeout_s);
  nfct_set_attr_u32(ct, ATTR_MARK, c.mark);
  if (c.zone != 0) nfct_set_attr_u16(ct, ATTR_ZONE, c.zone);
  if (c.key.proto == IPPROTO_TCP) {
    // As conntrackd does for recovered connections: no window tracking (the receiver never
    // saw the sequence numbers), SACK permitted; CLOSE_INIT once the close has started so a
    // late FIN does not reopen it.
    std::uint8_t flags = IP_CT_TCP_FLAG_BE_LIBERAL | IP_CT_TCP_FLAG_SACK_PERM;
    if (c.tcp_state >= TCP_CONNTRACK_TIME_WAIT) flags |= IP_CT_TCP_FLAG_CLOSE_INIT;
    nfct_set_attr_u8(ct, ATTR_TCP_STATE, c.tcp_state);
    nfct_set_attr_u8(ct, ATTR_TCP_FLAGS_ORIG, flags);
    nfct_set_attr_u8(ct, ATTR_TCP_MASK_ORIG, flags);
    nfct_set_attr_u8(ct, ATTR_TCP_FLAGS_REPL, flags);
    nfct_set_attr_u8(ct, ATTR_TCP_MASK_REPL, flags);
  }
  // NAT: the kernel derives the NAT bits and the mangling from CTA_NAT_SRC / CTA_NAT_DST (it
  // ignores IPS_*_NAT in CTA_STATUS). The translated address is where the reply tuple differs.
  const bool v6 = c.key.family == 6;
  if ((c.status & IPS_SRC_NAT) != 0) {
    if (v6) {
      nfct_set_attr(ct, ATTR_SNAT_IPV6, c.reply.dst.data());
    } else {
      nfct_set_attr_u32(ct, ATTR_SNAT_IPV4, word(c.reply.dst));
    }
    if (has_ports(c.key.proto)) nfct_set_attr_u16(ct, ATTR_SNAT_PORT, htons(c.reply.dport));
  }
  if ((c.status & IPS_DST_NAT) != 0) {
    if (v6) {
      nfct_set_attr(ct, ATTR_DNAT_IPV6, c.reply.src.data());
    } else {
      nfct_set_attr_u32(ct, ATTR_DNAT_IPV4, word(c.reply.src));
    }
    if (has_ports(c.key.proto)) nfct_set_attr_u16(ct, ATTR_DNAT_PORT, htons(c.reply.sport));
  }
}

nlmsghdr* put_request(void* buf, std::uint8_t msg, std::uint16_t flags, std::uint32_t seq,
                      std::uint8_t family) {
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf);
  nlh->nlmsg_type = static_cast<std::uint16_t>((NFNL_SUBSYS_CTNETLINK << 8) | msg);
  nlh->nlmsg_flags = static_cast<std::uint16_t>(NLM_F_REQUEST | flags);
  nlh->nlmsg_seq = seq;
  auto* nfg = static_cast<nfgenmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(nfgenmsg)));
  nfg->nfgen_family = family;
  nfg->version = NFNETLINK_V0;
  nfg->res_id = 0;
  return nlh;
}

}  // namespace baton::sync::ct::detail
