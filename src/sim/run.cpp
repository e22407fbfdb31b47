#include "sim/run.hpp"

#include <ostream>

#include "sim/cli.hpp"
#include "sim/format.hpp"
#include "sim/simulation.hpp"

namespace baton::sim {

Status validate(const Options& o) {
  auto group = Group::create(o.members, o.default_weight, o.member_weights);
  if (!group) return group.error();
  return check_scenario(*group, o.events);
}

Result<RunReport> simulate(const Options& o) {
  auto group = Group::create(o.members, o.default_weight, o.member_weights);
  if (!group) return group.error();
  RunReport r;
  r.options = o;
  r.members = group->members();
  r.population = generate(o.population);
  auto sim = Simulation::start(std::move(*group), std::move(r.population.per_bucket));
  r.population.per_bucket.clear();
  if (!sim) return sim.error();
  r.initial = sim->initial();
  for (const auto& e : o.events) {
    auto report = sim->apply(e);
    if (!report) return report.error();
    r.events.push_back(std::move(*report));
  }
  return r;
}

namespace {

int usage_error(std::ostream& err, const std::string& message) {
  err << "baton-sim: error: " << message << "\n"
      << "Run with --help for the options, the scenario syntax and the report columns.\n";
  return kExitUsage;
}

}  // namespace

int run_main(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  auto cli = parse_cli(args);
  if (!cli) return usage_error(err, cli.error().message);
  if (cli->help) {
    out << cli->help_text;
    return kExitOk;
  }
  if (auto ok = validate(cli->options); !ok) return usage_error(err, ok.error().message);
  auto report = simulate(cli->options);
  if (!report) {
    err << "baton-sim: internal error: " << report.error().message << "\n";
    return kExitInternal;
  }
  if (cli->options.json)
    out << to_json(*report).dump(2) << "\n";
  else
    out << to_text(*report);
  return out.good() ? kExitOk : kExitInternal;
}

}  // namespace baton::sim
