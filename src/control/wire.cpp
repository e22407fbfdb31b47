#include "control/wire.hpp"

#include <algorithm>

namespace baton::control::wire {

void Writer::le(std::uint64_t v, int n) {
  for (int i = 0; i < n; ++i) out_.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

void Writer::str8(std::string_view s) {
  u8(static_cast<std::uint8_t>(s.size()));
  out_.insert(out_.end(), s.begin(), s.end());
}

void Writer::str16(std::string_view s) {
  u16(static_cast<std::uint16_t>(s.size()));
  out_.insert(out_.end(), s.begin(), s.end());
}

bool Reader::take(std::size_t n, const char* field) {
  if (failed()) return false;
  if (remaining() < n) {
    error_ = fmt::format("{}: needs {} bytes, {} left", field, n, remaining());
    return false;
  }
  return true;
}

std::uint64_t Reader::le(std::size_t n) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < n; ++i) v |= std::uint64_t{in_[pos_ + i]} << (8 * i);
  pos_ += n;
  return v;
}

bool Reader::u8(std::uint8_t& v, const char* field) {
  if (!take(1, field)) return false;
  v = static_cast<std::uint8_t>(le(1));
  return true;
}
bool Reader::u16(std::uint16_t& v, const char* field) {
  if (!take(2, field)) return false;
  v = static_cast<std::uint16_t>(le(2));
  return true;
}
bool Reader::u32(std::uint32_t& v, const char* field) {
  if (!take(4, field)) return false;
  v = static_cast<std::uint32_t>(le(4));
  return true;
}
bool Reader::u64(std::uint64_t& v, const char* field) {
  if (!take(8, field)) return false;
  v = le(8);
  return true;
}

bool Reader::boolean(bool& v, const char* field) {
  std::uint8_t b = 0;
  if (!u8(b, field)) return false;
  if (b > 1) {
    error_ = fmt::format("{}: {} is not a boolean (0 or 1)", field, b);
    return false;
  }
  v = b == 1;
  return true;
}

bool Reader::bytes(std::size_t n, std::span<const std::uint8_t>& out, const char* field) {
  if (!take(n, field)) return false;
  out = in_.subspan(pos_, n);
  pos_ += n;
  return true;
}

bool Reader::str8(std::string& s, const char* field) {
  std::uint8_t n = 0;
  std::span<const std::uint8_t> b;
  if (!u8(n, field) || !bytes(n, b, field)) return false;
  s.assign(b.begin(), b.end());
  return true;
}

bool Reader::str16(std::string& s, const char* field) {
  std::uint16_t n = 0;
  std::span<const std::uint8_t> b;
  if (!u16(n, field) || !bytes(n, b, field)) return false;
  s.assign(b.begin(), b.end());
  return true;
}

namespace {

template <typename Ok>
Status check_chars(std::string_view s, std::size_t min, std::size_t max, const char* field,
                   const char* what, Ok ok) {
  if (s.size() < min || s.size() > max)
    return err("{}: {} bytes, {}..{} allowed", field, s.size(), min, max);
  auto bad = std::find_if_not(s.begin(), s.end(), [&](char c) { return ok(static_cast<unsigned char>(c)); });
  if (bad != s.end())
    return err("{}: byte 0x{:02x} at {} ({})", field, static_cast<unsigned char>(*bad),
               bad - s.begin(), what);
  return {};
}

}  // namespace

Status check_name(std::string_view s, std::size_t max, const char* field) {
  return check_chars(s, 1, max, field, "names are printable ASCII without spaces",
                     [](unsigned char c) { return c >= 0x21 && c <= 0x7e; });
}

Status check_label(std::string_view s, std::size_t max, const char* field) {
  return check_chars(s, 0, max, field, "only printable ASCII",
                     [](unsigned char c) { return c >= 0x20 && c <= 0x7e; });
}

Status check_text(std::string_view s, std::size_t max, const char* field) {
  return check_chars(s, 0, max, field, "NUL is not allowed", [](unsigned char c) { return c != 0; });
}

}  // namespace baton::control::wire
