// Value types of the config files and their parsers: addresses with prefix, endpoints,
// MAC addresses, names, interface names and paths. Each parser returns a Result whose error
// says what is wrong with the text (the caller adds file, line and field).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "vrrp/addr.hpp"

namespace baton::config {

using vrrp::Family;
using vrrp::IpAddr;

// "192.0.2.10/24", "2001:db8::10/64": an address with its prefix length.
struct IpPrefix {
  IpAddr address;
  std::uint8_t length = 0;
  std::string to_string() const;
  bool operator==(const IpPrefix&) const = default;
};

// An address and a port.
struct Endpoint {
  IpAddr address;
  std::uint16_t port = 0;
  std::string to_string() const;  // "192.0.2.1:9470", "[2001:db8::1]:9470"
  bool operator==(const Endpoint&) const = default;
};

struct MacAddr {
  std::array<std::uint8_t, 6> bytes{};
  std::string to_string() const;  // "02:00:00:00:01:0a"
  bool operator==(const MacAddr&) const = default;
};

// An address (no prefix).
Result<IpAddr> parse_ip(std::string_view text);
// A unicast address with its prefix length; the prefix length is required.
Result<IpPrefix> parse_prefix(std::string_view text);
// "address:port" or "[v6-address]:port", port 1..65535.
Result<Endpoint> parse_endpoint(std::string_view text);
// Six hex octets separated by ':' or '-'; unicast and not all zero.
Result<MacAddr> parse_mac(std::string_view text);
// A name for a group, member, orchestrator or segment: 1..63 of letters, digits, '.', '_',
// '-', starting with a letter or digit (they appear in CLI arguments, logs and metrics).
Result<std::string> parse_name(std::string_view text);
// A Linux interface name: 1..15 characters, no '/', ':' or whitespace, not "." or "..".
Result<std::string> parse_ifname(std::string_view text);
// An absolute path (the daemons run with / as their working directory).
Result<std::string> parse_abs_path(std::string_view text);
// A Unix group name: 1..32 of lower-case letters, digits, '_' and '-', not starting with '-'.
Result<std::string> parse_group_name(std::string_view text);

}  // namespace baton::config
