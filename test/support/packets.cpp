#include "support/packets.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <type_traits>
#include <utility>

#include "core/crc32c.hpp"

namespace baton::test {
namespace {

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "packets: %s\n", what.c_str());
  std::abort();
}

void put8(Bytes& b, std::size_t at, std::uint8_t v) { b[at] = v; }
void put16(Bytes& b, std::size_t at, std::uint16_t v) {
  b[at] = static_cast<std::uint8_t>(v >> 8);
  b[at + 1] = static_cast<std::uint8_t>(v);
}
void put32(Bytes& b, std::size_t at, std::uint32_t v) {
  for (std::size_t i = 0; i < 4; ++i) b[at + i] = static_cast<std::uint8_t>(v >> (24 - 8 * i));
}
void app8(Bytes& b, std::uint8_t v) { b.push_back(v); }
void app16(Bytes& b, std::uint16_t v) {
  b.push_back(static_cast<std::uint8_t>(v >> 8));
  b.push_back(static_cast<std::uint8_t>(v));
}
void app32(Bytes& b, std::uint32_t v) {
  for (int i = 3; i >= 0; --i) b.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}
void app(Bytes& b, std::span<const std::uint8_t> d) { b.insert(b.end(), d.begin(), d.end()); }

std::uint32_t sum16(std::span<const std::uint8_t> d, std::uint32_t acc) {
  std::size_t i = 0;
  for (; i + 1 < d.size(); i += 2) acc += (std::uint32_t{d[i]} << 8) | d[i + 1];
  if (i < d.size()) acc += std::uint32_t{d[i]} << 8;
  return acc;
}

std::uint16_t fold(std::uint32_t acc) {
  while (acc >> 16) acc = (acc & 0xFFFF) + (acc >> 16);
  return static_cast<std::uint16_t>(~acc & 0xFFFF);
}

// The TPID / EtherType a layer announces to the L2 header before it, if any.
std::optional<std::uint16_t> ethertype_of(Layer k) {
  switch (k) {
    case Layer::ipv4: return kEthIp4;
    case Layer::ipv6: return kEthIp6;
    case Layer::arp: return kEthArp;
    default: return std::nullopt;
  }
}

// The protocol number a layer announces to the IP / extension header before it.
std::optional<std::uint8_t> proto_of(Layer k, bool v6_context) {
  switch (k) {
    case Layer::ipv4: return 4;
    case Layer::ipv6: return 41;
    case Layer::hop_by_hop: return 0;
    case Layer::routing: return 43;
    case Layer::frag6: return 44;
    case Layer::ah: return 51;
    case Layer::dst_opts: return 60;
    case Layer::tcp: return 6;
    case Layer::udp: return 17;
    case Layer::sctp: return 132;
    case Layer::icmp4: return 1;
    case Layer::icmp6: return 58;
    case Layer::payload: return v6_context ? 59 : 253;  // no next header / experimental
    default: return std::nullopt;
  }
}

Bytes ext_body(std::uint8_t len8) {
  // Everything after the next-header byte: the length byte, then PadN filling the rest.
  std::size_t total = (std::size_t{len8} + 1) * 8;
  Bytes b;
  b.push_back(len8);
  std::size_t rest = total - 2;  // bytes of options
  b.push_back(1);                // PadN
  b.push_back(static_cast<std::uint8_t>(rest - 2));
  b.resize(total - 1, 0);
  return b;
}

}  // namespace

std::array<std::uint32_t, 4> Ip6::words() const {
  std::array<std::uint32_t, 4> w{};
  for (std::size_t i = 0; i < 4; ++i)
    w[i] = (std::uint32_t{b[4 * i]} << 24) | (std::uint32_t{b[4 * i + 1]} << 16) |
           (std::uint32_t{b[4 * i + 2]} << 8) | std::uint32_t{b[4 * i + 3]};
  return w;
}

Ip4 ip4(std::string_view text) {
  std::string s(text);
  in_addr a{};
  if (inet_pton(AF_INET, s.c_str(), &a) != 1) fail("bad IPv4 literal " + s);
  return Ip4{ntohl(a.s_addr)};
}

