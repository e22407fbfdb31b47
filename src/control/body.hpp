// Bodies of the control messages: validation, encoding and decoding (layouts in
// docs/protocols.md). The encoder and the decoder apply the same limits (validate_body), so
// baton never sends what a peer of the same version would drop.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "control/drop.hpp"
#include "control/messages.hpp"
#include "core/result.hpp"

namespace baton::control {

// Checks every limit of the body: string lengths and bytes, counts, enum values, ranges.
Status validate_body(const Body& b);

// The body's bytes; an error if validate_body() fails.
Result<std::vector<std::uint8_t>> encode_body(const Body& b);

// Decodes the body of a message of type `t`: every field present, no byte left over, every
// limit of validate_body() met. Anything else is a malformed-body drop naming the field.
Decoded<Body> decode_body(MessageType t, std::span<const std::uint8_t> bytes);

}  // namespace baton::control
