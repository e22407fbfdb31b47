#include "sim/cli.hpp"

// GCC 12 reports a false -Wnull-dereference inside CLI11's own string splitting (inlined
// std::vector<std::string> growth); it is not in this file's code.
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <CLI/CLI.hpp>

#include "dist/table.hpp"
#include "sim/text.hpp"

namespace baton::sim {
namespace {

constexpr const char* kFooter = R"(
Scenario: events run in the order given on the command line (scenario files expand in place).
  --fail N            member N fails (unplanned): failure patch, only N's buckets move
  --admin-down N      member N is taken out (planned): the same patch, planned protocol
  --add N[:W]         member N joins (planned): table rebuilt from the live members + N
  --weight N=W        member N's weight becomes W (planned): table rebuilt
  Each takes a comma list (--fail 1,2,3) and may be repeated. Scenario file lines:
  'fail 3', 'admin-down 4', 'add 9 100', 'weight 2 200'; '#' starts a comment.

Report, after each event (flows are the synthetic population; buckets the same per bucket):
  moved       flows now owned by another member than before the event
  collateral  moved between two members the event did not touch (for a failure: moved
              although their member is still live); 0 for failures and admin-down
  covered     moved to the successor of their bucket in the previous table, which already
              held their state ("each flow is replicated to its bucket's successor")
  uncovered   moved - covered. Failure: connections lost. Planned event: pre-synced by
              the planned-change protocol before the new table is committed
  min/max     fewest/most flows on a live member with weight > 0; max/min their ratio
              (w-max/min: the same per unit of weight)
  table ms    time to compute the new table; succ ms: time to compute its successors
Exit status: 0 done, 2 bad arguments or impossible scenario, 1 internal error.
)";

struct RawEvent {
  std::string option;  // "--fail", ... or "--scenario"
  std::string value;
};

Result<std::uint64_t> number(const std::string& option, const std::string& text,
                             std::uint64_t lo, std::uint64_t hi) {
  auto v = parse_uint(text, lo, hi);
  if (!v) return err("{} {}: {}", option, text, v.error().message);
  return *v;
}

Result<std::vector<WeightOverride>> parse_member_weights(const std::vector<std::string>& values) {
  std::vector<WeightOverride> out;
  for (const auto& value : values) {
    for (std::string_view item : split(value, ',')) {
      auto pos = item.find('=');
      if (pos == std::string_view::npos)
        return err("--member-weight {}: '{}' should be ID=WEIGHT, e.g. 3=200", value, item);
      auto id = parse_uint(item.substr(0, pos), 1, kMaxMemberId);
      if (!id) return err("--member-weight {}: member id {}", value, id.error().message);
      auto w = parse_uint(item.substr(pos + 1), 0, dist::kMaxWeight);
      if (!w) return err("--member-weight {}: weight {}", value, w.error().message);
      out.push_back({static_cast<dist::MemberId>(*id), static_cast<std::uint32_t>(*w)});
    }
  }
  return out;
}

Result<std::vector<Event>> expand_events(const std::vector<RawEvent>& raw,
                                         std::uint32_t default_weight) {
  std::vector<Event> out;
  for (const auto& r : raw) {
    Result<std::vector<Event>> events =
        r.option == "--scenario"
            ? load_scenario(r.value, default_weight)
            : parse_event_list(*parse_kind(r.option.substr(2)), r.value, default_weight,
                               fmt::format("{} {}", r.option, r.value));
    if (!events) return events.error();
    out.insert(out.end(), events->begin(), events->end());
  }
  return out;
}

}  // namespace

