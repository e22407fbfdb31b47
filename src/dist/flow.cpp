#include "dist/flow.hpp"

#include <array>

namespace baton::dist {
namespace {

struct ResultInfo {
  std::string_view name;
  std::string_view text;
};

constexpr std::array<ResultInfo, BATON_PARSE_RESULT_COUNT> kResults{{
    {"ok", "parsed"},
    {"not-ip", "not an IPv4 or IPv6 frame"},
    {"eth-truncated", "shorter than an Ethernet header"},
    {"vlan-truncated", "VLAN tag cut short"},
    {"vlan-depth", "more VLAN tags than supported"},
    {"ipv4-truncated", "IPv4 header or datagram cut short"},
    {"ipv4-version", "EtherType IPv4 but version field is not 4"},
    {"ipv4-ihl", "IPv4 header length below 20 bytes"},
    {"ipv4-length", "IPv4 total length below header length"},
    {"ipv6-truncated", "IPv6 header or payload cut short"},
    {"ipv6-version", "EtherType IPv6 but version field is not 6"},
    {"ext-truncated", "IPv6 extension header cut short"},
    {"ext-depth", "more IPv6 extension headers than supported"},
    {"l4-truncated", "transport header cut short"},
    {"tcp-doff", "TCP data offset below 5 words"},
    {"icmp-inner", "ICMP error with a missing or malformed embedded header"},
}};

}  // namespace

std::string_view parse_result_name(int code) {
  if (code < 0 || code >= BATON_PARSE_RESULT_COUNT) return "unknown";
  return kResults[static_cast<std::size_t>(code)].name;
}

std::string_view parse_result_text(int code) {
  if (code < 0 || code >= BATON_PARSE_RESULT_COUNT) return "unknown parse result";
  return kResults[static_cast<std::size_t>(code)].text;
}

Result<Mode> parse_mode(std::string_view name) {
  if (name == "general") return Mode::general;
  if (name == "general-l4") return Mode::general_l4;
  return err("unknown distribution mode '{}' (expected general or general-l4)", name);
}

std::string_view mode_name(Mode m) {
  return m == Mode::general ? "general" : "general-l4";
}

Result<Packet> parse_frame(std::span<const std::uint8_t> frame) {
  Packet p{};
  int rc = parse_frame_raw(frame, p);
  if (rc != BATON_PARSE_OK)
    return err("frame of {} bytes rejected: {} ({})", frame.size(), parse_result_text(rc),
               parse_result_name(rc));
  return p;
}

}  // namespace baton::dist