Ip6 ip6(std::string_view text) {
  std::string s(text);
  Ip6 r;
  if (inet_pton(AF_INET6, s.c_str(), r.b.data()) != 1) fail("bad IPv6 literal " + s);
  return r;
}

Ip4 ip4(std::uint32_t host_order) { return Ip4{host_order}; }

Ip6 ip6(std::uint32_t w0, std::uint32_t w1, std::uint32_t w2, std::uint32_t w3) {
  Ip6 r;
  const std::uint32_t w[4] = {w0, w1, w2, w3};
  for (std::size_t i = 0; i < 4; ++i)
    for (std::size_t j = 0; j < 4; ++j)
      r.b[4 * i + j] = static_cast<std::uint8_t>(w[i] >> (24 - 8 * j));
  return r;
}

std::string to_string(Ip4 a) {
  char buf[INET_ADDRSTRLEN];
  in_addr n{};
  n.s_addr = htonl(a.v);
  inet_ntop(AF_INET, &n, buf, sizeof buf);
  return buf;
}

std::string to_string(const Ip6& a) {
  char buf[INET6_ADDRSTRLEN];
  inet_ntop(AF_INET6, a.b.data(), buf, sizeof buf);
  return buf;
}

std::string_view layer_name(Layer l) {
  switch (l) {
    case Layer::eth: return "eth";
    case Layer::vlan: return "vlan";
    case Layer::arp: return "arp";
    case Layer::ipv4: return "ipv4";
    case Layer::ipv6: return "ipv6";
    case Layer::hop_by_hop: return "hop-by-hop";
    case Layer::routing: return "routing";
    case Layer::dst_opts: return "dst-opts";
    case Layer::frag6: return "frag6";
    case Layer::ah: return "ah";
    case Layer::ext6: return "ext6";
    case Layer::tcp: return "tcp";
    case Layer::udp: return "udp";
    case Layer::sctp: return "sctp";
    case Layer::icmp4: return "icmp4";
    case Layer::icmp6: return "icmp6";
    case Layer::payload: return "payload";
  }
  return "?";
}

// ---- building ---------------------------------------------------------------------------------

Frame& Frame::eth(EthOpts o) {
  items_.emplace_back(Eth{std::move(o)});
  return *this;
}

Frame& Frame::eth(const Mac& dst, const Mac& src) {
  return eth(EthOpts{.dst = dst, .src = src});
}

Frame& Frame::vlan(std::uint16_t vid, std::uint16_t tpid, std::uint8_t pcp) {
  items_.emplace_back(Vlan{tpid, static_cast<std::uint16_t>((std::uint32_t{pcp} << 13) | (vid & 0x0FFFu))});
  return *this;
}

Frame& Frame::qinq(std::uint16_t outer_vid, std::uint16_t inner_vid) {
  return vlan(outer_vid, kTpid8021AD).vlan(inner_vid, kTpid8021Q);
}

Frame& Frame::arp(std::uint16_t oper, const Mac& sha, Ip4 spa, const Mac& tha, Ip4 tpa) {
  items_.emplace_back(Arp{oper, sha, spa, tha, tpa});
  return *this;
}

Frame& Frame::arp_request(Ip4 sender, Ip4 target) {
  return arp(1, kMacA, sender, Mac{}, target);
}

Frame& Frame::ipv4(Ip4 src, Ip4 dst, Ip4Opts o) {
  items_.emplace_back(V4{src, dst, std::move(o)});
  return *this;
}

Frame& Frame::ipv6(const Ip6& src, const Ip6& dst, Ip6Opts o) {
  items_.emplace_back(V6{src, dst, std::move(o)});
  return *this;
}

Frame& Frame::hop_by_hop(std::uint8_t len8) {
  items_.emplace_back(Ext{Layer::hop_by_hop, 0, ext_body(len8)});
  return *this;
}

Frame& Frame::dst_opts(std::uint8_t len8) {
  items_.emplace_back(Ext{Layer::dst_opts, 60, ext_body(len8)});
  return *this;
}