Result<Cli> parse_cli(const std::vector<std::string>& args) {
  CLI::App app{"baton-sim: spread a synthetic flow population over a group's distribution "
               "table, apply membership events and report how flows move."};
  app.footer(kFooter);
  std::string members = "8", default_weight = "1", flows = "1000000", seed = "1",
              mode = "general-l4", buckets = "65537", ipv6 = "25";
  std::vector<std::string> member_weights;
  Cli cli;
  app.add_option("--members", members, "group size N; members are 1..N (1..4096)")
      ->type_name("N")->capture_default_str();
  app.add_option("--default-weight", default_weight, "weight of every member and of --add "
                 "without a weight (0..512)")->type_name("W")->capture_default_str();
  app.add_option("--member-weight", member_weights, "initial weight of one member, ID=W "
                 "(comma list, repeatable)")->type_name("ID=W");
  app.add_option("--flows", flows, "synthetic flows (1..100000000)")->type_name("N")
      ->capture_default_str();
  app.add_option("--seed", seed, "PRNG seed of the flow population")->type_name("S")
      ->capture_default_str();
  app.add_option("--mode", mode, "hash mode: general (addresses) or general-l4 (+ ports)")
      ->type_name("MODE")->capture_default_str();
  app.add_option("--buckets", buckets, "table size M, a prime (2..1048573)")->type_name("M")
      ->capture_default_str();
  app.add_option("--ipv6-percent", ipv6, "share of IPv6 flows (0..100)")->type_name("P")
      ->capture_default_str();
  std::vector<RawEvent> raw;
  auto event_option = [&](const char* name, const char* type, const char* help) {
    app.add_option_function<std::string>(
           name, [&raw, name](const std::string& v) { raw.push_back({name, v}); }, help)
        ->type_name(type)->trigger_on_parse()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  };
  event_option("--fail", "N[,N...]", "member N fails (unplanned)");
  event_option("--admin-down", "N[,N...]", "member N is taken out (planned)");
  event_option("--add", "N[:W][,...]", "member N joins with weight W (planned)");
  event_option("--weight", "N=W[,...]", "member N's weight becomes W (planned)");
  event_option("--scenario", "FILE", "events from FILE, one per line");
  app.add_flag("--json", cli.options.json, "one JSON document instead of the table");
  app.add_flag("--per-member", cli.options.per_member, "also list buckets and flows per member");

  std::vector<const char*> argv{"baton-sim"};
  for (const auto& a : args) argv.push_back(a.c_str());
  try {
    app.parse(static_cast<int>(argv.size()), argv.data());
  } catch (const CLI::CallForHelp&) {
    cli.help = true;
    cli.help_text = app.help();
    return cli;
  } catch (const CLI::ParseError& e) {
    return err("{}", e.what());
  }

  Options& o = cli.options;
  auto n = number("--members", members, 1, dist::kMaxMembers);
  if (!n) return n.error();
  o.members = static_cast<std::uint32_t>(*n);
  auto dw = number("--default-weight", default_weight, 0, dist::kMaxWeight);
  if (!dw) return dw.error();
  o.default_weight = static_cast<std::uint32_t>(*dw);
  auto mw = parse_member_weights(member_weights);
  if (!mw) return mw.error();
  o.member_weights = std::move(*mw);
  auto f = number("--flows", flows, 1, kMaxFlows);
  if (!f) return f.error();
  o.population.flows = *f;
  auto s = number("--seed", seed, 0, UINT64_MAX);
  if (!s) return s.error();
  o.population.seed = *s;
  auto m = dist::parse_mode(mode);
  if (!m) return err("--mode {}: {}", mode, m.error().message);
  o.population.mode = *m;
  auto b = number("--buckets", buckets, 2, dist::kMaxBuckets);
  if (!b) return b.error();
  if (!dist::is_prime(static_cast<std::uint32_t>(*b)))
    return err("--buckets {}: not a prime; the table needs a prime bucket count (e.g. 65537)",
               *b);
  o.population.buckets = static_cast<std::uint32_t>(*b);
  auto v6 = number("--ipv6-percent", ipv6, 0, 100);
  if (!v6) return v6.error();
  o.population.ipv6_percent = static_cast<std::uint32_t>(*v6);
  auto events = expand_events(raw, o.default_weight);
  if (!events) return events.error();
  o.events = std::move(*events);
  return cli;
}

}  // namespace baton::sim
