// Little-endian field readers and writers and the string rules of the control channel. Used by
// header.cpp and body.cpp; not part of the public API.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace baton::control::wire {

class Writer {
 public:
  explicit Writer(std::vector<std::uint8_t>& out) : out_(out) {}
  void u8(std::uint8_t v) { out_.push_back(v); }
  void u16(std::uint16_t v) { le(v, 2); }
  void u32(std::uint32_t v) { le(v, 4); }
  void u64(std::uint64_t v) { le(v, 8); }
  void bytes(std::span<const std::uint8_t> b) { out_.insert(out_.end(), b.begin(), b.end()); }
  // Length-prefixed strings; the caller has checked the length against the field's limit.
  void str8(std::string_view s);
  void str16(std::string_view s);

 private:
  void le(std::uint64_t v, int n);
  std::vector<std::uint8_t>& out_;
};

// Reads fields in order. A read that runs past the end returns false and records which field
// was cut short; later reads keep failing, so a chain of reads needs one check at the end.
class Reader {
 public:
  explicit Reader(std::span<const std::uint8_t> in) : in_(in) {}
  bool u8(std::uint8_t& v, const char* field);
  bool u16(std::uint16_t& v, const char* field);
  bool u32(std::uint32_t& v, const char* field);
  bool u64(std::uint64_t& v, const char* field);
  bool boolean(bool& v, const char* field);  // 0 or 1; anything else is an error
  bool bytes(std::size_t n, std::span<const std::uint8_t>& out, const char* field);
  bool str8(std::string& s, const char* field);
  bool str16(std::string& s, const char* field);

  std::size_t remaining() const { return in_.size() - pos_; }
  bool failed() const { return !error_.empty(); }
  // What went wrong first, e.g. "name: needs 12 bytes, 3 left".
  const std::string& error() const { return error_; }

 private:
  bool take(std::size_t n, const char* field);
  std::uint64_t le(std::size_t n);
  std::span<const std::uint8_t> in_;
  std::size_t pos_ = 0;
  std::string error_;
};

// Member and interface names: 1..max bytes, each 0x21-0x7E (printable ASCII, no space).
Status check_name(std::string_view s, std::size_t max, const char* field);
// Who did something: 0..max bytes, each 0x20-0x7E.
Status check_label(std::string_view s, std::size_t max, const char* field);
// Free text (reasons, details): 0..max bytes of any value but NUL (UTF-8 is not checked).
Status check_text(std::string_view s, std::size_t max, const char* field);

}  // namespace baton::control::wire
