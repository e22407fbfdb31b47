#include "bpf/datapath.hpp"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "bpf/baton_xdp.skel.h"
#include "bpf/libbpf_map_writer.hpp"
#include "bpf/pins.hpp"
#include "core/log.hpp"

namespace baton::bpf {

struct Datapath::Skeleton {
  baton_xdp* skel = nullptr;
  ~Skeleton() { baton_xdp__destroy(skel); }
};

namespace {

Error sys_err(std::string_view what, int e) {
  return err("{}: {}", what, std::strerror(e));
}

// The XDP link's interface, or 0 if fd is not an XDP link (or its device is gone).
std::uint32_t link_ifindex(int fd) {
  bpf_link_info info{};
  std::uint32_t len = sizeof info;
  if (bpf_obj_get_info_by_fd(fd, &info, &len) != 0) return 0;
  if (info.type != BPF_LINK_TYPE_XDP) return 0;
  return info.xdp.ifindex;
}

Result<AttachMode> query_mode(std::uint32_t ifindex, std::string_view ifname) {
  bpf_xdp_query_opts q{};
  q.sz = sizeof q;
  if (bpf_xdp_query(static_cast<int>(ifindex), 0, &q) != 0)
    return sys_err(fmt::format("querying XDP on {}", ifname), errno);
  if (q.attach_mode == XDP_ATTACHED_SKB) return AttachMode::generic;
  return AttachMode::native;
}

}  // namespace

std::string_view attach_mode_name(AttachMode m) {
  return m == AttachMode::native ? "native" : "generic";
}

Result<std::unique_ptr<Datapath>> Datapath::open(const DatapathOptions& options) {
  const std::string maps_dir = options.pin_dir + "/maps";
  if (auto s = ensure_pin_dir(maps_dir); !s) return s.error();
  if (auto s = ensure_pin_dir(options.pin_dir + "/links"); !s) return s.error();

  auto skel = std::make_unique<Skeleton>();
  skel->skel = baton_xdp__open();
  if (skel->skel == nullptr) return sys_err("opening the baton_xdp BPF object", errno);
  bpf_map* map = nullptr;
  std::vector<std::string> pin_names{"baton_tx"};
  bpf_object__for_each_map(map, skel->skel->obj) {
    if (map == skel->skel->maps.baton_tx) continue;
    // The BPF filesystem refuses names with a dot: the .bss map (baton_xd.bss) is pinned as
    // baton_xd_bss.
    std::string name = bpf_map__name(map);
    std::replace(name.begin(), name.end(), '.', '_');
    const std::string path = maps_dir + "/" + name;
    if (bpf_map__set_pin_path(map, path.c_str()) != 0)
      return sys_err(fmt::format("setting pin path {}", path), errno);
    pin_names.push_back(std::move(name));
  }
  // Pins of maps this program does not have (a version with another map layout left them):
  // nothing reads them any more but that version's program, which holds its maps itself.
  for (const auto& name : list_pins(maps_dir)) {
    if (std::find(pin_names.begin(), pin_names.end(), name) != pin_names.end()) continue;
    const std::string path = maps_dir + "/" + name;
    spdlog::warn("xdp: removing {}, pinned by a version with another map layout", path);
    if (unlink(path.c_str()) != 0)
      return sys_err(fmt::format("removing the stale pin {}", path), errno);
  }
  // The devmap is reused by hand: the kernel adds BPF_F_RDONLY_PROG to a devmap's flags, and
  // libbpf 1.1's pinned-map compatibility check then refuses it.
  const std::string tx_path = maps_dir + "/baton_tx";
  const int pinned_tx = bpf_obj_get(tx_path.c_str());
  if (pinned_tx >= 0) {
    const int rc = bpf_map__reuse_fd(skel->skel->maps.baton_tx, pinned_tx);
    close(pinned_tx);
    if (rc != 0) return sys_err(fmt::format("reusing pinned map {}", tx_path), -rc);
  }
  if (const int rc = baton_xdp__load(skel->skel); rc != 0)
    return err("loading baton_xdp failed: {} (a verifier log is printed at debug level; "
               "maps pinned in {} by an incompatible version must be removed first)",
               std::strerror(-rc), maps_dir);
  if (pinned_tx < 0 && bpf_map__pin(skel->skel->maps.baton_tx, tx_path.c_str()) != 0)
    return sys_err(fmt::format("pinning map {}", tx_path), errno);

  MapFds fds;
  fds.globals = bpf_map__fd(skel->skel->maps.bss);
  fds.table = bpf_map__fd(skel->skel->maps.baton_table);
  fds.tx = bpf_map__fd(skel->skel->maps.baton_tx);
  fds.local4 = bpf_map__fd(skel->skel->maps.baton_local4);
  fds.local6 = bpf_map__fd(skel->skel->maps.baton_local6);
  fds.verdicts = bpf_map__fd(skel->skel->maps.baton_verdicts);
  fds.member_stats = bpf_map__fd(skel->skel->maps.baton_member_stats);
  auto writer = LibbpfMapWriter::create(fds);
  if (!writer) return writer.error();
  return std::unique_ptr<Datapath>(
      new Datapath(options, std::move(skel), std::move(writer).value()));
}

Datapath::Datapath(DatapathOptions options, std::unique_ptr<Skeleton> skel,
                   std::unique_ptr<MapWriter> maps)
    : options_(std::move(options)), skel_(std::move(skel)), maps_(std::move(maps)) {}

Datapath::~Datapath() {
  if (keep_pinned_) {
    for (auto& [name, link] : links_) close(link.fd);
    spdlog::info("xdp: leaving {} link(s) and the maps pinned under {}: forwarding continues "
                 "until the next start takes them over", links_.size(), options_.pin_dir);
    return;  // the skeleton's own descriptors close with it; pins keep everything alive
  }
  while (!links_.empty()) {
    const std::string name = links_.begin()->first;
    if (auto s = detach(name); !s) {
      spdlog::error("xdp: shutdown: {}", s.error().message);
      links_.erase(name);
    }
  }
  if (auto s = release_unclaimed(); !s) spdlog::error("xdp: shutdown: {}", s.error().message);
  maps_.reset();
  if (bpf_object__unpin_maps(skel_->skel->obj, nullptr) != 0)
    spdlog::error("xdp: shutdown: unpinning maps failed: {}", std::strerror(errno));
  const std::string tx_path = options_.pin_dir + "/maps/baton_tx";  // reused by hand, see open()
  if (unlink(tx_path.c_str()) != 0 && errno != ENOENT)
    spdlog::error("xdp: shutdown: unpinning {}: {}", tx_path, std::strerror(errno));
  for (const char* sub : {"/maps", "/links", ""})
    if (auto s = remove_pin_dir(options_.pin_dir + sub); !s)
      spdlog::error("xdp: shutdown: {}", s.error().message);
}

std::string Datapath::link_path(std::string_view ifname) const {
  return fmt::format("{}/links/{}", options_.pin_dir, ifname);
}

Result<AttachMode> Datapath::attach(std::string_view ifname, Side side) {
  const std::string name(ifname);
  if (links_.contains(name)) return err("{} is already attached", name);
  const std::uint32_t ifindex = if_nametoindex(name.c_str());
  if (ifindex == 0) return sys_err(fmt::format("interface {}", name), errno);
  // The side is known before the first frame arrives; forgotten again if attaching fails.
  if (auto s = maps_->set_uplink(ifindex, side); !s) return s.error();
  auto mode = attach_link(name, ifindex, side);
  if (!mode) (void)maps_->clear_uplink(ifindex);
  return mode;
}

Result<AttachMode> Datapath::attach_link(const std::string& name, std::uint32_t ifindex,
                                         Side side) {
  const int prog = program_fd();
  const std::string path = link_path(name);

  // A previous run's link: take it over by switching its program.
  if (const int old = bpf_obj_get(path.c_str()); old >= 0) {
    if (link_ifindex(old) == ifindex && bpf_link_update(old, prog, nullptr) == 0) {
      links_[name] = Link{old, ifindex};
      auto mode = query_mode(ifindex, name);
      spdlog::info("xdp: took over the attachment a previous run left on {}", name);
      return mode;
    }
    spdlog::warn("xdp: removing a stale attachment pin {} (interface gone or recreated)", path);
    unlink(path.c_str());
    close(old);
  }

  bpf_link_create_opts opts{};
  opts.sz = sizeof opts;
  opts.flags = XDP_FLAGS_DRV_MODE;
  AttachMode mode = AttachMode::native;
  int fd = bpf_link_create(prog, static_cast<int>(ifindex), BPF_XDP, &opts);
  if (fd < 0) {
    const int native_errno = errno;
    if (native_errno == EBUSY || native_errno == EEXIST)
      return err("another XDP program is attached to {} (remove it with `ip link set dev {} xdp "
                 "off`)", name, name);
    spdlog::warn("xdp: native mode unavailable on {} ({}); falling back to generic mode, "
                 "which is much slower", name, std::strerror(native_errno));
    opts.flags = XDP_FLAGS_SKB_MODE;
    mode = AttachMode::generic;
    fd = bpf_link_create(prog, static_cast<int>(ifindex), BPF_XDP, &opts);
    if (fd < 0)
      return sys_err(fmt::format("attaching XDP to {} (native: {}; generic)", name,
                                 std::strerror(native_errno)), errno);
  }
  if (bpf_obj_pin(fd, path.c_str()) != 0) {
    const int e = errno;
    close(fd);
    return sys_err(fmt::format("pinning the XDP link of {} at {}", name, path), e);
  }
  links_[name] = Link{fd, ifindex};
  spdlog::info("xdp: attached to {} (ifindex {}, {} mode, side {})", name, ifindex,
               attach_mode_name(mode), side_name(side));
  return mode;
}

Status Datapath::drop_link(const std::string& ifname, int fd, std::uint32_t ifindex) {
  // Unpinned and closed, the link is released and the program detached.
  if (unlink(link_path(ifname).c_str()) != 0 && errno != ENOENT) {
    const int e = errno;
    close(fd);
    return sys_err(fmt::format("unpinning the XDP link of {}", ifname), e);
  }
  close(fd);
  if (ifindex != 0 && ifindex < BATON_XDP_MAX_IFINDEX) {
    if (auto s = maps_->clear_uplink(ifindex); !s) return s;
  }
  return {};
}

Status Datapath::detach(std::string_view ifname) {
  auto it = links_.find(ifname);
  if (it == links_.end()) return err("{} is not attached", ifname);
  const Link link = it->second;
  const std::string name = it->first;
  links_.erase(it);
  if (auto s = drop_link(name, link.fd, link.ifindex); !s) return s;
  spdlog::info("xdp: detached from {}", name);
  return {};
}

Status Datapath::release_unclaimed() {
  const std::string dir = options_.pin_dir + "/links";
  for (const auto& name : list_pins(dir)) {
    if (links_.contains(name)) continue;
    const std::string path = dir + "/" + name;
    const int fd = bpf_obj_get(path.c_str());
    if (fd < 0) return sys_err(fmt::format("opening pinned link {}", path), errno);
    const std::uint32_t ifindex = link_ifindex(fd);
    if (auto s = drop_link(name, fd, ifindex); !s) return s;
    spdlog::info("xdp: detached from {}, attached by a previous run and not configured now",
                 name);
  }
  return {};
}

MapWriter& Datapath::maps() { return *maps_; }

int Datapath::program_fd() const { return bpf_program__fd(skel_->skel->progs.baton_xdp); }

int Datapath::map_fd(std::string_view name) const {
  const std::string n(name);
  bpf_map* m = bpf_object__find_map_by_name(skel_->skel->obj, n.c_str());
  return m == nullptr ? -1 : bpf_map__fd(m);
}

}  // namespace baton::bpf
