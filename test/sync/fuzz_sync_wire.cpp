// libFuzzer target for the sync channel. With a fixed key (samples.hpp) the seeds carry valid
// MACs, so mutations of them reach the body decoders through both paths:
//   - decode_message (verified): whatever decodes re-encodes to exactly the input;
//   - decode_message_unverified: whatever decodes re-encodes to the input up to the MAC;
//   - a Gate: whatever it accepts once it drops as replayed the second time.
// Any input must be rejected with a message naming the drop reason, never crash.
#include <algorithm>
#include <cstdint>
#include <span>

#include "samples.hpp"
#include "sync/gate.hpp"
#include "sync/wire.hpp"

using namespace baton::sync;

namespace {

void check_drop(const Drop& d) {
  auto name = drop_reason_name(d.reason);
  if (d.message.compare(0, name.size(), name) != 0) __builtin_trap();
}

void check_gate(std::uint32_t self, std::uint64_t epoch, std::span<const std::uint8_t> in) {
  Gate g(testing::test_key(), {self, epoch});
  auto first = g.receive(in);
  if (!first.accepted()) {
    check_drop(*first.drop);
    if (g.guard().senders() != 0 || g.drops().total() != 1) __builtin_trap();
    return;
  }
  auto again = g.receive(in);
  if (again.accepted() || again.drop->reason != DropReason::replayed) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const baton::auth::Key key = testing::test_key();
  std::span<const std::uint8_t> in(data, size);

  auto verified = decode_message(in, key);
  auto unverified = decode_message_unverified(in);
  if (verified) {
    auto again = encode_message(verified->header, verified->body, key);
    if (!again || !std::equal(again->begin(), again->end(), in.begin(), in.end())) __builtin_trap();
    if (!unverified || !(*unverified == *verified)) __builtin_trap();
  } else {
    check_drop(verified.drop());
  }
  if (unverified) {
    auto again = encode_message(unverified->header, unverified->body, key);
    if (!again || again->size() != size ||
        !std::equal(again->begin(), again->end() - static_cast<std::ptrdiff_t>(kMacBytes),
                    in.begin()))
      __builtin_trap();
  } else {
    check_drop(unverified.drop());
  }

  check_gate(testing::kReceiverId, testing::kReceiverEpoch, in);
  check_gate(testing::kSenderId, testing::kSenderEpoch, in);
  return 0;
}
