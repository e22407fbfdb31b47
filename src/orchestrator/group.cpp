#include "orchestrator/group.hpp"

#include <algorithm>
#include <set>

#include <fmt/format.h>

namespace baton::orchestrator {

using control::Admin;

std::string_view member_state_name(MemberState s) {
  switch (s) {
    case MemberState::unregistered: return "unregistered";
    case MemberState::active: return "active";
    case MemberState::failed: return "failed";
    case MemberState::down: return "down";
    case MemberState::spare: return "spare";
  }
  return "unknown";
}

std::string_view role_name(Role r) { return r == Role::active ? "active" : "standby"; }

void Effects::merge(Effects&& o) {
  if (o.table) table = std::move(o.table);
  for (auto& p : o.ports) ports.push_back(std::move(p));
  for (auto& s : o.sends) sends.push_back(std::move(s));
  for (auto& a : o.audit) audit.push_back(std::move(a));
  for (auto& l : o.log) log.push_back(std::move(l));
}

namespace {

Member from_config(const config::MemberConfig& c, bool spare, TimePoint now) {
  Member m;
  m.name = c.name;
  m.id = c.id;
  m.weight = c.weight;
  m.spare = spare;
  m.from_pool = spare;
  m.state = MemberState::unregistered;
  m.state_since = now;
  m.state_reason = "agent not heard yet";
  if (c.mac_ext) m.mac[0] = c.mac_ext->bytes;
  if (c.mac_int) m.mac[1] = c.mac_int->bytes;
  m.mac_configured = {c.mac_ext.has_value(), c.mac_int.has_value()};
  return m;
}

std::string admin_text(const AdminRecord& a) {
  std::string s = a.state == Admin::down ? "down" : "up";
  if (a.persistent) s += " (persistent)";
  return s;
}

}  // namespace

GroupCore::GroupCore(GroupSettings s, std::vector<dist::MemberSpec> base, dist::Table empty)
    : settings_(std::move(s)), base_(std::move(base)), table_(std::move(empty)) {}

Result<GroupCore> GroupCore::create(GroupSettings settings, TimePoint now) {
  std::vector<dist::MemberSpec> base;
  std::set<dist::MemberId> ids;
  std::set<std::string> names;
  for (const auto* list : {&settings.members, &settings.spares}) {
    for (const auto& c : *list) {
      if (!ids.insert(c.id).second) return err("member id {} is configured twice", c.id);
      if (!names.insert(c.name).second) return err("member name {} is configured twice", c.name);
    }
  }
  // Spares are in the base too, removed while in the pool: taking one into service is then
  // the failure patch undone, which moves only the buckets it gets.
  for (const auto* list : {&settings.members, &settings.spares})
    for (const auto& c : *list) base.push_back({c.id, c.weight});
  // In id order, as a table holds its base (so that the two compare).
  std::sort(base.begin(), base.end(),
            [](const dist::MemberSpec& a, const dist::MemberSpec& b) { return a.id < b.id; });
  // Generation 0: every member removed (none has registered); nothing is distributed.
  std::vector<dist::MemberId> all;
  for (const auto& b : base) all.push_back(b.id);
  std::sort(all.begin(), all.end());
  auto empty = dist::Table::replay(base, all, settings.buckets, 0);
  if (!empty) return err("cannot build the distribution table: {}", empty.error().message);
  GroupCore g(std::move(settings), std::move(base), std::move(*empty));
  g.removed_ = std::move(all);
  g.grace_until_ = now + g.settings_.registration_grace;
  for (const auto& c : g.settings_.members) g.members_.push_back(from_config(c, false, now));
  for (const auto& c : g.settings_.spares) {
    g.members_.push_back(from_config(c, true, now));
  }
  return g;
}

const Member* GroupCore::find(std::string_view name) const {
  for (const auto& m : members_)
    if (m.name == name) return &m;
  return nullptr;
}
Member* GroupCore::find_mut(std::string_view name) {
  return const_cast<Member*>(std::as_const(*this).find(name));
}
const Member* GroupCore::find_id(dist::MemberId id) const {
  for (const auto& m : members_)
    if (m.id == id) return &m;
  return nullptr;
}
const Member* GroupCore::find_node(std::uint32_t node_id) const {
  for (const auto& m : members_)
    if (m.agent && m.agent->node_id == node_id) return &m;
  return nullptr;
}
Member* GroupCore::find_id_mut(dist::MemberId id) {
  return const_cast<Member*>(std::as_const(*this).find_id(id));
}
Member* GroupCore::find_node_mut(std::uint32_t node_id) {
  return const_cast<Member*>(std::as_const(*this).find_node(node_id));
}

void GroupCore::set_state(Member& m, MemberState s, TimePoint now, std::string reason,
                          Effects& fx) {
  if (m.state == s) return;
  fx.log.push_back(fmt::format("member {} (id {}): {} -> {}: {}", m.name, m.id,
                               member_state_name(m.state), member_state_name(s), reason));
  m.state = s;
  m.state_since = now;
  m.state_reason = std::move(reason);
}

bool GroupCore::in_service(const Member& m, TimePoint now) const {
  if (m.spare) return false;
  if (m.state == MemberState::active) return true;
  // Just started: a member the table we took over still serves (one not in the removed list)
  // keeps serving until its agent has had time to register with us, so that a restarted
  // orchestrator taking over does not empty the table while the agents are finding it. A
  // removed member comes back only by registering (recompute).
  return m.state == MemberState::unregistered && !m.agent && now < grace_until_;
}

void GroupCore::recompute(TimePoint now, Effects& fx, std::string_view why) {
  if (following_peer()) {  // the active decides; we install what it pushes
    pending_.reset();
    return;
  }
  std::vector<dist::MemberId> next;
  for (auto id : removed_) {
    const Member* m = find_id(id);
    if (m && !(in_service(*m, now) && m->state == MemberState::active)) next.push_back(id);
  }
  for (const auto& m : members_) {  // newly out of service, in configuration order
    if (in_service(m, now)) continue;
    if (std::find(next.begin(), next.end(), m.id) == next.end()) next.push_back(m.id);
  }
  const bool same_base = table_.base_members() == base_;  // no weight changed
  if (next == removed_ && same_base && table_.generation() != 0) {
    if (pending_) {
      fx.log.push_back(fmt::format("planned change to generation {} dropped: {} undid it",
                                   pending_->table.generation(), why));
      pending_.reset();
    }
    return;
  }
  // Standby without a peer to follow: the change the active peer was preparing stays
  // uncommitted here; we continue it if we take over (resume_peer_pending).
  if (role_ != Role::active && peer_pending_) {
    if (peer_pending_->removed == next && peer_pending_->table.base_members() == base_) return;
    peer_pending_.reset();
  }
  if (pending_ && pending_->removed == next && pending_->table.base_members() == base_)
    return;  // still preparing exactly this
  // Before any member is in service there is nothing to distribute: leave the data path
  // alone (after a restart it still forwards with the table the previous run left).
  if (table_.generation() == 0 && next.size() == base_.size()) return;
  std::uint64_t gen = std::max(table_.generation(), last_generation_) + 1;
  auto t = dist::Table::replay(base_, next, settings_.buckets, gen);
  if (!t) {  // inputs come from a validated configuration: this cannot fail
    fx.log.push_back(fmt::format("cannot compute table generation {}: {}", gen, t.error().message));
    return;
  }
  last_generation_ = gen;
  if (pending_)
    fx.log.push_back(fmt::format("planned change to generation {} superseded by generation {}",
                                 pending_->table.generation(), gen));
  pending_.reset();
  std::vector<dist::MemberId> waiting;
  // Only the active prepares: the agents hand connections over on its word alone.
  if (role_ == Role::active && table_.generation() != 0 && planned(next))
    waiting = handing_over(*t);
  if (waiting.empty()) {
    commit(std::move(*t), std::move(next), std::string(why), fx);
    return;
  }
  pending_ = PendingChange{std::move(*t), std::move(next), std::string(why), now, now,
                           std::move(waiting), 0};
  std::vector<std::string> names;
  for (auto id : pending_->waiting) names.push_back(find_id(id)->name);
  fx.log.push_back(fmt::format("planned change to generation {} ({}): preparing; {} hand their "
                               "moving connections over first",
                               gen, why, fmt::join(names, ", ")));
  send_prepare(now, fx);
}

bool GroupCore::planned(const std::vector<dist::MemberId>& next) const {
  for (auto id : next) {
    if (std::find(removed_.begin(), removed_.end(), id) != removed_.end()) continue;
    const Member* m = find_id(id);
    // Leaving by failure or by never registering is not planned: its connections are on
    // their successors already, and nobody can hand anything over for it.
    if (m == nullptr || m->state == MemberState::failed || m->state == MemberState::unregistered)
      return false;
  }
  return true;
}

std::vector<dist::MemberId> GroupCore::handing_over(const dist::Table& next) const {
  std::vector<bool> moves(table_.size() > 0 ? dist::kMaxMembers : 0, false);
  for (std::uint32_t b = 0; b < table_.size() && b < next.size(); ++b) {
    auto from = table_.owner(b);
    if (from != next.owner(b) && from < moves.size()) moves[from] = true;
  }
  std::vector<dist::MemberId> out;
  for (const auto& m : members_) {
    if (m.id >= moves.size() || !moves[m.id]) continue;
    if (!m.agent || !m.hypersync || m.state == MemberState::failed) continue;
    out.push_back(m.id);
  }
  return out;
}

void GroupCore::send_prepare(TimePoint now, Effects& fx) {
  pending_->sent = now;
  for (auto id : pending_->waiting) fx.sends.push_back({id, control::TablePrepare{pending_->table}});
}

void GroupCore::commit(dist::Table t, std::vector<dist::MemberId> removed, std::string why,
                       Effects& fx) {
  removed_ = std::move(removed);
  table_ = std::move(t);
  std::string out;
  for (auto id : removed_) {
    const Member* m = find_id(id);
    out += fmt::format("{}{}", out.empty() ? "" : ",", m ? m->name : std::to_string(id));
  }
  fx.log.push_back(fmt::format("table generation {}: {} (out of service: {})",
                               table_.generation(), why, out.empty() ? "none" : out));
  fx.table = table_;
}

Effects GroupCore::on_table_prepared(TimePoint now, const control::Header& h,
                                     const control::TablePrepared& p) {
  Effects fx;
  const Member* m = find_node(h.sender_id);
  if (m == nullptr || !pending_ || pending_->table.generation() != p.generation) return fx;
  auto it = std::find(pending_->waiting.begin(), pending_->waiting.end(), m->id);
  if (it == pending_->waiting.end()) return fx;
  pending_->waiting.erase(it);
  pending_->handed_over += p.connections;
  if (!pending_->waiting.empty()) return fx;
  auto ms = std::chrono::duration_cast<std::chrono::microseconds>(now - pending_->started);
  PendingChange done = std::move(*pending_);
  pending_.reset();
  commit(std::move(done.table), std::move(done.removed),
         fmt::format("{} (prepared in {:.1f} ms, {} connections handed over)", done.why,
                     static_cast<double>(ms.count()) / 1000.0, done.handed_over),
         fx);
  return fx;
}

Effects GroupCore::on_register(TimePoint now, const control::Header& h, const control::Register& r,
                               std::string from) {
  Effects fx;
  Member* m = find_mut(r.name);
  if (m == nullptr) {
    ++unknown_registrations_;
    fx.log.push_back(fmt::format("registration from {} as \"{}\" refused: no such member in "
                                 "the configuration", from, r.name));
    return fx;
  }
  // Another member's agent registering from the same node id would confuse replies.
  if (const Member* other = find_node(h.sender_id); other && other != m) {
    fx.log.push_back(fmt::format("registration of {} from {} refused: node id {} is already "
                                 "used by member {}", r.name, from, h.sender_id, other->name));
    return fx;
  }
  bool again = m->agent.has_value();
  bool same_session = again && m->agent->node_id == h.sender_id && m->agent->epoch == h.sender_epoch;
  m->agent = AgentSession{h.sender_id, h.sender_epoch, from};
  m->last_heartbeat = now;
  m->sync = r.sync;
  m->hypersync = (r.capabilities & control::kCapHyperSync) != 0 && r.sync.family != 0;
  m->admin = AdminRecord{r.admin.state, r.admin.persistent, r.admin.who, r.admin.reason, now};
  if (m->requested && m->requested->state == r.admin.state &&
      m->requested->persistent == r.admin.persistent)
    m->requested.reset();
  for (const auto& itf : r.interfaces) {
    int side = itf.side == control::Side::external ? 0 : itf.side == control::Side::internal ? 1 : -1;
    if (side < 0) continue;
    // A MAC from the configuration is the operator's word; the agent's fills the gap.
    if ((!m->mac[side] || !again) && !m->mac_configured[static_cast<std::size_t>(side)])
      m->mac[side] = itf.mac;
  }
  for (int side = 0; side < 2; ++side)
    if (m->mac[side]) fx.ports.push_back({m->id, side, m->mac[side]});
  fx.sends.push_back({m->id, control::RegisterAck{m->id, settings_.orchestrator_id,
                                                   static_cast<std::uint32_t>(
                                                       std::chrono::duration_cast<std::chrono::microseconds>(
                                                           settings_.heartbeat_interval).count())}});
  if (!same_session)  // an agent checking on us again (it heard nothing for a while) is not news
    fx.log.push_back(fmt::format("member {} (id {}) registered from {} (node {}, admin {}){}",
                                 m->name, m->id, from, h.sender_id, admin_text(m->admin),
                                 again ? ", a new session" : ""));
  if (!m->ports_down.empty()) {
    set_state(*m, MemberState::failed, now,
              fmt::format("registered, but no carrier on {}", fmt::join(m->ports_down, ", ")), fx);
  } else if (m->spare) {
    set_state(*m, MemberState::spare, now, "registered; in the spare pool", fx);
  } else if (m->admin_down()) {
    set_state(*m, MemberState::down, now, "registered administratively down", fx);
  } else {
    set_state(*m, MemberState::active, now, "registered", fx);
  }
  if (m->requested && m->agent) send_command(*m, now, fx);
  recompute(now, fx, fmt::format("{} registered", m->name));
  return fx;
}

Effects GroupCore::on_heartbeat(TimePoint now, const control::Header& h, const control::Heartbeat& hb) {
  Effects fx;
  Member* m = find_node_mut(h.sender_id);
  if (m == nullptr || m->agent->epoch != h.sender_epoch) return fx;  // shell asks it to register
  m->last_heartbeat = now;
  m->load = hb.load;
  m->agent_generation = hb.generation;
  if (hb.admin != m->admin.state || hb.admin_persistent != m->admin.persistent) {
    AdminRecord a{hb.admin, hb.admin_persistent, "", "", now};
    if (m->requested && m->requested->state == hb.admin) {
      a = *m->requested;
      a.persistent = hb.admin_persistent;
    } else {
      a.who = "agent on " + m->name;
      a.reason = "set on the member (clusterXL_admin)";
    }
    fx.log.push_back(fmt::format("member {}: admin {} -> {} ({})", m->name, admin_text(m->admin),
                                 admin_text(a), a.who));
    m->admin = std::move(a);
  }
  if (m->requested && m->requested->state == m->admin.state) {
    m->requested.reset();
    m->pending_command.reset();
  }
  if (!m->ports_down.empty()) return fx;  // failed until its ports have carrier again
  MemberState want = m->spare ? MemberState::spare
                     : m->admin_down() ? MemberState::down
                                       : MemberState::active;
  std::string why = m->state == MemberState::failed ? "heartbeats resumed"
                    : want == MemberState::down      ? "administratively down"
                                                     : "administratively up";
  set_state(*m, want, now, why, fx);
  recompute(now, fx, fmt::format("{} {}", m->name, why));
  return fx;
}

Effects GroupCore::on_command_result(TimePoint now, const control::Header& h,
                                     const control::CommandResult& r) {
  Effects fx;
  Member* m = find_node_mut(h.sender_id);
  if (m == nullptr || !m->pending_command || *m->pending_command != r.command_id) return fx;
  m->pending_command.reset();
  if (r.status != control::CommandStatus::done) {
    fx.log.push_back(fmt::format("member {} did not carry out command {}: {}", m->name,
                                 r.command_id, r.detail));
    (void)now;
  }
  return fx;
}

Effects GroupCore::on_table_ack(TimePoint, const control::Header& h, const control::TableAck& a) {
  if (Member* m = find_node_mut(h.sender_id)) m->agent_generation = a.generation;
  return {};
}

Effects GroupCore::tick(TimePoint now) {
  Effects fx;
  const Duration limit = settings_.heartbeat_interval * settings_.miss_count;
  // If we ourselves were held up longer than a heartbeat interval, the heartbeats of that
  // time may still be waiting in the socket: judge nobody on this tick. The next one, after
  // the loop has read them, will.
  bool stalled = last_tick_ && now - *last_tick_ > settings_.heartbeat_interval;
  last_tick_ = now;
  if (stalled) return fx;
  std::vector<std::string> failed;
  auto silent = [&](const Member& m, Duration lim) {
    return m.last_heartbeat && m.state != MemberState::failed &&
           m.state != MemberState::unregistered && now - *m.last_heartbeat > lim;
  };
  // Several members falling silent in the same tick is more often our own receive path (a
  // stall, a busy segment) than several deaths at once, and failing them together would move
  // buckets to members that hold no copy of their connections (HyperSync keeps two). Such a
  // shared silence is judged only after `shared_silence_factor` times the limit.
  std::size_t over = 0;
  for (const auto& m : members_) over += silent(m, limit) ? 1 : 0;
  const Duration lim = over >= 2 ? limit * settings_.shared_silence_factor : limit;
  if (over >= 2 && !shared_silence_logged_) {
    shared_silence_logged_ = true;
    fx.log.push_back(fmt::format("{} members silent for more than {} ms at once: waiting up to "
                                 "{} ms before judging (a shared silence is more often ours)",
                                 over, std::chrono::duration_cast<std::chrono::milliseconds>(limit).count(),
                                 std::chrono::duration_cast<std::chrono::milliseconds>(lim).count()));
  } else if (over < 2) {
    shared_silence_logged_ = false;
  }
  for (auto& m : members_) {
    if (silent(m, lim)) {
      auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now - *m.last_heartbeat);
      set_state(m, MemberState::failed, now,
                fmt::format("no heartbeat for {} ms ({} missed)", ms.count(), settings_.miss_count),
                fx);
      failed.push_back(m.name);
    }
    if (m.requested && m.pending_command && m.agent && m.state != MemberState::failed &&
        now - m.command_sent >= settings_.command_retry)
      send_command(m, now, fx);
  }
  if (!failed.empty()) recompute(now, fx, fmt::format("{} failed", fmt::join(failed, ", ")));
  if (pending_ && now - pending_->started >= settings_.prepare_timeout) {
    std::vector<std::string> names;
    for (auto id : pending_->waiting) names.push_back(find_id(id)->name);
    PendingChange late = std::move(*pending_);
    pending_.reset();
    commit(std::move(late.table), std::move(late.removed),
           fmt::format("{} (committed after the {} ms prepare timeout; no TABLE_PREPARED from "
                       "{}: their moving connections may not all be on the new owners)",
                       late.why,
                       std::chrono::duration_cast<std::chrono::milliseconds>(settings_.prepare_timeout).count(),
                       fmt::join(names, ", ")),
           fx);
  } else if (pending_ && now - pending_->sent >= settings_.command_retry) {
    send_prepare(now, fx);  // a TABLE_PREPARE or its answer may have been lost
  }
  if (!grace_over_ && now >= grace_until_) {
    grace_over_ = true;
    recompute(now, fx, "members that never registered since our start are out");
  }
  return fx;
}

