#include "vrrp/machine.hpp"

#include <fmt/format.h>

namespace baton::vrrp {
namespace {

std::string addresses(const std::vector<IpAddr>& v) {
  std::string s;
  for (const auto& a : v) s += (s.empty() ? "" : ",") + a.to_string();
  return s;
}

}  // namespace

std::string_view state_name(State s) {
  switch (s) {
    case State::initialize: return "initialize";
    case State::backup: return "backup";
    case State::master: return "master";
    case State::fault: return "fault";
  }
  return "?";
}

std::string_view timer_kind_name(TimerKind k) {
  return k == TimerKind::adver ? "adver" : "master-down";
}

std::string describe(const Effect& e) {
  struct V {
    std::string operator()(const fx::SendAdvert& x) const {
      return fmt::format("send prio={} interval={}cs", x.advert.priority, x.advert.interval_cs);
    }
    std::string operator()(const fx::ArmTimer& x) const {
      return fmt::format("arm {} @{}ns", timer_kind_name(x.kind),
                         x.deadline.time_since_epoch().count());
    }
    std::string operator()(const fx::CancelTimer& x) const {
      return fmt::format("cancel {}", timer_kind_name(x.kind));
    }
    std::string operator()(const fx::AddAddresses& x) const {
      return "add " + addresses(x.addresses);
    }
    std::string operator()(const fx::RemoveAddresses& x) const {
      return "remove " + addresses(x.addresses);
    }
    std::string operator()(const fx::Announce& x) const {
      return "announce " + addresses(x.addresses);
    }
    std::string operator()(const fx::StateChanged& x) const {
      return fmt::format("state {} -> {} ({})", state_name(x.from), state_name(x.to), x.reason);
    }
  };
  return std::visit(V{}, e);
}

}  // namespace baton::vrrp
