// Frame builder for tests and fixtures: Ethernet (802.1Q / 802.1ad tags), ARP, IPv4 (options,
// fragment fields, TTL, header checksum), IPv6 (hop-by-hop, routing, destination options,
// fragment, AH), TCP / UDP / SCTP with correct checksums, ICMP / ICMPv6 echo and errors that
// embed another packet (optionally cut to N bytes). Layers are listed outermost first; lengths,
// EtherTypes, next-header fields and checksums are filled in by bytes() unless overridden.
//
//   auto f = Frame().eth().vlan(10).ipv4(ip4("10.0.0.1"), ip4("10.0.0.2"), {.ttl = 1})
//                .tcp(40000, 443, {.flags = kTcpSyn}).bytes();
//   auto err = Frame().eth().ipv4(router, client)
//                  .icmp4_error(11, 0, Frame().ipv4(client, server).udp(5000, 53), 28).bytes();
//
// Checksums: IPv4 header, TCP/UDP/ICMPv6 (pseudo-header from the nearest IP layer before the
// transport layer; the final destination per RFC 8200 8.1: the IPv6 dst, or with segments left
// the routing header's final segment — an SRH's first entry), ICMPv4, and
// SCTP (CRC-32C). The transport checksum covers what is in the frame, so for the first fragment
// of a datagram it is not the datagram's real checksum (nothing here checks it).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace baton::test {

using Bytes = std::vector<std::uint8_t>;
using Mac = std::array<std::uint8_t, 6>;

// An IPv4 address, host order.
struct Ip4 {
  std::uint32_t v = 0;
  friend bool operator==(const Ip4&, const Ip4&) = default;
};
// An IPv6 address, network order bytes.
struct Ip6 {
  std::array<std::uint8_t, 16> b{};
  friend bool operator==(const Ip6&, const Ip6&) = default;
  // The address as four host-order 32-bit words, most significant first.
  std::array<std::uint32_t, 4> words() const;
};

// "10.0.0.1" / "2001:db8::1"; abort on a malformed literal (tests only).
Ip4 ip4(std::string_view text);
Ip6 ip6(std::string_view text);
Ip4 ip4(std::uint32_t host_order);
Ip6 ip6(std::uint32_t w0, std::uint32_t w1, std::uint32_t w2, std::uint32_t w3);
std::string to_string(Ip4 a);
std::string to_string(const Ip6& a);

inline constexpr Mac kMacA{0x02, 0x00, 0x00, 0x00, 0x00, 0x0a};
inline constexpr Mac kMacB{0x02, 0x00, 0x00, 0x00, 0x00, 0x0b};

inline constexpr std::uint16_t kEthIp4 = 0x0800;
inline constexpr std::uint16_t kEthIp6 = 0x86DD;
inline constexpr std::uint16_t kEthArp = 0x0806;
inline constexpr std::uint16_t kTpid8021Q = 0x8100;
inline constexpr std::uint16_t kTpid8021AD = 0x88A8;

inline constexpr std::uint8_t kTcpFin = 0x01;
inline constexpr std::uint8_t kTcpSyn = 0x02;
inline constexpr std::uint8_t kTcpRst = 0x04;
inline constexpr std::uint8_t kTcpPsh = 0x08;
inline constexpr std::uint8_t kTcpAck = 0x10;

// What a layer is, for Frame::layout() (tests that cut frames at header boundaries).
enum class Layer {
  eth, vlan, arp, ipv4, ipv6, hop_by_hop, routing, dst_opts, frag6, ah, ext6,
  tcp, udp, sctp, icmp4, icmp6, payload,
};
std::string_view layer_name(Layer l);

struct LayerSpan {
  Layer kind;
  std::size_t offset;      // where the layer starts in bytes()
  std::size_t header_len;  // its header (for ICMP: the 8-byte ICMP header, without the embedded packet)
  std::size_t total_len;   // header and everything the layer itself carries (payload, embedded packet)
};