Effects GroupCore::on_carrier(TimePoint now, dist::MemberId member, const std::string& port,
                              bool carrier) {
  Effects fx;
  Member* m = find_id_mut(member);
  if (m == nullptr) return fx;
  bool was_down = !m->ports_down.empty();
  if (carrier) m->ports_down.erase(port);
  else m->ports_down.insert(port);
  bool down = !m->ports_down.empty();
  if (down && m->state != MemberState::failed && m->state != MemberState::unregistered) {
    set_state(*m, MemberState::failed, now, fmt::format("no carrier on {}", port), fx);
    recompute(now, fx, fmt::format("{} lost carrier on {}", m->name, port));
    return fx;
  }
  if (!down && was_down) {
    const Duration limit = settings_.heartbeat_interval * settings_.miss_count;
    bool fresh = m->agent && m->last_heartbeat && now - *m->last_heartbeat <= limit;
    if (m->state != MemberState::failed || !fresh) {
      fx.log.push_back(fmt::format("member {} (id {}): carrier back on {}{}", m->name, m->id, port,
                                   m->state == MemberState::failed
                                       ? "; it returns when its heartbeats resume"
                                       : ""));
      return fx;
    }
    MemberState want = m->spare ? MemberState::spare
                       : m->admin_down() ? MemberState::down
                                         : MemberState::active;
    set_state(*m, want, now, fmt::format("carrier back on {}, heartbeats fresh", port), fx);
    recompute(now, fx, fmt::format("{} has carrier again", m->name));
  }
  return fx;
}

