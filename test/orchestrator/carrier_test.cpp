// parse_link_messages on hand-built rtnetlink messages: names and carrier, deletions, what is
// skipped, and every kind of damage named.
#include "orchestrator/carrier.hpp"

#include <linux/if.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include <cstring>

#include <gtest/gtest.h>

namespace baton::orchestrator {
namespace {

void put(std::vector<std::uint8_t>& out, const void* p, std::size_t n) {
  const auto* b = static_cast<const std::uint8_t*>(p);
  out.insert(out.end(), b, b + n);
  while (out.size() % 4 != 0) out.push_back(0);
}

// One RTM_NEWLINK / RTM_DELLINK with IFLA_IFNAME `name` (if not empty) and `flags`.
std::vector<std::uint8_t> link_msg(std::uint16_t type, const std::string& name, unsigned flags) {
  std::vector<std::uint8_t> body;
  ifinfomsg info{};
  info.ifi_family = AF_UNSPEC;
  info.ifi_index = 7;
  info.ifi_flags = flags;
  put(body, &info, sizeof info);
  rtattr mtu{};
  mtu.rta_len = sizeof(rtattr) + 4;
  mtu.rta_type = IFLA_MTU;
  std::uint32_t v = 1500;
  body.insert(body.end(), reinterpret_cast<std::uint8_t*>(&mtu),
              reinterpret_cast<std::uint8_t*>(&mtu) + sizeof mtu);
  body.insert(body.end(), reinterpret_cast<std::uint8_t*>(&v), reinterpret_cast<std::uint8_t*>(&v) + 4);
  if (!name.empty()) {
    rtattr n{};
    n.rta_len = static_cast<unsigned short>(sizeof(rtattr) + name.size() + 1);
    n.rta_type = IFLA_IFNAME;
    body.insert(body.end(), reinterpret_cast<std::uint8_t*>(&n),
                reinterpret_cast<std::uint8_t*>(&n) + sizeof n);
    body.insert(body.end(), name.begin(), name.end());
    body.push_back(0);
    while (body.size() % 4 != 0) body.push_back(0);
  }
  nlmsghdr h{};
  h.nlmsg_len = static_cast<std::uint32_t>(sizeof h + body.size());
  h.nlmsg_type = type;
  std::vector<std::uint8_t> out;
  put(out, &h, sizeof h);
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

std::vector<std::uint8_t> done_msg() {
  nlmsghdr h{};
  h.nlmsg_len = sizeof h + 4;
  h.nlmsg_type = NLMSG_DONE;
  std::vector<std::uint8_t> out;
  put(out, &h, sizeof h);
  out.resize(out.size() + 4, 0);
  return out;
}

std::vector<std::uint8_t> cat(std::initializer_list<std::vector<std::uint8_t>> parts) {
  std::vector<std::uint8_t> out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

TEST(LinkMessages, NamesCarrierAndDeletionsInOrderOthersSkipped) {
  auto buf = cat({link_msg(RTM_NEWLINK, "gw1-ext", IFF_UP | IFF_LOWER_UP | IFF_RUNNING),
                  link_msg(RTM_NEWLINK, "gw3-ext", IFF_UP),  // up, no carrier
                  link_msg(RTM_NEWADDR, "", 0),              // not a link message: skipped
                  link_msg(RTM_DELLINK, "gw3-int", IFF_UP | IFF_LOWER_UP), done_msg()});
  auto r = parse_link_messages(buf);
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->size(), 3u);
  EXPECT_EQ((*r)[0], (LinkEvent{"gw1-ext", true, false}));
  EXPECT_EQ((*r)[1], (LinkEvent{"gw3-ext", false, false}));
  EXPECT_EQ((*r)[2], (LinkEvent{"gw3-int", false, true}));  // gone: no carrier whatever its flags
  EXPECT_TRUE(parse_link_messages({}).value().empty());
}

TEST(LinkMessages, DamageIsNamed) {
  auto good = link_msg(RTM_NEWLINK, "gw1-ext", IFF_LOWER_UP);
  auto cut = good;
  cut.resize(cut.size() - 4);
  auto r = parse_link_messages(cut);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("netlink message at offset 0: length"), std::string::npos)
      << r.error().message;
  // A link message too short for its ifinfomsg.
  nlmsghdr h{};
  h.nlmsg_len = sizeof h + 8;
  h.nlmsg_type = RTM_NEWLINK;
  std::vector<std::uint8_t> shortmsg(sizeof h + 8, 0);
  std::memcpy(shortmsg.data(), &h, sizeof h);
  r = parse_link_messages(shortmsg);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("shorter than its ifinfomsg"), std::string::npos)
      << r.error().message;
  // An attribute longer than what is left of its message.
  auto bad_attr = good;
  const std::size_t attr_at = sizeof(nlmsghdr) + sizeof(ifinfomsg);
  bad_attr[attr_at] = 0xff;
  r = parse_link_messages(bad_attr);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("attribute at 16 has length"), std::string::npos)
      << r.error().message;
  // No name.
  r = parse_link_messages(link_msg(RTM_NEWLINK, "", IFF_LOWER_UP));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("no interface name"), std::string::npos) << r.error().message;
  // Bytes after the last message.
  auto tail = good;
  tail.push_back(1);
  r = parse_link_messages(tail);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("1 bytes after the last netlink message"), std::string::npos)
      << r.error().message;
}

}  // namespace
}  // namespace baton::orchestrator
