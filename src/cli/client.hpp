// One request to batond's socket, with the outcome sorted the way batonctl's exit status
// needs: a result, an error answered by the daemon, or no answer at all (nothing listening,
// permission denied, timed out, connection closed without an answer).
//
// api::call gives one error for both kinds of failure; batonctl must tell them apart (exit 1
// versus exit 3), so the exchange is done here and the envelope is parsed with
// api::unwrap_reply, the same code as api::call.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include <nlohmann/json.hpp>

namespace baton::cli {

struct Answer {
  enum class Kind {
    result,       // {"ok":true}: `result` holds the result object
    error,        // {"ok":false} or a malformed answer: `message` says what
    unreachable,  // no answer: `message` names the socket and why
  };
  Kind kind = Kind::unreachable;
  nlohmann::json result;
  std::string message;
  int sys_errno = 0;  // unreachable: the errno of the failed call, when there was one
};

Answer ask(const std::string& socket, const nlohmann::json& request,
           std::chrono::milliseconds timeout);

// How run_main() talks to the daemon; ask() in batonctl, a fake in unit tests.
using Asker = std::function<Answer(const std::string& socket, const nlohmann::json& request,
                                   std::chrono::milliseconds timeout)>;

}  // namespace baton::cli