struct Ip4Opts {
  std::uint8_t ttl = 64;
  std::uint8_t tos = 0;
  std::uint16_t id = 1;
  bool df = false;
  bool mf = false;                    // more fragments
  std::uint16_t frag_offset = 0;      // in 8-byte units (the 13-bit field)
  Bytes options = {};                 // padded with EOL (0) to a multiple of 4 bytes
  std::optional<std::uint8_t> proto = {};        // default: from the next layer
  std::optional<std::uint8_t> ihl = {};          // header length field (words), default from options
  std::optional<std::uint8_t> version = {};      // default 4
  std::optional<std::uint16_t> total_len = {};   // default: header and everything after it
  bool bad_checksum = false;
};

struct Ip6Opts {
  std::uint8_t hop_limit = 64;
  std::uint8_t traffic_class = 0;
  std::uint32_t flow_label = 0;
  std::optional<std::uint8_t> next_header = {};
  std::optional<std::uint8_t> version = {};
  std::optional<std::uint16_t> payload_len = {};
};

struct TcpOpts {
  std::uint32_t seq = 1;
  std::uint32_t ack = 0;
  std::uint8_t flags = kTcpAck;
  std::uint16_t window = 65535;
  Bytes options = {};                      // padded with EOL to a multiple of 4 bytes
  std::optional<std::uint8_t> doff = {};   // data offset field (words), default from options
};

struct EthOpts {
  Mac dst = kMacB;
  Mac src = kMacA;
  std::optional<std::uint16_t> type = {};  // default: from the next layer
};

class Frame {
 public:
  Frame() = default;

  // L2. vlan() adds a tag after the previous one; ethertype default comes from the next layer.
  Frame& eth(EthOpts o = {});
  Frame& eth(const Mac& dst, const Mac& src);
  Frame& vlan(std::uint16_t vid, std::uint16_t tpid = kTpid8021Q, std::uint8_t pcp = 0);
  Frame& qinq(std::uint16_t outer_vid, std::uint16_t inner_vid);  // 802.1ad outer + 802.1Q inner
  Frame& arp(std::uint16_t oper, const Mac& sha, Ip4 spa, const Mac& tha, Ip4 tpa);
  Frame& arp_request(Ip4 sender, Ip4 target);

  // L3.
  Frame& ipv4(Ip4 src, Ip4 dst, Ip4Opts o = {});
  Frame& ipv6(const Ip6& src, const Ip6& dst, Ip6Opts o = {});

  // IPv6 extension headers. len8 / len4 are the header's own length field: hop-by-hop,
  // routing and destination options are (len8 + 1) * 8 bytes long, AH is (len4 + 2) * 4.
  Frame& hop_by_hop(std::uint8_t len8 = 0);
  Frame& dst_opts(std::uint8_t len8 = 0);
  Frame& routing(std::uint8_t type = 4, std::vector<Ip6> segments = {}, std::uint8_t segments_left = 0);
  // A fragment header; `next` overrides its next-header field (a non-first fragment carries
  // raw payload, but names the datagram's upper-layer protocol).
  Frame& frag6(std::uint16_t offset8, bool more, std::uint32_t id = 0x1234,
               std::optional<std::uint8_t> next = {});
  Frame& ah(std::uint8_t len4 = 4, std::uint32_t spi = 0x100);
  // Any other header in the generic (next, len8) form, e.g. mobility (135).
  Frame& ext6(std::uint8_t proto, std::uint8_t len8 = 0);

