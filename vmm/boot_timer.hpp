#pragma once
// --boot-timer: a timeline of the VM's start, in microseconds since main() began
// (CLOCK_MONOTONIC), printed as one JSON line when vmm exits. Marks may come from any
// thread (vCPU threads for the guest's marks); recording one is a clock read and an
// atomic store, nothing else.
#include <array>
#include <atomic>
#include <cstdint>
#include <string>

namespace hyper {

enum class BootPoint : uint8_t { ArgsParsed, VmReady, KernelLoaded, FirstKvmRun, Exit, Count };

class BootTimer {
  public:
    static constexpr size_t k_max_guest_marks = 16;

    BootTimer();

    // Microseconds since start() (CLOCK_MONOTONIC); 0 before start().
    int64_t now_us() const;
    void start();
    // Records `point` now (or at `us`); the first record of a point wins.
    void mark(BootPoint point) { mark_at(point, now_us()); }
    void mark_at(BootPoint point, int64_t us);
    // A guest boot mark; those past k_max_guest_marks are counted but not kept.
    void guest_mark() { guest_mark_at(now_us()); }
    void guest_mark_at(int64_t us);

    // {"boot_timer_us":{"args_parsed":N,...,"guest_marks":[...],"exit":N}}: points not
    // reached are left out; "guest_marks_dropped" appears when marks were dropped.
    std::string to_json() const;

    // Where the line goes at report(): an fd opened early (before the jail or the syscall
    // filters); -1 (the default) means --boot-timer was not given.
    void set_output(int fd) { m_fd = fd; }
    bool enabled() const { return m_fd >= 0; }
    // Marks Exit and writes the line (write(2) only), once.
    void report();

  private:
    std::atomic<int64_t> m_start_ns{0};
    std::array<std::atomic<int64_t>, size_t(BootPoint::Count)> m_points{};
    std::array<std::atomic<int64_t>, k_max_guest_marks> m_guest{};
    std::atomic<uint32_t> m_guest_count{0};
    int m_fd{-1};
    std::atomic<bool> m_reported{false};
};

// The process's timer (main() starts it).
BootTimer& boot_timer();

} // namespace hyper
