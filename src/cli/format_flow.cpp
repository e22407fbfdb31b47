// batonctl flow: where a connection is and whether both of its members hold it.
#include <fmt/format.h>

#include "cli/format.hpp"
#include "cli/format_util.hpp"

namespace baton::cli {

using nlohmann::json;

namespace {

std::string member_name(const json& start, std::string_view role) {
  const json* m = find(start, {role});
  if (m == nullptr || m->is_null()) return "none";
  return fmt::format("{} (id {})", text(*m, {"name"}), text(*m, {"id"}));
}

// "held, ESTABLISHED, 431990 s left" / "not held" / "error: ..." / "no answer".
std::string answer_text(const json* m) {
  if (m == nullptr) return "not asked (its agent is not registered)";
  std::string a = text(*m, {"answer"});
  if (a == "held") {
    std::string s = "HOLDS it";
    if (boolean(*m, {"backup"}).value_or(false)) s += " (a HyperSync copy)";
    if (find(*m, {"state"})) s += ", " + text(*m, {"state"});
    s += ", " + text(*m, {"timeout_s"}) + " s left";
    return s;
  }
  if (a == "not held") return "does NOT hold it";
  if (a == "error") return "error: " + text(*m, {"detail"});
  return "no answer";
}

const json* answer_of(const json& result, const std::string& name) {
  const json* ms = find(result, {"members"});
  if (ms == nullptr || !ms->is_array()) return nullptr;
  for (const auto& m : *ms)
    if (m.is_object() && text(m, {"name"}) == name) return &m;
  return nullptr;
}

}  // namespace

std::string format_flow(const json& start, const json& result) {
  std::string out;
  out += fmt::format("connection  {}\n", text(start, {"connection"}));
  out += fmt::format("bucket      {} (table generation {})\n", text(start, {"bucket"}),
                     text(start, {"generation"}));
  int holders = 0, asked = 0;
  for (std::string_view role : {"owner", "successor"}) {
    const json* m = find(start, {role});
    std::string who = member_name(start, role);
    std::string what = "-";
    if (m != nullptr && !m->is_null()) {
      const json* a = answer_of(result, text(*m, {"name"}));
      what = answer_text(a);
      if (a) {
        ++asked;
        if (text(*a, {"answer"}) == "held") ++holders;
      }
    }
    out += fmt::format("{:<11} {}: {}\n", role, who, what);
  }
  std::string verdict;
  if (holders == 2) verdict = "yes: the owner and the successor both hold it";
  else if (holders == 1) verdict = "NO: only one member holds it (a failure of that member would break it)";
  else if (asked > 0) verdict = "NO: no member holds it (ended, or never went through the group)";
  else verdict = "unknown: no member could be asked";
  out += fmt::format("safe        {}\n", verdict);
  return out;
}

}  // namespace baton::cli
