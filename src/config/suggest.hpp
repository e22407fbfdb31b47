// "Did you mean": the closest of a few known words to a misspelt one, for unknown keys and
// values ("wieght" -> "weight", "dlext" -> "dl-ext").
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

namespace baton::config {

// Edit distance (insertions, deletions, substitutions, adjacent transpositions).
std::size_t edit_distance(std::string_view a, std::string_view b);

// The candidate closest to `word` if it is close enough to be a likely typo (distance at most
// 1 for short words, 2 from 5 letters, 3 from 9), else empty.
std::string_view closest(std::string_view word, std::span<const std::string_view> candidates);

// " (did you mean 'x'?)" or "".
std::string did_you_mean(std::string_view word, std::span<const std::string_view> candidates);

}  // namespace baton::config
