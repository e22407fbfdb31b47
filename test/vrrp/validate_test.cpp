#include "vrrp/validate.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace baton::vrrp {
namespace {

const IpAddr kPeer = IpAddr::v4(10, 0, 0, 2);
const IpAddr kVip = IpAddr::v4(10, 0, 0, 100);

struct Packet {
  std::vector<std::uint8_t> wire;
  RxPacket rx;
};

Packet make(Advert a, IpAddr src = kPeer, IpAddr dst = vrrp_group(Family::ipv4),
            std::uint8_t ttl = 255) {
  Packet p;
  auto w = encode_advert(a, src, dst);
  EXPECT_TRUE(w.ok()) << w.error().message;
  p.wire = *w;
  p.rx = RxPacket{a.family, ttl, src, dst, {}};
  return p;
}

Advert v3(std::uint8_t vrid = 7) {
  Advert a;
  a.vrid = vrid;
  a.addresses = {kVip};
  return a;
}

Expect expect_v3() {
  Expect e;
  e.vrid = 7;
  return e;
}

Verdict<Advert> check(Packet& p, const Expect& e) {
  p.rx.payload = p.wire;
  return validate_advert(p.rx, e);
}

TEST(VrrpValidate, AcceptsAGoodAdvert) {
  auto p = make(v3());
  auto v = check(p, expect_v3());
  ASSERT_TRUE(v.ok()) << drop_reason_name(v.reason());
  EXPECT_EQ(v->priority, 100);
}

TEST(VrrpValidate, TtlMustBe255) {
  for (int ttl : {0, 1, 64, 254}) {
    auto p = make(v3(), kPeer, vrrp_group(Family::ipv4), static_cast<std::uint8_t>(ttl));
    EXPECT_EQ(check(p, expect_v3()).reason(), DropReason::bad_ttl) << ttl;
  }
}

TEST(VrrpValidate, FamilyMustMatch) {
  auto p = make(v3());
  Expect e = expect_v3();
  e.family = Family::ipv6;
  EXPECT_EQ(check(p, e).reason(), DropReason::bad_family);
}

TEST(VrrpValidate, SourceMustBeUnicastAndIpv6LinkLocal) {
  auto p = make(v3(), IpAddr::v4(0, 0, 0, 0));
  EXPECT_EQ(check(p, expect_v3()).reason(), DropReason::bad_source);
  auto q = make(v3(), IpAddr::v4(224, 0, 0, 5));
  EXPECT_EQ(check(q, expect_v3()).reason(), DropReason::bad_source);

  Advert a6;
  a6.family = Family::ipv6;
  a6.vrid = 7;
  a6.addresses = {*IpAddr::parse("2001:db8::100")};
  Expect e6 = expect_v3();
  e6.family = Family::ipv6;
  auto global = make(a6, *IpAddr::parse("2001:db8::2"), vrrp_group(Family::ipv6));
  EXPECT_EQ(check(global, e6).reason(), DropReason::bad_source);
  auto ll = make(a6, *IpAddr::parse("fe80::2"), vrrp_group(Family::ipv6));
  EXPECT_TRUE(check(ll, e6).ok());
}

TEST(VrrpValidate, DestinationIsTheGroupOrOneOfOurs) {
  const IpAddr me = IpAddr::v4(10, 0, 0, 1);
  auto p = make(v3(), kPeer, me);
  EXPECT_EQ(check(p, expect_v3()).reason(), DropReason::bad_destination);
  std::vector<IpAddr> locals = {me};
  Expect e = expect_v3();
  e.local_addresses = locals;
  EXPECT_TRUE(check(p, e).ok());
  auto other = make(v3(), kPeer, IpAddr::v4(10, 0, 0, 3));
  EXPECT_EQ(check(other, e).reason(), DropReason::bad_destination);
}

TEST(VrrpValidate, VersionAndVrid) {
  auto p = make(v3(8));
  EXPECT_EQ(check(p, expect_v3()).reason(), DropReason::wrong_vrid);
  Expect e2 = expect_v3();
  e2.version = Version::v2;
  auto q = make(v3());
  EXPECT_EQ(check(q, e2).reason(), DropReason::bad_version);
}

TEST(VrrpValidate, StructuralReasonsComeThrough) {
  auto p = make(v3());
  p.wire[7] ^= 0x55;
  EXPECT_EQ(check(p, expect_v3()).reason(), DropReason::bad_checksum);
  p.wire.resize(4);
  EXPECT_EQ(check(p, expect_v3()).reason(), DropReason::short_packet);
}

TEST(VrrpValidate, V2IntervalAndAuthentication) {
  Advert a = v3();
  a.version = Version::v2;
  Expect e = expect_v3();
  e.version = Version::v2;
  e.v2_interval_cs = 100;
  auto p = make(a);
  EXPECT_TRUE(check(p, e).ok());

  e.v2_interval_cs = 200;
  EXPECT_EQ(check(p, e).reason(), DropReason::interval_mismatch);
  e.v2_interval_cs = 100;

  e.v2_auth_type = kAuthSimpleText;
  e.v2_auth_data = {'p', 'w', 0, 0, 0, 0, 0, 0};
  EXPECT_EQ(check(p, e).reason(), DropReason::bad_auth);
  a.auth_type = kAuthSimpleText;
  a.auth_data = {'p', 'x', 0, 0, 0, 0, 0, 0};
  auto wrong = make(a);
  EXPECT_EQ(check(wrong, e).reason(), DropReason::bad_auth);
  a.auth_data = e.v2_auth_data;
  auto right = make(a);
  EXPECT_TRUE(check(right, e).ok());
}

TEST(VrrpValidate, AddressMismatchUnlessOwner) {
  std::vector<IpAddr> ours = {kVip, IpAddr::v4(10, 0, 0, 101)};
  Expect e = expect_v3();
  e.virtual_addresses = ours;
  auto p = make(v3());
  EXPECT_EQ(check(p, e).reason(), DropReason::addr_mismatch);
  Advert owner = v3();
  owner.priority = 255;
  auto q = make(owner);
  EXPECT_TRUE(check(q, e).ok());
  Advert same = v3();
  same.addresses = {ours[1], ours[0]};  // order does not matter
  auto r = make(same);
  EXPECT_TRUE(check(r, e).ok());
}

}  // namespace
}  // namespace baton::vrrp