void GroupCore::send_command(Member& m, TimePoint now, Effects& fx) {
  if (!m.pending_command) m.pending_command = next_command_++;
  control::Command c;
  c.command_id = *m.pending_command;
  c.kind = m.requested->state == Admin::down ? control::CommandKind::admin_down
                                              : control::CommandKind::admin_up;
  c.persistent = m.requested->persistent;
  c.who = m.requested->who.substr(0, control::kMaxWhoBytes);
  c.reason = m.requested->reason.substr(0, control::kMaxTextBytes);
  fx.sends.push_back({m.id, std::move(c)});
  m.command_sent = now;
}

Result<std::pair<AdminOutcome, Effects>> GroupCore::admin(TimePoint now, const AdminRequest& req) {
  Member* m = find_mut(req.name);
  if (m == nullptr) {
    std::vector<std::string> names;
    for (const auto& x : members_) names.push_back(x.name);
    return err("member \"{}\" is not in the group (members: {})", req.name, fmt::join(names, ", "));
  }
  if (m->spare) return err("member \"{}\" is a spare; it carries no traffic to take down", req.name);
  Effects fx;
  const AdminRecord& cur = m->effective_admin();
  bool changed = cur.state != req.state || cur.persistent != req.persistent;
  std::uint64_t before = table_.generation();
  if (changed) {
    m->requested = AdminRecord{req.state, req.persistent, req.who, req.reason, now};
    m->pending_command.reset();
    if (m->agent) send_command(*m, now, fx);
    if (m->state == MemberState::active && req.state == Admin::down)
      set_state(*m, MemberState::down, now, "administratively down by " + req.who, fx);
    else if (m->state == MemberState::down && req.state == Admin::up)
      set_state(*m, MemberState::active, now, "administratively up by " + req.who, fx);
    recompute(now, fx, fmt::format("{} admin {} by {}", m->name, req.state == Admin::down ? "down" : "up",
                              req.who));
  }
  fx.audit.push_back(fmt::format(
      "who={} caller=\"{}\" action=member-{} member={} persistent={} reason=\"{}\" changed={} "
      "state={} generation={}->{}",
      req.who.empty() ? "unknown" : req.who, req.caller, req.state == Admin::down ? "down" : "up",
      m->name, req.persistent, req.reason, changed, member_state_name(m->state), before,
      pending_ ? pending_->table.generation() : table_.generation()));
  return std::pair{AdminOutcome{changed, m->state,
                                pending_ ? pending_->table.generation() : table_.generation()},
                   std::move(fx)};
}

