#include "config/fields.hpp"

#include <charconv>

namespace baton::config {

std::string child_path(std::string_view parent, std::string_view key) {
  if (parent.empty()) return std::string(key);
  return fmt::format("{}.{}", parent, key);
}

std::string item_path(std::string_view parent, std::size_t index) {
  return fmt::format("{}[{}]", parent, index);
}

std::string printable(std::string_view s) {
  std::string shown;
  for (std::size_t i = 0; i < s.size() && i < 40; ++i) {
    auto u = static_cast<unsigned char>(s[i]);
    if (u >= 0x20 && u < 0x7f)
      shown += s[i];
    else
      shown += fmt::format("\\x{:02x}", u);
  }
  if (s.size() > 40) shown += "...";
  return shown;
}

std::string describe(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Map: return "a map";
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Scalar: return fmt::format("'{}'", printable(n.Scalar()));
    default: return "nothing";
  }
}

std::optional<std::string> read_scalar(Diagnostics& d, const Field& f, std::string_view what) {
  if (!f.node.IsScalar()) {
    d.add(f.at, f.path, fmt::format("expected {}, found {}", what, describe(f.node)));
    return std::nullopt;
  }
  return f.node.Scalar();
}

std::optional<std::string> read_text(Diagnostics& d, const Field& f) {
  auto s = read_scalar(d, f, "a value");
  if (!s) return std::nullopt;
  if (s->empty()) {
    d.add(f.at, f.path, "must not be empty");
    return std::nullopt;
  }
  if (s->size() > kMaxText) {
    d.add(f.at, f.path, fmt::format("longer than {} characters", kMaxText));
    return std::nullopt;
  }
  for (char c : *s) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      d.add(f.at, f.path, "contains a control character");
      return std::nullopt;
    }
  }
  return s;
}

std::optional<std::uint64_t> read_uint(Diagnostics& d, const Field& f, std::uint64_t lo,
                                       std::uint64_t hi) {
  auto s = read_scalar(d, f, "a whole number");
  if (!s) return std::nullopt;
  std::string_view t = *s;
  bool negative = !t.empty() && t[0] == '-';
  std::string_view digits = negative ? t.substr(1) : t;
  int base = 10;
  if (!negative && digits.size() > 2 && digits[0] == '0' &&
      (digits[1] == 'x' || digits[1] == 'X')) {
    digits.remove_prefix(2);
    base = 16;
  }
  std::uint64_t v = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v, base);
  if (digits.empty() || end != digits.data() + digits.size() ||
      (ec != std::errc() && ec != std::errc::result_out_of_range)) {
    d.add(f.at, f.path, fmt::format("expected a whole number, found {}", describe(f.node)));
    return std::nullopt;
  }
  if (negative || ec == std::errc::result_out_of_range || v < lo || v > hi) {
    d.add(f.at, f.path, fmt::format("{} is out of range {}..{}", t, lo, hi));
    return std::nullopt;
  }
  return v;
}

std::optional<bool> read_bool(Diagnostics& d, const Field& f) {
  auto s = read_scalar(d, f, "true or false");
  if (!s) return std::nullopt;
  static constexpr std::string_view kTrue[] = {"true", "True", "TRUE", "yes", "Yes", "on", "On"};
  static constexpr std::string_view kFalse[] = {"false", "False", "FALSE", "no",
                                                "No",    "off",   "Off"};
  for (auto w : kTrue)
    if (*s == w) return true;
  for (auto w : kFalse)
    if (*s == w) return false;
  d.add(f.at, f.path, fmt::format("expected true or false, found {}", describe(f.node)));
  return std::nullopt;
}

std::optional<std::vector<Field>> read_list(Diagnostics& d, const Field& f) {
  if (f.node.IsNull()) return std::vector<Field>{};
  if (!f.node.IsSequence()) {
    d.add(f.at, f.path, fmt::format("expected a list, found {}", describe(f.node)));
    return std::nullopt;
  }
  std::vector<Field> items;
  std::size_t i = 0;
  for (const auto& n : f.node) {
    Location at = location_of(n.Mark());
    items.push_back({n, at.line > 0 ? at : f.at, item_path(f.path, i++)});
  }
  return items;
}

std::string choice_error(std::string_view got, std::span<const std::string_view> names) {
  std::string list;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) list += i + 1 == names.size() ? " or " : ", ";
    list += names[i];
  }
  return fmt::format("'{}' is not {}{}{}", printable(got), names.size() > 1 ? "one of " : "", list,
                     did_you_mean(got, names));
}

MapReader::MapReader(Diagnostics& d, const Field& f, std::initializer_list<std::string_view> keys)
    : d_(d), self_(f) {
  if (!f.node.IsMap()) {
    d.add(f.at, f.path, fmt::format("expected a map of settings, found {}", describe(f.node)));
    return;
  }
  is_map_ = true;
  std::vector<std::string_view> known(keys);
  for (const auto& kv : f.node) {
    Location key_at = location_of(kv.first.Mark());
    if (key_at.line == 0) key_at = f.at;
    if (!kv.first.IsScalar()) {
      d.add(key_at, f.path, fmt::format("keys must be plain names, found {}", describe(kv.first)));
      continue;
    }
    const std::string& key = kv.first.Scalar();
    std::string path = child_path(f.path, printable(key));
    bool is_known = false;
    for (auto k : known) is_known = is_known || k == key;
    if (!is_known) {
      d.add(key_at, path, fmt::format("unknown key{}", did_you_mean(key, known)));
      continue;
    }
    bool dup = false;
    for (const auto& e : entries_) {
      if (e.key != key) continue;
      d.add(key_at, path, fmt::format("given twice (first at line {})", e.key_at.line));
      dup = true;
    }
    if (!dup) entries_.push_back({key, key_at, kv.second});
  }
}

std::optional<Field> MapReader::get(std::string_view key, Need need) {
  if (!is_map_) return std::nullopt;
  for (const auto& e : entries_) {
    if (e.key != key) continue;
    Location at = location_of(e.value.Mark());
    // A missing value ("key:" and nothing) may carry no mark; point at its key then.
    if (at.line == 0 || e.value.IsNull()) at = e.key_at;
    return Field{e.value, at, child_path(self_.path, key)};
  }
  if (need == Need::required)
    d_.add(self_.at, child_path(self_.path, key), "required, but missing");
  return std::nullopt;
}

bool MapReader::text(std::string_view key, std::string& out, Need need) {
  auto f = get(key, need);
  if (!f) return false;
  auto v = read_text(d_, *f);
  if (!v) return false;
  out = std::move(*v);
  return true;
}

bool MapReader::boolean(std::string_view key, bool& out, Need need) {
  auto f = get(key, need);
  if (!f) return false;
  auto v = read_bool(d_, *f);
  if (!v) return false;
  out = *v;
  return true;
}

}  // namespace baton::config