Frame& Frame::ext6(std::uint8_t proto, std::uint8_t len8) {
  Bytes body(std::size_t{len8} * 8 + 7, 0);
  body[0] = len8;
  items_.emplace_back(Ext{Layer::ext6, proto, std::move(body)});
  return *this;
}

Frame& Frame::routing(std::uint8_t type, std::vector<Ip6> segments, std::uint8_t segments_left) {
  if (segments.size() > 127) fail("too many routing segments");
  Bytes body;
  app8(body, static_cast<std::uint8_t>(segments.size() * 2));
  app8(body, type);
  app8(body, segments_left);
  app32(body, 0);  // reserved / type-specific
  for (const auto& s : segments) app(body, s.b);
  items_.emplace_back(Ext{Layer::routing, 43, std::move(body)});
  return *this;
}

Frame& Frame::frag6(std::uint16_t offset8, bool more, std::uint32_t id,
                    std::optional<std::uint8_t> next) {
  if (offset8 > 0x1FFF) fail("IPv6 fragment offset above 13 bits");
  Bytes body;
  app8(body, 0);  // reserved
  app16(body, static_cast<std::uint16_t>((offset8 << 3) | (more ? 1 : 0)));
  app32(body, id);
  items_.emplace_back(Ext{Layer::frag6, 44, std::move(body), next});
  return *this;
}

Frame& Frame::ah(std::uint8_t len4, std::uint32_t spi) {
  std::size_t total = (std::size_t{len4} + 2) * 4;
  if (total < 12) fail("AH shorter than 12 bytes");
  Bytes body;
  app8(body, len4);
  app16(body, 0);  // reserved
  app32(body, spi);
  app32(body, 1);  // sequence number
  body.resize(total - 1, 0x5A);  // ICV
  items_.emplace_back(Ext{Layer::ah, 51, std::move(body)});
  return *this;
}

Frame& Frame::tcp(std::uint16_t sport, std::uint16_t dport, TcpOpts o) {
  items_.emplace_back(Tcp{sport, dport, std::move(o)});
  return *this;
}

Frame& Frame::udp(std::uint16_t sport, std::uint16_t dport) {
  items_.emplace_back(Udp{sport, dport});
  return *this;
}

Frame& Frame::sctp(std::uint16_t sport, std::uint16_t dport, std::uint32_t vtag) {
  items_.emplace_back(Sctp{sport, dport, vtag});
  return *this;
}

Frame& Frame::icmp4(std::uint8_t type, std::uint8_t code, std::uint32_t rest) {
  items_.emplace_back(Icmp{false, type, code, rest, {}});
  return *this;
}

Frame& Frame::icmp6(std::uint8_t type, std::uint8_t code, std::uint32_t rest) {
  items_.emplace_back(Icmp{true, type, code, rest, {}});
  return *this;
}

Frame& Frame::icmp4_echo(std::uint16_t id, std::uint16_t seq, bool reply) {
  return icmp4(reply ? 0 : 8, 0, (std::uint32_t{id} << 16) | seq);
}

Frame& Frame::icmp6_echo(std::uint16_t id, std::uint16_t seq, bool reply) {
  return icmp6(reply ? 129 : 128, 0, (std::uint32_t{id} << 16) | seq);
}

Frame& Frame::icmp4_error(std::uint8_t type, std::uint8_t code, const Frame& inner,
                          std::size_t max_bytes, std::uint32_t rest) {
  Bytes body = inner.l3_bytes();
  if (body.size() > max_bytes) body.resize(max_bytes);
  items_.emplace_back(Icmp{false, type, code, rest, std::move(body)});
  return *this;
}

Frame& Frame::icmp6_error(std::uint8_t type, std::uint8_t code, const Frame& inner,
                          std::size_t max_bytes, std::uint32_t rest) {
  Bytes body = inner.l3_bytes();
  if (body.size() > max_bytes) body.resize(max_bytes);
  items_.emplace_back(Icmp{true, type, code, rest, std::move(body)});
  return *this;
}

Frame& Frame::payload(Bytes data) {
  items_.emplace_back(Raw{std::move(data)});
  return *this;
}

Frame& Frame::payload(std::size_t n, std::uint8_t fill) { return payload(Bytes(n, fill)); }