Effects GroupCore::set_role(TimePoint now, Role role) {
  Effects fx;
  if (role_ == role) return fx;
  fx.log.push_back(fmt::format("role {} -> {} at table generation {}", role_name(role_),
                               role_name(role), table_.generation()));
  role_ = role;
  if (role_ != Role::active && pending_) {
    fx.log.push_back(fmt::format("planned change to generation {} dropped: no longer active",
                                 pending_->table.generation()));
    pending_.reset();
  }
  if (role_ == Role::active) resume_peer_pending(now, fx);
  recompute(now, fx, "took over as active");
  return fx;
}

Effects GroupCore::adopt_peer_table(TimePoint now, const dist::Table& table) {
  Effects fx;
  (void)now;
  if (role_ == Role::active) return fx;  // two actives: VRRP settles it; keep our own
  if (table.generation() == table_.generation() && table.same_buckets(table_)) return fx;
  if (!same_members(table.base_members())) {
    fx.log.push_back(fmt::format("peer table generation {} ignored: its members differ from "
                                 "our configuration", table.generation()));
    return fx;
  }
  adopt_weights(table.base_members(), fx);
  removed_ = table.failed();
  table_ = table;
  pending_.reset();
  if (peer_pending_ && peer_pending_->table.generation() <= table.generation()) peer_pending_.reset();
  last_generation_ = std::max(last_generation_, table.generation());
  fx.log.push_back(fmt::format("table generation {} adopted from the active peer",
                               table.generation()));
  fx.table = table_;
  return fx;
}

