// The events of a baton-sim scenario and how they are written.
//
// On the command line (values may be comma lists; events run in command-line order):
//   --fail 3          member 3 fails (unplanned)            --fail 1,2,3
//   --admin-down 4    member 4 is taken out (planned)
//   --add 9[:W]       member 9 joins with weight W (default --default-weight)
//   --weight 2=200    member 2's weight becomes 200 (planned)
// In a scenario file (--scenario FILE), one event per line, '#' starts a comment:
//   fail 3 | fail 1,2,3 | admin-down 4 | add 9 | add 9 100 | add 9:100 | weight 2 200 | weight 2=200
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "dist/table.hpp"

namespace baton::sim {

enum class EventKind { fail, admin_down, add, weight };

struct Event {
  EventKind kind = EventKind::fail;
  dist::MemberId member = 0;
  std::uint32_t weight = 0;  // add: the new member's weight; weight: the new weight
  std::string origin;        // where it was given ("--fail 1,2", "drill.txt:4"), for errors
};

inline constexpr dist::MemberId kMaxMemberId = dist::kNoMember - 1;

// "fail", "admin-down", "add", "weight".
std::string_view kind_name(EventKind k);
Result<EventKind> parse_kind(std::string_view name);

// A planned change (admin-down, add, weight) pre-syncs connections to their new owners before
// the new table is committed; a failure does not (DESIGN §3).
bool is_planned(EventKind k);

// "fail 3", "admin-down 4", "add 9 (weight 1)", "weight 2=200".
std::string describe(const Event& e);

// Parses one option value: a comma list of items, each `ID` (fail, admin-down), `ID[:W]`
// (add) or `ID=W` (weight). Errors start with `origin`.
Result<std::vector<Event>> parse_event_list(EventKind kind, std::string_view list,
                                            std::uint32_t default_weight,
                                            std::string_view origin);

// Parses scenario text; `name` (the file name) and the line number prefix every error.
Result<std::vector<Event>> parse_scenario(std::string_view text, std::string_view name,
                                          std::uint32_t default_weight);

// Reads and parses a scenario file.
Result<std::vector<Event>> load_scenario(const std::string& path, std::uint32_t default_weight);

}  // namespace baton::sim