Frame& Frame::pad_to(std::size_t frame_len) {
  pad_to_ = frame_len;
  return *this;
}

Frame& Frame::trailer(Bytes data) {
  trailer_ = std::move(data);
  return *this;
}

Frame::Built Frame::build() const {
  Built out;
  Bytes& b = out.bytes;
  // Pass 1: serialise every layer with zero lengths / next headers / checksums.
  for (const auto& item : items_) {
    LayerSpan span{Layer::payload, b.size(), 0, 0};
    std::visit(
        [&](const auto& l) {
          using T = std::decay_t<decltype(l)>;
          if constexpr (std::is_same_v<T, Eth>) {
            span.kind = Layer::eth;
            app(b, l.o.dst);
            app(b, l.o.src);
            app16(b, l.o.type.value_or(0));
          } else if constexpr (std::is_same_v<T, Vlan>) {
            span.kind = Layer::vlan;
            app16(b, l.tci);
            app16(b, 0);
          } else if constexpr (std::is_same_v<T, Arp>) {
            span.kind = Layer::arp;
            app16(b, 1);
            app16(b, kEthIp4);
            app8(b, 6);
            app8(b, 4);
            app16(b, l.oper);
            app(b, l.sha);
            app32(b, l.spa.v);
            app(b, l.tha);
            app32(b, l.tpa.v);
          } else if constexpr (std::is_same_v<T, V4>) {
            span.kind = Layer::ipv4;
            Bytes opts = l.o.options;
            while (opts.size() % 4 != 0) opts.push_back(0);
            if (opts.size() > 40) fail("IPv4 options above 40 bytes");
            std::uint8_t ihl = l.o.ihl.value_or(static_cast<std::uint8_t>(5 + opts.size() / 4));
            app8(b, static_cast<std::uint8_t>((l.o.version.value_or(4) << 4) | (ihl & 0x0F)));
            app8(b, l.o.tos);
            app16(b, 0);  // total length
            app16(b, l.o.id);
            app16(b, static_cast<std::uint16_t>((l.o.df ? 0x4000 : 0) | (l.o.mf ? 0x2000 : 0) |
                                                (l.o.frag_offset & 0x1FFF)));
            app8(b, l.o.ttl);
            app8(b, 0);   // protocol
            app16(b, 0);  // checksum
            app32(b, l.src.v);
            app32(b, l.dst.v);
            app(b, opts);
          } else if constexpr (std::is_same_v<T, V6>) {
            span.kind = Layer::ipv6;
            app32(b, (std::uint32_t{l.o.version.value_or(6)} << 28) |
                         (std::uint32_t{l.o.traffic_class} << 20) | (l.o.flow_label & 0xFFFFF));
            app16(b, 0);  // payload length
            app8(b, 0);   // next header
            app8(b, l.o.hop_limit);
            app(b, l.src.b);
            app(b, l.dst.b);
          } else if constexpr (std::is_same_v<T, Ext>) {
            span.kind = l.kind;
            app8(b, 0);  // next header
            app(b, l.body);
          } else if constexpr (std::is_same_v<T, Tcp>) {
            span.kind = Layer::tcp;
            Bytes opts = l.o.options;
            while (opts.size() % 4 != 0) opts.push_back(0);
            if (opts.size() > 40) fail("TCP options above 40 bytes");
            std::uint8_t doff = l.o.doff.value_or(static_cast<std::uint8_t>(5 + opts.size() / 4));
            app16(b, l.sport);
            app16(b, l.dport);
            app32(b, l.o.seq);
            app32(b, l.o.ack);
            app8(b, static_cast<std::uint8_t>((doff & 0x0F) << 4));
            app8(b, l.o.flags);
            app16(b, l.o.window);
            app16(b, 0);  // checksum
            app16(b, 0);  // urgent
            app(b, opts);
          } else if constexpr (std::is_same_v<T, Udp>) {
            span.kind = Layer::udp;
            app16(b, l.sport);
            app16(b, l.dport);
            app16(b, 0);
            app16(b, 0);
          } else if constexpr (std::is_same_v<T, Sctp>) {
            span.kind = Layer::sctp;
            app16(b, l.sport);
            app16(b, l.dport);
            app32(b, l.vtag);
            app32(b, 0);
          } else if constexpr (std::is_same_v<T, Icmp>) {
            span.kind = l.v6 ? Layer::icmp6 : Layer::icmp4;
            app8(b, l.type);
            app8(b, l.code);
            app16(b, 0);
            app32(b, l.rest);
          } else if constexpr (std::is_same_v<T, Raw>) {
            span.kind = Layer::payload;
          }
          span.header_len = b.size() - span.offset;
          if constexpr (std::is_same_v<T, Icmp>) app(b, l.body);
          if constexpr (std::is_same_v<T, Raw>) app(b, l.data);
          span.total_len = b.size() - span.offset;
        },
        item);
    out.layers.push_back(span);
  }
  const std::size_t end = b.size();
  out.datagram_end = end;

  // Pass 2, innermost first: next-layer fields, lengths, checksums.
  const std::size_t n = items_.size();
  for (std::size_t i = n; i-- > 0;) {
    const LayerSpan& me = out.layers[i];
    const std::optional<Layer> next =
        i + 1 < n ? std::optional<Layer>(out.layers[i + 1].kind) : std::nullopt;
    // Nearest IP layer before this one (for the IPv6 "no next header" default and pseudo-headers).
    std::optional<std::size_t> ip;
    for (std::size_t j = i; j-- > 0;)
      if (out.layers[j].kind == Layer::ipv4 || out.layers[j].kind == Layer::ipv6) {
        ip = j;
        break;
      }
    const bool in_v6 = (me.kind == Layer::ipv6) || (ip && out.layers[*ip].kind == Layer::ipv6);
    auto next_proto = [&]() -> std::uint8_t {
      if (!next) return in_v6 ? 59 : 253;
      if (const auto* e = std::get_if<Ext>(&items_[i + 1])) return e->proto;
      auto p = proto_of(*next, in_v6);
      return p.value_or(in_v6 ? 59 : 253);
    };
    auto pseudo_sum = [&](std::uint8_t proto, std::size_t l4_len) -> std::uint32_t {
      if (!ip) return 0;
      const LayerSpan& ipl = out.layers[*ip];
      std::uint32_t acc = 0;
      if (ipl.kind == Layer::ipv4) {
        acc = sum16(std::span(b).subspan(ipl.offset + 12, 8), acc);
        acc += proto;
        acc += static_cast<std::uint32_t>(l4_len & 0xFFFF);
      } else {
        // RFC 8200 8.1: the final destination. With segments left it is in the routing
        // header (an SRH lists it first, types 0/2 last); otherwise it is the IPv6 dst.
        std::size_t dst_at = ipl.offset + 24;
        for (std::size_t j = *ip + 1; j < i; ++j) {
          const LayerSpan& r = out.layers[j];
          if (r.kind != Layer::routing || b[r.offset + 3] == 0 || r.header_len < 24) continue;
          dst_at = b[r.offset + 2] == 4 ? r.offset + 8 : r.offset + r.header_len - 16;
        }
        acc = sum16(std::span(b).subspan(ipl.offset + 8, 16), acc);
        acc = sum16(std::span(b).subspan(dst_at, 16), acc);
        acc += static_cast<std::uint32_t>(l4_len >> 16) + static_cast<std::uint32_t>(l4_len & 0xFFFF);
        acc += proto;
      }
      return acc;
    };
    const std::size_t off = me.offset;
    std::visit(
        [&](const auto& l) {
          using T = std::decay_t<decltype(l)>;
          if constexpr (std::is_same_v<T, Eth> || std::is_same_v<T, Vlan>) {
            std::size_t at = std::is_same_v<T, Eth> ? off + 12 : off + 2;
            std::uint16_t type = 0;
            if constexpr (std::is_same_v<T, Eth>) {
              if (l.o.type) type = *l.o.type;
            }
            bool explicit_type = false;
            if constexpr (std::is_same_v<T, Eth>) explicit_type = l.o.type.has_value();
            if (!explicit_type && next) {
              if (*next == Layer::vlan) {
                type = std::get<Vlan>(items_[i + 1]).tpid;
              } else if (auto t = ethertype_of(*next)) {
                type = *t;
              }
            }
            put16(b, at, type);
          } else if constexpr (std::is_same_v<T, V4>) {
            put8(b, off + 9, l.o.proto.value_or(next_proto()));
            put16(b, off + 2, l.o.total_len.value_or(static_cast<std::uint16_t>(end - off)));
            put16(b, off + 10, 0);
            std::size_t hl = me.header_len;
            std::uint16_t c = inet_checksum(std::span(b).subspan(off, hl));
            if (l.o.bad_checksum) c = static_cast<std::uint16_t>(c ^ 0x5555);
            put16(b, off + 10, c);
          } else if constexpr (std::is_same_v<T, V6>) {
            put8(b, off + 6, l.o.next_header.value_or(next_proto()));
            put16(b, off + 4, l.o.payload_len.value_or(static_cast<std::uint16_t>(end - off - 40)));
          } else if constexpr (std::is_same_v<T, Ext>) {
            put8(b, off, l.next.value_or(next_proto()));
          } else if constexpr (std::is_same_v<T, Tcp>) {
            put16(b, off + 16, 0);
            std::size_t len = end - off;
            std::uint32_t acc = pseudo_sum(6, len);
            put16(b, off + 16, inet_checksum(std::span(b).subspan(off, len), acc));
          } else if constexpr (std::is_same_v<T, Udp>) {
            std::size_t len = end - off;
            put16(b, off + 4, static_cast<std::uint16_t>(len));
            put16(b, off + 6, 0);
            std::uint16_t c = inet_checksum(std::span(b).subspan(off, len), pseudo_sum(17, len));
            put16(b, off + 6, c == 0 ? 0xFFFF : c);
          } else if constexpr (std::is_same_v<T, Sctp>) {
            put32(b, off + 8, 0);
            std::uint32_t crc = crc32c(std::span<const std::uint8_t>(b).subspan(off, end - off));
            for (std::size_t k = 0; k < 4; ++k)
              b[off + 8 + k] = static_cast<std::uint8_t>(crc >> (8 * k));  // little-endian on the wire
          } else if constexpr (std::is_same_v<T, Icmp>) {
            std::size_t len = end - off;
            put16(b, off + 2, 0);
            std::uint32_t acc = l.v6 ? pseudo_sum(58, len) : 0;
            put16(b, off + 2, inet_checksum(std::span(b).subspan(off, len), acc));
          }
        },
        items_[i]);
  }

  if (pad_to_ > b.size()) b.resize(pad_to_, 0);
  app(b, trailer_);
  return out;
}