Effects GroupCore::set_peer_present(TimePoint now, bool present) {
  Effects fx;
  (void)now;
  if (peer_present_ == present) return fx;
  peer_present_ = present;
  fx.log.push_back(present ? "peer orchestrator present: following its tables while standby"
                           : "peer orchestrator gone: computing our own tables");
  if (!present) recompute(now, fx, "no peer to follow");
  return fx;
}

Result<std::pair<AdminOutcome, Effects>> GroupCore::pool(TimePoint now, const PoolRequest& req) {
  Member* m = find_mut(req.name);
  std::vector<std::string> spares;
  for (const auto& x : members_)
    if (x.from_pool) spares.push_back(x.name);
  std::string pool_text = spares.empty() ? "none configured" : fmt::format("{}", fmt::join(spares, ", "));
  const bool add = req.action == PoolAction::add;
  if (m == nullptr)
    return err("member \"{}\" is not in the group (spares: {})", req.name, pool_text);
  if (!m->from_pool)
    return err("member \"{}\" is a configured member, not a spare (spares: {}); take it out of "
               "service with `member down`",
               req.name, pool_text);
  if (role_ != Role::active)
    return err("this orchestrator is the standby: run `member {}` on the active",
               add ? "add" : "remove");
  bool changed = add == m->spare;
  if (changed && add && m->state != MemberState::spare) {
    if (m->state == MemberState::unregistered)
      return err("spare \"{}\" has not registered: its agent is not running or cannot reach us",
                 req.name);
    return err("spare \"{}\" is {} ({}): it cannot take traffic", req.name,
               member_state_name(m->state), m->state_reason);
  }
  Effects fx;
  std::uint64_t before = table_.generation();
  if (changed) {
    std::string why = fmt::format("{} {} by {}", m->name,
                                  add ? "taken into service from the spare pool"
                                      : "returned to the spare pool",
                                  req.who.empty() ? "unknown" : req.who);
    set_pool(*m, add, now, why, fx);
    recompute(now, fx, why);
  }
  fx.audit.push_back(fmt::format(
      "who={} caller=\"{}\" action=spare-{} member={} reason=\"{}\" changed={} state={} "
      "generation={}->{}",
      req.who.empty() ? "unknown" : req.who, req.caller, add ? "add" : "remove", m->name,
      req.reason, changed, member_state_name(m->state), before,
      pending_ ? pending_->table.generation() : table_.generation()));
  return std::pair{AdminOutcome{changed, m->state,
                                pending_ ? pending_->table.generation() : table_.generation()},
                   std::move(fx)};
}

