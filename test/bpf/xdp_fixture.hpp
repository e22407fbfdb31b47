// Test fixture for the XDP program: a private Datapath (own pin directory, nothing attached)
// with three members reachable on both sides, a table, and BPF_PROG_TEST_RUN of frames as if
// they arrived on the loopback interface (configured as an ext uplink).
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bpf/datapath.hpp"
#include "dist/table.hpp"
#include "support/packets.hpp"

namespace baton::bpf::testing {

using test::Bytes;

// Why BPF programs cannot be loaded here (not root, no BPF), or nullopt.
std::optional<std::string> bpf_unavailable();
inline constexpr const char* kTestPinRoot = "/sys/fs/bpf/baton-test";
// A pin directory under kTestPinRoot no other test process uses.
std::string unique_pin_dir(const std::string& what);

// MACs the fixture gives members and the orchestrator: 02:00:00:00:<side>:<member>.
Mac member_mac(MemberId m, Side side);
Mac orchestrator_mac(Side side);
// The member whose MAC is the frame's destination, or nullopt.
std::optional<MemberId> member_of_mac(const Bytes& frame, Side side);

struct RunResult {
  int action = -1;  // XDP_*
  Bytes frame;      // the frame after the program
};

// Runs the program once on `frame` arriving on `ifindex`.
RunResult test_run(int prog_fd, const Bytes& frame, std::uint32_t ifindex = 1);

class XdpTest : public ::testing::Test {
 protected:
  static constexpr std::uint32_t kUplink = 1;  // lo: test-run needs a real ingress device
  void SetUp() override;
  void TearDown() override;

  // Builds and applies a table of `members` (weight 100 each) with `buckets` buckets.
  dist::Table apply(std::vector<MemberId> members, std::uint64_t generation,
                    std::uint32_t buckets = dist::kDefaultBuckets,
                    dist::Mode mode = dist::Mode::general_l4);
  RunResult run(const Bytes& frame) { return test_run(dp_->program_fd(), frame, kUplink); }
  Counters counters();

  std::unique_ptr<Datapath> dp_;
};

}  // namespace baton::bpf::testing
