#include "config/diagnostics.hpp"

#include <fmt/format.h>

namespace baton::config {

void Diagnostics::add(Location at, std::string_view path, std::string_view message) {
  ++total_;
  if (messages_.size() >= kMaxErrors) return;
  std::string where = at.line > 0 ? fmt::format("{}:{}:{}", file_, at.line, at.column) : file_;
  if (path.empty())
    messages_.push_back(fmt::format("{}: {}", where, message));
  else
    messages_.push_back(fmt::format("{}: {}: {}", where, path, message));
}

Error Diagnostics::to_error() const {
  std::string text;
  for (const auto& m : messages_) {
    if (!text.empty()) text += '\n';
    text += m;
  }
  if (total_ > messages_.size())
    text += fmt::format("\n{}: {} more errors not shown (stopped after {})", file_,
                        total_ - messages_.size(), kMaxErrors);
  return Error{std::move(text)};
}

}  // namespace baton::config