void GroupCore::set_pool(Member& m, bool in, TimePoint now, const std::string& why, Effects& fx) {
  m.spare = !in;
  if (in && m.state == MemberState::spare)
    set_state(m, m.admin_down() ? MemberState::down : MemberState::active, now, why, fx);
  else if (!in && (m.state == MemberState::active || m.state == MemberState::down))
    set_state(m, MemberState::spare, now, why, fx);
  else
    fx.log.push_back(fmt::format("member {} (id {}): {} ({})", m.name, m.id, why,
                                 member_state_name(m.state)));
}

control::PeerState GroupCore::peer_state() const {
  control::PeerState s;
  s.generation = table_.generation();
  for (const auto& m : members_)
    if (m.from_pool && !m.spare) s.in_service.push_back(m.id);
  std::sort(s.in_service.begin(), s.in_service.end());
  if (pending_) {
    s.preparing = true;
    s.pending = pending_->table;
    s.why = pending_->why.substr(0, control::kMaxTextBytes);
  }
  return s;
}

Effects GroupCore::adopt_peer_state(TimePoint now, const control::PeerState& state) {
  Effects fx;
  if (role_ == Role::active) return fx;  // two actives: VRRP settles it; keep our own
  for (auto& m : members_) {
    if (!m.from_pool) continue;
    bool in = std::binary_search(state.in_service.begin(), state.in_service.end(), m.id);
    if (in == !m.spare) continue;
    set_pool(m, in, now,
             fmt::format("{} by the active peer", in ? "taken into service from the spare pool"
                                                     : "returned to the spare pool"),
             fx);
  }
  if (!state.preparing) {
    peer_pending_.reset();
  } else if (!same_members(state.pending.base_members())) {
    fx.log.push_back(fmt::format("peer's planned change to generation {} ignored: its members "
                                 "differ from our configuration",
                                 state.pending.generation()));
  } else if (!peer_pending_ || peer_pending_->table.generation() != state.pending.generation()) {
    peer_pending_ = PendingChange{state.pending, state.pending.failed(), state.why, now, now, {}, 0};
    fx.log.push_back(fmt::format("the active peer prepares generation {} ({})",
                                 state.pending.generation(), state.why));
  }
  return fx;
}

