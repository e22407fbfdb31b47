// Adverts captured from keepalived 2.2.7 and FRR vrrpd (Debian 12) in network namespaces
// (the same bytes are in test/fuzz/corpus/vrrp/captured-*.ip): we accept each of them, and
// building the same advert from scratch gives the same bytes, checksum included.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "vrrp/advert.hpp"
#include "vrrp/ip_packet.hpp"
#include "vrrp/validate.hpp"

namespace baton::vrrp {
namespace {

std::vector<std::uint8_t> unhex(std::string_view s) {
  std::vector<std::uint8_t> out;
  for (std::size_t i = 0; i + 1 < s.size(); i += 2)
    out.push_back(static_cast<std::uint8_t>(std::stoi(std::string(s.substr(i, 2)), nullptr, 16)));
  return out;
}

struct Capture {
  const char* what;
  const char* hex;
  Version version;
  std::uint8_t vrid;
  std::uint8_t priority;
  std::uint16_t interval_cs;
  const char* vip;
  ChecksumMode checksum;
};

constexpr auto V2 = Version::v2;
constexpr auto V3 = Version::v3;
constexpr auto PSEUDO = ChecksumMode::pseudo_header;
constexpr auto MSG = ChecksumMode::message_only;

const Capture kCaptures[] = {
    {"keepalived v2 1s",
     "45c0002800010000ff70d0880a090001e0000012213364010001705d0a0900640000000000000000",
     V2, 51, 100, 100, "10.9.0.100", MSG},
    {"keepalived v2 prio 0",
     "45c0002800030000ff70d0860a090001e0000012213300010001d45d0a0900640000000000000000",
     V2, 51, 0, 100, "10.9.0.100", MSG},
    {"keepalived v3 100cs",
     "45c0002000010000ff70d0900a090001e000001231336401006475610a090064",
     V3, 51, 100, 100, "10.9.0.100", PSEUDO},
    {"keepalived v3 prio 0",
     "45c0002000030000ff70d08e0a090001e0000012313300010064d9610a090064",
     V3, 51, 0, 100, "10.9.0.100", PSEUDO},
    {"keepalived v3 1cs",
     "45c0002000010000ff70d0900a090001e000001231336401000175c40a090064",
     V3, 51, 100, 1, "10.9.0.100", PSEUDO},
    {"keepalived v3 ipv6",
     "6c09ac79001870fffe8000000000000048cc43fffea69513ff020000000000000000000000000012"
     "3133640100644d3dfe800000000000000000000000000005",
     V3, 51, 100, 100, "fe80::5", PSEUDO},
    {"frr v2 1s",
     "45c000282ed04000ff7061b90a090001e000001221076401000170820a09006b0000000000000000",
     V2, 7, 100, 100, "10.9.0.107", MSG},
    {"frr v3 100cs",
     "45c0002027bb4000ff7068d60a090001e000001231076401006475860a09006b",
     V3, 7, 100, 100, "10.9.0.107", PSEUDO},
    {"frr v3 prio 0",
     "45c0002027e44000ff7068ad0a090001e0000012310700010064d9860a09006b",
     V3, 7, 0, 100, "10.9.0.107", PSEUDO},
    {"frr v3 1cs",
     "45c0002032774000ff705e1a0a090001e000001231076401000175e90a09006b",
     V3, 7, 100, 1, "10.9.0.107", PSEUDO},
    {"frr v3 ipv6",
     "6c0f7f58001870fffe8000000000000002005efffe000207ff020000000000000000000000000012"
     "3107640100640ce6fe800000000000000000000000000007",
     V3, 7, 100, 100, "fe80::7", PSEUDO},
};

TEST(VrrpCapture, RealAdvertsValidateAndMatchOurEncoding) {
  for (const auto& c : kCaptures) {
    SCOPED_TRACE(c.what);
    auto bytes = unhex(c.hex);
    auto rx = parse_ip_packet(bytes);
    ASSERT_TRUE(rx.ok());
    Expect e;
    e.version = c.version;
    e.family = rx->family;
    e.vrid = c.vrid;
    auto v = validate_advert(*rx, e);
    ASSERT_TRUE(v.ok()) << drop_reason_name(v.reason());
    EXPECT_EQ(v->priority, c.priority);
    EXPECT_EQ(v->interval_cs, c.interval_cs);
    ASSERT_EQ(v->addresses.size(), 1u);
    EXPECT_EQ(v->addresses[0].to_string(), c.vip);
    EXPECT_EQ(v->checksum, c.checksum);

    Advert mine;
    mine.version = c.version;
    mine.family = rx->family;
    mine.vrid = c.vrid;
    mine.priority = c.priority;
    mine.interval_cs = c.interval_cs;
    mine.addresses = {*IpAddr::parse(c.vip)};
    mine.checksum = c.checksum;
    auto w = encode_advert(mine, rx->src, rx->dst);
    ASSERT_TRUE(w.ok()) << w.error().message;
    EXPECT_EQ(*w, std::vector<std::uint8_t>(rx->payload.begin(), rx->payload.end()));
  }
}

TEST(VrrpCapture, OldConventionOfTheSameAdvertIsAcceptedToo) {
  // keepalived's v3 advert re-checksummed without the pseudo-header, as pre-RFC 5798-errata
  // implementations sent it: still accepted, and recorded as such.
  auto bytes = unhex(kCaptures[2].hex);
  auto rx = parse_ip_packet(bytes);
  ASSERT_TRUE(rx.ok());
  std::vector<std::uint8_t> msg(rx->payload.begin(), rx->payload.end());
  auto c = vrrp_checksum(msg, rx->src, rx->dst, ChecksumMode::message_only);
  msg[6] = static_cast<std::uint8_t>(c >> 8);
  msg[7] = static_cast<std::uint8_t>(c & 0xff);
  RxPacket old = *rx;
  old.payload = msg;
  Expect e;
  e.vrid = 51;
  auto v = validate_advert(old, e);
  ASSERT_TRUE(v.ok()) << drop_reason_name(v.reason());
  EXPECT_EQ(v->checksum, ChecksumMode::message_only);
}

}  // namespace
}  // namespace baton::vrrp
