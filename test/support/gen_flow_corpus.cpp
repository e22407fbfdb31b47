// Writes the seed corpus of the flow_parse fuzz target: one file per flow_seeds() frame.
//   gen_flow_corpus test/fuzz/corpus/flow_parse
// support_test checks that the committed files match, so rerun this after changing the seeds.
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "support/flow_seeds.hpp"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <corpus directory>\n", argv[0]);
    return 2;
  }
  const std::filesystem::path dir(argv[1]);
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    std::fprintf(stderr, "gen_flow_corpus: cannot create %s: %s\n", argv[1], ec.message().c_str());
    return 1;
  }
  int n = 0;
  for (const auto& s : baton::test::flow_seeds()) {
    const auto path = dir / (s.name + ".bin");
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f.write(reinterpret_cast<const char*>(s.frame.data()), static_cast<std::streamsize>(s.frame.size()));
    if (!f) {
      std::fprintf(stderr, "gen_flow_corpus: cannot write %s\n", path.c_str());
      return 1;
    }
    ++n;
  }
  std::printf("gen_flow_corpus: wrote %d seeds to %s\n", n, argv[1]);
  return 0;
}
