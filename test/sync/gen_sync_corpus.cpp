// Writes the seed corpus of fuzz_sync_wire: every message type sealed with the fuzz target's
// fixed key (so mutations get past the MAC), variants (IPv6, removes, a full UPDATE packed by
// encode_update, recipient epoch unknown) and a few broken datagrams.
// Run: gen_sync_corpus test/fuzz/corpus/sync_wire
#include <cstdio>
#include <fstream>
#include <string>

#include "samples.hpp"

using namespace baton::sync;
using namespace baton::sync::testing;

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
  for (const auto& b : sample_bodies())
    write(dir, std::string(message_type_name(type_of(b))), sealed(b, seq++));

  Record gone6{Op::remove, 12, {}};
  gone6.conn.key = conn6(4).key;
  write(dir, "update-ipv6-remove", sealed(Body{Update{3, 3, {gone6}}}, seq++));
  std::vector<Record> many;
  for (std::uint32_t i = 0; i < 40; ++i) many.push_back({Op::upsert, 100 + i, conn4(i)});
  write(dir, "update-packed",
        encode_update(sample_header(MessageType::update, seq++), 9, 2, many, test_key())->bytes);
  write(dir, "ack-cumulative", sealed(Body{Ack{1234, {}}}, seq++));
  Header unknown = sample_header(MessageType::heartbeat, seq++);
  unknown.recipient_epoch = kUnknownEpoch;
  write(dir, "heartbeat-unknown-epoch", *encode_message(unknown, Body{Heartbeat{}}, test_key()));

  auto cut = sealed(sample_bodies()[0], seq++);
  cut.resize(cut.size() - 5);
  write(dir, "broken-truncated", cut);
  auto forged = sealed(sample_bodies()[1], seq++);
  forged[forged.size() - 1] ^= 0x01;
  write(dir, "broken-mac", forged);
  return 0;
}
