// baton-sim's command line: CLI11 reads the words, this file checks every value and turns
// event options and scenario files into one ordered event list. Each error names the option
// (or file line) and the value.
#pragma once

#include <string>
#include <vector>

#include "core/result.hpp"
#include "sim/options.hpp"

namespace baton::sim {

struct Cli {
  bool help = false;      // --help was given: print help_text and exit 0
  std::string help_text;
  Options options;
};

// `args` are the arguments after the program name.
Result<Cli> parse_cli(const std::vector<std::string>& args);

}  // namespace baton::sim
