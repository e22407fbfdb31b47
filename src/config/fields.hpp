// Reading typed fields out of a YAML tree, reporting every problem with its location and
// field path and carrying on. A schema is written as a walk over the tree:
//
//   MapReader m(d, field, {"name", "id", "weight"});   // reports unknown and duplicate keys
//   m.text("name", out.name, Need::required);
//   m.uint("weight", out.weight, 0, 512);              // keeps the default when absent
//
// Readers return nothing (std::nullopt / false) after recording the error, so the caller
// simply skips what it could not read and goes on to the next field.
#pragma once

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "config/diagnostics.hpp"
#include "config/document.hpp"
#include "config/suggest.hpp"
#include "core/result.hpp"

namespace baton::config {

enum class Need { optional, required };

// A node with where it is and how to name it ("segments[1].interface").
struct Field {
  YAML::Node node;
  Location at;
  std::string path;
};

std::string child_path(std::string_view parent, std::string_view key);
std::string item_path(std::string_view parent, std::size_t index);

// Text for a message: at most 40 bytes, anything but printable ASCII as \xNN.
std::string printable(std::string_view s);
// "a map", "a list", "nothing", or the scalar in quotes: for "expected X, found Y".
std::string describe(const YAML::Node& n);

// The scalar's text, or an error "expected <what>, found <describe>".
std::optional<std::string> read_scalar(Diagnostics& d, const Field& f, std::string_view what);
// A non-empty scalar of at most kMaxText bytes without control characters.
inline constexpr std::size_t kMaxText = 4096;
std::optional<std::string> read_text(Diagnostics& d, const Field& f);
// A whole number, decimal or 0x-hex, within lo..hi.
std::optional<std::uint64_t> read_uint(Diagnostics& d, const Field& f, std::uint64_t lo,
                                       std::uint64_t hi);
// true/false (also yes/no, on/off).
std::optional<bool> read_bool(Diagnostics& d, const Field& f);
// The items of a list, each with its path and location; nothing (null) is an empty list.
std::optional<std::vector<Field>> read_list(Diagnostics& d, const Field& f);

// A scalar through a parser returning Result<T>; its error message becomes the diagnostic.
template <typename T, typename Parse>
std::optional<T> read_parsed(Diagnostics& d, const Field& f, Parse parse) {
  auto s = read_text(d, f);
  if (!s) return std::nullopt;
  Result<T> r = parse(std::string_view(*s));
  if (!r) {
    d.add(f.at, f.path, r.error().message);
    return std::nullopt;
  }
  return std::move(r).value();
}

// One of a fixed set of words.
template <typename E>
struct Choice {
  std::string_view name;
  E value;
};

std::string choice_error(std::string_view got, std::span<const std::string_view> names);

template <typename E>
std::optional<E> read_choice(Diagnostics& d, const Field& f, std::span<const Choice<E>> choices) {
  auto s = read_scalar(d, f, "one of a fixed set of words");
  if (!s) return std::nullopt;
  std::vector<std::string_view> names;
  for (const auto& c : choices) {
    if (c.name == *s) return c.value;
    names.push_back(c.name);
  }
  d.add(f.at, f.path, choice_error(*s, names));
  return std::nullopt;
}

class MapReader {
 public:
  // Checks that `f` is a map whose keys are all in `keys`, each given once.
  MapReader(Diagnostics& d, const Field& f, std::initializer_list<std::string_view> keys);

  bool is_map() const { return is_map_; }
  const Field& self() const { return self_; }
  Diagnostics& diag() { return d_; }

  // The value under `key`; a required key that is absent is reported.
  std::optional<Field> get(std::string_view key, Need need = Need::optional);

  // Each reads `key` into `out` when present and valid (else `out` keeps its default) and
  // returns whether it did.
  bool text(std::string_view key, std::string& out, Need need = Need::optional);
  bool boolean(std::string_view key, bool& out, Need need = Need::optional);
  template <typename T>
  bool uint(std::string_view key, T& out, std::uint64_t lo, std::uint64_t hi,
            Need need = Need::optional) {
    auto f = get(key, need);
    if (!f) return false;
    auto v = read_uint(d_, *f, lo, hi);
    if (!v) return false;
    out = static_cast<T>(*v);
    return true;
  }
  template <typename T, typename Parse>
  bool parsed(std::string_view key, T& out, Parse parse, Need need = Need::optional) {
    auto f = get(key, need);
    if (!f) return false;
    auto v = read_parsed<T>(d_, *f, parse);
    if (!v) return false;
    out = std::move(*v);
    return true;
  }
  template <typename E>
  bool choice(std::string_view key, E& out, std::span<const Choice<E>> choices,
              Need need = Need::optional) {
    auto f = get(key, need);
    if (!f) return false;
    auto v = read_choice<E>(d_, *f, choices);
    if (!v) return false;
    out = *v;
    return true;
  }

 private:
  struct Entry {
    std::string key;
    Location key_at;
    YAML::Node value;
  };
  Diagnostics& d_;
  Field self_;
  bool is_map_ = false;
  std::vector<Entry> entries_;
};

}  // namespace baton::config
