// batond's high availability: the VRRP service (role changes) and the peer channel, over which
// the active pushes its tables to the standby (warm standby: the standby's XDP runs the same
// table, and on takeover it continues from the active's last generation).
//
// Peer channel, on the control protocol's framing: each side sends REGISTER (its name and id)
// until the other answers REGISTER_ACK, which gives both the other's node id and session
// epoch; then each sends HEARTBEAT every 50 ms (its table generation), and the active sends
// TABLE_PUSH (the table's inputs) on every change and every 200 ms, answered by TABLE_ACK,
// each followed by PEER_STATE (spares in service, the planned change being prepared), which
// also goes out at once whenever it changes.
// The peer counts as present while anything authentic arrived from it in the last 300 ms.
#include <ifaddrs.h>
#include <netinet/in.h>

#include <cstring>

#include <spdlog/spdlog.h>

#include "orchestrator/daemon_impl.hpp"
#include "orchestrator/settings.hpp"

namespace baton::orchestrator {

namespace {

std::optional<vrrp::IpAddr> first_ipv4(const std::string& ifname) {
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return std::nullopt;
  std::optional<vrrp::IpAddr> out;
  for (ifaddrs* i = list; i && !out; i = i->ifa_next) {
    if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET || ifname != i->ifa_name) continue;
    const auto* sin = reinterpret_cast<const sockaddr_in*>(i->ifa_addr);
    out = vrrp::IpAddr::from_bytes(vrrp::Family::ipv4,
                                   std::span(reinterpret_cast<const std::uint8_t*>(&sin->sin_addr), 4));
  }
  ::freeifaddrs(list);
  return out;
}

}  // namespace

Status DaemonImpl::open_vrrp() {
  std::optional<vrrp::IpAddr> sync_local;
  if (const auto* sync = cfg_.segment(config::SegmentRole::sync)) {
    sync_local = first_ipv4(sync->interface);
    if (!sync_local && cfg_.peer)
      spdlog::warn("sync segment {}: interface {} has no IPv4 address: no sync-link heartbeat; "
                   "peer failure is detected by VRRP master-down only",
                   sync->name, sync->interface);
  }
  auto opts = vrrp_options(cfg_, sync_local);
  if (!opts) return err("vrrp: {}", opts.error().message);
  vrrp::io::ServiceCallbacks cb;
  cb.on_before_master = [this] { apply(core_.set_role(loop_.clock().now(), Role::active)); };
  cb.on_state = [this](vrrp::GroupState old, vrrp::GroupState now, const std::string& reason) {
    spdlog::info("vrrp: {} -> {}: {}", vrrp::group_state_name(old), vrrp::group_state_name(now),
                 reason);
    if (now != vrrp::GroupState::master && cfg_.peer)
      apply(core_.set_role(loop_.clock().now(), Role::standby));
  };
  auto svc = vrrp::io::Service::create(loop_, std::move(*opts), std::move(cb));
  if (!svc) return err("vrrp: {}", svc.error().message);
  vrrp_ = std::move(*svc);
  return {};
}

bool DaemonImpl::peer_present(TimePoint now) const {
  return peer_ && peer_->last_heard && now - *peer_->last_heard <= kPeerTimeout;
}

// Cut off: no peer and every member we had has failed. An orchestrator whose links all went
// down sees exactly that, while its peer keeps the group. It then advertises priority 1, so
// that when its links return it yields to the peer instead of taking the addresses back with
// a table that has nobody in it; once it follows the peer again it has its priority back
// (without preemption it stays standby).
void DaemonImpl::check_cut_off(TimePoint now) {
  bool any = false, all_failed = true;
  for (const auto& m : core_.members()) {
    if (m.spare) continue;
    if (m.state == MemberState::unregistered) continue;
    any = true;
    if (m.state != MemberState::failed) all_failed = false;
  }
  bool cut_off = !peer_present(now) && any && all_failed;
  if (!peer_present(now)) peer_back_since_.reset();
  else if (!peer_back_since_) peer_back_since_ = now;
  // Back in touch: following the peer's tables as its standby, or the active with the peer
  // present for a while (the VRRP contest of our return is long settled). Priority 1 costs
  // nothing meanwhile: alone, we are master at any priority.
  bool settled = core_.following_peer() ||
                 (core_.role() == Role::active && peer_back_since_ &&
                  now - *peer_back_since_ >= std::chrono::seconds(5));
  if (cut_off && !cut_off_) {
    cut_off_ = true;
    spdlog::warn("cut off from the peer and from every member: advertising VRRP priority 1, so "
                 "that the orchestrator that kept the group keeps it when our links return");
    vrrp_->set_priority_all(1);
  } else if (!cut_off && cut_off_ && settled) {
    cut_off_ = false;
    spdlog::info("in touch again ({}): VRRP priority back to {}",
                 core_.following_peer() ? "following the peer's tables as standby"
                                        : "active, with the peer following",
                 cfg_.self.priority);
    vrrp_->set_priority_all(cfg_.self.priority);
  }
}

