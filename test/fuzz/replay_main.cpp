// Stand-in for libFuzzer's main when the build has no fuzzer (gcc, or BATON_FUZZ=OFF): runs
// LLVMFuzzerTestOneInput over every file of the corpus directories (or files) given, so every
// build still checks that the seeds go through the parser cleanly.
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

int main(int argc, char** argv) {
  namespace fs = std::filesystem;
  std::size_t runs = 0;
  auto run = [&](const fs::path& p) {
    std::ifstream f(p, std::ios::binary);
    std::vector<std::uint8_t> buf((std::istreambuf_iterator<char>(f)), {});
    LLVMFuzzerTestOneInput(buf.data(), buf.size());
    ++runs;
  };
  for (int i = 1; i < argc; ++i) {
    fs::path arg(argv[i]);
    if (fs::is_directory(arg)) {
      for (const auto& e : fs::recursive_directory_iterator(arg))
        if (e.is_regular_file()) run(e.path());
    } else if (fs::exists(arg)) {
      run(arg);
    } else {
      std::fprintf(stderr, "replay: %s does not exist\n", argv[i]);
      return 2;
    }
  }
  if (runs == 0) {
    std::fprintf(stderr, "replay: no inputs found\n");
    return 2;
  }
  std::printf("replay: %zu inputs ran cleanly\n", runs);
  return 0;
}