void GroupCore::resume_peer_pending(TimePoint now, Effects& fx) {
  if (!peer_pending_) return;
  PendingChange p = std::move(*peer_pending_);
  peer_pending_.reset();
  if (p.table.generation() <= table_.generation()) return;  // committed meanwhile
  adopt_weights(p.table.base_members(), fx);  // a weight change is what it may be preparing
  last_generation_ = std::max(last_generation_, p.table.generation());
  p.started = now;
  p.waiting = handing_over(p.table);
  std::vector<std::string> names;
  for (auto id : p.waiting) names.push_back(find_id(id)->name);
  fx.log.push_back(fmt::format("continuing the peer's planned change to generation {} ({}); {}",
                               p.table.generation(), p.why,
                               names.empty() ? std::string("nobody has connections to hand over")
                                             : fmt::format("waiting for {}", fmt::join(names, ", "))));
  if (p.waiting.empty()) {
    commit(std::move(p.table), std::move(p.removed), p.why + " (continued after takeover)", fx);
    return;
  }
  pending_ = std::move(p);
  send_prepare(now, fx);
}

bool GroupCore::same_members(const std::vector<dist::MemberSpec>& base) const {
  if (base.size() != base_.size()) return false;
  for (std::size_t i = 0; i < base.size(); ++i)
    if (base[i].id != base_[i].id) return false;
  return true;
}