void DaemonImpl::peer_tick(TimePoint now) {
  if (!peer_) return;
  apply(core_.set_peer_present(now, peer_present(now)));
  check_cut_off(now);
  if (peer_->node_id && !peer_present(now) && peer_->last_heard &&
      now - *peer_->last_heard > 10 * kPeerTimeout) {
    peer_->node_id.reset();  // long gone: start over with REGISTER
  }
  if (now - peer_->last_sent >= kPeerKeepalive) {
    peer_->last_sent = now;
    if (!peer_->node_id) {
      control::Register r;
      r.name = cfg_.self.name;
      r.requested_id = cfg_.self.id;
      (void)peer_channel_->send(peer_->address, control::kAnyRecipient, control::kUnknownEpoch, r);
    } else {
      control::Heartbeat hb;
      hb.generation = core_.table().generation();
      (void)peer_channel_->send(peer_->address, *peer_->node_id, peer_->epoch, hb);
    }
  }
  if (core_.role() == Role::active && now - peer_->last_push >= kPeerTablePeriod)
    push_table_to_peer(now);
}

void DaemonImpl::push_table_to_peer(TimePoint now) {
  if (!peer_ || !peer_->node_id || core_.table().generation() == 0) return;
  peer_->last_push = now;
  control::TablePush push{core_.table()};
  if (auto s = peer_channel_->send(peer_->address, *peer_->node_id, peer_->epoch, push); !s)
    spdlog::debug("peer: {}", s.error().message);
  else
    peer_->pushed_generation = core_.table().generation();
  push_state_to_peer(false);
}

// PEER_STATE after every table push, and at once when it changed (a spare taken into service,
// a planned change started or dropped).
void DaemonImpl::push_state_to_peer(bool only_if_changed) {
  if (!peer_ || !peer_->node_id || core_.role() != Role::active || core_.table().generation() == 0)
    return;
  auto state = core_.peer_state();
  if (only_if_changed && peer_->pushed_state && *peer_->pushed_state == state) return;
  if (auto s = peer_channel_->send(peer_->address, *peer_->node_id, peer_->epoch, state); !s)
    spdlog::debug("peer: {}", s.error().message);
  else
    peer_->pushed_state = std::move(state);
}

void DaemonImpl::on_peer(const control::Received& r, const Peer& from) {
  TimePoint now = loop_.clock().now();
  if (!r.accepted()) {
    if (r.authentic_header && r.drop && r.drop->reason == control::DropReason::wrong_session &&
        peer_->node_id) {
      spdlog::info("peer: it speaks to an old session of ours; registering again");
      peer_->node_id.reset();
    }
    return;
  }
  const auto& msg = *r.message;
  peer_->last_heard = now;
  if (const auto* reg = std::get_if<control::Register>(&msg.body)) {
    bool fresh = !peer_->node_id || *peer_->node_id != msg.header.sender_id ||
                 peer_->epoch != msg.header.sender_epoch;
    peer_->node_id = msg.header.sender_id;
    peer_->epoch = msg.header.sender_epoch;
    if (fresh) spdlog::info("peer: {} (id {}) at {} registered, session {}", reg->name,
                            msg.header.sender_id, from.text, msg.header.sender_epoch);
    control::RegisterAck ack;
    ack.assigned_id = static_cast<dist::MemberId>(cfg_.self.id);
    ack.orchestrator_id = cfg_.self.id;
    (void)peer_channel_->send(from, msg.header.sender_id, msg.header.sender_epoch, ack);
    if (core_.role() == Role::active) push_table_to_peer(now);
    return;
  }
  if (std::holds_alternative<control::RegisterAck>(msg.body)) {
    if (!peer_->node_id) spdlog::info("peer: session with {} (id {}) established", from.text,
                                      msg.header.sender_id);
    peer_->node_id = msg.header.sender_id;
    peer_->epoch = msg.header.sender_epoch;
    return;
  }
  if (const auto* push = std::get_if<control::TablePush>(&msg.body)) {
    ++peer_->tables_adopted;
    apply(core_.set_peer_present(now, true));
    apply(core_.adopt_peer_table(now, push->table));
    if (peer_->node_id)
      (void)peer_channel_->send(from, *peer_->node_id, peer_->epoch,
                                control::TableAck{push->table.generation()});
    return;
  }
  if (const auto* st = std::get_if<control::PeerState>(&msg.body)) {
    apply(core_.adopt_peer_state(now, *st));
    return;
  }
  // HEARTBEAT and TABLE_ACK only refresh presence (above).
}

}  // namespace baton::orchestrator
