// Values the XDP fast path and its C++ side exchange: sides, MACs, own addresses, verdicts and
// counters. The layouts they are written into live in baton_maps.h.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "dist/table.hpp"

extern "C" {
#include "bpf/baton_maps.h"
}

namespace baton::bpf {

using dist::MemberId;

// Which side of the group an uplink (and the downlink paired with it) is on.
enum class Side : std::uint32_t { ext = 0, internal = 1 };
inline constexpr std::size_t kSides = BATON_XDP_SIDES;
std::string_view side_name(Side s);

using Mac = std::array<std::uint8_t, 6>;
Result<Mac> parse_mac(std::string_view text);  // "02:00:00:00:00:0a"
std::string format_mac(const Mac& m);

// An IPv4 or IPv6 address in network order (IPv4 in the first 4 bytes).
struct IpAddress {
  int family = 4;  // 4 or 6
  std::array<std::uint8_t, 16> bytes{};
  static Result<IpAddress> parse(std::string_view text);
  std::string str() const;
  friend bool operator==(const IpAddress&, const IpAddress&) = default;
  friend auto operator<=>(const IpAddress&, const IpAddress&) = default;
};

// How a member is reached on the downlink of one side.
struct MemberPort {
  Mac member_mac{};       // destination MAC written into the frame
  Mac orchestrator_mac{}; // source MAC: the orchestrator's downlink MAC
  std::uint32_t tx = 0;   // devmap key of the downlink (see MapWriter::set_tx_port)
  friend bool operator==(const MemberPort&, const MemberPort&) = default;
};

enum class Verdict : std::uint32_t {
  distributed = BATON_V_DISTRIBUTED,
  passed_local = BATON_V_PASSED_LOCAL,
  passed_ttl = BATON_V_PASSED_TTL,
  passed_not_ip = BATON_V_PASSED_NOT_IP,
  passed_unconfigured = BATON_V_PASSED_UNCONFIGURED,
  dropped_malformed = BATON_V_DROPPED_MALFORMED,
  no_member = BATON_V_NO_MEMBER,
};
inline constexpr std::size_t kVerdicts = BATON_V_COUNT;
std::string_view verdict_name(Verdict v);  // "distributed", "passed-local", ...

struct Counter {
  std::uint64_t packets = 0;
  std::uint64_t bytes = 0;
  friend bool operator==(const Counter&, const Counter&) = default;
};

// Counters summed over CPUs. verdict(distributed) is the sum of the member counters.
struct Counters {
  std::array<Counter, kVerdicts> verdicts{};
  std::vector<Counter> members;  // index = member id, sized BATON_XDP_MAX_MEMBERS
  const Counter& verdict(Verdict v) const { return verdicts[static_cast<std::size_t>(v)]; }
};

}  // namespace baton::bpf
