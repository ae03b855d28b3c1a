#!/usr/bin/env python3
"""Reads "PROFILE <vmm> <round> <console line>" lines (bench/boot-profile.sh's L1 log) and
prints, for hyper and QEMU side by side (medians over the rounds): when the guest kernel
reached its milestones, the initcalls whose time differs most between the two, and each
VMM's largest gaps between consecutive kernel messages (time spent where no initcall is
timed: early set-up, calibration, waiting for a device)."""
import re
import statistics
import sys

LINE = re.compile(r"^\[\s*(\d+\.\d+)\]\s*(.*)$")
# "initcall NAME+0x0/0x20 returned 0 after 3 usecs"; a kernel without kallsyms (the project
# kernel) prints the address instead of NAME+offset: the same in both VMMs' logs
INITCALL = re.compile(r"initcall (\S+?)(?:\+0x[0-9a-f]+/0x[0-9a-f]+)? returned -?\d+ after (\d+) usecs")
MILESTONES = [
    ("first kernel message", r"Linux version"),
    ("timer/TSC set up", r"(tsc: Refined|clocksource: Switched to clocksource tsc|tsc: Detected)"),
    ("delay loop", r"(Calibrating delay loop|lpj=)"),
    ("APIC set up", r"(APIC: Switch to symmetric|Switched APIC routing|x2apic enabled)"),
    ("ACPI", r"ACPI: Interpreter enabled|ACPI: bus type"),
    ("CPUs up", r"smp: Brought up"),
    ("initramfs unpacked", r"Freeing initrd memory|Trying to unpack rootfs"),
    ("kernel done, runs /init", r"Run /init as init process"),
]


def parse(lines):
    """runs[vmm][round] = list of (seconds, text) of the kernel's timestamped lines."""
    runs = {}
    for raw in lines:
        raw = raw.rstrip("\r\n").replace("\r", "")
        w = raw.split(" ", 3)
        if len(w) < 4 or w[0] != "PROFILE":
            continue
        m = LINE.match(w[3])
        if m:
            runs.setdefault(w[1], {}).setdefault(w[2], []).append((float(m.group(1)), m.group(2)))
    return runs


def milestone(run, pattern):
    for t, text in run:
        if re.search(pattern, text):
            return t
    return None


def initcalls(run):
    out = {}
    for _, text in run:
        m = INITCALL.search(text)
        if m:
            out[m.group(1)] = out.get(m.group(1), 0) + int(m.group(2)) / 1000.0
    return out


def gaps(run, n):
    g = []
    for (t0, text0), (t1, _) in zip(run, run[1:]):
        g.append((t1 - t0, t0, text0))
    return sorted(g, reverse=True)[:n]


def med(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def fmt(v, unit=1000.0):
    return f"{v * unit:10.1f}" if v is not None else f"{'-':>10}"


def main():
    runs = parse(sys.stdin)
    vmms = [v for v in ("hyper", "qemu") if v in runs]
    if len(vmms) < 2:
        print(f"boot profile: need hyper and qemu runs, found {sorted(runs)}")
        return 1
    print("guest kernel milestones, ms of the guest's clock (median of "
          f"{min(len(runs[v]) for v in vmms)} runs)")
    print(f"    {'milestone':<28}{'hyper':>10}{'qemu':>10}{'hyper-qemu':>12}")
    for name, pattern in MILESTONES:
        h = med(milestone(r, pattern) for r in runs["hyper"].values())
        q = med(milestone(r, pattern) for r in runs["qemu"].values())
        d = f"{(h - q) * 1000:12.1f}" if h is not None and q is not None else f"{'-':>12}"
        print(f"    {name:<28}{fmt(h)}{fmt(q)}{d}")
    calls = {v: {} for v in vmms}
    for v in vmms:
        per = [initcalls(r) for r in runs[v].values()]
        for fn in set().union(*per):
            calls[v][fn] = med(p.get(fn, 0.0) for p in per)
    names = set(calls["hyper"]) | set(calls["qemu"])
    diff = sorted(names, key=lambda f: -abs(calls["hyper"].get(f, 0) - calls["qemu"].get(f, 0)))
    print("\ninitcalls that differ most, ms")
    print(f"    {'initcall':<40}{'hyper':>10}{'qemu':>10}")
    for fn in diff[:15]:
        print(f"    {fn[:40]:<40}{calls['hyper'].get(fn, 0):>10.2f}{calls['qemu'].get(fn, 0):>10.2f}")
    for v in vmms:
        total = sum(calls[v].values())
        print(f"\n{v}: initcalls {total:.1f} ms in all; largest gaps between kernel messages "
              "(first run), ms")
        first = runs[v][sorted(runs[v])[0]]
        for dt, t0, text in gaps(first, 8):
            print(f"    {dt * 1000:8.1f} after [{t0:9.6f}] {text[:80]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
