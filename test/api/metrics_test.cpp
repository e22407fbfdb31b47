// render_metrics(): the exact exposition text of a small snapshot, label escaping, and every
// metric of metrics_list.hpp present with HELP, TYPE and samples.
#include "api/metrics.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>

#include "api/metrics_list.hpp"

namespace baton::api {
namespace {

// name[{label="value"}] digits, where the value has no raw quote, backslash or newline
// except as the escapes \\, \" and \n.
bool valid_sample_line(std::string_view l) {
  std::size_t i = 0;
  auto name = [&] {
    std::size_t start = i;
    while (i < l.size() && (l[i] == '_' || (l[i] >= 'a' && l[i] <= 'z'))) ++i;
    return i > start;
  };
  if (!name()) return false;
  if (i < l.size() && l[i] == '{') {
    ++i;
    if (!name() || l.substr(i, 2) != "=\"") return false;
    for (i += 2; i < l.size() && l[i] != '"'; ++i) {
      if (l[i] == '\n') return false;
      if (l[i] == '\\') {
        if (++i >= l.size() || (l[i] != '\\' && l[i] != '"' && l[i] != 'n')) return false;
      }
    }
    if (l.substr(i, 2) != "\"}") return false;
    i += 2;
  }
  if (i >= l.size() || l[i] != ' ') return false;
  ++i;
  if (i >= l.size()) return false;
  for (; i < l.size(); ++i)
    if (l[i] < '0' || l[i] > '9') return false;
  return true;
}

TEST(Metrics, SampleLineCheckerRejectsBrokenLines) {
  EXPECT_TRUE(valid_sample_line(R"(a_b{c="x\\y\"z\n"} 12)"));
  EXPECT_TRUE(valid_sample_line("a 0"));
  EXPECT_FALSE(valid_sample_line(R"(a{c="x"y"} 1)"));
  EXPECT_FALSE(valid_sample_line(R"(a{c="x\y"} 1)"));
  EXPECT_FALSE(valid_sample_line("a{c=\"x\ny\"} 1"));
  EXPECT_FALSE(valid_sample_line("a 1x"));
}

MetricsSnapshot small() {
  MetricsSnapshot s;
  s.members = {
      {"gw1", "active", 1, 21846, true, 453, 48211, 1000},
      {"gw2", "failed", 2, 0, false, 0, 0, 7},
  };
  s.table_generation = 43;
  s.table_live_generation = 42;
  s.vrrp = {{"ext", VrrpMetricState::master}, {"dl-ext", VrrpMetricState::backup}};
  s.active = true;
  s.peer_up = false;
  s.xdp = {1007, 5, 1, 2, 3, 4, 6};
  s.control_dropped = {{"bad-mac", 3}, {"replayed", 0}};
  s.control_accepted = 99;
  return s;
}

TEST(Metrics, ExactTextOfASmallSnapshot) {
  EXPECT_EQ(render_metrics(small()),
            R"(# HELP baton_members Members of the group in each state (active, joining, draining, down, failed, spare, unregistered).
# TYPE baton_members gauge
baton_members{state="active"} 1
baton_members{state="joining"} 0
baton_members{state="draining"} 0
baton_members{state="down"} 0
baton_members{state="failed"} 1
baton_members{state="spare"} 0
baton_members{state="unregistered"} 0
# HELP baton_member_buckets Buckets of the distribution table the member holds.
# TYPE baton_member_buckets gauge
baton_member_buckets{member="gw1"} 21846
baton_member_buckets{member="gw2"} 0
# HELP baton_member_weight The member's weight in the distribution.
# TYPE baton_member_weight gauge
baton_member_weight{member="gw1"} 1
baton_member_weight{member="gw2"} 2
# HELP baton_member_up 1 when the member's heartbeats arrive (it is neither failed nor unregistered), else 0.
# TYPE baton_member_up gauge
baton_member_up{member="gw1"} 1
baton_member_up{member="gw2"} 0
# HELP baton_member_cpu_permille CPU use the member last reported, in permille.
# TYPE baton_member_cpu_permille gauge
baton_member_cpu_permille{member="gw1"} 453
baton_member_cpu_permille{member="gw2"} 0
# HELP baton_member_conntrack Connection-tracking entries the member last reported.
# TYPE baton_member_conntrack gauge
baton_member_conntrack{member="gw1"} 48211
baton_member_conntrack{member="gw2"} 0
# HELP baton_table_generation Generation of the distribution table batond last computed.
# TYPE baton_table_generation gauge
baton_table_generation 43
# HELP baton_table_live_generation Generation of the distribution table the XDP program reads now.
# TYPE baton_table_live_generation gauge
baton_table_live_generation 42
# HELP baton_vrrp_state VRRP state of the segment's instance: 0 initialize, 1 backup, 2 master, 3 fault.
# TYPE baton_vrrp_state gauge
baton_vrrp_state{segment="ext"} 2
baton_vrrp_state{segment="dl-ext"} 1
# HELP baton_role 1 when this orchestrator is the active one, else 0 (standby or starting).
# TYPE baton_role gauge
baton_role 1
# HELP baton_xdp_packets_total Packets the XDP program handled, by verdict.
# TYPE baton_xdp_packets_total counter
baton_xdp_packets_total{verdict="distributed"} 1007
baton_xdp_packets_total{verdict="passed_local"} 5
baton_xdp_packets_total{verdict="passed_ttl"} 1
baton_xdp_packets_total{verdict="passed_not_ip"} 2
baton_xdp_packets_total{verdict="passed_unconfigured"} 3
baton_xdp_packets_total{verdict="dropped_malformed"} 4
baton_xdp_packets_total{verdict="no_member"} 6
# HELP baton_xdp_member_packets_total Packets the XDP program distributed to the member.
# TYPE baton_xdp_member_packets_total counter
baton_xdp_member_packets_total{member="gw1"} 1000
baton_xdp_member_packets_total{member="gw2"} 7
# HELP baton_control_dropped_total Control messages dropped, by reason (docs/protocols.md lists the reasons).
# TYPE baton_control_dropped_total counter
baton_control_dropped_total{reason="bad-mac"} 3
baton_control_dropped_total{reason="replayed"} 0
# HELP baton_control_accepted_total Control messages accepted.
# TYPE baton_control_accepted_total counter
baton_control_accepted_total 99
# HELP baton_peer_up 1 when the peer orchestrator is reachable, else 0.
# TYPE baton_peer_up gauge
baton_peer_up 0
)");
}

TEST(Metrics, LabelValuesAreEscaped) {
  EXPECT_EQ(escape_label_value(R"(a\b"c)" "\n" "d"), R"(a\\b\"c\nd)");
  EXPECT_EQ(escape_label_value("plain-gw_1.ü"), "plain-gw_1.ü");
  MetricsSnapshot s;
  s.members = {{"evil\"name\\\nx", "active", 1, 2, true, 3, 4, 5}};
  std::string out = render_metrics(s);
  EXPECT_NE(out.find(R"(baton_member_buckets{member="evil\"name\\\nx"} 2)" "\n"),
            std::string::npos)
      << out;
  // No raw newline inside any sample line: every line is a comment or name{...} value.
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("# ", 0) == 0) continue;
    EXPECT_TRUE(valid_sample_line(line)) << line;
  }
}

