// libFuzzer target for the shared frame parser (dist/baton_flow.h). For any input:
//  - the parser never reads outside the frame (the input is copied into an exactly-sized heap
//    buffer, so ASan sees a read one byte past the end) and returns a known result code;
//  - it writes every field of the packet whatever the outcome (two parses over different
//    garbage give byte-identical packets);
//  - an accepted packet is consistent (family, flags, ports only with a port protocol, the L3
//    offset inside the frame) and its flow hash is the same for the mirrored packet in both
//    modes;
//  - bytes after the end of the frame are padding: the frame with one more byte appended parses
//    to the same result and, when accepted, the same packet.
#include <cstdint>
#include <cstring>
#include <vector>

#include "dist/flow.hpp"

namespace {

void check(bool ok) {
  if (!ok) __builtin_trap();
}

int parse_exact(const std::uint8_t* data, std::size_t size, baton::dist::Packet& out) {
  std::vector<std::uint8_t> frame(data, data + size);
  frame.shrink_to_fit();
  baton::dist::Packet a, b;
  std::memset(&a, 0x00, sizeof a);
  std::memset(&b, 0xFF, sizeof b);
  const int rc = baton::dist::parse_frame_raw(frame, a);
  check(baton::dist::parse_frame_raw(frame, b) == rc);
  check(std::memcmp(&a, &b, sizeof a) == 0);
  out = a;
  return rc;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using baton::dist::Mode;
  baton::dist::Packet p;
  const int rc = parse_exact(data, size, p);
  check(rc >= 0 && rc < BATON_PARSE_RESULT_COUNT);
  check(baton::dist::parse_result_name(rc) != "unknown");

  // One more byte after the frame is padding: same result, same packet.
  {
    std::vector<std::uint8_t> longer(data, data + size);
    longer.push_back(size != 0 ? data[0] : 0x5A);
    baton::dist::Packet q;
    const int rc2 = parse_exact(longer.data(), longer.size(), q);
    if (rc == BATON_PARSE_OK) {
      check(rc2 == BATON_PARSE_OK);
      check(std::memcmp(&p, &q, sizeof p) == 0);
    }
  }
  if (rc != BATON_PARSE_OK) return 0;

  check(p.family == 4 || p.family == 6);
  check(p.ethertype == (p.family == 4 ? BATON_ETH_P_IP : BATON_ETH_P_IPV6));
  check(p.l3_off == 14 + 4 * p.vlans && p.vlans <= BATON_MAX_VLANS && p.l3_off < size);
  check((p.flags & ~(BATON_PKT_FRAGMENT | BATON_PKT_ICMP_ERROR | BATON_PKT_HAS_PORTS)) == 0);
  if (p.flags & BATON_PKT_HAS_PORTS) {
    check(p.proto == BATON_IPPROTO_TCP || p.proto == BATON_IPPROTO_UDP || p.proto == BATON_IPPROTO_SCTP);
    check(!(p.flags & BATON_PKT_FRAGMENT));
  } else {
    check(p.sport == 0 && p.dport == 0);
  }
  if (p.flags & BATON_PKT_ICMP_ERROR)
    check(p.outer_proto == (p.family == 4 ? BATON_IPPROTO_ICMP : BATON_IPPROTO_ICMPV6));
  else
    check(p.outer_proto == p.proto);
  if (p.family == 4)
    check(p.src[1] == 0 && p.src[2] == 0 && p.src[3] == 0 && p.dst[1] == 0 && p.dst[2] == 0 && p.dst[3] == 0);

  for (auto mode : {Mode::general, Mode::general_l4}) {
    baton::dist::Packet r = p;
    std::memcpy(r.src, p.dst, sizeof r.src);
    std::memcpy(r.dst, p.src, sizeof r.dst);
    r.sport = p.dport;
    r.dport = p.sport;
    const std::uint32_t h = baton::dist::flow_hash(p, mode);
    check(h == baton::dist::flow_hash(r, mode));
    check(baton::dist::bucket_of(h, 65537) < 65537);
  }
  // general ignores the ports.
  baton::dist::Packet s = p;
  s.sport = static_cast<std::uint16_t>(s.sport + 1);
  check(baton::dist::flow_hash(s, Mode::general) == baton::dist::flow_hash(p, Mode::general));
  return 0;
}
