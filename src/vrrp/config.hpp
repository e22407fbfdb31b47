// Configuration of one virtual router instance (one VRID on one segment).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "core/result.hpp"
#include "vrrp/addr.hpp"
#include "vrrp/advert.hpp"

namespace baton::vrrp {

enum class TrackKind : std::uint8_t {
  interface,  // up/down; down lowers the priority by `weight`, or (weight 0) means fault
  health,     // a grade 0..100 (100 = all reachable); lowers by weight * (100 - grade) / 100
};

struct TrackConfig {
  std::string name;  // the interface name, or the health source's name
  TrackKind kind = TrackKind::interface;
  std::uint8_t weight = 0;
};

struct Config {
  std::string name = "vrrp";  // for log lines and state-change reasons
  Version version = Version::v3;
  Family family = Family::ipv4;
  std::uint8_t vrid = 1;        // 1..255
  std::uint8_t priority = 100;  // 1..255; 255 = address owner (takes over at start)
  // Advertisement interval in centiseconds: 1..4095 (1 cs = 10 ms). v2: a multiple of 100.
  std::uint16_t adver_interval_cs = 100;
  bool preempt = true;
  // After start (or leaving fault) a higher-priority backup does not preempt a
  // lower-priority master for this long (keepalived's preempt_delay).
  Duration preempt_delay{0};
  // After start, a backup does not become master for this long on silence alone (the
  // master-down timer or the peer-down detector): a starting daemon can be too busy to read
  // the master's adverts in time, and must not take the addresses from a healthy master
  // because of it. A master's resignation (priority 0) is followed at once. 0: no hold.
  Duration startup_hold{0};
  // Our primary address on the segment: the source of our adverts, and the tie-breaker.
  // IPv6: the interface's link-local address.
  IpAddr primary;
  std::vector<IpAddr> virtual_addresses;  // at least one, all of `family`
  ChecksumMode checksum = ChecksumMode::pseudo_header;  // v3 over IPv4: what we send
  std::uint8_t v2_auth_type = kAuthNone;
  std::array<std::uint8_t, kV2AuthBytes> v2_auth_data{};
  std::vector<TrackConfig> tracks;
};

// Checks ranges and consistency; the error names the instance and the field.
Status check_config(const Config& c);

}  // namespace baton::vrrp
