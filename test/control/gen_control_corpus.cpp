// Writes the seed corpus of fuzz_control: every message type sealed with the fuzz target's
// fixed key (so mutations get past the MAC), a few variants and a few broken messages.
// Run: gen_control_corpus test/fuzz/corpus/control
#include <cstdio>
#include <fstream>
#include <string>

#include "samples.hpp"

using namespace baton::control;

static void write(const std::string& dir, const std::string& name,
                  const std::vector<std::uint8_t>& b) {
  std::ofstream(dir + "/" + name, std::ios::binary)
      .write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  std::string dir = argv[1];
  std::uint64_t seq = 1;
  for (const auto& b : testing::sample_bodies())
    write(dir, std::string(message_type_name(type_of(b))), testing::sealed(b, seq++));

  Register bare;
  bare.name = "m";
  write(dir, "register-bare", testing::sealed(Body{bare}, seq++));
  write(dir, "heartbeat-zero", testing::sealed(Body{Heartbeat{}}, seq++));
  write(dir, "command-resync", testing::sealed(Body{Command{1, CommandKind::resync, false, "", ""}}, seq++));
  write(dir, "command-up", testing::sealed(Body{Command{2, CommandKind::admin_up, true, "ops", "back"}}, seq++));
  write(dir, "command-result-failed",
        testing::sealed(Body{CommandResult{2, CommandStatus::failed, "nft: no such table"}}, seq++));

  write(dir, "peer-state-idle", testing::sealed(Body{PeerState{7, {}, false, {}, ""}}, seq++));

  auto cut = testing::sealed(Body{Heartbeat{}}, seq++);
  cut.resize(cut.size() - 5);
  write(dir, "broken-truncated", cut);
  auto forged = testing::sealed(testing::sample_bodies()[0], seq++);
  forged[forged.size() - 1] ^= 0x01;
  write(dir, "broken-mac", forged);
  return 0;
}
