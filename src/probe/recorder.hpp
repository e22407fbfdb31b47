// What the clients saw, window by window. The probe's traffic loops feed it sends, echoes,
// TCP progress and TCP failures with the current time; the drill marks the start of each
// event, which closes the running window and opens the next. Pure: no sockets, no clock.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/clock.hpp"

namespace baton::probe {

struct WindowReport {
  std::string name;
  double start_s = 0;         // since the probe started
  double end_s = 0;
  bool open = false;          // still running when reported
  std::uint64_t udp_sent = 0;
  std::uint64_t udp_received = 0;
  std::uint64_t udp_lost = 0;           // sent in this window, never echoed
  std::uint64_t udp_in_flight = 0;      // sent too recently to call lost (open window only)
  double udp_max_gap_ms = 0;            // longest time without any echo, ending in this window
  std::uint32_t tcp_connections = 0;    // alive when the window opened
  std::uint32_t tcp_broken = 0;         // failed during the window (reset included)
  std::uint32_t tcp_reset = 0;          // of which by RST
  double tcp_max_stall_ms = 0;          // longest time any live connection made no progress
  std::uint32_t tcp_progressed = 0;     // connections that delivered echo bytes in the window
  std::vector<std::string> tcp_errors;  // first few failures, "conn 3: reset by peer"
};

class Recorder {
 public:
  Recorder(TimePoint start, std::string first_window, std::uint32_t tcp_connections);

  // Closes the running window at `now` and opens one called `name`.
  void mark(std::string name, TimePoint now);

  // A datagram with sequence number `seq` (0, 1, 2, ... in order) was sent.
  void udp_sent(std::uint64_t seq, TimePoint now);
  // Its echo came back (duplicates and unknown sequence numbers are ignored).
  void udp_received(std::uint64_t seq, TimePoint now);

  // Connection `conn` delivered verified echo bytes.
  void tcp_progress(std::uint32_t conn, TimePoint now);
  // Connection `conn` failed; it makes no further progress.
  void tcp_broken(std::uint32_t conn, bool reset, const std::string& why, TimePoint now);

  // Every window so far; the running one is reported up to `now`, and datagrams sent less
  // than `grace` ago count as in flight, not lost.
  std::vector<WindowReport> report(TimePoint now, Duration grace) const;

  std::uint32_t tcp_alive() const { return alive_; }

 private:
  struct Window {
    WindowReport r;
    std::uint64_t first_seq = 0;  // sequence numbers sent in [first_seq, end_seq)
    std::uint64_t end_seq = 0;
    TimePoint start;
    std::vector<bool> progressed;  // by connection
  };
  struct Conn {
    TimePoint last;
    bool alive = true;
  };
  double since_start_s(TimePoint t) const;
  void close_window(TimePoint now);

  TimePoint start_;
  std::vector<Window> windows_;
  std::vector<std::uint8_t> echoed_;  // by sequence number
  std::vector<Conn> conns_;
  std::uint32_t alive_ = 0;
  TimePoint last_echo_;
  bool any_echo_ = false;
};

}  // namespace baton::probe
