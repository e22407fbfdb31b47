// Tables swapped while packets run: every packet is distributed by the old or the new table,
// completely (bucket count, hash mode and owners of one generation), never a mix.
#include <linux/bpf.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <random>
#include <thread>

#include "dist/flow.hpp"
#include "xdp_fixture.hpp"

namespace baton::bpf::testing {
namespace {

using test::Frame;

class XdpSwap : public XdpTest {};

TEST_F(XdpSwap, PacketsSeeTheOldOrTheNewTableNeverAMix) {
  // Disjoint members, different bucket counts and modes: a packet that read one table's header
  // and the other's buckets would land on a member neither table gives its flow.
  auto a = dist::Table::build(std::vector<dist::MemberSpec>{{1, 100}, {2, 100}, {3, 100}},
                              65537, 1);
  auto b = dist::Table::build(std::vector<dist::MemberSpec>{{4, 100}, {5, 100}, {6, 100}},
                              65521, 2);
  ASSERT_TRUE(a.ok() && b.ok());
  const dist::Mode mode_a = dist::Mode::general_l4;
  const dist::Mode mode_b = dist::Mode::general;
  ASSERT_TRUE(dp_->maps().apply_table(*a, mode_a).ok());

  std::atomic<bool> stop{false};
  std::atomic<int> swaps{0};
  std::string writer_error;
  std::thread writer([&] {
    for (int i = 0; !stop.load(); ++i) {
      dist::Table t = i % 2 == 0 ? *b : *a;
      t.set_generation(static_cast<std::uint64_t>(i) + 2);
      auto s = dp_->maps().apply_table(t, i % 2 == 0 ? mode_b : mode_a);
      if (!s) {
        writer_error = s.error().message;
        return;
      }
      swaps.fetch_add(1);
    }
  });

  std::mt19937_64 rng(7);
  int seen_a = 0, seen_b = 0, wrong = 0, packets = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while ((packets < 20000 || swaps.load() < 50) && std::chrono::steady_clock::now() < deadline) {
    const Bytes f = Frame().eth()
                        .ipv4(test::ip4(static_cast<std::uint32_t>(rng() % 0xDF000000u)),
                              test::ip4(static_cast<std::uint32_t>(rng() % 0xDF000000u)))
                        .udp(static_cast<std::uint16_t>(rng()), static_cast<std::uint16_t>(rng()))
                        .bytes();
    auto pkt = dist::parse_frame(f);
    ASSERT_TRUE(pkt.ok());
    const MemberId own_a = a->owner(dist::bucket_of(dist::flow_hash(*pkt, mode_a), a->size()));
    const MemberId own_b = b->owner(dist::bucket_of(dist::flow_hash(*pkt, mode_b), b->size()));
    const auto got = member_of_mac(run(f).frame, Side::ext);
    ++packets;
    if (got == own_a) ++seen_a;
    else if (got == own_b) ++seen_b;
    else if (++wrong <= 5)
      ADD_FAILURE() << "member " << (got ? std::to_string(*got) : "?") << " is neither table A's ("
                    << own_a << ") nor table B's (" << own_b << ")";
  }
  stop = true;
  writer.join();
  EXPECT_EQ(writer_error, "");
  EXPECT_EQ(wrong, 0);
  EXPECT_GE(swaps.load(), 50) << "the writer did not swap often enough to test anything";
  EXPECT_GT(seen_a, 0);
  EXPECT_GT(seen_b, 0);
}

}  // namespace
}  // namespace baton::bpf::testing