Bytes Frame::bytes() const { return build().bytes; }

std::vector<LayerSpan> Frame::layout() const { return build().layers; }

Bytes Frame::l3_bytes() const {
  Built built = build();
  for (const auto& l : built.layers)
    if (l.kind != Layer::eth && l.kind != Layer::vlan)
      return Bytes(built.bytes.begin() + static_cast<std::ptrdiff_t>(l.offset),
                   built.bytes.begin() + static_cast<std::ptrdiff_t>(built.datagram_end));
  return {};
}

std::uint16_t inet_checksum(std::span<const std::uint8_t> data, std::uint32_t initial) {
  return fold(sum16(data, initial));
}

ExactBuffer::ExactBuffer(std::span<const std::uint8_t> data)
    : p_(new std::uint8_t[data.size()]), n_(data.size()) {
  if (n_ != 0) std::memcpy(p_, data.data(), n_);
}

ExactBuffer::~ExactBuffer() { delete[] p_; }

std::string hex(std::span<const std::uint8_t> data) {
  std::string s;
  static constexpr char kDigits[] = "0123456789abcdef";
  for (std::size_t i = 0; i < data.size(); ++i) {
    if (i != 0) s += (i % 16 == 0) ? '\n' : ' ';
    s += kDigits[data[i] >> 4];
    s += kDigits[data[i] & 0x0F];
  }
  return s;
}

}  // namespace baton::test
