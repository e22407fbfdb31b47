// Carrier on the members' ports (DESIGN §6: a member whose links go down is failed at once,
// not after three missed heartbeats). batond watches the orchestrator-side ports each member
// is plugged into (`members[].ports`), in its own network namespace or in the one named by
// `member_ports.netns`, through rtnetlink link notifications (RTNLGRP_LINK).
//
// parse_link_messages() is the pure part (fuzzed: test/orchestrator/fuzz_link_messages.cpp);
// CarrierWatch owns the socket and reports changes of the ports it was asked about.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "core/watcher.hpp"

namespace baton::orchestrator {

struct LinkEvent {
  std::string ifname;
  bool carrier = false;  // IFF_LOWER_UP: the link is up and has carrier
  bool removed = false;  // RTM_DELLINK: the interface is gone (no carrier either)
  bool operator==(const LinkEvent&) const = default;
};

// The link events in a buffer of rtnetlink messages, in order. Messages other than
// RTM_NEWLINK / RTM_DELLINK (NLMSG_DONE, errors, others) are skipped; a message or attribute
// that does not fit, or a link message without a name, is an error naming the offset.
Result<std::vector<LinkEvent>> parse_link_messages(std::span<const std::uint8_t> bytes);

class CarrierWatch {
 public:
  // (port, carrier) on every change of a watched port, and once per port when it is first
  // seen without carrier.
  using OnChange = std::function<void(const std::string& port, bool carrier)>;

  // Opens the rtnetlink socket in `netns` (a name under /run/netns; empty: ours), subscribes
  // to link notifications and asks for the current state of every link.
  static Result<std::unique_ptr<CarrierWatch>> open(Watcher& loop, const std::string& netns,
                                                    std::set<std::string> ports, OnChange on_change);
  ~CarrierWatch();
  CarrierWatch(const CarrierWatch&) = delete;
  CarrierWatch& operator=(const CarrierWatch&) = delete;

  // The port's carrier as last reported; nullopt: not seen (no such interface).
  std::optional<bool> carrier(const std::string& port) const;
  // Ports not found by the first full dump (configuration names an interface that is not
  // there); empty until the dump has completed.
  const std::vector<std::string>& missing() const { return missing_; }
  bool dumped() const { return dumped_; }
  std::uint64_t errors() const { return errors_; }

 private:
  CarrierWatch(Watcher& loop, int fd, std::string netns, std::set<std::string> ports,
               OnChange on_change);
  Status request_dump();
  void on_readable();
  void apply(const LinkEvent& e);

  Watcher& loop_;
  int fd_ = -1;
  std::string netns_;
  std::set<std::string> ports_;
  OnChange on_change_;
  std::map<std::string, bool> carrier_;
  std::vector<std::string> missing_;
  bool dumped_ = false;
  std::uint32_t dump_seq_ = 0;
  std::uint64_t errors_ = 0;
};

}  // namespace baton::orchestrator
