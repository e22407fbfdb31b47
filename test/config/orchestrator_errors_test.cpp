// Every kind of mistake in batond.yaml is reported with file:line:column, the field path and
// what is wrong; all of them at once, up to the cap.
#include <gtest/gtest.h>

#include <algorithm>

#include "config/diagnostics.hpp"
#include "config/orchestrator.hpp"

namespace baton::config {
namespace {

// Line numbers below refer to this text (line 1 is "group: sg1").
constexpr std::string_view kBase = R"(group: sg1
orchestrator:
  id: 1
  name: orch-a
key_file: /etc/baton/key
members:
  - name: gw1
    id: 1
  - name: gw2
    id: 2
segments:
  - name: e
    role: ext
    interface: eth1
    vrid: 1
    virtual_ipv4: [192.0.2.1/24]
  - {name: i, role: int, interface: eth2, vrid: 2, virtual_ipv4: [192.0.3.1/24]}
  - {name: de, role: dl-ext, interface: eth3, vrid: 3, virtual_ipv4: [10.1.0.1/24]}
  - {name: di, role: dl-int, interface: eth4, vrid: 4, virtual_ipv4: [10.2.0.1/24]}
)";

// `s` with `from` (which must occur) replaced by `to`.
std::string edit_in(std::string s, std::string_view from, std::string_view to) {
  auto at = s.find(from);
  EXPECT_NE(at, std::string::npos) << "test bug: '" << from << "' not in the text";
  if (at != std::string::npos) s.replace(at, from.size(), to);
  return s;
}

std::string edit(std::string_view from, std::string_view to) {
  return edit_in(std::string(kBase), from, to);
}

std::string plus(std::string_view tail) { return std::string(kBase) + std::string(tail); }

std::string errors_of(std::string_view text) {
  auto r = parse_orchestrator_config(text, "t.yaml");
  if (r.ok()) return "(accepted)";
  return r.error().message;
}

// The errors must include `line` exactly (as one line of the message).
void expect_error(std::string_view text, std::string_view line) {
  std::string all = errors_of(text);
  bool found = false;
  std::size_t start = 0;
  while (start <= all.size()) {
    auto end = all.find('\n', start);
    if (end == std::string::npos) end = all.size();
    found = found || std::string_view(all).substr(start, end - start) == line;
    start = end + 1;
  }
  EXPECT_TRUE(found) << "expected the line\n  " << line << "\ngot\n" << all;
}

std::size_t line_count(const std::string& s) {
  return static_cast<std::size_t>(std::count(s.begin(), s.end(), '\n')) + 1;
}

TEST(ConfigOrchestratorErrors, BaseTextIsValid) { EXPECT_EQ(errors_of(kBase), "(accepted)"); }

TEST(ConfigOrchestratorErrors, OutOfRange) {
  expect_error(edit("    id: 2\n", "    id: 2\n    weight: 700\n"),
               "t.yaml:11:13: members[1].weight: 700 is out of range 0..512");
  expect_error(edit("    id: 2\n", "    id: 5000\n"),
               "t.yaml:10:9: members[1].id: 5000 is out of range 1..4096");
  expect_error(edit("    id: 2\n", "    id: -1\n"),
               "t.yaml:10:9: members[1].id: -1 is out of range 1..4096");
  expect_error(edit("    id: 2\n", "    id: 99999999999999999999999\n"),
               "t.yaml:10:9: members[1].id: 99999999999999999999999 is out of range 1..4096");
  expect_error(plus("peer_detection: {multiplier: 2}\n"),
               "t.yaml:20:30: peer_detection.multiplier: 2 is out of range 3..255");
  expect_error(edit("    vrid: 1\n", "    vrid: 256\n"),
               "t.yaml:15:11: segments[0].vrid: 256 is out of range 1..255");
}

TEST(ConfigOrchestratorErrors, UnknownKeysWithSuggestions) {
  expect_error(edit("    id: 2\n", "    id: 2\n    wieght: 5\n"),
               "t.yaml:11:5: members[1].wieght: unknown key (did you mean 'weight'?)");
  expect_error(plus("log_levle: debug\n"),
               "t.yaml:20:1: log_levle: unknown key (did you mean 'log_level'?)");
  expect_error(plus("colour: blue\n"), "t.yaml:20:1: colour: unknown key");
}

TEST(ConfigOrchestratorErrors, DuplicateKey) {
  expect_error(edit("  id: 1\n", "  id: 1\n  id: 2\n"),
               "t.yaml:4:3: orchestrator.id: given twice (first at line 3)");
}

TEST(ConfigOrchestratorErrors, DuplicateMemberIdsAndNames) {
  expect_error(edit("    id: 2\n", "    id: 1\n"),
               "t.yaml:10:9: members[1].id: 1 is already used by members[0]");
  expect_error(edit("  - name: gw2\n", "  - name: gw1\n"),
               "t.yaml:9:11: members[1].name: 'gw1' is already used by members[0]");
  // A spare shares the id space with the members.
  expect_error(plus("spares:\n  - {name: gw9, id: 2}\n"),
               "t.yaml:21:21: spares[0].id: 2 is already used by members[1]");
}

TEST(ConfigOrchestratorErrors, MemberPorts) {
  EXPECT_EQ(errors_of(edit("    id: 2\n", "    id: 2\n    ports: [sw-gw2-e, sw-gw2-i]\n")),
            "(accepted)");
  expect_error(edit("    id: 2\n", "    id: 2\n    ports: [a-very-long-interface-name]\n"),
               "t.yaml:11:13: members[1].ports[0]: 'a-very-long-interface-name': an interface "
               "name has 1..15 characters");
  expect_error(edit_in(edit("    id: 1\n", "    id: 1\n    ports: [p1]\n"), "    id: 2\n",
                       "    id: 2\n    ports: [p2, p1]\n"),
               "t.yaml:12:17: members[1].ports[1]: port 'p1' is already gw1's");
  expect_error(plus("member_ports: {netns: 'a b'}\n"),
               "t.yaml:20:23: member_ports.netns: 'a b': a name may hold only letters, digits, "
               "'.', '_' and '-'");
}

TEST(ConfigOrchestratorErrors, DuplicateVridOnOneInterface) {
  expect_error(edit("{name: i, role: int, interface: eth2, vrid: 2,",
                    "{name: i, role: int, interface: eth1, vrid: 1,"),
               "t.yaml:17:49: segments[1].vrid: VRID 1 is already used on interface eth1 by "
               "segments[0]");
  // The same VRID on another interface is a different virtual router.
  EXPECT_EQ(errors_of(edit("interface: eth2, vrid: 2,", "interface: eth2, vrid: 1,")),
            "(accepted)");
}

TEST(ConfigOrchestratorErrors, AddressesThatDoNotParse) {
  expect_error(edit("[192.0.2.1/24]", "[192.0.2.300/24]"),
               "t.yaml:16:20: segments[0].virtual_ipv4[0]: '192.0.2.300' is not an IPv4 or IPv6 "
               "address");
  expect_error(edit("[192.0.2.1/24]", "[192.0.2.1/33]"),
               "t.yaml:16:20: segments[0].virtual_ipv4[0]: '192.0.2.1/33': prefix length must be "
               "0..32");
  expect_error(edit("[192.0.2.1/24]", "[192.0.2.1]"),
               "t.yaml:16:20: segments[0].virtual_ipv4[0]: '192.0.2.1' needs a prefix length, e.g. "
               "192.0.2.1/24");
  expect_error(plus("peer: {address: 10.0.0.256}\n"),
               "t.yaml:20:17: peer.address: '10.0.0.256' is not an IPv4 or IPv6 address");
  expect_error(plus("metrics: {listen: '127.0.0.1'}\n"),
               "t.yaml:20:19: metrics.listen: '127.0.0.1' is not address:port");
  expect_error(edit("    id: 2\n", "    id: 2\n    mac: {ext: '02:00:00:00:00'}\n"),
               "t.yaml:11:16: members[1].mac.ext: '02:00:00:00:00' is not a MAC address (expected "
               "six hex octets, 02:00:5e:10:00:01)");
}

TEST(ConfigOrchestratorErrors, VipOfTheWrongFamily) {
  expect_error(edit("[192.0.2.1/24]", "['2001:db8::1/64']"),
               "t.yaml:16:20: segments[0].virtual_ipv4[0]: 2001:db8::1/64 is an ipv6 address; "
               "list it under virtual_ipv6");
  expect_error(edit("    virtual_ipv4: [192.0.2.1/24]\n",
                    "    virtual_ipv4: [192.0.2.1/24]\n    virtual_ipv6: [192.0.2.2/24]\n"),
               "t.yaml:17:20: segments[0].virtual_ipv6[0]: 192.0.2.2/24 is an ipv4 address; list "
               "it under virtual_ipv4");
  // VRRPv2 has no IPv6.
  expect_error(edit("    virtual_ipv4: [192.0.2.1/24]\n",
                    "    virtual_ipv4: [192.0.2.1/24]\n    virtual_ipv6: ['2001:db8::1/64']\n") +
                   "vrrp: {version: 2}\n",
               "t.yaml:17:19: segments[0].virtual_ipv6: VRRP version 2 carries IPv4 only; use "
               "version 3 for IPv6");
}

TEST(ConfigOrchestratorErrors, DuplicateVirtualAddress) {
  expect_error(edit("[192.0.3.1/24]", "[192.0.2.1/24]"),
               "t.yaml:17:67: segments[1].virtual_ipv4[0]: 192.0.2.1 is already given at "
               "segments[0].virtual_ipv4[0]");
}

TEST(ConfigOrchestratorErrors, BadPrime) {
  expect_error(plus("distribution:\n  buckets: 65536\n"),
               "t.yaml:21:12: distribution.buckets: 65536 is not a prime (the table size must be "
               "prime, e.g. 65537)");
  expect_error(plus("distribution:\n  buckets: 2000000\n"),
               "t.yaml:21:12: distribution.buckets: 2000000 is out of range 2..1048573");
}

TEST(ConfigOrchestratorErrors, MissingRequiredFields) {
  expect_error(edit("    id: 2\n", ""), "t.yaml:9:5: members[1].id: required, but missing");
  expect_error(edit("key_file: /etc/baton/key\n", ""),
               "t.yaml:1:1: key_file: required, but missing");
  expect_error(edit("group: sg1\n", ""), "t.yaml:1:1: group: required, but missing");
  expect_error(edit("    interface: eth1\n", ""),
               "t.yaml:12:5: segments[0].interface: required, but missing");
  expect_error(
      edit("  - {name: di, role: dl-int, interface: eth4, vrid: 4, virtual_ipv4: [10.2.0.1/24]}\n",
           ""),
      "t.yaml:12:3: segments: no segment with role 'dl-int' (ext, int, dl-ext and dl-int "
      "are needed)");
  expect_error(edit("    virtual_ipv4: [192.0.2.1/24]\n", ""),
               "t.yaml:12:5: segments[0]: needs virtual_ipv4 or virtual_ipv6 (the group's "
               "addresses here)");
}

TEST(ConfigOrchestratorErrors, WrongTypes) {
  expect_error(edit("  id: 1\n  name: orch-a\n", "  - id: 1\n  - name: orch-a\n"),
               "t.yaml:3:3: orchestrator: expected a map of settings, found a list");
  expect_error(plus("spares: gw9\n"), "t.yaml:20:9: spares: expected a list, found 'gw9'");
  expect_error(edit("    id: 2\n", "    id: two\n"),
               "t.yaml:10:9: members[1].id: expected a whole number, found 'two'");
  expect_error(edit("group: sg1\n", "group: [sg1]\n"),
               "t.yaml:1:8: group: expected a value, found a list");
  expect_error(edit("group: sg1\n", "group:\n"),
               "t.yaml:1:1: group: expected a value, found nothing");
  expect_error(plus("vrrp: {preempt: maybe}\n"),
               "t.yaml:20:17: vrrp.preempt: expected true or false, found 'maybe'");
  expect_error(edit("  - name: gw2\n    id: 2\n", "  - gw2\n"),
               "t.yaml:9:5: members[1]: expected a map of settings, found 'gw2'");
}

TEST(ConfigOrchestratorErrors, WordsOutsideTheirSet) {
  expect_error(edit("role: dl-ext,", "role: dlext,"),
               "t.yaml:18:22: segments[2].role: 'dlext' is not one of ext, int, dl-ext, dl-int or "
               "sync (did you mean 'dl-ext'?)");
  expect_error(plus("distribution: {mode: l4}\n"),
               "t.yaml:20:22: distribution.mode: unknown distribution mode 'l4' (expected general "
               "or general-l4)");
  expect_error(plus("log_level: loud\n"),
               "t.yaml:20:12: log_level: unknown log level 'loud' (expected trace, debug, info, "
               "warn, error or off)");
  expect_error(plus("vrrp: {checksum: rfc}\n"),
               "t.yaml:20:18: vrrp.checksum: 'rfc' is not one of with-pseudo-header or without");
}

TEST(ConfigOrchestratorErrors, VrrpTiming) {
  expect_error(plus("vrrp: {advert_interval_ms: 25}\n"),
               "t.yaml:20:28: vrrp.advert_interval_ms: 25 is not a multiple of 10 ms (VRRPv3 "
               "counts centiseconds)");
  expect_error(plus("vrrp: {advert_interval_ms: 5}\n"),
               "t.yaml:20:28: vrrp.advert_interval_ms: 5 is out of range 10..40950");
  expect_error(
      plus("vrrp: {version: 2, advert_interval_ms: 1500}\n"),
      "t.yaml:20:40: vrrp.advert_interval_ms: 1500 is not whole seconds (VRRPv2 advertises "
      "in seconds)");
  expect_error(plus("vrrp: {version: 2, checksum: without}\n"),
               "t.yaml:20:30: vrrp.checksum: applies to VRRPv3 over IPv4 only (VRRPv2 has one "
               "convention)");
  expect_error(plus("vrrp: {version: 4}\n"), "t.yaml:20:17: vrrp.version: 4 is out of range 2..3");
}

TEST(ConfigOrchestratorErrors, SyncSegmentHasNoVrrp) {
  expect_error(plus("  - {name: s, role: sync, interface: eth5, vrid: 9}\n"),
               "t.yaml:20:50: segments[4].vrid: not used on a sync segment (no VRRP there)");
  expect_error(
      plus("  - {name: s, role: ext, interface: eth5, vrid: 9, virtual_ipv4: [1.2.3.4/8]}\n"),
      "t.yaml:20:21: segments[4].role: role 'ext' is already taken by segments[0]");
}

TEST(ConfigOrchestratorErrors, MemberWeights) {
  expect_error(edit_in(edit("    id: 1\n", "    id: 1\n    weight: 0\n"), "    id: 2\n",
                       "    id: 2\n    weight: 0\n"),
               "t.yaml:7:3: members: every member has weight 0; at least one must take buckets");
  expect_error(
      edit("members:\n  - name: gw1\n    id: 1\n  - name: gw2\n    id: 2\n", "members: []\n"),
      "t.yaml:6:10: members: needs at least one member");
}

TEST(ConfigOrchestratorErrors, Autoscale) {
  expect_error(plus("autoscale: {scale_out_above: 70, scale_in_below: 75}\n"),
               "t.yaml:20:50: autoscale.scale_in_below: 75 must be below scale_out_above (70)");
  expect_error(plus("autoscale: {scale_out_above: 50}\n"),
               "t.yaml:20:12: autoscale.scale_in_below: the default 60 is not below "
               "scale_out_above (50); set it");
  expect_error(plus("autoscale: {max_members: 3}\n"),
               "t.yaml:20:26: autoscale.max_members: 3 is more than the 2 members and spares "
               "configured");
  expect_error(plus("autoscale: {metric: pps}\n"),
               "t.yaml:20:12: autoscale.scale_out_above: required, but missing");
  expect_error(plus("autoscale: {scale_out_above: 101}\n"),
               "t.yaml:20:30: autoscale.scale_out_above: 101 is out of range 1..100");
}

TEST(ConfigOrchestratorErrors, PathsAndNames) {
  expect_error(edit("key_file: /etc/baton/key", "key_file: etc/baton/key"),
               "t.yaml:5:11: key_file: 'etc/baton/key' is not an absolute path");
  expect_error(edit("group: sg1", "group: 'sg 1'"),
               "t.yaml:1:8: group: 'sg 1': a name may hold only letters, digits, '.', '_' and '-'");
  expect_error(
      edit("interface: eth1\n", "interface: averyveryverylongname\n"),
      "t.yaml:14:16: segments[0].interface: 'averyveryverylongname': an interface name has "
      "1..15 characters");
  expect_error(plus("api: {group: Baton}\n"),
               "t.yaml:20:14: api.group: 'Baton' is not a Unix group name (lower-case letters, "
               "digits, '_', '-')");
}

TEST(ConfigOrchestratorErrors, AllErrorsCollected) {
  std::string text = edit("    id: 2\n", "    id: 1\n    weight: 700\n    wieght: 5\n");
  text += "distribution: {buckets: 100}\nlog_level: loud\n";
  std::string all = errors_of(text);
  EXPECT_EQ(line_count(all), 5u) << all;
  for (std::string_view needle :
       {"t.yaml:10:9: members[1].id: 1 is already used by members[0]",
        "t.yaml:11:13: members[1].weight: 700 is out of range 0..512",
        "t.yaml:12:5: members[1].wieght: unknown key (did you mean 'weight'?)",
        "t.yaml:22:25: distribution.buckets: 100 is not a prime",
        "t.yaml:23:12: log_level: unknown log level 'loud'"})
    EXPECT_NE(all.find(needle), std::string::npos) << needle << "\nin\n" << all;
}

TEST(ConfigOrchestratorErrors, ErrorsAreCapped) {
  std::string text(kBase);
  text += "spares:\n";
  for (int i = 0; i < 30; ++i)
    text += fmt::format("  - {{name: s{}, id: {}, weight: 999}}\n", i, 100 + i);
  std::string all = errors_of(text);
  EXPECT_EQ(line_count(all), Diagnostics::kMaxErrors + 1) << all;
  EXPECT_NE(all.find("t.yaml: 10 more errors not shown (stopped after 20)"), std::string::npos)
      << all;
}

}  // namespace
}  // namespace baton::config
