#include "agent/core.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <span>

#include "core/crc32c.hpp"

namespace baton::agent {
namespace {

using control::Admin;

std::string describe(const control::AdminState& s) {
  if (s.state == Admin::up) return "up";
  return s.persistent ? "down (persistent)" : "down (until restart)";
}

// Keeps `who` and `reason` within what the control channel carries (messages.hpp limits), so
// a local request can never make our REGISTER unencodable.
std::string clean_who(std::string_view who) {
  std::string out;
  for (char c : who.substr(0, control::kMaxWhoBytes)) out += (c >= 0x20 && c <= 0x7e) ? c : '?';
  return out;
}
std::string clean_text(std::string_view text) {
  std::string out(text.substr(0, control::kMaxTextBytes));
  std::replace(out.begin(), out.end(), '\0', ' ');
  return out;
}

}  // namespace

std::uint32_t agent_node_id(std::string_view member_name) {
  auto bytes = std::span(reinterpret_cast<const std::uint8_t*>(member_name.data()), member_name.size());
  return 0x8000'0000u | crc32c(bytes);
}

AgentCore::AgentCore(CoreConfig cfg, std::optional<AdminRecord> persisted)
    : cfg_(std::move(cfg)), orch_(cfg_.orchestrators), persisted_(std::move(persisted)) {
  if (persisted_) admin_ = *persisted_;
  for (auto& o : orch_) o.backoff = cfg_.register_retry_first;
}

Effects AgentCore::start(TimePoint now) {
  Effects out;
  out.push_back(LogLine{spdlog::level::info,
                        fmt::format("member {}: node id {:#010x}, admin {}, registering with {} "
                                    "orchestrator(s)",
                                    cfg_.member, agent_node_id(cfg_.member),
                                    describe(admin_.state), orch_.size())});
  for (std::size_t i = 0; i < orch_.size(); ++i) send_register(i, now, out);
  return out;
}

Send AgentCore::register_message(std::size_t i) const {
  control::Register r;
  r.name = cfg_.member;
  r.requested_id = orch_[i].view.member_id;
  r.capabilities = cfg_.capabilities;
  r.interfaces = cfg_.interfaces;
  r.admin = admin_.state;
  r.sync = cfg_.sync;
  return Send{i, control::kAnyRecipient, control::kUnknownEpoch, control::Body{std::move(r)}};
}

Send AgentCore::heartbeat_message(std::size_t i) const {
  const auto& v = orch_[i].view;
  control::Heartbeat hb{load_, generation_, admin_.state.state, admin_.state.persistent};
  return Send{i, v.id, v.epoch, control::Body{hb}};
}

Send AgentCore::reply(std::size_t i, const control::Header& h, control::Body body) const {
  return Send{i, h.sender_id, h.sender_epoch, std::move(body)};
}

void AgentCore::send_register(std::size_t i, TimePoint now, Effects& out) {
  Orch& o = orch_[i];
  out.push_back(register_message(i));
  ++o.view.registers_sent;
  o.next_register = now + o.backoff;
  Duration before = o.backoff;
  o.backoff = std::min(o.backoff * 2, cfg_.register_retry_max);
  if (!o.view.registered && before < o.backoff && o.backoff == cfg_.register_retry_max)
    out.push_back(LogLine{spdlog::level::warn,
                          fmt::format("orchestrator {}: no REGISTER_ACK after {} REGISTERs; still "
                                      "trying, every {} ms",
                                      i, o.view.registers_sent,
                                      std::chrono::duration_cast<std::chrono::milliseconds>(
                                          cfg_.register_retry_max)
                                          .count())});
}

void AgentCore::want_register(std::size_t i, TimePoint now, const char* why, Effects& out) {
  if (now < orch_[i].next_register) return;  // one is on its way; the back-off paces them
  out.push_back(LogLine{spdlog::level::info,
                        fmt::format("orchestrator {}: {}: registering again", i, why)});
  send_register(i, now, out);
}

Effects AgentCore::tick(TimePoint now) {
  Effects out;
  for (std::size_t i = 0; i < orch_.size(); ++i) {
    Orch& o = orch_[i];
    if (o.view.registered && now - o.last_heard >= 2 * cfg_.silence) {
      o.view.registered = false;  // not even our REGISTERs are answered: it is gone
      out.push_back(LogLine{spdlog::level::warn,
                            fmt::format("orchestrator {}: nothing heard for {} ms: lost; no more "
                                        "heartbeats to it until it acknowledges a REGISTER",
                                        i, std::chrono::duration_cast<std::chrono::milliseconds>(
                                               now - o.last_heard)
                                               .count())});
    }
    if (!o.view.registered) {
      if (now >= o.next_register) send_register(i, now, out);
      continue;
    }
    if (now >= o.next_heartbeat) {
      out.push_back(heartbeat_message(i));
      ++o.view.heartbeats_sent;
      Duration interval = std::chrono::microseconds(o.view.heartbeat_us);
      o.next_heartbeat += interval;
      if (o.next_heartbeat <= now) o.next_heartbeat = now + interval;  // we were late: no burst
    }
    if (now - o.last_heard >= cfg_.silence && now >= o.next_register) {
      out.push_back(LogLine{
          o.backoff == cfg_.register_retry_first ? spdlog::level::info : spdlog::level::debug,
          fmt::format("orchestrator {}: nothing heard for {} ms: registering again (it may have "
                      "restarted)",
                      i, std::chrono::duration_cast<std::chrono::milliseconds>(now - o.last_heard).count())});
      send_register(i, now, out);
    }
  }
  return out;
}

TimePoint AgentCore::next_deadline() const {
  TimePoint t = TimePoint::max();
  for (const Orch& o : orch_) {
    if (!o.view.registered) {
      t = std::min(t, o.next_register);
      continue;
    }
    t = std::min({t, o.next_heartbeat, std::max(o.last_heard + cfg_.silence, o.next_register),
                  o.last_heard + 2 * cfg_.silence});
  }
  return t;
}

Effects AgentCore::on_message(std::size_t i, const control::Message& m, TimePoint now,
                              std::int64_t wall_ms) {
  Effects out;
  Orch& o = orch_.at(i);
  const control::Header& h = m.header;
  o.last_heard = now;
  if (const auto* ack = std::get_if<control::RegisterAck>(&m.body)) {
    on_register_ack(i, h, *ack, now, out);
    return out;
  }
  if (!o.view.registered)
    want_register(i, now, "a message before any REGISTER_ACK", out);
  else if (h.sender_epoch != o.view.epoch)
    want_register(i, now, "it speaks from a new session", out);
  if (const auto* push = std::get_if<control::TablePush>(&m.body)) {
    std::uint64_t g = push->table.generation();
    if (g != generation_)
      out.push_back(LogLine{spdlog::level::info,
                            fmt::format("orchestrator {}: table generation {} (was {})", i, g,
                                        generation_)});
    generation_ = g;
    out.push_back(reply(i, h, control::Body{control::TableAck{generation_}}));
  } else if (const auto* cmd = std::get_if<control::Command>(&m.body)) {
    on_command(i, h, *cmd, wall_ms, out);
  } else if (std::holds_alternative<control::GroupInfo>(m.body) ||
             std::holds_alternative<control::TablePrepare>(m.body) ||
             std::holds_alternative<control::FlowQuery>(m.body)) {
    // HyperSync's (the shell hands them to it); nothing for the core to answer.
  } else {
    out.push_back(LogLine{spdlog::level::warn,
                          fmt::format("orchestrator {}: ignored a {} message (agents do not take "
                                      "those)",
                                      i, control::message_type_name(h.type))});
  }
  return out;
}

Effects AgentCore::prepared(std::size_t index, std::uint64_t generation,
                            std::uint64_t connections) {
  Effects out;
  const auto& v = orch_.at(index).view;
  if (!v.registered) return out;
  out.push_back(LogLine{spdlog::level::info,
                        fmt::format("orchestrator {}: table generation {} prepared ({} "
                                    "connections handed over)",
                                    index, generation, connections)});
  out.push_back(Send{index, v.id, v.epoch,
                     control::Body{control::TablePrepared{generation, connections}}});
  return out;
}

void AgentCore::on_register_ack(std::size_t i, const control::Header& h,
                                const control::RegisterAck& a, TimePoint now, Effects& out) {
  Orch& o = orch_[i];
  bool news = !o.view.registered || o.view.epoch != h.sender_epoch ||
              o.view.member_id != a.assigned_id || o.view.heartbeat_us != a.heartbeat_us;
  if (news)
    out.push_back(LogLine{spdlog::level::info,
                          fmt::format("orchestrator {}: registered as member id {} with "
                                      "orchestrator id {}, heartbeat every {} us",
                                      i, a.assigned_id, a.orchestrator_id, a.heartbeat_us)});
  if (a.orchestrator_id != h.sender_id)
    out.push_back(LogLine{spdlog::level::warn,
                          fmt::format("orchestrator {}: REGISTER_ACK names orchestrator id {} but "
                                      "comes from node id {}; using the sender's",
                                      i, a.orchestrator_id, h.sender_id)});
  for (std::size_t j = 0; j < orch_.size(); ++j) {
    const auto& other = orch_[j].view;
    if (j != i && other.registered && other.member_id != a.assigned_id)
      out.push_back(LogLine{spdlog::level::warn,
                            fmt::format("orchestrators {} and {} assigned different member ids "
                                        "({} and {})",
                                        j, i, other.member_id, a.assigned_id)});
  }
  o.view.registered = true;
  o.view.id = h.sender_id;
  o.view.epoch = h.sender_epoch;
  o.view.member_id = a.assigned_id;
  o.view.heartbeat_us = a.heartbeat_us;
  o.backoff = cfg_.register_retry_first;
  o.next_register = now;
  o.last_heard = now;
  out.push_back(heartbeat_message(i));  // the orchestrator hears our load and admin state now
  ++o.view.heartbeats_sent;
  o.next_heartbeat = now + std::chrono::microseconds(a.heartbeat_us);
}

void AgentCore::on_command(std::size_t i, const control::Header& h, const control::Command& c,
                           std::int64_t wall_ms, Effects& out) {
  control::CommandResult res{c.command_id, control::CommandStatus::done, {}};
  if (c.kind == control::CommandKind::resync) {
    res.detail = "resync: done";
  } else {
    AdminRequest r{c.kind == control::CommandKind::admin_down ? Admin::down : Admin::up,
                   c.persistent, c.who, c.reason};
    res.detail = clean_text(apply_admin(r, wall_ms, out).summary);
  }
  out.push_back(LogLine{spdlog::level::info,
                        fmt::format("orchestrator {}: command {}: {}", i, c.command_id, res.detail)});
  out.push_back(reply(i, h, control::Body{std::move(res)}));
}

Effects AgentCore::on_authentic_drop(std::size_t i, const control::Header& h, TimePoint now) {
  Effects out;
  const Orch& o = orch_.at(i);
  if (h.recipient_epoch != cfg_.self_epoch)
    want_register(i, now, "it addresses an old session of ours", out);
  else if (!o.view.registered || h.sender_epoch > o.view.epoch)
    want_register(i, now, "it speaks from a session we have not registered with", out);
  return out;  // otherwise an old or replayed message of the session we know: nothing to do
}

Effects AgentCore::on_admin(const AdminRequest& r, std::int64_t wall_ms, AdminOutcome& outcome) {
  Effects out;
  outcome = apply_admin(r, wall_ms, out);
  return out;
}

AdminOutcome AgentCore::apply_admin(const AdminRequest& req, std::int64_t wall_ms, Effects& out) {
  AdminRequest r{req.state, req.persistent, clean_who(req.who), clean_text(req.reason)};
  AdminRecord next{{r.state, r.persistent && r.state == Admin::down, r.who, r.reason}, wall_ms};
  const auto before = admin_.state;
  AdminOutcome res;
  if (r.state == Admin::down) {
    res.changed = before.state == Admin::up || (r.persistent && !before.persistent);
    if (res.changed) {
      admin_ = next;
      if (r.persistent) {
        persisted_ = next;
        out.push_back(Persist{next});
      }
    }
  } else {
    res.changed = before.state == Admin::down || (r.persistent && persisted_);
    if (res.changed) admin_ = next;
    if (r.persistent && persisted_) {
      persisted_.reset();
      out.push_back(Persist{std::nullopt});
    }
  }
  if (!res.changed) {
    res.summary = fmt::format("no change: the member is already {}", describe(admin_.state));
  } else {
    res.summary = fmt::format("admin {} -> {} by {}{}", describe(before), describe(admin_.state),
                              r.who.empty() ? "(unknown)" : r.who,
                              r.reason.empty() ? "" : fmt::format(" ({})", r.reason));
  }
  if (admin_.state.state == Admin::up && persisted_)
    res.summary += "; a persistent down is still stored and applies again at the next start "
                   "(clusterXL_admin up -p removes it)";
  out.push_back(LogLine{res.changed ? spdlog::level::info : spdlog::level::debug,
                        fmt::format("member {}: {}", cfg_.member, res.summary)});
  return res;
}

}  // namespace baton::agent