void GroupCore::adopt_weights(const std::vector<dist::MemberSpec>& base, Effects& fx) {
  for (std::size_t i = 0; i < base.size() && i < base_.size(); ++i) {
    if (base[i].weight == base_[i].weight) continue;
    Member* m = find_id_mut(base[i].id);
    fx.log.push_back(fmt::format("member {} (id {}): weight {} -> {}, as the active peer decided",
                                 m ? m->name : std::to_string(base[i].id), base[i].id,
                                 base_[i].weight, base[i].weight));
    base_[i].weight = base[i].weight;
    if (m) m->weight = base[i].weight;
  }
}

Result<std::pair<AdminOutcome, Effects>> GroupCore::set_weight(TimePoint now,
                                                               const WeightRequest& req) {
  Member* m = find_mut(req.name);
  if (m == nullptr) {
    std::vector<std::string> names;
    for (const auto& x : members_) names.push_back(x.name);
    return err("member \"{}\" is not in the group (members: {})", req.name, fmt::join(names, ", "));
  }
  if (req.weight > dist::kMaxWeight)
    return err("weight {} is out of range 0..{}", req.weight, dist::kMaxWeight);
  if (role_ != Role::active)
    return err("this orchestrator is the standby: run `member weight` on the active");
  auto spec = std::find_if(base_.begin(), base_.end(),
                           [&](const dist::MemberSpec& b) { return b.id == m->id; });
  if (req.weight == 0) {
    bool other = false;
    for (const auto& b : base_)
      if (b.id != m->id && b.weight > 0 && table_.is_live(b.id)) other = true;
    if (!other)
      return err("no other member in service has a weight above 0: {} would leave nobody to "
                 "take the buckets", req.name);
  }
  Effects fx;
  const std::uint32_t old = m->weight;
  const bool changed = old != req.weight;
  const std::uint64_t before = table_.generation();
  if (changed) {
    m->weight = req.weight;
    spec->weight = req.weight;
    std::string why = fmt::format("{} weight {} -> {} by {}", m->name, old, req.weight,
                                  req.who.empty() ? "unknown" : req.who);
    fx.log.push_back(fmt::format("member {} (id {}): {}", m->name, m->id, why));
    recompute(now, fx, why);
  }
  fx.audit.push_back(fmt::format(
      "who={} caller=\"{}\" action=member-weight member={} reason=\"{}\" changed={} "
      "weight={}->{} generation={}->{}",
      req.who.empty() ? "unknown" : req.who, req.caller, m->name, req.reason, changed, old,
      req.weight, before, pending_ ? pending_->table.generation() : table_.generation()));
  return std::pair{AdminOutcome{changed, m->state,
                                pending_ ? pending_->table.generation() : table_.generation()},
                   std::move(fx)};
}

}  // namespace baton::orchestrator
