// Fixed keys, node ids, connections and one sample of every sync message, shared by the unit
// tests, the fuzz target and its corpus generator (so the seeds carry valid MACs).
#pragma once

#include <cstdint>
#include <vector>

#include "auth/key.hpp"
#include "sync/wire.hpp"

namespace baton::sync::testing {

inline constexpr std::uint32_t kSenderId = 11;
inline constexpr std::uint64_t kSenderEpoch = 1'700'000'000'000'000'011u;
inline constexpr std::uint32_t kReceiverId = 12;
inline constexpr std::uint64_t kReceiverEpoch = 1'700'000'000'000'000'012u;

// The sync key every test and the fuzz target use; not a secret.
auth::Key test_key();

// A TCP connection over IPv4 (n varies the source address and port) and one over IPv6.
Conn conn4(std::uint32_t n);
Conn conn6(std::uint32_t n);

// One body of every type (in MessageType order), filled with non-default values.
std::vector<Body> sample_bodies();

// Sender → receiver for UPDATE and HEARTBEAT, receiver → sender for the others.
Header sample_header(MessageType t, std::uint64_t sequence);

// sample_header + encode_message under test_key().
std::vector<std::uint8_t> sealed(const Body& b, std::uint64_t sequence);

}  // namespace baton::sync::testing