TEST(Metrics, UnknownMemberStatesAreCountedAfterTheKnownOnes) {
  MetricsSnapshot s;
  s.members = {{"a", "zombie", 0, 0, false, 0, 0, 0}, {"b", "active", 0, 0, true, 0, 0, 0}};
  std::string out = render_metrics(s);
  auto known = out.find("baton_members{state=\"unregistered\"} 0\n");
  auto odd = out.find("baton_members{state=\"zombie\"} 1\n");
  ASSERT_NE(known, std::string::npos) << out;
  ASSERT_NE(odd, std::string::npos) << out;
  EXPECT_LT(known, odd);
}

TEST(Metrics, EveryDeclaredMetricAppearsWithHelpTypeAndASample) {
  std::string out = render_metrics(small());
  std::set<std::string_view> names;
  for (const auto& m : kMetrics) {
    EXPECT_TRUE(names.insert(m.name).second) << "declared twice: " << m.name;
    std::string name(m.name);
    EXPECT_NE(out.find("# HELP " + name + " " + std::string(m.help) + "\n"), std::string::npos)
        << name;
    EXPECT_NE(out.find("# TYPE " + name + " " + std::string(metric_type_name(m.type)) + "\n"),
              std::string::npos)
        << name;
    std::string sample_start = name + (m.label.empty() ? " " : "{" + std::string(m.label) + "=\"");
    EXPECT_NE(out.find("\n" + sample_start), std::string::npos) << "no sample of " << name;
    if (m.type == MetricType::counter) {
      EXPECT_TRUE(name.size() > 6 && name.substr(name.size() - 6) == "_total") << name;
    }
  }
  EXPECT_EQ(kMetrics.size(), 15u);  // the list of docs/operator-guide.md, "Metrics"
}

TEST(Metrics, EmptySnapshotStillDeclaresEverything) {
  std::string out = render_metrics(MetricsSnapshot{});
  for (const auto& m : kMetrics)
    EXPECT_NE(out.find("# TYPE " + std::string(m.name) + " "), std::string::npos) << m.name;
  EXPECT_NE(out.find("baton_role 0\n"), std::string::npos);
  EXPECT_NE(out.find("baton_members{state=\"active\"} 0\n"), std::string::npos);
}

}  // namespace
}  // namespace baton::api

namespace baton::api {
namespace {

// docs/operator-guide.md, "Metrics": one row per declared metric, with its type and label.
TEST(Metrics, OperatorGuideTableListsExactlyTheDeclaredMetrics) {
  std::ifstream f(BATON_DOCS_DIR "/operator-guide.md");
  ASSERT_TRUE(f) << "cannot open " BATON_DOCS_DIR "/operator-guide.md";
  std::stringstream ss;
  ss << f.rdbuf();
  std::string guide = ss.str();
  auto section = guide.find("\n## Metrics\n");
  ASSERT_NE(section, std::string::npos) << "no \"## Metrics\" section";
  auto end = guide.find("\n## ", section + 1);
  std::string text = guide.substr(section, end == std::string::npos ? end : end - section);
  for (const auto& m : kMetrics) {
    std::string row = "| `" + std::string(m.name) + "` | " +
                      std::string(metric_type_name(m.type)) + " | " +
                      (m.label.empty() ? "" : "`" + std::string(m.label) + "` ") + "|";
    EXPECT_NE(text.find(row), std::string::npos) << "missing or different row: " << row;
  }
  std::size_t rows = 0;
  for (auto p = text.find("\n| `baton_"); p != std::string::npos;
       p = text.find("\n| `baton_", p + 1))
    ++rows;
  EXPECT_EQ(rows, kMetrics.size()) << "the guide lists metrics that are not declared";
}

}  // namespace
}  // namespace baton::api
