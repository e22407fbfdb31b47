// Wire form of a distribution table (docs/protocols.md, "Table wire form v1").
//
// Two kinds, same envelope:
//   inputs  — bucket count, base members with weights, failed members in order (a few bytes
//             per member); the receiver rebuilds the table bit for bit with Table::replay.
//   buckets — the same plus the owner of every bucket (2 bytes per bucket); the receiver
//             checks that its own rebuild gives exactly these owners.
// Little-endian; a CRC-32C over everything before it closes the message. decode() rejects
// a wrong magic, version or kind, a bad checksum, truncation, trailing bytes, oversized
// counts and inconsistent content, with an error naming what was wrong.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/result.hpp"
#include "dist/table.hpp"

namespace baton::dist {

inline constexpr std::uint8_t kTableWireVersion = 1;
inline constexpr std::size_t kTableWireMaxBytes = 4u << 20;

enum class TableWireKind : std::uint8_t { inputs = 1, buckets = 2 };

std::vector<std::uint8_t> encode_table(const Table& t, TableWireKind kind);
Result<Table> decode_table(std::span<const std::uint8_t> wire);

}  // namespace baton::dist
