#include "sync/flow_text.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <charconv>
#include <optional>
#include <vector>

namespace baton::sync {
namespace {

constexpr std::size_t kMaxText = 256;

std::vector<std::string_view> words(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
    std::size_t j = i;
    while (j < s.size() && s[j] != ' ' && s[j] != '\t') ++j;
    if (j > i) out.push_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

Result<std::uint32_t> number(std::string_view w, std::uint32_t max, const char* what) {
  std::uint32_t v = 0;
  auto [p, ec] = std::from_chars(w.data(), w.data() + w.size(), v);
  if (ec != std::errc() || p != w.data() + w.size() || w.empty())
    return err("{} \"{}\" is not a number", what, w);
  if (v > max) return err("{} {} is above {}", what, v, max);
  return v;
}

struct Endpoint {
  std::uint8_t family = 0;
  std::array<std::uint8_t, 16> addr{};
  std::optional<std::uint16_t> port;
};

Result<Endpoint> address(std::string_view w, bool want_port, const char* which) {
  Endpoint e;
  std::string_view host = w, port;
  if (!w.empty() && w.front() == '[') {
    auto close = w.find(']');
    if (close == std::string_view::npos) return err("{} \"{}\": no closing ']'", which, w);
    host = w.substr(1, close - 1);
    auto rest = w.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return err("{} \"{}\": expected ':port' after ']'", which, w);
      port = rest.substr(1);
      if (port.empty()) return err("{} \"{}\": empty port", which, w);
    }
  } else if (std::count(w.begin(), w.end(), ':') == 1) {
    auto colon = w.find(':');
    host = w.substr(0, colon);
    port = w.substr(colon + 1);
    if (port.empty()) return err("{} \"{}\": empty port", which, w);
  }
  std::string h(host);
  if (::inet_pton(AF_INET, h.c_str(), e.addr.data()) == 1) {
    e.family = 4;
  } else if (::inet_pton(AF_INET6, h.c_str(), e.addr.data()) == 1) {
    e.family = 6;
  } else {
    return err("{} \"{}\" is not an IPv4 or IPv6 address", which, host);
  }
  if (!port.empty()) {
    auto p = number(port, 65535, "port");
    if (!p) return err("{} \"{}\": {}", which, w, p.error().message);
    e.port = static_cast<std::uint16_t>(*p);
  }
  if (want_port && !e.port) return err("{} \"{}\" needs a port (address:port, [v6]:port)", which, w);
  if (!want_port && e.port) return err("{} \"{}\": this protocol has no ports", which, w);
  return e;
}

bool has_ports(std::uint8_t p) {
  return p == IPPROTO_TCP || p == IPPROTO_UDP || p == IPPROTO_SCTP || p == IPPROTO_DCCP ||
         p == IPPROTO_UDPLITE;
}

}  // namespace

Result<ConnKey> parse_flow(std::string_view text) {
  if (text.size() > kMaxText) return err("{} characters, at most {}", text.size(), kMaxText);
  for (char c : text)
    if (static_cast<unsigned char>(c) < 0x20 && c != '\t') return err("control character in the text");
  auto w = words(text);
  const char* usage = "expected: PROTO SRC DST, e.g. \"tcp 10.0.1.10:40000 203.0.113.10:7007\"";
  if (w.empty()) return err("empty; {}", usage);
  ConnKey k;
  std::size_t i = 1;
  if (w[0] == "tcp") k.proto = IPPROTO_TCP;
  else if (w[0] == "udp") k.proto = IPPROTO_UDP;
  else if (w[0] == "sctp") k.proto = IPPROTO_SCTP;
  else if (w[0] == "icmp") k.proto = IPPROTO_ICMP;
  else if (w[0] == "icmpv6") k.proto = IPPROTO_ICMPV6;
  else if (w[0] == "proto") {
    if (w.size() < 2) return err("\"proto\" needs a protocol number");
    auto n = number(w[1], 255, "protocol");
    if (!n) return n.error();
    k.proto = static_cast<std::uint8_t>(*n);
    i = 2;
  } else {
    return err("unknown protocol \"{}\" (tcp, udp, sctp, icmp, icmpv6 or proto N)", w[0]);
  }
  if (w.size() < i + 2) return err("a source and a destination are needed; {}", usage);
  const bool ports = has_ports(k.proto);
  auto src = address(w[i], ports, "source");
  if (!src) return src.error();
  auto dst = address(w[i + 1], ports, "destination");
  if (!dst) return dst.error();
  if (src->family != dst->family) return err("source and destination are of different families");
  k.family = src->family;
  if ((k.proto == IPPROTO_ICMP && k.family != 4) || (k.proto == IPPROTO_ICMPV6 && k.family != 6))
    return err("{} with IPv{} addresses", w[0], k.family);
  k.orig.src = src->addr;
  k.orig.dst = dst->addr;
  if (ports) {
    k.orig.sport = *src->port;
    k.orig.dport = *dst->port;
  }
  std::size_t rest = i + 2;
  if (k.proto == IPPROTO_ICMP || k.proto == IPPROTO_ICMPV6) {
    // An echo request: type 8 (ICMP) / 128 (ICMPv6), code 0, as conntrack files it.
    k.orig.dport = static_cast<std::uint16_t>((k.proto == IPPROTO_ICMP ? 8 : 128) << 8);
    if (rest < w.size() && w[rest] == "id") {
      if (rest + 1 >= w.size()) return err("\"id\" needs a number");
      auto id = number(w[rest + 1], 65535, "id");
      if (!id) return id.error();
      k.orig.sport = static_cast<std::uint16_t>(*id);
      rest += 2;
    }
  }
  if (rest < w.size()) return err("unexpected \"{}\" after the addresses", w[rest]);
  return k;
}

}  // namespace baton::sync
