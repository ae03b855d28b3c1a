#pragma once
// Minimal leveled logging to stderr, printf-style: "vmm: warning: message".
namespace hyper {

enum class LogLevel { Error = 0, Warn = 1, Info = 2, Debug = 3 };

LogLevel log_level();
void set_log_level(LogLevel level);
void log_printf(LogLevel level, const char* fmt, ...) __attribute__((format(printf, 2, 3)));

} // namespace hyper

#define LOG_AT(level, ...)                                                                         \
    do {                                                                                           \
        if (static_cast<int>(level) <= static_cast<int>(::hyper::log_level()))                     \
            ::hyper::log_printf(level, __VA_ARGS__);                                               \
    } while (0)
#define LOG_ERROR(...) LOG_AT(::hyper::LogLevel::Error, __VA_ARGS__)
#define LOG_WARN(...) LOG_AT(::hyper::LogLevel::Warn, __VA_ARGS__)
#define LOG_INFO(...) LOG_AT(::hyper::LogLevel::Info, __VA_ARGS__)
#define LOG_DEBUG(...) LOG_AT(::hyper::LogLevel::Debug, __VA_ARGS__)
