// Fixed keys, node ids and one sample of every control message, shared by the unit tests, the
// fuzz target and the corpus generator (so the seeds carry valid MACs under the fuzz key).
#pragma once

#include <cstdint>
#include <vector>

#include "auth/key.hpp"
#include "control/codec.hpp"
#include "control/messages.hpp"

namespace baton::control::testing {

inline constexpr std::uint32_t kOrchestratorId = 1;
inline constexpr std::uint64_t kOrchestratorEpoch = 1'700'000'000'000'000'000u;
inline constexpr std::uint32_t kAgentId = 101;
inline constexpr std::uint64_t kAgentEpoch = 1'700'000'000'123'456'789u;

// The channel key every test and the fuzz target use; not a secret.
auth::Key test_key();

// One body of every type (in MessageType order), filled with non-default values.
std::vector<Body> sample_bodies();

// The header a sample body travels with: agent → orchestrator or orchestrator → agent by
// type, REGISTER addressed to any orchestrator.
Header sample_header(MessageType t, std::uint64_t sequence);

// sample_header + encode_message under test_key().
std::vector<std::uint8_t> sealed(const Body& b, std::uint64_t sequence);

}  // namespace baton::control::testing
