#include "probe/recorder.hpp"

#include <algorithm>

namespace baton::probe {
namespace {

double ms(Duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

constexpr std::size_t kMaxErrorsKept = 8;

}  // namespace

Recorder::Recorder(TimePoint start, std::string first_window, std::uint32_t tcp_connections)
    : start_(start), conns_(tcp_connections, Conn{start, true}), alive_(tcp_connections),
      last_echo_(start) {
  Window w;
  w.r.name = std::move(first_window);
  w.r.tcp_connections = tcp_connections;
  w.start = start;
  windows_.push_back(std::move(w));
}

double Recorder::since_start_s(TimePoint t) const {
  return std::chrono::duration<double>(t - start_).count();
}

void Recorder::close_window(TimePoint now) {
  Window& w = windows_.back();
  w.r.end_s = since_start_s(now);
  // Silences still running at the boundary count towards the window they happened in.
  if (w.r.udp_sent > 0 || any_echo_)
    w.r.udp_max_gap_ms = std::max(w.r.udp_max_gap_ms, ms(now - std::max(last_echo_, w.start)));
  for (const Conn& c : conns_)
    if (c.alive) w.r.tcp_max_stall_ms = std::max(w.r.tcp_max_stall_ms, ms(now - std::max(c.last, w.start)));
}

void Recorder::mark(std::string name, TimePoint now) {
  close_window(now);
  Window w;
  w.r.name = std::move(name);
  w.r.start_s = since_start_s(now);
  w.r.tcp_connections = alive_;
  w.first_seq = w.end_seq = windows_.back().end_seq;
  w.start = now;
  windows_.push_back(std::move(w));
}

void Recorder::udp_sent(std::uint64_t seq, TimePoint) {
  Window& w = windows_.back();
  if (seq < w.end_seq) return;  // out of order sends are not how the probe works; ignore
  w.end_seq = seq + 1;
  w.r.udp_sent++;
  if (echoed_.size() <= seq) echoed_.resize(seq + 1, 0);
}

void Recorder::udp_received(std::uint64_t seq, TimePoint now) {
  if (seq >= echoed_.size() || echoed_[seq]) return;
  echoed_[seq] = 1;
  Window& w = windows_.back();
  w.r.udp_received++;
  TimePoint from = any_echo_ ? std::max(last_echo_, w.start) : w.start;
  w.r.udp_max_gap_ms = std::max(w.r.udp_max_gap_ms, ms(now - from));
  last_echo_ = now;
  any_echo_ = true;
}

void Recorder::tcp_progress(std::uint32_t conn, TimePoint now) {
  if (conn >= conns_.size() || !conns_[conn].alive) return;
  Window& w = windows_.back();
  Conn& c = conns_[conn];
  w.r.tcp_max_stall_ms = std::max(w.r.tcp_max_stall_ms, ms(now - std::max(c.last, w.start)));
  c.last = now;
  if (w.progressed.size() <= conn) w.progressed.resize(conns_.size(), false);
  if (!w.progressed[conn]) {
    w.progressed[conn] = true;
    w.r.tcp_progressed++;
  }
}

void Recorder::tcp_broken(std::uint32_t conn, bool reset, const std::string& why, TimePoint) {
  if (conn >= conns_.size() || !conns_[conn].alive) return;
  conns_[conn].alive = false;
  alive_--;
  Window& w = windows_.back();
  w.r.tcp_broken++;
  if (reset) w.r.tcp_reset++;
  if (w.r.tcp_errors.size() < kMaxErrorsKept)
    w.r.tcp_errors.push_back("conn " + std::to_string(conn) + ": " + why);
}

std::vector<WindowReport> Recorder::report(TimePoint now, Duration grace) const {
  std::vector<WindowReport> out;
  Recorder copy = *this;  // close the running window on a copy, keep this one running
  copy.close_window(now);
  for (std::size_t i = 0; i < copy.windows_.size(); ++i) {
    const Window& w = copy.windows_[i];
    WindowReport r = w.r;
    r.open = i + 1 == copy.windows_.size();
    // Sequence numbers sent within `grace` of now may still be on their way back. Sends are
    // at a steady rate, so estimate the in-flight tail from the window's own send rate.
    std::uint64_t settled_end = w.end_seq;
    if (r.open && w.end_seq > w.first_seq && grace.count() > 0) {
      double span_s = std::max(1e-9, std::chrono::duration<double>(now - w.start).count());
      double rate = static_cast<double>(w.end_seq - w.first_seq) / span_s;
      auto tail = static_cast<std::uint64_t>(rate * std::chrono::duration<double>(grace).count() + 1);
      settled_end = w.end_seq > w.first_seq + tail ? w.end_seq - tail : w.first_seq;
    }
    for (std::uint64_t s = w.first_seq; s < w.end_seq; ++s) {
      if (echoed_[s]) continue;
      if (s < settled_end) r.udp_lost++;
      else r.udp_in_flight++;
    }
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace baton::probe
