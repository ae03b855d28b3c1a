// Boot-latency probe of bench/boot.sh, run in L1:
//   bootwatch MARKER TIMEOUT_SECONDS -- COMMAND ARGS...
// starts COMMAND (a VMM) with its stdout and stderr on a pipe, and prints the
// microseconds from just before the fork to the first output line that contains MARKER
// (the guest init's first console line), then kills COMMAND. Every VMM is timed by the
// same outside clock and the same guest event. Exit 0 when the marker came, 1 otherwise.
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char** argv) {
    if (argc < 5 || std::strcmp(argv[3], "--") != 0) {
        std::fprintf(stderr, "usage: bootwatch MARKER TIMEOUT_SECONDS -- COMMAND ARGS...\n");
        return 64;
    }
    const std::string marker = argv[1];
    const auto timeout = std::chrono::seconds(std::atoi(argv[2]));
    int out[2];
    if (::pipe2(out, O_CLOEXEC) < 0)
        return 1;
    auto start = std::chrono::steady_clock::now();
    pid_t child = ::fork();
    if (child == 0) {
        ::setpgid(0, 0);
        ::dup2(out[1], 1);
        ::dup2(out[1], 2);
        ::execvp(argv[4], argv + 4);
        std::perror("bootwatch: exec");
        ::_exit(127);
    }
    ::close(out[1]);
    std::string line;
    bool seen = false;
    char buf[4096];
    while (!seen) {
        auto left = timeout - (std::chrono::steady_clock::now() - start);
        int ms =
            static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(left).count());
        pollfd p{out[0], POLLIN, 0};
        if (ms <= 0 || ::poll(&p, 1, ms) <= 0)
            break;
        ssize_t n = ::read(out[0], buf, sizeof buf);
        if (n <= 0)
            break;
        for (ssize_t i = 0; i < n && !seen; i++) {
            if (buf[i] != '\n') {
                line += buf[i];
                continue;
            }
            seen = line.find(marker) != std::string::npos;
            line.clear();
        }
        if (!seen && line.find(marker) != std::string::npos)
            seen = true; // the marker before its newline arrived
    }
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                  std::chrono::steady_clock::now() - start)
                  .count();
    ::kill(-child, SIGKILL);
    ::kill(child, SIGKILL);
    ::waitpid(child, nullptr, 0);
    if (!seen) {
        std::printf("timeout\n");
        return 1;
    }
    std::printf("%lld\n", static_cast<long long>(us));
    return 0;
}
