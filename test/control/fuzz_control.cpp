// libFuzzer target for the control channel. With a fixed key (samples.hpp) the seeds carry
// valid MACs, so mutations of them reach the body decoders through both paths:
//   - decode_message (verified): whatever decodes re-encodes to exactly the input;
//   - decode_message_unverified: whatever decodes re-encodes to the input up to the MAC;
//   - a Receiver per role: whatever is accepted once is dropped as replayed the second time.
// Any input must be rejected with a non-empty message naming the drop reason, never crash.
#include <cstdint>
#include <span>

#include "control/codec.hpp"
#include "control/receiver.hpp"
#include "samples.hpp"

using namespace baton::control;

namespace {

void check_drop(const Drop& d) {
  auto name = drop_reason_name(d.reason);
  if (d.message.compare(0, name.size(), name) != 0) __builtin_trap();
}

void check_receiver(std::uint32_t self, std::uint64_t epoch, std::span<const std::uint8_t> in) {
  Receiver rx(testing::test_key(), {self, epoch});
  auto first = rx.receive(in);
  if (!first.accepted()) {
    check_drop(*first.drop);
    if (rx.guard().senders() != 0 || rx.drops().total() != 1) __builtin_trap();
    return;
  }
  auto again = rx.receive(in);
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
        !std::equal(again->begin(), again->end() - kMacBytes, in.begin()))
      __builtin_trap();
  } else {
    check_drop(unverified.drop());
  }

  check_receiver(testing::kOrchestratorId, testing::kOrchestratorEpoch, in);
  check_receiver(testing::kAgentId, testing::kAgentEpoch, in);
  return 0;
}