  // L4.
  Frame& tcp(std::uint16_t sport, std::uint16_t dport, TcpOpts o = {});
  Frame& udp(std::uint16_t sport, std::uint16_t dport);
  Frame& sctp(std::uint16_t sport, std::uint16_t dport, std::uint32_t vtag = 1);
  Frame& icmp4_echo(std::uint16_t id, std::uint16_t seq, bool reply = false);
  Frame& icmp6_echo(std::uint16_t id, std::uint16_t seq, bool reply = false);
  // Any ICMP message: type, code, the 4 bytes after the checksum.
  Frame& icmp4(std::uint8_t type, std::uint8_t code, std::uint32_t rest = 0);
  Frame& icmp6(std::uint8_t type, std::uint8_t code, std::uint32_t rest = 0);
  // ICMP errors carrying `inner`'s packet from its first IP header on (its L2 is dropped),
  // cut to at most max_bytes. The embedded header keeps its own lengths and checksums.
  Frame& icmp4_error(std::uint8_t type, std::uint8_t code, const Frame& inner,
                     std::size_t max_bytes = SIZE_MAX, std::uint32_t rest = 0);
  Frame& icmp6_error(std::uint8_t type, std::uint8_t code, const Frame& inner,
                     std::size_t max_bytes = SIZE_MAX, std::uint32_t rest = 0);

  // Raw bytes after the last header (counted in IP lengths). After an IPv4 header with no
  // explicit .proto the protocol is 253 (experimental); after IPv6 / an extension header, 59.
  Frame& payload(Bytes data);
  Frame& payload(std::size_t n, std::uint8_t fill = 0xA5);
  // Bytes after the IP datagram that are not part of it (Ethernet padding / trailer).
  Frame& pad_to(std::size_t frame_len);
  Frame& trailer(Bytes data);

  // The frame with every length, next-header field and checksum filled in.
  Bytes bytes() const;
  // From the first IP (or ARP) header on, without L2.
  Bytes l3_bytes() const;
  // Where each layer sits in bytes().
  std::vector<LayerSpan> layout() const;

 private:
  struct Eth { EthOpts o; };
  struct Vlan { std::uint16_t tpid; std::uint16_t tci; };
  struct Arp { std::uint16_t oper; Mac sha; Ip4 spa; Mac tha; Ip4 tpa; };
  struct V4 { Ip4 src, dst; Ip4Opts o; };
  struct V6 { Ip6 src, dst; Ip6Opts o; };
  // body: everything after the next-header byte
  struct Ext { Layer kind; std::uint8_t proto; Bytes body; std::optional<std::uint8_t> next = {}; };
  struct Tcp { std::uint16_t sport, dport; TcpOpts o; };
  struct Udp { std::uint16_t sport, dport; };
  struct Sctp { std::uint16_t sport, dport; std::uint32_t vtag; };
  struct Icmp { bool v6; std::uint8_t type, code; std::uint32_t rest; Bytes body; };
  struct Raw { Bytes data; };
  using Item = std::variant<Eth, Vlan, Arp, V4, V6, Ext, Tcp, Udp, Sctp, Icmp, Raw>;

  struct Built {
    Bytes bytes;
    std::vector<LayerSpan> layers;
    std::size_t datagram_end = 0;  // before padding and trailer
  };
  Built build() const;

  std::vector<Item> items_;
  std::size_t pad_to_ = 0;
  Bytes trailer_;
};

// RFC 1071 one's-complement sum helpers, exposed for tests that check checksums.
std::uint16_t inet_checksum(std::span<const std::uint8_t> data, std::uint32_t initial = 0);

// A copy of data in an exactly-sized heap allocation: reading one byte past the end is an
// ASan heap-buffer-overflow. (std::vector may over-allocate after a resize; this never does.)
class ExactBuffer {
 public:
  explicit ExactBuffer(std::span<const std::uint8_t> data);
  ExactBuffer(const ExactBuffer&) = delete;
  ExactBuffer& operator=(const ExactBuffer&) = delete;
  ~ExactBuffer();
  const std::uint8_t* data() const { return p_; }
  std::size_t size() const { return n_; }
  std::span<const std::uint8_t> span() const { return {p_, n_}; }

 private:
  std::uint8_t* p_;
  std::size_t n_;
};

// Hex dump "45 00 00 54 ..." for failure messages.
std::string hex(std::span<const std::uint8_t> data);

}  // namespace baton::test
