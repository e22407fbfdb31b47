// What the GroupCore tests share: configured members, agent message headers, and what came
// out of an Effects.
#pragma once

#include <string_view>
#include <variant>
#include <vector>

#include "orchestrator/group.hpp"

namespace baton::orchestrator::testing {

inline config::MemberConfig member(const char* name, dist::MemberId id,
                                   std::uint32_t weight = 100) {
  config::MemberConfig m;
  m.name = name;
  m.id = id;
  m.weight = weight;
  return m;
}

// The header of a message from the agent with control node id `node`.
inline control::Header from(std::uint32_t node, std::uint64_t epoch = 100) {
  control::Header h;
  h.sender_id = node;
  h.sender_epoch = epoch;
  return h;
}

// The members a message of type T went to.
template <typename T>
std::vector<dist::MemberId> sent(const Effects& fx) {
  std::vector<dist::MemberId> out;
  for (const auto& s : fx.sends)
    if (std::holds_alternative<T>(s.body)) out.push_back(s.member);
  return out;
}

inline bool logged(const Effects& fx, std::string_view needle) {
  for (const auto& l : fx.log)
    if (l.find(needle) != std::string::npos) return true;
  return false;
}

}  // namespace baton::orchestrator::testing
