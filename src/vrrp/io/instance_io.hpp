// The I/O of one VRRP instance on its segment: the parent interface, the virtual-MAC macvlan
// (use_vmac), the raw VRRP sockets, the gratuitous ARP / NA announcer with its back-off
// timers, the virtual addresses (through netlink), and counters of all of it. It makes no
// decision: the Service (service.hpp) feeds what it receives to the sync group and calls it
// to carry out the group's effects.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "core/result.hpp"
#include "vrrp/drop.hpp"
#include "vrrp/io/announce.hpp"
#include "vrrp/io/netlink.hpp"
#include "vrrp/io/service_options.hpp"
#include "vrrp/io/vmac.hpp"
#include "vrrp/io/vrrp_socket.hpp"
#include "vrrp/machine.hpp"
#include "vrrp/validate.hpp"

namespace baton::vrrp::io {

struct InstanceCounters {
  std::uint64_t adverts_rx = 0;      // valid adverts from a peer
  std::uint64_t adverts_tx = 0;
  std::uint64_t send_errors = 0;
  std::uint64_t own = 0;             // our own adverts, looped back
  std::uint64_t transitions = 0;     // state changes of this instance
  std::uint64_t announcements = 0;   // gratuitous ARP / NA rounds sent
  std::uint64_t address_errors = 0;  // netlink refused an address change
  DropCounters drops;                // invalid adverts, by reason
};

class InstanceIo {
 public:
  // Opens everything for `o` (finished options); fills o.vrrp.primary from the interface's
  // first address of the family if it is unset. Errors name the instance.
  static Result<std::unique_ptr<InstanceIo>> open(Netlink& nl, RealClock& timers,
                                                  InstanceOptions o);
  InstanceIo(const InstanceIo&) = delete;
  InstanceIo& operator=(const InstanceIo&) = delete;
  // Cancels pending announcements; deletes the macvlan (and with it its addresses).
  ~InstanceIo();

  const InstanceOptions& options() const { return opt_; }
  const std::string& name() const { return opt_.vrrp.name; }
  int rx_fd() const { return sock_->rx_fd(); }
  int parent_ifindex() const { return parent_.ifindex; }
  bool parent_usable() const { return parent_usable_; }
  void set_parent_usable(bool up) { parent_usable_ = up; }
  std::string vmac_name() const { return vmac_ ? vmac_->name() : std::string(); }
  const InstanceCounters& counters() const { return c_; }
  void count_transition() { ++c_.transitions; }

  // Reads every pending packet; valid adverts from others go to `on_advert`, the rest are
  // counted (own, or by drop reason).
  void receive(const std::function<void(const ev::AdvertReceived&)>& on_advert);
  void send_advert(const Advert& a);
  // Adds or removes the virtual addresses (with their configured prefix lengths) on the
  // macvlan (or the parent without use_vmac). Failures are logged and counted.
  void change_addresses(const std::vector<IpAddr>& addrs, bool add);
  // Announces now and on the back-off schedule while `still_master()` holds.
  void announce(const std::vector<IpAddr>& addrs, std::function<bool()> still_master);
  void cancel_announcements();
  // Deletes the macvlan now (shutdown); its addresses go with it.
  void remove_vmac() { vmac_.reset(); }

 private:
  InstanceIo(Netlink& nl, RealClock& timers, InstanceOptions o)
      : nl_(nl), timers_(timers), opt_(std::move(o)) {}
  Status init();

  Netlink& nl_;
  RealClock& timers_;
  InstanceOptions opt_;
  LinkInfo parent_;
  bool parent_usable_ = true;
  std::optional<VirtualMacLink> vmac_;
  int addr_ifindex_ = 0;
  std::optional<VrrpSocket> sock_;
  std::optional<Announcer> announcer_;
  std::vector<IpAddr> local_addrs_;
  std::vector<IpAddr> destinations_;
  Expect expect_;
  std::vector<TimerId> announce_timers_;
  InstanceCounters c_;
};

}  // namespace baton::vrrp::io
