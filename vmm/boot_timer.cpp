#include "vmm/boot_timer.hpp"

#include <time.h>
#include <unistd.h>

namespace hyper {

namespace {

constexpr int64_t k_unset = -1;

constexpr const char* k_point_names[] = {"args_parsed", "vm_ready", "kernel_loaded",
                                         "first_kvm_run", "exit"};
static_assert(std::size(k_point_names) == size_t(BootPoint::Count));

int64_t monotonic_ns() {
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

} // namespace

BootTimer::BootTimer() {
    for (auto& p : m_points)
        p.store(k_unset, std::memory_order_relaxed);
}

void BootTimer::start() {
    m_start_ns.store(monotonic_ns(), std::memory_order_relaxed);
    for (auto& p : m_points)
        p.store(k_unset, std::memory_order_relaxed);
    m_guest_count.store(0, std::memory_order_relaxed);
}

int64_t BootTimer::now_us() const {
    int64_t start = m_start_ns.load(std::memory_order_relaxed);
    if (start == 0)
        return 0;
    return (monotonic_ns() - start) / 1000;
}

void BootTimer::mark_at(BootPoint point, int64_t us) {
    int64_t expected = k_unset;
    m_points[size_t(point)].compare_exchange_strong(expected, us, std::memory_order_relaxed);
}

void BootTimer::guest_mark_at(int64_t us) {
    uint32_t i = m_guest_count.fetch_add(1, std::memory_order_acq_rel);
    if (i < k_max_guest_marks)
        m_guest[i].store(us, std::memory_order_release);
}

std::string BootTimer::to_json() const {
    std::string out = "{\"boot_timer_us\":{";
    bool first = true;
    auto field = [&](const char* name) {
        if (!first)
            out += ',';
        first = false;
        out += '"';
        out += name;
        out += "\":";
    };
    for (size_t p = 0; p < size_t(BootPoint::Exit); p++) {
        int64_t us = m_points[p].load(std::memory_order_relaxed);
        if (us == k_unset)
            continue;
        field(k_point_names[p]);
        out += std::to_string(us);
    }
    uint32_t count = m_guest_count.load(std::memory_order_acquire);
    field("guest_marks");
    out += '[';
    for (uint32_t i = 0; i < count && i < k_max_guest_marks; i++) {
        if (i)
            out += ',';
        out += std::to_string(m_guest[i].load(std::memory_order_acquire));
    }
    out += ']';
    if (count > k_max_guest_marks) {
        field("guest_marks_dropped");
        out += std::to_string(count - k_max_guest_marks);
    }
    int64_t exit_us = m_points[size_t(BootPoint::Exit)].load(std::memory_order_relaxed);
    if (exit_us != k_unset) {
        field("exit");
        out += std::to_string(exit_us);
    }
    out += "}}\n";
    return out;
}

void BootTimer::report() {
    if (m_fd < 0 || m_reported.exchange(true))
        return;
    mark(BootPoint::Exit);
    std::string line = to_json();
    size_t done = 0;
    while (done < line.size()) {
        ssize_t n = ::write(m_fd, line.data() + done, line.size() - done);
        if (n <= 0)
            break;
        done += size_t(n);
    }
    if (m_fd > 2)
        ::close(m_fd);
}

BootTimer& boot_timer() {
    static BootTimer timer;
    return timer;
}

} // namespace hyper
