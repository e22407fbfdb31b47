#include "config/values.hpp"

#include <fmt/format.h>

#include <charconv>

namespace baton::config {
namespace {

bool is_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string IpPrefix::to_string() const {
  return fmt::format("{}/{}", address.to_string(), length);
}

std::string Endpoint::to_string() const {
  if (address.family == Family::ipv6) return fmt::format("[{}]:{}", address.to_string(), port);
  return fmt::format("{}:{}", address.to_string(), port);
}

std::string MacAddr::to_string() const {
  return fmt::format("{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", bytes[0], bytes[1], bytes[2],
                     bytes[3], bytes[4], bytes[5]);
}

Result<IpAddr> parse_ip(std::string_view text) {
  // inet_pton stops at a NUL; refuse one so "192.0.2.1\0junk" is not taken as an address.
  if (text.find('\0') != std::string_view::npos || text.size() > 64)
    return err("'{}' is not an IPv4 or IPv6 address", text.substr(0, 64));
  if (text.find('/') != std::string_view::npos)
    return err("'{}': expected an address without a prefix length", text);
  return IpAddr::parse(text);
}

Result<IpPrefix> parse_prefix(std::string_view text) {
  auto slash = text.find('/');
  if (slash == std::string_view::npos) {
    auto a = parse_ip(text);
    if (!a) return a.error();
    return err("'{}' needs a prefix length, e.g. {}/{}", text, text,
               a->family == Family::ipv4 ? 24 : 64);
  }
  auto a = parse_ip(text.substr(0, slash));
  if (!a) return a.error();
  std::string_view len = text.substr(slash + 1);
  unsigned v = 0;
  auto [end, ec] = std::from_chars(len.data(), len.data() + len.size(), v);
  unsigned max = a->family == Family::ipv4 ? 32 : 128;
  if (len.empty() || ec != std::errc() || end != len.data() + len.size() || v > max)
    return err("'{}': prefix length must be 0..{}", text, max);
  if (a->is_unspecified()) return err("'{}' is the unspecified address", text);
  if (a->is_multicast()) return err("'{}' is a multicast address", text);
  return IpPrefix{*a, static_cast<std::uint8_t>(v)};
}

Result<Endpoint> parse_endpoint(std::string_view text) {
  std::string_view host, port;
  if (!text.empty() && text[0] == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
      return err("'{}' is not [address]:port", text);
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return err("'{}' is not address:port", text);
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos)
      return err("'{}': write an IPv6 address in brackets, e.g. [::1]:9470", text);
  }
  auto a = parse_ip(host);
  if (!a) return a.error();
  unsigned p = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
  if (port.empty() || ec != std::errc() || end != port.data() + port.size() || p < 1 || p > 65535)
    return err("'{}': port must be 1..65535", text);
  return Endpoint{*a, static_cast<std::uint16_t>(p)};
}

Result<MacAddr> parse_mac(std::string_view text) {
  MacAddr m;
  // xx:xx:xx:xx:xx:xx (17 characters), separators all ':' or all '-'.
  bool shape = text.size() == 17 && (text[2] == ':' || text[2] == '-');
  for (std::size_t i = 0; shape && i < 6; ++i) {
    int hi = hex_value(text[i * 3]), lo = hex_value(text[i * 3 + 1]);
    if (hi < 0 || lo < 0 || (i < 5 && text[i * 3 + 2] != text[2]))
      shape = false;
    else
      m.bytes[i] = static_cast<std::uint8_t>(hi * 16 + lo);
  }
  if (!shape)
    return err("'{}' is not a MAC address (expected six hex octets, 02:00:5e:10:00:01)", text);
  if (m.bytes[0] & 1) return err("'{}' is a multicast MAC address", text);
  if (m == MacAddr{}) return err("'{}' is the all-zero MAC address", text);
  return m;
}

Result<std::string> parse_name(std::string_view text) {
  if (text.empty() || text.size() > 63)
    return err("'{}': a name has 1..63 characters", text.substr(0, 64));
  if (!is_alnum(text[0])) return err("'{}': a name starts with a letter or digit", text);
  for (char c : text)
    if (!is_alnum(c) && c != '.' && c != '_' && c != '-')
      return err("'{}': a name may hold only letters, digits, '.', '_' and '-'", text);
  return std::string(text);
}

Result<std::string> parse_ifname(std::string_view text) {
  if (text.empty() || text.size() > 15)
    return err("'{}': an interface name has 1..15 characters", text.substr(0, 64));
  if (text == "." || text == "..") return err("'{}' is not an interface name", text);
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    if (c == '/' || c == ':' || u <= 0x20 || u == 0x7f)
      return err("'{}': an interface name has no '/', ':' or whitespace", text);
  }
  return std::string(text);
}

Result<std::string> parse_abs_path(std::string_view text) {
  if (text.empty() || text[0] != '/') return err("'{}' is not an absolute path", text);
  if (text.size() > 4095) return err("path is longer than 4095 characters");
  if (text.find('\0') != std::string_view::npos) return err("path contains a NUL character");
  return std::string(text);
}

Result<std::string> parse_group_name(std::string_view text) {
  if (text.empty() || text.size() > 32 || text[0] == '-')
    return err("'{}' is not a Unix group name", text.substr(0, 64));
  for (char c : text)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
      return err("'{}' is not a Unix group name (lower-case letters, digits, '_', '-')", text);
  return std::string(text);
}

}  // namespace baton::config
