#include "vrrp/io/heartbeat_wire.hpp"

namespace baton::vrrp::io {
namespace {

void put32(std::uint8_t* p, std::uint32_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 24);
  p[1] = static_cast<std::uint8_t>(v >> 16);
  p[2] = static_cast<std::uint8_t>(v >> 8);
  p[3] = static_cast<std::uint8_t>(v);
}

std::uint32_t get32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         std::uint32_t{p[3]};
}

constexpr std::uint8_t kVersion = 1;
constexpr std::uint8_t kServing = 0x01;
constexpr std::uint8_t kMaster = 0x02;

}  // namespace

std::string_view heartbeat_drop_name(HeartbeatDrop d) {
  switch (d) {
    case HeartbeatDrop::short_packet: return "short";
    case HeartbeatDrop::bad_magic: return "bad-magic";
    case HeartbeatDrop::bad_version: return "bad-version";
    case HeartbeatDrop::bad_timing: return "bad-timing";
  }
  return "unknown";
}

std::array<std::uint8_t, kHeartbeatBytes> encode_heartbeat(const HeartbeatMessage& m) {
  std::array<std::uint8_t, kHeartbeatBytes> b{};
  b[0] = 'B';
  b[1] = 'H';
  b[2] = kVersion;
  b[3] = static_cast<std::uint8_t>((m.serving ? kServing : 0) | (m.master ? kMaster : 0));
  put32(&b[4], m.sender);
  put32(&b[8], m.seq);
  put32(&b[12], m.interval_us);
  b[16] = m.multiplier;
  return b;
}

HeartbeatDecoded decode_heartbeat(std::span<const std::uint8_t> d) {
  if (d.size() < kHeartbeatBytes) return {std::nullopt, HeartbeatDrop::short_packet};
  if (d[0] != 'B' || d[1] != 'H') return {std::nullopt, HeartbeatDrop::bad_magic};
  if (d[2] != kVersion) return {std::nullopt, HeartbeatDrop::bad_version};
  HeartbeatMessage m;
  m.serving = (d[3] & kServing) != 0;
  m.master = (d[3] & kMaster) != 0;
  m.sender = get32(&d[4]);
  m.seq = get32(&d[8]);
  m.interval_us = get32(&d[12]);
  m.multiplier = d[16];
  if (m.interval_us == 0 || m.multiplier == 0) return {std::nullopt, HeartbeatDrop::bad_timing};
  return {m, HeartbeatDrop::short_packet};
}

}  // namespace baton::vrrp::io
