#include "sim/scenario.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "sim/text.hpp"

namespace baton::sim {
namespace {

Result<dist::MemberId> parse_id(std::string_view text) {
  auto v = parse_uint(text, 1, kMaxMemberId);
  if (!v) return err("member id {}", v.error().message);
  return static_cast<dist::MemberId>(*v);
}

Result<std::uint32_t> parse_weight(std::string_view text) {
  auto v = parse_uint(text, 0, dist::kMaxWeight);
  if (!v) return err("weight {}", v.error().message);
  return static_cast<std::uint32_t>(*v);
}

// One item of a list: "3", "9:100", "2=200".
Result<Event> parse_item(EventKind kind, std::string_view item, std::uint32_t default_weight) {
  Event e;
  e.kind = kind;
  std::string_view id_text = item, weight_text;
  bool has_weight = false;
  if (kind == EventKind::add || kind == EventKind::weight) {
    char sep = kind == EventKind::add ? ':' : '=';
    auto pos = item.find(sep);
    if (pos != std::string_view::npos) {
      id_text = item.substr(0, pos);
      weight_text = item.substr(pos + 1);
      has_weight = true;
    } else if (kind == EventKind::weight) {
      return err("'{}' should be ID=WEIGHT, e.g. 2=200", item);
    }
  }
  auto id = parse_id(id_text);
  if (!id) return id.error();
  e.member = *id;
  e.weight = default_weight;
  if (has_weight) {
    auto w = parse_weight(weight_text);
    if (!w) return w.error();
    e.weight = *w;
  }
  return e;
}

}  // namespace

std::string_view kind_name(EventKind k) {
  switch (k) {
    case EventKind::fail: return "fail";
    case EventKind::admin_down: return "admin-down";
    case EventKind::add: return "add";
    case EventKind::weight: return "weight";
  }
  return "?";
}

Result<EventKind> parse_kind(std::string_view name) {
  for (auto k : {EventKind::fail, EventKind::admin_down, EventKind::add, EventKind::weight})
    if (name == kind_name(k)) return k;
  return err("unknown event '{}' (expected fail, admin-down, add or weight)", name);
}

bool is_planned(EventKind k) { return k != EventKind::fail; }

std::string describe(const Event& e) {
  switch (e.kind) {
    case EventKind::add: return fmt::format("add {} (weight {})", e.member, e.weight);
    case EventKind::weight: return fmt::format("weight {}={}", e.member, e.weight);
    default: return fmt::format("{} {}", kind_name(e.kind), e.member);
  }
}

Result<std::vector<Event>> parse_event_list(EventKind kind, std::string_view list,
                                            std::uint32_t default_weight,
                                            std::string_view origin) {
  std::vector<Event> out;
  for (std::string_view item : split(list, ',')) {
    item = trim(item);
    if (item.empty()) return err("{}: empty item in list '{}'", origin, list);
    auto e = parse_item(kind, item, default_weight);
    if (!e) return err("{}: {}", origin, e.error().message);
    e->origin = std::string(origin);
    out.push_back(std::move(*e));
  }
  return out;
}

Result<std::vector<Event>> parse_scenario(std::string_view text, std::string_view name,
                                          std::uint32_t default_weight) {
  std::vector<Event> out;
  std::size_t line_no = 0;
  for (std::string_view line : split(text, '\n')) {
    ++line_no;
    std::string origin = fmt::format("{}:{}", name, line_no);
    if (auto hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
    auto w = words(trim(line));
    if (w.empty()) continue;
    auto kind = parse_kind(w[0]);
    if (!kind) return err("{}: {}", origin, kind.error().message);
    std::string value;
    if (w.size() == 2) {
      value = std::string(w[1]);
    } else if (w.size() == 3 && (*kind == EventKind::add || *kind == EventKind::weight)) {
      value = fmt::format("{}{}{}", w[1], *kind == EventKind::add ? ':' : '=', w[2]);
    } else {
      const char* usage = *kind == EventKind::add      ? "add ID [WEIGHT]"
                          : *kind == EventKind::weight ? "weight ID WEIGHT"
                                                       : "ID[,ID...]";
      return err("{}: expected '{}', got '{}'", origin,
                 *kind == EventKind::fail || *kind == EventKind::admin_down
                     ? fmt::format("{} {}", w[0], usage)
                     : std::string(usage),
                 trim(line));
    }
    auto events = parse_event_list(*kind, value, default_weight, origin);
    if (!events) return events.error();
    out.insert(out.end(), events->begin(), events->end());
  }
  return out;
}

Result<std::vector<Event>> load_scenario(const std::string& path, std::uint32_t default_weight) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    return err("--scenario {}: is a directory, not a scenario file", path);
  std::ifstream in(path);
  if (!in) return err("--scenario {}: cannot open: {}", path, std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return err("--scenario {}: read error", path);
  return parse_scenario(text.str(), path, default_weight);
}

}  // namespace baton::sim
