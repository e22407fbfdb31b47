// A connection written the way an operator types it (batonctl flow, the agent's "flow"
// request), parsed into the key HyperSync files it under:
//
//   tcp 10.0.1.10:40000 203.0.113.10:7007
//   udp [2001:db8::1]:5000 [2001:db8::2]:53
//   icmp 10.0.1.10 203.0.113.10 id 7          (echo; id optional, default 0)
//   proto 47 10.0.0.1 10.0.0.2               (any other protocol: addresses only)
//
// The first address is the connection's originator (its original-direction source). Every
// error names the word that was wrong. Parsed by a pure function with a libFuzzer target.
#pragma once

#include <string>
#include <string_view>

#include "core/result.hpp"
#include "sync/conn.hpp"

namespace baton::sync {

Result<ConnKey> parse_flow(std::string_view text);

}  // namespace baton::sync
