// baton-sim: see docs/simulator.md and `baton-sim --help`.
#include <iostream>
#include <string>
#include <vector>

#include "sim/run.hpp"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  return baton::sim::run_main(args, std::cout, std::cerr);
}
