#include "bpf/types.hpp"

#include <arpa/inet.h>

#include <fmt/format.h>

namespace baton::bpf {

std::string_view side_name(Side s) {
  return s == Side::ext ? "ext" : "int";
}

Result<Mac> parse_mac(std::string_view text) {
  Mac m{};
  unsigned v[6];
  char tail = 0;
  const std::string s(text);
  if (std::sscanf(s.c_str(), "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4],
                  &v[5], &tail) != 6 || s.size() != 17)
    return err("'{}' is not a MAC address (expected 6 hex bytes separated by ':')", text);
  for (std::size_t i = 0; i < 6; ++i) m[i] = static_cast<std::uint8_t>(v[i]);
  return m;
}

std::string format_mac(const Mac& m) {
  return fmt::format("{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", m[0], m[1], m[2], m[3], m[4],
                     m[5]);
}

Result<IpAddress> IpAddress::parse(std::string_view text) {
  IpAddress a;
  const std::string s(text);
  if (inet_pton(AF_INET, s.c_str(), a.bytes.data()) == 1) {
    a.family = 4;
    return a;
  }
  if (inet_pton(AF_INET6, s.c_str(), a.bytes.data()) == 1) {
    a.family = 6;
    return a;
  }
  return err("'{}' is not an IPv4 or IPv6 address", text);
}

std::string IpAddress::str() const {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(family == 4 ? AF_INET : AF_INET6, bytes.data(), buf, sizeof buf);
  return buf;
}

std::string_view verdict_name(Verdict v) {
  switch (v) {
    case Verdict::distributed: return "distributed";
    case Verdict::passed_local: return "passed-local";
    case Verdict::passed_ttl: return "passed-ttl";
    case Verdict::passed_not_ip: return "passed-not-ip";
    case Verdict::passed_unconfigured: return "passed-unconfigured";
    case Verdict::dropped_malformed: return "dropped-malformed";
    case Verdict::no_member: return "no-member";
  }
  return "unknown";
}

}  // namespace baton::bpf
