#!/usr/bin/env python3
"""Reads "BOOT <config> <microseconds>" and "TIMELINE <vmm --boot-timer JSON>" lines
(bench/boot.sh's L1 log) and prints, per configuration, runs, median, min and max in
milliseconds, and for each hyper-X the ratio of its median to its QEMU peer's (qemu-X;
hyper-run against qemu-stock): lower is better. Then the issue's three goals: fastest
hyper vs fastest QEMU on the same kernel, vmm run vs QEMU on the stock kernel, and the
VMM's own share of the boot (median of first_kvm_run / the guest init's first mark).
Writes every run to a CSV and, with gnuplot installed, a PNG of the runs."""
import argparse
import json
import shutil
import statistics
import subprocess
import sys


# the QEMU configuration each hyper one is compared with, where the names differ
PEERS = {"hyper-run": "qemu-stock"}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--csv")
    ap.add_argument("--png")
    ap.add_argument("--title", default="boot")
    args = ap.parse_args()
    runs, order, failed, timelines = {}, [], {}, {}
    for line in sys.stdin:
        line = line.replace("\r", "")
        if line.startswith("TIMELINE"):
            # "TIMELINE <json>" (vmm) or "TIMELINE-before <json>" (VMM_BEFORE)
            label, _, text = line.partition(" ")
            try:
                t = json.loads(text)["boot_timer_us"]
                share = t["first_kvm_run"] / t["guest_marks"][0]
                timelines.setdefault(label, []).append((t, share))
            except (ValueError, KeyError, IndexError, ZeroDivisionError, TypeError):
                pass
            continue
        w = line.split()
        if len(w) != 3 or w[0] != "BOOT":
            continue
        cfg = w[1]
        if cfg not in order:
            order.append(cfg)
        try:
            runs.setdefault(cfg, []).append(int(w[2]) / 1000.0)
        except ValueError:
            failed[cfg] = failed.get(cfg, 0) + 1
    print(args.title)
    print(f"    {'configuration':<16}{'runs':>5}{'median ms':>11}{'min ms':>9}{'max ms':>9}"
          f"{'hyper/qemu':>12}")
    for cfg in order:
        v = runs.get(cfg, [])
        if not v:
            print(f"    {cfg:<16}{0:>5}   all {failed.get(cfg, 0)} runs failed")
            continue
        ratio = ""
        peer = PEERS.get(cfg, "qemu-" + cfg.rsplit("-", 1)[1])
        if cfg.startswith("hyper-") and runs.get(peer):
            ratio = f"{statistics.median(v) / statistics.median(runs[peer]):.2f}"
        note = f"  ({failed[cfg]} failed)" if cfg in failed else ""
        print(f"    {cfg:<16}{len(v):>5}{statistics.median(v):>11.1f}{min(v):>9.1f}"
              f"{max(v):>9.1f}{ratio:>12}{note}")
    if not runs:
        return 1
    med = {c: statistics.median(v) for c, v in runs.items() if v}

    def fastest(prefix):
        c = [k for k in ("bzimage", "vmlinux") if prefix + k in med]
        return min(c, key=lambda k: med[prefix + k]) if c else None

    h, q = fastest("hyper-"), fastest("qemu-")
    if h and q:
        r = med["hyper-" + h] / med["qemu-" + q]
        print(f"    goal 1: fastest hyper ({h}) / fastest QEMU ({q}) = {r:.2f} (goal <= 0.85)")
    if "hyper-run" in med and "qemu-stock" in med:
        r = med["hyper-run"] / med["qemu-stock"]
        print(f"    goal 2: vmm run to the app / QEMU stock kernel to init = {r:.2f} (goal <= 0.25)")
    for label, tl in timelines.items():
        who = "vmm" if label == "TIMELINE" else "vmm-before"
        shares = [share for _, share in tl]
        print(f"    goal 3: {who}'s own phases (start -> first KVM_RUN) / start -> guest init mark"
              f" = {100 * statistics.median(shares):.1f}% median of {len(shares)} (goal < 5%)")
        phases = ("args_parsed", "vm_ready", "kernel_loaded", "first_kvm_run")
        meds = [statistics.median(t[p] for t, _ in tl) / 1000 for p in phases]
        print(f"      {who} median ms: " + ", ".join(f"{p} {m:.1f}" for p, m in zip(phases, meds)))
    if args.csv:
        with open(args.csv, "w") as f:
            f.write("configuration,run,ms\n")
            for cfg in order:
                for i, ms in enumerate(runs.get(cfg, []), 1):
                    f.write(f"{cfg},{i},{ms:.3f}\n")
    if args.png and shutil.which("gnuplot"):
        data = args.png + ".dat"
        # colour by VMM: hyper blue, QEMU red, hyper-before grey; the median as a bar
        colours = {"hyper": 0x1f5fbf, "qemu": 0xc0392b, "hyper-before": 0x888888}
        with open(data, "w") as f:
            for x, cfg in enumerate(order):
                family = "hyper-before" if cfg.startswith("hyper-before") else cfg.split("-")[0]
                colour = colours.get(family, 0x000000)
                v = runs.get(cfg, [])
                for ms in v:
                    f.write(f"{x} {ms:.3f} {colour} 0\n")
                if v:
                    f.write(f"{x} {statistics.median(v):.3f} {colour} 1\n")
        tics = ", ".join(f'"{c}" {i}' for i, c in enumerate(order))
        script = (f'set terminal pngcairo size 1000,560; set output "{args.png}"; '
                  f'set title "{args.title} (dots: runs, bars: medians)"; '
                  f'set ylabel "ms to init (log scale; nested, emulated)"; set logscale y; '
                  f'set xtics ({tics}) rotate by -30 left; set xrange [-0.5:{len(order) - 0.5}]; '
                  f'set bmargin 7; set grid ytics mytics; unset key; '
                  f'plot "{data}" using 1:($4 == 0 ? $2 : 1/0):3 with points pt 7 ps 1 lc rgb variable, '
                  f'"" using 1:($4 == 1 ? $2 : 1/0):3 with points pt 5 ps 0 lc rgb variable, '
                  f'"" using ($1 - 0.3):($4 == 1 ? $2 : 1/0):(0.6):(0):3 with vectors nohead lw 3 lc rgb variable')
        subprocess.run(["gnuplot", "-e", script], check=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
