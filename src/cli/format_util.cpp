#include "cli/format_util.hpp"

#include <algorithm>
#include <cmath>
#include <ctime>

#include <fmt/format.h>

namespace baton::cli {

using nlohmann::json;

const json* find(const json& j, std::initializer_list<std::string_view> path) {
  const json* cur = &j;
  for (auto key : path) {
    if (!cur->is_object()) return nullptr;
    auto it = cur->find(key);
    if (it == cur->end()) return nullptr;
    cur = &*it;
  }
  return cur;
}

std::string text(const json* v) {
  if (v == nullptr) return std::string(kMissing);
  if (v->is_string()) {
    const auto& s = v->get_ref<const std::string&>();
    return s.empty() ? std::string(kMissing) : s;
  }
  if (v->is_number_unsigned()) return fmt::format("{}", v->get<std::uint64_t>());
  if (v->is_number_integer()) return fmt::format("{}", v->get<std::int64_t>());
  if (v->is_number_float()) {
    double d = v->get<double>();
    if (!std::isfinite(d)) return std::string(kMissing);
    if (d == std::floor(d) && std::fabs(d) < 1e15) return fmt::format("{:.0f}", d);
    std::string s = fmt::format("{:.2f}", d);
    while (s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
    return s;
  }
  if (v->is_boolean()) return v->get<bool>() ? "yes" : "no";
  return std::string(kMissing);
}

std::string text(const json& j, std::initializer_list<std::string_view> path) {
  return text(find(j, path));
}

std::optional<double> number(const json& j, std::initializer_list<std::string_view> path) {
  const json* v = find(j, path);
  if (v == nullptr || !v->is_number()) return std::nullopt;
  double d = v->get<double>();
  if (!std::isfinite(d)) return std::nullopt;
  return d;
}

std::optional<bool> boolean(const json& j, std::initializer_list<std::string_view> path) {
  const json* v = find(j, path);
  if (v == nullptr || !v->is_boolean()) return std::nullopt;
  return v->get<bool>();
}

std::string si(double v) {
  double a = std::fabs(v);
  if (a < 10000) return fmt::format("{:.0f}", v);
  if (a < 1e6) return fmt::format("{:.1f}k", v / 1e3);
  if (a < 1e9) return fmt::format("{:.2f}M", v / 1e6);
  return fmt::format("{:.2f}G", v / 1e9);
}

std::string permille_percent(double permille) { return fmt::format("{:.1f}%", permille / 10); }

std::string age_ms(double ms) {
  if (ms < 0) return std::string(kMissing);
  if (ms < 1000) return fmt::format("{:.0f}ms", ms);
  if (ms < 60000) return fmt::format("{:.1f}s", ms / 1000);
  auto s = static_cast<std::uint64_t>(ms / 1000);
  if (s < 3600) return fmt::format("{}m{:02}s", s / 60, s % 60);
  if (s < 86400) return fmt::format("{}h{:02}m", s / 3600, s % 3600 / 60);
  return fmt::format("{}d{:02}h", s / 86400, s % 86400 / 3600);
}

std::string duration_s(double secs) {
  if (secs < 0) return std::string(kMissing);
  auto s = static_cast<std::uint64_t>(secs);
  if (s < 60) return fmt::format("{}s", s);
  if (s < 3600) return fmt::format("{}m {:02}s", s / 60, s % 60);
  if (s < 86400) return fmt::format("{}h {:02}m {:02}s", s / 3600, s % 3600 / 60, s % 60);
  return fmt::format("{}d {:02}h {:02}m", s / 86400, s % 86400 / 3600, s % 3600 / 60);
}

std::string timestamp(const json* v) {
  if (v == nullptr || !v->is_number()) return text(v);
  double d = v->get<double>();
  if (!std::isfinite(d) || d < 0 || d > 253402300799.0) return text(v);  // after year 9999
  auto t = static_cast<std::time_t>(d);
  std::tm tm{};
  if (gmtime_r(&t, &tm) == nullptr) return text(v);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

namespace {

// Display width of UTF-8 text: one column per code point.
std::size_t width(std::string_view s) {
  return static_cast<std::size_t>(
      std::count_if(s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

void pad(std::string& out, std::size_t n) { out.append(n, ' '); }

}  // namespace

Table::Table(std::vector<std::string> header, std::vector<Align> align)
    : header_(std::move(header)), align_(std::move(align)) {
  align_.resize(header_.size(), Align::left);
}

void Table::add(std::vector<std::string> row) {
  row.resize(header_.size(), std::string(kMissing));
  rows_.push_back(std::move(row));
}

std::string Table::render() const {
  std::vector<std::size_t> w(header_.size());
  for (std::size_t c = 0; c < header_.size(); ++c) {
    w[c] = width(header_[c]);
    for (const auto& r : rows_) w[c] = std::max(w[c], width(r[c]));
  }
  std::string out;
  auto line = [&](const std::vector<std::string>& cells) {
    std::string l;
    for (std::size_t c = 0; c < cells.size(); ++c) {
      if (c > 0) l += "  ";
      std::size_t gap = w[c] - width(cells[c]);
      if (align_[c] == Align::right) pad(l, gap);
      l += cells[c];
      if (align_[c] == Align::left) pad(l, gap);
    }
    while (!l.empty() && l.back() == ' ') l.pop_back();
    out += l;
    out += '\n';
  };
  line(header_);
  for (const auto& r : rows_) line(r);
  return out;
}

std::string key_values(const std::vector<std::pair<std::string, std::string>>& lines) {
  std::size_t w = 0;
  for (const auto& [k, v] : lines) w = std::max(w, width(k) + 1);
  std::string out;
  for (const auto& [k, v] : lines) {
    out += k;
    out += ':';
    pad(out, w - width(k) - 1 + 2);
    out += v;
    out += '\n';
  }
  return out;
}

}  // namespace baton::cli
