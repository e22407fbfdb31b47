// Why a received sync datagram was dropped. The sync channel uses the control channel's
// reasons, names and types (control/drop.hpp) — the same fifteen defects on both channels, so
// operators read one vocabulary and the counters, `Drop` and `Decoded<T>` are one code.
// docs/hypersync.md, "Receiving and drop reasons", says what each means for a sync datagram.
#pragma once

#include "control/drop.hpp"

namespace baton::sync {

using control::Decoded;
using control::Drop;
using control::drop;
using control::drop_reason_from_name;
using control::drop_reason_name;
using control::DropCounters;
using control::DropReason;
using control::kDropReasonCount;

}  // namespace baton::sync
