#include "sim_lan.hpp"

#include <gtest/gtest.h>

#include <utility>

#include "vrrp/ip_packet.hpp"

namespace baton::vrrp::test {

Config basic_config(std::string name, std::uint8_t host, std::uint8_t priority,
                    std::uint16_t interval_cs) {
  Config c;
  c.name = std::move(name);
  c.vrid = 7;
  c.priority = priority;
  c.adver_interval_cs = interval_cs;
  c.primary = IpAddr::v4(10, 0, 0, host);
  c.virtual_addresses = {IpAddr::v4(10, 0, 0, 100)};
  return c;
}

struct Lan::Node {
  std::variant<Instance, SyncGroup> engine;
  std::size_t first_member = 0;
  std::size_t size() const {
    return std::holds_alternative<Instance>(engine) ? 1 : std::get<SyncGroup>(engine).size();
  }
  const Instance& at(std::size_t i) const {
    if (const auto* inst = std::get_if<Instance>(&engine)) return *inst;
    return std::get<SyncGroup>(engine).member(i);
  }
  GroupEffects handle(TimePoint now, std::size_t i, const Event& e) {
    if (auto* inst = std::get_if<Instance>(&engine)) {
      GroupEffects out;
      for (auto& fx : inst->handle(now, e)) out.push_back({0, std::move(fx)});
      return out;
    }
    return std::get<SyncGroup>(engine).handle(now, i, e);
  }
  GroupEffects handle_all(TimePoint now, const Event& e) {
    if (std::holds_alternative<Instance>(engine)) return handle(now, 0, e);
    return std::get<SyncGroup>(engine).handle_all(now, e);
  }
};

Lan::Lan()
    : timers_(clock_, [this](std::size_t m, TimerKind k) {
        const Member& mm = members_[m];
        apply(mm.node, nodes_[mm.node]->handle(clock_.now(), mm.index, ev::TimerFired{k}));
      }) {}

Lan::~Lan() { timers_.cancel_all(); }

std::size_t Lan::add_instance(Config c, int segment) {
  auto inst = Instance::create(std::move(c));
  EXPECT_TRUE(inst.ok()) << inst.error().message;
  nodes_.push_back(std::make_unique<Node>(Node{std::move(inst).value(), members_.size()}));
  Member m;
  m.node = nodes_.size() - 1;
  m.segment = segment;
  members_.push_back(std::move(m));
  return nodes_.size() - 1;
}

std::size_t Lan::add_group(std::string name, std::vector<std::pair<Config, int>> members) {
  std::vector<Instance> insts;
  std::vector<int> segments;
  for (auto& [c, seg] : members) {
    auto inst = Instance::create(std::move(c));
    EXPECT_TRUE(inst.ok()) << inst.error().message;
    insts.push_back(std::move(inst).value());
    segments.push_back(seg);
  }
  auto g = SyncGroup::create(std::move(name), std::move(insts));
  EXPECT_TRUE(g.ok()) << g.error().message;
  nodes_.push_back(std::make_unique<Node>(Node{std::move(g).value(), members_.size()}));
  for (std::size_t i = 0; i < segments.size(); ++i)
  {
    Member m;
    m.node = nodes_.size() - 1;
    m.index = i;
    m.segment = segments[i];
    members_.push_back(std::move(m));
  }
  return nodes_.size() - 1;
}

std::size_t Lan::id(std::size_t node, std::size_t index) const {
  return nodes_.at(node)->first_member + index;
}

Member& Lan::member(std::size_t node, std::size_t index) { return members_.at(id(node, index)); }

const Instance& Lan::instance(std::size_t node, std::size_t index) const {
  return nodes_.at(node)->at(index);
}

void Lan::send(std::size_t node, std::size_t index, const Event& e) {
  apply(node, nodes_.at(node)->handle(clock_.now(), index, e));
  clock_.run_due();
}

void Lan::send_all(std::size_t node, const Event& e) {
  apply(node, nodes_.at(node)->handle_all(clock_.now(), e));
  clock_.run_due();
}

void Lan::receive(std::size_t node, std::size_t index, const RxPacket& rx) {
  Member& m = member(node, index);
  const Instance& inst = instance(node, index);
  const Config& c = inst.config();
  Expect e;
  e.version = c.version;
  e.family = c.family;
  e.vrid = c.vrid;
  e.v2_interval_cs = c.adver_interval_cs;
  e.v2_auth_type = c.v2_auth_type;
  e.v2_auth_data = c.v2_auth_data;
  auto v = validate_advert(rx, e);
  if (!v) {
    m.drops.count(v.reason());
    return;
  }
  ++m.adverts_received;
  send(node, index, ev::AdvertReceived{*v, rx.src});
}

void Lan::broadcast(const Member& from, const Instance& inst, const Advert& a) {
  if (!from.link_up) return;
  IpAddr src = inst.config().primary;
  IpAddr dst = vrrp_group(src.family);
  auto wire = encode_advert(a, src, dst);
  ASSERT_TRUE(wire.ok()) << wire.error().message;
  auto packet = encode_ip_packet(src, dst, 255, *wire);
  for (std::size_t i = 0; i < members_.size(); ++i) {
    const Member& to = members_[i];
    if (&to == &from || to.node == from.node || to.segment != from.segment || !to.link_up)
      continue;
    // Delivered through the clock at the same instant: no re-entry into the sender.
    std::size_t node = to.node, index = to.index;
    clock_.arm(clock_.now(), [this, node, index, packet] {
      auto rx = parse_ip_packet(packet);
      ASSERT_TRUE(rx.ok());
      receive(node, index, *rx);
    });
  }
}

void Lan::apply(std::size_t node, const GroupEffects& fx) {
  for (const auto& [index, e] : fx) {
    std::size_t mid = id(node, index);
    Member& m = members_[mid];
    m.effects.push_back(e);
    if (timers_.apply(mid, e)) continue;
    const Instance& inst = instance(node, index);
    if (const auto* s = std::get_if<fx::SendAdvert>(&e)) {
      m.sent.push_back({clock_.now(), s->advert});
      broadcast(m, inst, s->advert);
    } else if (const auto* c = std::get_if<fx::StateChanged>(&e)) {
      m.changes.push_back({clock_.now(), *c});
    } else if (const auto* add = std::get_if<fx::AddAddresses>(&e)) {
      m.addresses.insert(add->addresses.begin(), add->addresses.end());
    } else if (const auto* rm = std::get_if<fx::RemoveAddresses>(&e)) {
      for (const auto& a : rm->addresses) m.addresses.erase(a);
    } else if (std::holds_alternative<fx::Announce>(e)) {
      m.announces.push_back(clock_.now());
    }
  }
}

TimePoint Lan::entered(std::size_t node, std::size_t index, State to) const {
  const Member& m = members_.at(id(node, index));
  for (auto it = m.changes.rbegin(); it != m.changes.rend(); ++it)
    if (it->change.to == to) return it->when;
  return TimePoint::max();
}

std::size_t Lan::masters_on(int segment) const {
  std::size_t n = 0;
  for (const auto& m : members_)
    if (m.segment == segment && instance(m.node, m.index).state() == State::master) ++n;
  return n;
}

}  // namespace baton::vrrp::test
