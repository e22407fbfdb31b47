// The successor rule end to end between three Replicators over a perfect in-memory network:
// each member's "kernel" is a map the KernelOps are applied to.
#include "sync/replicator.hpp"

#include <netinet/in.h>

#include <map>

#include <gtest/gtest.h>

namespace baton::sync {
namespace {

using namespace std::chrono_literals;

constexpr std::uint32_t kBuckets = 1009;

std::uint32_t node_of(dist::MemberId id) { return 0x80000000u | id; }

Conn tcp(std::uint16_t sport, std::uint8_t state = 3) {
  Conn c;
  c.key.family = 4;
  c.key.proto = IPPROTO_TCP;
  c.key.orig.src = {10, 0, 1, 10};
  c.key.orig.dst = {203, 0, 113, 10};
  c.key.orig.sport = sport;
  c.key.orig.dport = 7007;
  c.reply.src = c.key.orig.dst;
  c.reply.dst = c.key.orig.src;
  c.reply.sport = 7007;
  c.reply.dport = sport;
  c.tcp_state = state;
  c.timeout_s = 432000;
  c.status = 0xE;
  return c;
}

struct Member {
  dist::MemberId id;
  Replicator rep;
  std::map<std::uint16_t, Conn> kernel;  // by source port, what was installed here
  std::uint64_t epoch;
};

class ReplicatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::vector<Peer> peers;
    for (dist::MemberId id = 1; id <= 3; ++id)
      peers.push_back({id, "gw" + std::to_string(id), node_of(id)});
    for (dist::MemberId id = 1; id <= 3; ++id) {
      ReplicatorConfig c;
      c.self_node = node_of(id);
      c.sender.records_per_second = 0;
      members.emplace(id, Member{id, Replicator(c), {}, 1000u + id});
      auto& r = rep(id);
      r.set_self(id);
      r.set_group(dist::Mode::general_l4, dist::kDefaultSeed, peers);
    }
    base = *dist::Table::build(std::vector<dist::MemberSpec>{{1, 100}, {2, 100}, {3, 100}}, kBuckets, 1);
    table_all(base);
  }
  Replicator& rep(dist::MemberId id) { return members.at(id).rep; }
  void table_all(const dist::Table& t) {
    for (auto& [id, m] : members) apply(m, m.rep.set_table(t, now));
  }
  void apply(Member& m, const KernelOps& k) {
    for (const auto& key : k.remove) m.kernel.erase(key.orig.sport);
    for (const auto& c : k.install) m.kernel[c.key.orig.sport] = c;
    for (const auto& key : k.expire)
      if (auto it = m.kernel.find(key.orig.sport); it != m.kernel.end()) it->second.timeout_s = 120;
  }
  // Delivers everything until nobody has anything more to say.
  void settle() {
    for (int round = 0; round < 50; ++round) {
      bool any = false;
      for (auto& [id, m] : members) {
        for (auto& o : m.rep.poll(now)) {
          any = true;
          deliver(m, o);
        }
      }
      now += 1ms;
      if (!any && round > 2) break;
    }
  }
  void deliver(Member& from, const Outgoing& o) {
    dist::MemberId to = static_cast<dist::MemberId>(o.peer_id & 0xFFFF);
    auto it = members.find(to);
    if (it == members.end() || dead.count(to)) return;
    Message msg;
    msg.header.type = type_of(o.body);
    msg.header.sender_id = node_of(from.id);
    msg.header.recipient_id = o.peer_id;
    msg.header.sender_epoch = from.epoch;
    msg.header.recipient_epoch = o.peer_epoch;
    msg.body = o.body;
    std::vector<Outgoing> replies;
    KernelOps k;
    it->second.rep.on_message(msg, now, replies, k);
    apply(it->second, k);
    for (const auto& r : replies) deliver(it->second, r);
  }
  // A connection whose bucket `owner` owns and, if set, whose successor is `succ`.
  Conn conn_owned_by(dist::MemberId owner, std::optional<dist::MemberId> succ = std::nullopt) {
    auto s = base.successors();
    for (std::uint16_t p = 1000;; ++p) {
      Conn c = tcp(p);
      auto b = bucket_of(c.key, dist::Mode::general_l4, dist::kDefaultSeed, kBuckets);
      if (base.owner(b) == owner && (!succ || s[b] == *succ)) return c;
    }
  }

  TimePoint now{std::chrono::seconds(10)};
  std::map<dist::MemberId, Member> members;
  std::set<dist::MemberId> dead;
  dist::Table base;
};

TEST_F(ReplicatorTest, TheOwnerReplicatesToTheSuccessorOnly) {
  Conn c = conn_owned_by(1, 2);
  rep(1).on_conn(c, true, true, now);
  settle();
  EXPECT_EQ(members.at(2).kernel.count(c.key.orig.sport), 1u);
  EXPECT_EQ(members.at(2).kernel.at(c.key.orig.sport), c);
  EXPECT_EQ(members.at(3).kernel.count(c.key.orig.sport), 0u);
  EXPECT_TRUE(rep(1).in_sync());
  EXPECT_EQ(rep(2).backups(), 1u);
  auto v = rep(1).view(c.key);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->owner, 1);
  EXPECT_EQ(v->successor, 2);
  EXPECT_EQ(v->replicated_to, std::vector<dist::MemberId>{2});
  // A backup holder that is not the owner does not pass it on.
  EXPECT_TRUE(rep(2).senders().empty() || rep(2).senders().begin()->second.size() == 0);
}

