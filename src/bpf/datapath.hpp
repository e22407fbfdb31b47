// Datapath: owns the loaded baton_xdp program and its maps (RAII), attaches it to uplinks.
//
//  - open():    loads the program; maps are pinned under <pin_dir>/maps and reused if a
//               previous run left them (the live table survives a daemon restart).
//  - attach():  XDP link on an interface, native mode first, generic mode with a logged warning
//               if the driver has none. The link is pinned under <pin_dir>/links/<ifname>; if a
//               previous run's link is found there it is taken over (switched to this program
//               in one step, no gap in forwarding).
//  - release_unclaimed(): detaches what a previous run left attached and this run did not
//               attach again (call after attaching every configured uplink).
//  - destructor: clean shutdown: every link detached, every pin removed.
// A crash leaves links and maps pinned: forwarding continues with the last table until the
// next start takes them over or cleans them up.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "bpf/map_writer.hpp"
#include "core/result.hpp"

namespace baton::bpf {

inline constexpr const char* kDefaultPinDir = "/sys/fs/bpf/baton/default";

enum class AttachMode { native, generic };
std::string_view attach_mode_name(AttachMode m);

struct DatapathOptions {
  std::string pin_dir = kDefaultPinDir;
};

class Datapath {
 public:
  static Result<std::unique_ptr<Datapath>> open(const DatapathOptions& options = {});
  ~Datapath();
  Datapath(const Datapath&) = delete;
  Datapath& operator=(const Datapath&) = delete;

  Result<AttachMode> attach(std::string_view ifname, Side side);
  Status detach(std::string_view ifname);
  Status release_unclaimed();
  // A planned stop (an upgrade): the destructor then closes its descriptors but leaves the
  // links and maps pinned, so the program keeps forwarding with the live table until the next
  // start takes them over.
  void keep_pinned() { keep_pinned_ = true; }

  MapWriter& maps();
  // The program's file descriptor (BPF_PROG_TEST_RUN in tests and benchmarks).
  int program_fd() const;
  // A map's file descriptor by its name in baton_xdp.bpf.c, or -1.
  int map_fd(std::string_view name) const;
  const std::string& pin_dir() const { return options_.pin_dir; }

 private:
  struct Skeleton;
  struct Link {
    int fd = -1;
    std::uint32_t ifindex = 0;
  };
  Datapath(DatapathOptions options, std::unique_ptr<Skeleton> skel,
           std::unique_ptr<MapWriter> maps);
  std::string link_path(std::string_view ifname) const;
  // Takes over the pinned link of `name` or creates and pins a new one.
  Result<AttachMode> attach_link(const std::string& name, std::uint32_t ifindex, Side side);
  Status drop_link(const std::string& ifname, int fd, std::uint32_t ifindex);

  DatapathOptions options_;
  std::unique_ptr<Skeleton> skel_;
  std::unique_ptr<MapWriter> maps_;
  std::map<std::string, Link, std::less<>> links_;
  bool keep_pinned_ = false;
};

}  // namespace baton::bpf
