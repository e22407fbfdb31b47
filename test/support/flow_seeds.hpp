// Named example frames for the flow parser: one per case the parser distinguishes (each
// L3/L4 kind, VLAN tags, padding, fragments, ICMP errors with full and cut quotes, and one
// frame per rejection reason), with the parse result each must give. They are the seed corpus
// of the flow_parse fuzz target (written by gen_flow_corpus, checked by support_test) and
// ready-made fixtures for tests of the XDP program.
#pragma once

#include <string>
#include <vector>

#include "support/packets.hpp"

namespace baton::test {

struct FlowSeed {
  std::string name;  // file name stem in test/fuzz/corpus/flow_parse
  Bytes frame;
  int expected;      // baton_parse() result (enum baton_parse_result)
};

std::vector<FlowSeed> flow_seeds();

}  // namespace baton::test
