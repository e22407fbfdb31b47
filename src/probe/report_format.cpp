#include "probe/report_format.hpp"

#include <fmt/format.h>

namespace baton::probe {

nlohmann::json to_json(const std::vector<WindowReport>& windows) {
  nlohmann::json arr = nlohmann::json::array();
  for (const auto& w : windows) {
    arr.push_back({{"name", w.name},
                   {"start_s", w.start_s},
                   {"end_s", w.end_s},
                   {"open", w.open},
                   {"udp_sent", w.udp_sent},
                   {"udp_received", w.udp_received},
                   {"lost_packets", w.udp_lost},
                   {"udp_in_flight", w.udp_in_flight},
                   {"gap_ms", w.udp_max_gap_ms},
                   {"tcp_connections", w.tcp_connections},
                   {"broken_connections", w.tcp_broken},
                   {"reset_connections", w.tcp_reset},
                   {"max_tcp_stall_ms", w.tcp_max_stall_ms},
                   {"tcp_progressed", w.tcp_progressed},
                   {"tcp_errors", w.tcp_errors}});
  }
  return {{"windows", arr}};
}

std::string to_table(const std::vector<WindowReport>& windows) {
  std::string out = fmt::format("{:<28} {:>8} {:>8} {:>8} {:>6} {:>9} {:>6} {:>6} {:>10}\n",
                                "window", "secs", "udp sent", "lost", "gap ms", "tcp conns",
                                "broken", "reset", "stall ms");
  for (const auto& w : windows) {
    out += fmt::format("{:<28} {:>8.2f} {:>8} {:>8} {:>6.1f} {:>9} {:>6} {:>6} {:>10.1f}\n",
                       w.name.substr(0, 28), w.end_s - w.start_s, w.udp_sent, w.udp_lost,
                       w.udp_max_gap_ms, w.tcp_connections, w.tcp_broken, w.tcp_reset,
                       w.tcp_max_stall_ms);
    for (const auto& e : w.tcp_errors) out += fmt::format("    {}\n", e);
  }
  return out;
}

}  // namespace baton::probe
