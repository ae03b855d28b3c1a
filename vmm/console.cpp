#include "vmm/console.hpp"

#include <fcntl.h>
#include <unistd.h>

namespace hyper {

Result<Console> Console::open(const ConsoleConfig& config) {
    Console c;
    switch (config.kind) {
    case ConsoleConfig::Kind::None: break;
    case ConsoleConfig::Kind::File: {
        int fd = ::open(config.path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0)
            return fail_errno("--console: cannot create " + config.path, errno,
                              ExitCode::CantCreate);
        c.m_file = Fd(fd);
        c.m_out = fd;
        break;
    }
    case ConsoleConfig::Kind::Stdio: {
        c.m_out = STDOUT_FILENO;
        if (::fcntl(STDIN_FILENO, F_GETFD) >= 0)
            c.m_in = STDIN_FILENO;
        termios tio;
        if (c.m_in >= 0 && ::isatty(STDIN_FILENO) && ::tcgetattr(STDIN_FILENO, &tio) == 0) {
            c.m_saved_termios = tio;
            // Raw input: every key goes to the guest (Ctrl-C too); Ctrl-A x quits vmm.
            // Output processing stays on so vmm's own messages look right.
            termios raw = tio;
            raw.c_iflag &= ~(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
            raw.c_lflag &= ~(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
            raw.c_cflag |= CS8;
            raw.c_cc[VMIN] = 1;
            raw.c_cc[VTIME] = 0;
            ::tcsetattr(STDIN_FILENO, TCSANOW, &raw);
        }
        break;
    }
    }
    return c;
}

Console::Console(Console&& other) noexcept
    : m_file(std::move(other.m_file)), m_out(other.m_out), m_in(other.m_in),
      m_saved_termios(std::exchange(other.m_saved_termios, std::nullopt)) {}

Console::~Console() {
    if (m_saved_termios)
        ::tcsetattr(STDIN_FILENO, TCSANOW, &*m_saved_termios);
}

} // namespace hyper
