// Diagnostics: the errors found in one config file, each located by file, line, column and
// the field path ("batond.yaml:14:12: members[2].weight: 700 is out of range 0..512").
// Parsing goes on after an error so the operator sees every problem at once; the list is
// capped (kMaxErrors) so a file of garbage does not produce a wall of text.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace baton::config {

// A position in the file, 1-based. line 0 means "the file as a whole" (no position).
struct Location {
  int line = 0;
  int column = 0;
};

class Diagnostics {
 public:
  static constexpr std::size_t kMaxErrors = 20;

  explicit Diagnostics(std::string file) : file_(std::move(file)) {}

  // Records "file:line:col: path: message" (path may be empty).
  void add(Location at, std::string_view path, std::string_view message);

  const std::string& file() const { return file_; }
  bool empty() const { return total_ == 0; }
  std::size_t count() const { return total_; }
  // The recorded messages (at most kMaxErrors).
  const std::vector<std::string>& messages() const { return messages_; }

  // All messages, one per line, with a last line saying how many were left out.
  Error to_error() const;

 private:
  std::string file_;
  std::vector<std::string> messages_;
  std::size_t total_ = 0;
};

}  // namespace baton::config
