// Result<T>: a value or an error message. Expected failures (bad input, a refused syscall,
// a config error) travel as values of this type; exceptions are not used on packet or timer
// paths. See docs/architecture.md, "Errors".
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>
#include <variant>

#include <fmt/format.h>

namespace baton {

struct Error {
  std::string message;
};

// Builds an Error from a fmt format string: `return err("bucket {} out of range", b);`
template <typename... Args>
Error err(fmt::format_string<Args...> f, Args&&... args) {
  return Error{fmt::format(f, std::forward<Args>(args)...)};
}

// Aborts with a message: for states that cannot happen if the code is correct.
[[noreturn]] inline void panic(const char* what) {
  std::fprintf(stderr, "baton: fatal: %s\n", what);
  std::abort();
}

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}           // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::move(error)) {}       // NOLINT(google-explicit-constructor)

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { check(); return std::get<0>(v_); }
  const T& value() const& { check(); return std::get<0>(v_); }
  T&& value() && { check(); return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const {
    if (ok()) panic("Result::error() called on a value");
    return std::get<1>(v_);
  }

 private:
  void check() const {
    if (!ok()) {
      std::fprintf(stderr, "baton: fatal: Result::value() on error: %s\n",
                   std::get<1>(v_).message.c_str());
      std::abort();
    }
  }
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), failed_(true) {}  // NOLINT
  bool ok() const { return !failed_; }
  explicit operator bool() const { return ok(); }
  const Error& error() const {
    if (ok()) panic("Result::error() called on success");
    return error_;
  }

 private:
  Error error_;
  bool failed_ = false;
};

using Status = Result<void>;

}  // namespace baton
