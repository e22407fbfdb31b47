#include "config/document.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <exception>
#include <sstream>
#include <vector>

#include <yaml-cpp/eventhandler.h>

namespace baton::config {

Location location_of(const YAML::Mark& m) {
  if (m.is_null() || m.line < 0) return {};
  return {m.line + 1, m.column + 1};
}

Result<std::string> read_config_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return err("{}: cannot read: {}", path, std::strerror(errno));
  std::string text;
  char buf[16384];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      ::close(fd);
      return err("{}: cannot read: {}", path, std::strerror(e));
    }
    if (n == 0) break;
    text.append(buf, static_cast<std::size_t>(n));
    if (text.size() > kMaxFileBytes) {
      ::close(fd);
      return err("{}: file is larger than {} KiB; this is not a baton config", path,
                 kMaxFileBytes / 1024);
    }
  }
  ::close(fd);
  return text;
}

bool check_nesting(std::string_view text, Diagnostics& d) {
  int line = 1;
  int flow = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    // Start of a line: indentation, then block indicators ("- ", "? ", ": ") each of which
    // can open one more level without a new line.
    std::size_t start = i;
    while (i < text.size() && text[i] == ' ') ++i;
    while (i + 1 < text.size() && (text[i] == '-' || text[i] == '?' || text[i] == ':') &&
           text[i + 1] == ' ') {
      i += 2;
      while (i < text.size() && text[i] == ' ') ++i;
    }
    if (i - start > static_cast<std::size_t>(kMaxBlockColumn) && flow == 0) {
      d.add({line, static_cast<int>(i - start) + 1}, "",
            fmt::format("nested or indented deeper than {} columns; refused", kMaxBlockColumn));
      return false;
    }
    // Rest of the line: count flow brackets outside quotes and comments.
    char quote = 0;
    for (; i < text.size() && text[i] != '\n'; ++i) {
      char c = text[i];
      if (quote) {
        if (c == quote) quote = 0;
        continue;
      }
      if (c == '\'' || c == '"') {
        quote = c;
      } else if (c == '#' && (i == start || text[i - 1] == ' ' || text[i - 1] == '\t')) {
        while (i < text.size() && text[i] != '\n') ++i;
        break;
      } else if (c == '[' || c == '{') {
        if (++flow > kMaxFlowNesting) {
          d.add({line, static_cast<int>(i - start) + 1}, "",
                fmt::format("brackets nested deeper than {} levels; refused", kMaxFlowNesting));
          return false;
        }
      } else if ((c == ']' || c == '}') && flow > 0) {
        --flow;
      }
    }
    if (i < text.size()) ++i;  // the newline
    ++line;
  }
  return true;
}

namespace {

// Parses without building a tree and notes where each document starts: used to find a second
// document. yaml-cpp 0.7's LoadAll can report empty documents without end on some malformed
// input (found by fuzz_config), so documents are counted here, never more than two.
class DocumentStarts : public YAML::EventHandler {
 public:
  std::vector<YAML::Mark> starts;
  void OnDocumentStart(const YAML::Mark& m) override { starts.push_back(m); }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
};

}  // namespace

std::optional<YAML::Node> load_document(std::string_view text, Diagnostics& d) {
  if (text.size() > kMaxFileBytes) {
    d.add({}, "", fmt::format("file is larger than {} KiB; this is not a baton config",
                              kMaxFileBytes / 1024));
    return std::nullopt;
  }
  if (!check_nesting(text, d)) return std::nullopt;
  std::string owned(text);
  YAML::Node root;
  DocumentStarts docs;
  try {
    root = YAML::Load(owned);  // the first document only
    std::istringstream in(owned);
    YAML::Parser parser(in);
    for (int i = 0; i < 2 && parser.HandleNextDocument(docs); ++i) {
    }
  } catch (const YAML::Exception& e) {
    d.add(location_of(e.mark), "", fmt::format("not valid YAML: {}", e.msg));
    return std::nullopt;
  } catch (const std::exception& e) {
    d.add({}, "", fmt::format("not valid YAML: {}", e.what()));
    return std::nullopt;
  }
  if (root.IsNull() || !root.IsDefined()) {
    d.add({1, 1}, "", "the file is empty (no settings found)");
    return std::nullopt;
  }
  if (docs.starts.size() > 1) {
    d.add(location_of(docs.starts[1]), "",
          "a second YAML document ('---'); a config file holds exactly one");
    return std::nullopt;
  }
  return root;
}

}  // namespace baton::config
