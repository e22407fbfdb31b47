// One baton-sim run from arguments to printed report; main() is a call to run_main().
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "sim/options.hpp"
#include "sim/report.hpp"

namespace baton::sim {

inline constexpr int kExitOk = 0;
inline constexpr int kExitInternal = 1;
inline constexpr int kExitUsage = 2;

// Checks the group and the whole scenario against the membership rules. Cheap: runs before
// any flow is generated, so an impossible scenario fails at once.
Status validate(const Options& o);

// Generates the population, builds the table and applies every event.
Result<RunReport> simulate(const Options& o);

// Parses `args` (after the program name), runs and prints to `out`. Errors go to `err` as
// "baton-sim: error: ..." with exit status 2 (arguments, scenario) or 1 (internal).
int run_main(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace baton::sim
