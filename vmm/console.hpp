#pragma once
// The host side of the guest's serial console: stdout (+ stdin input), a file, or none.
// When stdin is a terminal it is put in raw mode and restored when the Console is
// destroyed, which every exit path of vmm passes through.
#include <optional>
#include <termios.h>

#include "base/fd.hpp"
#include "base/result.hpp"
#include "vmm/config.hpp"

namespace hyper {

class Console {
  public:
    static Result<Console> open(const ConsoleConfig& config);
    Console(Console&& other) noexcept;
    Console& operator=(Console&&) = delete;
    ~Console();

    int output_fd() const { return m_out; }
    int input_fd() const { return m_in; } // -1: no input
    bool is_terminal() const { return m_saved_termios.has_value(); }

  private:
    Console() = default;
    Fd m_file;
    int m_out{-1};
    int m_in{-1};
    std::optional<termios> m_saved_termios;
};

} // namespace hyper