TEST_F(ReplicatorTest, UpdatesMergeMissingFieldsAndEndsAreRemoved) {
  Conn c = conn_owned_by(1, 3);
  c.tcp_state = 1;
  c.timeout_s = 120;
  rep(1).on_conn(c, true, true, now);
  Conn upd = c;
  upd.tcp_state = 0;  // not carried by this UPDATE event
  upd.timeout_s = 300;
  rep(1).on_conn(upd, true, false, now);
  settle();
  EXPECT_EQ(members.at(3).kernel.at(c.key.orig.sport).tcp_state, 1);
  EXPECT_EQ(members.at(3).kernel.at(c.key.orig.sport).timeout_s, 300u);
  rep(1).on_destroyed(c.key);
  settle();
  EXPECT_EQ(members.at(3).kernel.count(c.key.orig.sport), 0u);
}

TEST_F(ReplicatorTest, AfterAFailureTheHeirReplicatesWhatItInheritedToItsNewSuccessor) {
  Conn c = conn_owned_by(1, 2);
  rep(1).on_conn(c, true, true, now);
  settle();
  ASSERT_EQ(members.at(2).kernel.count(c.key.orig.sport), 1u);
  // gw1 dies: the failure patch gives its buckets to their successors.
  dead.insert(1);
  auto patched = *base.without(1);
  members.erase(1);
  table_all(patched);
  settle();
  auto v = rep(2).view(c.key);
  EXPECT_EQ(v->owner, 2);
  EXPECT_EQ(v->successor, 3);
  EXPECT_EQ(members.at(3).kernel.count(c.key.orig.sport), 1u) << "the new successor has no copy";
}

TEST_F(ReplicatorTest, APreparedChangeHandsTheMovingConnectionsToTheNewOwnerFirst) {
  // gw3 is out (generation 2); its buckets went to 1 and 2.
  auto without3 = *base.without(3);
  without3.set_generation(2);
  table_all(without3);
  std::vector<Conn> moving;
  for (std::uint16_t p = 2000; moving.size() < 20; ++p) {
    Conn c = tcp(p);
    auto b = bucket_of(c.key, dist::Mode::general_l4, dist::kDefaultSeed, kBuckets);
    if (without3.owner(b) == 1 && base.owner(b) == 3) moving.push_back(c);
  }
  for (const auto& c : moving) rep(1).on_conn(c, true, true, now);
  settle();
  // gw3 comes back: generation 3 gives it its buckets back, prepared first.
  auto back = base;
  back.set_generation(3);
  for (auto& [id, m] : members) m.rep.prepare(back, now);
  EXPECT_FALSE(rep(1).take_prepared()) << "prepared before gw3 acknowledged anything";
  settle();
  auto p = rep(1).take_prepared();
  ASSERT_TRUE(p);
  EXPECT_EQ(p->first, 3u);
  EXPECT_EQ(p->second, 20u);
  for (const auto& c : moving) EXPECT_EQ(members.at(3).kernel.count(c.key.orig.sport), 1u);
  // gw2 owned none of the moving buckets: prepared at once, handing over nothing.
  auto p2 = rep(2).take_prepared();
  ASSERT_TRUE(p2);
  EXPECT_EQ(p2->second, 0u);
  // After the commit gw3 owns them and replicates them to their successors.
  table_all(back);
  settle();
  for (const auto& c : moving) {
    auto v = rep(3).view(c.key);
    EXPECT_EQ(v->owner, 3);
    EXPECT_EQ(v->replicated_to, std::vector<dist::MemberId>{v->successor});
  }
}

TEST_F(ReplicatorTest, ADumpResendsWhatTrafficKeptAliveAndForgetsWhatEnded) {
  Conn c = conn_owned_by(1, 2);
  c.tcp_state = 0;
  c.timeout_s = 120;
  Conn ended = c;
  do {  // another connection of a bucket gw1 owns with successor gw2
    ended.key.orig.sport = static_cast<std::uint16_t>(ended.key.orig.sport + 1);
  } while ([&] {
    auto b = bucket_of(ended.key, dist::Mode::general_l4, dist::kDefaultSeed, kBuckets);
    return base.owner(b) != 1 || base.successors()[b] != 2;
  }());
  rep(1).on_conn(c, true, true, now);
  rep(1).on_conn(ended, true, true, now);
  settle();
  now += 60s;
  Conn alive = c;
  alive.timeout_s = 119;  // traffic refreshed it: the backup's copy would run out in 60 s
  rep(1).on_dump({alive}, now);
  settle();
  EXPECT_EQ(rep(1).counters().refreshed, 1u);
  EXPECT_EQ(members.at(2).kernel.at(c.key.orig.sport).timeout_s, 119u);
  EXPECT_EQ(rep(1).connections(), 1u);  // `ended` was not in the dump
}

TEST_F(ReplicatorTest, StaleBackupsAreLeftToExpireWhenTheTableChanges) {
  Conn c = conn_owned_by(1, 2);
  rep(1).on_conn(c, true, true, now);
  settle();
  ASSERT_EQ(members.at(2).kernel.count(c.key.orig.sport), 1u);
  // gw2 leaves: the successor of the bucket is now gw3, gw2's copy is stale.
  auto without2 = *base.without(2);
  table_all(without2);
  settle();
  ASSERT_EQ(members.at(2).kernel.count(c.key.orig.sport), 1u);  // never deleted outright...
  EXPECT_EQ(members.at(2).kernel.at(c.key.orig.sport).timeout_s, 120u);  // ...left to expire
  EXPECT_EQ(rep(2).counters().stale_expired, 1u);
  EXPECT_EQ(members.at(3).kernel.count(c.key.orig.sport), 1u);
}

}  // namespace
}  // namespace baton::sync
