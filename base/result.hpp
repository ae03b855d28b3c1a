#pragma once
// Errors as values. Every fallible function returns Result<T>; an Error carries the
// errno (0 when none), a message naming what failed, and the process exit code that
// the error means if it reaches main() (see ExitCode in exit_code.hpp).
#include <cerrno>
#include <cstring>
#include <string>
#include <tl/expected.hpp>
#include <utility>

#include "base/exit_code.hpp"

namespace hyper {

class [[nodiscard]] Error {
  public:
    Error(ExitCode exit, std::string message, int err = 0)
        : m_exit(exit), m_message(std::move(message)), m_errno(err) {}

    static Error from_errno(std::string message, int err = errno,
                            ExitCode exit = ExitCode::Internal) {
        return Error(exit, std::move(message), err);
    }

    ExitCode exit_code() const { return m_exit; }
    int err() const { return m_errno; }
    const std::string& message() const { return m_message; }
    // One line: "message: strerror" (or just the message when there is no errno).
    std::string to_string() const {
        if (m_errno == 0)
            return m_message;
        return m_message + ": " + std::strerror(m_errno);
    }
    // Adds context in front: "context: message".
    Error with_context(const std::string& context) && {
        m_message = context + ": " + m_message;
        return std::move(*this);
    }

  private:
    ExitCode m_exit;
    std::string m_message;
    int m_errno;
};

template <typename T> using Result = tl::expected<T, Error>;
using Unexpected = tl::unexpected<Error>;

inline Unexpected fail(ExitCode exit, std::string message, int err = 0) {
    return Unexpected(Error(exit, std::move(message), err));
}
inline Unexpected fail_errno(std::string message, int err = errno,
                             ExitCode exit = ExitCode::Internal) {
    return Unexpected(Error(exit, std::move(message), err));
}

namespace detail {
template <typename T> T take_value(tl::expected<T, Error>& r) {
    return std::move(*r);
}
inline void take_value(tl::expected<void, Error>&) {}
} // namespace detail

} // namespace hyper

// TRY(expr): evaluates a Result; on error returns the error from the enclosing
// function, otherwise yields the value (GNU statement expression, g++ and clang).
#define TRY(expr)                                                                                  \
    ({                                                                                             \
        auto&& _try_result = (expr);                                                               \
        if (!_try_result)                                                                          \
            return ::tl::unexpected(std::move(_try_result).error());                               \
        ::hyper::detail::take_value(_try_result);                                                  \
    })
