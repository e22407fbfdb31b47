// Building blocks of batonctl's formatting: tolerant field access (a missing or mistyped
// field is "-"), human units, and an aligned text table.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace baton::cli {

inline constexpr std::string_view kMissing = "-";

// The value at a path of object keys, or nullptr if a step is missing or not an object.
const nlohmann::json* find(const nlohmann::json& j, std::initializer_list<std::string_view> path);

// The value as text: strings as they are (empty is "-"), integers in decimal, other numbers
// with up to two decimals, booleans yes/no; missing, null, arrays and objects are "-".
std::string text(const nlohmann::json& j, std::initializer_list<std::string_view> path);
std::string text(const nlohmann::json* v);

// A number (integer or floating), or nothing when missing or not a number.
std::optional<double> number(const nlohmann::json& j, std::initializer_list<std::string_view> path);
// A boolean, or nothing when missing or not a boolean.
std::optional<bool> boolean(const nlohmann::json& j, std::initializer_list<std::string_view> path);

// 1234 -> "1234", 12345 -> "12.3k", 1500000 -> "1.50M", 2e9 -> "2.00G".
std::string si(double v);
// A permille as a percentage: 453 -> "45.3%".
std::string permille_percent(double permille);
// An age in milliseconds: 250 -> "250ms", 4200 -> "4.2s", 125000 -> "2m05s", 7500000 -> "2h05m".
std::string age_ms(double ms);
// Seconds of uptime: 59 -> "59s", 3725 -> "1h 02m 05s", 90061 -> "1d 01h 01m".
std::string duration_s(double s);
// A time the API gives as Unix seconds (number) or already as text: "2026-11-26T00:10:00Z".
std::string timestamp(const nlohmann::json* v);

enum class Align { left, right };

// Columns separated by two spaces, each as wide as its widest cell; no trailing spaces.
class Table {
 public:
  Table(std::vector<std::string> header, std::vector<Align> align);
  void add(std::vector<std::string> row);  // missing trailing cells print "-"
  std::string render() const;

 private:
  std::vector<std::string> header_;
  std::vector<Align> align_;
  std::vector<std::vector<std::string>> rows_;
};

// "key: value" lines with the values aligned after the longest key.
std::string key_values(const std::vector<std::pair<std::string, std::string>>& lines);

}  // namespace baton::cli
