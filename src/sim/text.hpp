// Small text helpers shared by the command line and the scenario parser: strict unsigned
// numbers with a range, and splitting on a separator. Errors are values with a message that
// the caller prefixes with the option or file line it came from.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace baton::sim {

// Parses a decimal unsigned number in [lo, hi]. Rejects signs, spaces, empty text, other
// characters and overflow: "'x7' is not a number", "600 is out of range 0..512".
Result<std::uint64_t> parse_uint(std::string_view text, std::uint64_t lo, std::uint64_t hi);

// Splits on `sep`, keeping empty pieces (so "1,,2" can be reported as an error).
std::vector<std::string_view> split(std::string_view text, char sep);

// Splits on runs of spaces and tabs, dropping empty pieces.
std::vector<std::string_view> words(std::string_view text);

std::string_view trim(std::string_view text);

}  // namespace baton::sim
