#include "base/log.hpp"

#include <atomic>
#include <cstdarg>
#include <cstdio>

namespace hyper {

namespace {
std::atomic<LogLevel> g_level{LogLevel::Warn};
const char* level_name(LogLevel level) {
    switch (level) {
    case LogLevel::Error: return "error";
    case LogLevel::Warn: return "warning";
    case LogLevel::Info: return "info";
    case LogLevel::Debug: return "debug";
    }
    return "?";
}
} // namespace

LogLevel log_level() {
    return g_level.load(std::memory_order_relaxed);
}
void set_log_level(LogLevel level) {
    g_level.store(level, std::memory_order_relaxed);
}

void log_printf(LogLevel level, const char* fmt, ...) {
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    // One write per line so lines from several threads do not interleave. The console
    // may have the terminal in raw mode, hence \r\n.
    std::fprintf(stderr, "vmm: %s: %s\r\n", level_name(level), buf);
}

} // namespace hyper
