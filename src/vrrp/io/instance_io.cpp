#include "vrrp/io/instance_io.hpp"

#include <spdlog/spdlog.h>

namespace baton::vrrp::io {

Result<std::unique_ptr<InstanceIo>> InstanceIo::open(Netlink& nl, RealClock& timers,
                                                     InstanceOptions o) {
  std::unique_ptr<InstanceIo> io(new InstanceIo(nl, timers, std::move(o)));
  if (auto s = io->init(); !s) return err("vrrp instance {}: {}", io->name(), s.error().message);
  return io;
}

Status InstanceIo::init() {
  auto parent = nl_.link(opt_.interface);
  if (!parent) return parent.error();
  parent_ = *parent;
  parent_usable_ = parent_.usable();
  Config& cfg = opt_.vrrp;
  if (cfg.primary.is_unspecified()) {
    auto addrs = nl_.addresses(parent_.ifindex, cfg.family);
    if (!addrs) return addrs.error();
    if (addrs->empty())
      return err("interface {} has no {} address to send adverts from (or give --source)",
                 opt_.interface, family_name(cfg.family));
    cfg.primary = addrs->front().addr;
  }
  std::string tx_if = opt_.interface;
  addr_ifindex_ = parent_.ifindex;
  MacAddress announce_mac = parent_.mac;
  if (opt_.use_vmac) {
    auto v = VirtualMacLink::create(nl_, parent_, opt_.vmac_name, cfg.family, cfg.vrid,
                                    opt_.vmac_mode);
    if (!v) return err("virtual MAC on {}: {}", opt_.interface, v.error().message);
    vmac_.emplace(std::move(*v));
    tx_if = vmac_->name();
    addr_ifindex_ = vmac_->ifindex();
    announce_mac = vmac_->mac();
    spdlog::info("virtual MAC {} on {} (macvlan on {})", mac_to_string(vmac_->mac()),
                 vmac_->name(), opt_.interface);
  }
  auto sock = VrrpSocket::open({cfg.family, opt_.interface, tx_if, cfg.primary});
  if (!sock) return sock.error();
  sock_.emplace(std::move(*sock));
  auto ann = Announcer::open(addr_ifindex_, announce_mac);
  if (!ann) return ann.error();
  announcer_.emplace(std::move(*ann));

  local_addrs_ = {cfg.primary};
  destinations_ = opt_.unicast_peers.empty() ? std::vector<IpAddr>{vrrp_group(cfg.family)}
                                             : opt_.unicast_peers;
  expect_.version = cfg.version;
  expect_.family = cfg.family;
  expect_.vrid = cfg.vrid;
  if (!opt_.unicast_peers.empty()) expect_.local_addresses = local_addrs_;
  expect_.v2_interval_cs = cfg.adver_interval_cs;
  expect_.v2_auth_type = cfg.v2_auth_type;
  expect_.v2_auth_data = cfg.v2_auth_data;
  return {};
}

InstanceIo::~InstanceIo() { cancel_announcements(); }

void InstanceIo::receive(const std::function<void(const ev::AdvertReceived&)>& on_advert) {
  while (auto v = sock_->receive()) {
    if (!*v) {
      c_.drops.count(v->reason());
      continue;
    }
    const RxPacket& rx = v->value();
    if (rx.src == opt_.vrrp.primary) {
      ++c_.own;
      continue;
    }
    auto adv = validate_advert(rx, expect_);
    if (!adv) {
      c_.drops.count(adv.reason());
      continue;
    }
    ++c_.adverts_rx;
    on_advert(ev::AdvertReceived{adv.value(), rx.src});
  }
}

void InstanceIo::send_advert(const Advert& a) {
  for (const IpAddr& dst : destinations_) {
    auto bytes = encode_advert(a, opt_.vrrp.primary, dst);
    if (!bytes) {
      spdlog::error("{}: cannot encode advert: {}", name(), bytes.error().message);
      ++c_.send_errors;
      continue;
    }
    if (auto s = sock_->send(*bytes, dst); !s) {
      if (c_.send_errors++ == 0) spdlog::warn("{}: {}", name(), s.error().message);
      continue;
    }
    ++c_.adverts_tx;
  }
}

void InstanceIo::announce(const std::vector<IpAddr>& addrs, std::function<bool()> still_master) {
  cancel_announcements();
  TimePoint now = timers_.now();
  for (Duration off : announce_offsets(opt_.announce_count, opt_.announce_gap)) {
    auto send = [this, addrs, still_master] {
      if (!still_master()) return;
      if (auto s = announcer_->announce(addrs, opt_.vrrp.primary); !s)
        spdlog::warn("{}: {}", name(), s.error().message);
      else
        ++c_.announcements;
    };
    if (off == Duration{0}) send();
    else announce_timers_.push_back(timers_.arm(now + off, send));
  }
}

void InstanceIo::cancel_announcements() {
  for (TimerId id : announce_timers_) timers_.cancel(id);
  announce_timers_.clear();
}

void InstanceIo::change_addresses(const std::vector<IpAddr>& addrs, bool add) {
  for (const IpAddr& a : addrs) {
    IpPrefix p{a, static_cast<std::uint8_t>(a.family == Family::ipv4 ? 32 : 128)};
    for (const IpPrefix& v : opt_.vips)
      if (v.addr == a) p = v;
    Status s = add ? nl_.add_address(addr_ifindex_, p) : nl_.del_address(addr_ifindex_, p);
    if (!s) {
      ++c_.address_errors;
      spdlog::error("{}: {}", name(), s.error().message);
    }
  }
}

}  // namespace baton::vrrp::io
