// CRC-32C (Castagnoli), software table implementation, for checksummed wire forms.
#pragma once

#include <cstdint>
#include <span>

namespace baton {

std::uint32_t crc32c(std::span<const std::uint8_t> data, std::uint32_t crc = 0);

}  // namespace baton
