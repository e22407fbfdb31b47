// The BPF filesystem: where baton pins its maps and XDP links so that a restarted daemon can
// find what its predecessor left attached (docs/datapath.md, "Restart").
#pragma once

#include <string>
#include <vector>

#include "core/result.hpp"

namespace baton::bpf {

// Makes sure a BPF filesystem is mounted at /sys/fs/bpf (mounting one if not), then creates
// `dir` and its parents.
Status ensure_pin_dir(const std::string& dir);
// Names of the entries of `dir` (empty if it does not exist).
std::vector<std::string> list_pins(const std::string& dir);
// Removes `dir` if it is empty; an error names what is left in it.
Status remove_pin_dir(const std::string& dir);

}  // namespace baton::bpf
