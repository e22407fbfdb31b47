// Writes the seed corpus for fuzz_table_wire: valid messages of both kinds and a few broken
// ones. Run: gen_table_wire_corpus test/fuzz/corpus/table_wire
#include <cstdio>
#include <fstream>
#include <string>

#include "dist/table_wire.hpp"

using namespace baton::dist;

static void write(const std::string& dir, const std::string& name, const std::vector<std::uint8_t>& b) {
  std::ofstream(dir + "/" + name, std::ios::binary)
      .write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  std::string dir = argv[1];
  std::vector<MemberSpec> four{{1, 1}, {2, 1}, {3, 1}, {4, 1}};
  std::vector<MemberSpec> weighted{{10, 100}, {20, 0}, {30, 512}, {40, 7}, {50, 250}};
  Table a = *Table::build(four, 101, 1);
  Table b = *Table::build(weighted, 4099, 77);
  Table c = *b.without(30);
  Table d = *c.without(10);
  Table e = *Table::build(std::vector<MemberSpec>{}, 13, 1);
  write(dir, "four-inputs", encode_table(a, TableWireKind::inputs));
  write(dir, "four-buckets", encode_table(a, TableWireKind::buckets));
  write(dir, "weighted-inputs", encode_table(b, TableWireKind::inputs));
  write(dir, "one-failed-inputs", encode_table(c, TableWireKind::inputs));
  write(dir, "two-failed-inputs", encode_table(d, TableWireKind::inputs));
  write(dir, "two-failed-buckets", encode_table(d, TableWireKind::buckets));
  write(dir, "empty-inputs", encode_table(e, TableWireKind::inputs));
  auto bad = encode_table(c, TableWireKind::inputs);
  bad.resize(bad.size() - 3);
  write(dir, "truncated", bad);
  return 0;
}
