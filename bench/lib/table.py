#!/usr/bin/env python3
"""Reads "RESULT <vmm> <test> <k=v>... <value> <unit> ..." lines (from an L1 log) and
prints one row per test: the median of each VMM's rounds for the test's metric, and the
ratio hyper / qemu (for a metric where lower is better, --lower-better flips it). Where the
log also has "hyper-before" results (VMM_BEFORE=an older vmm, see bench/lib/common.sh), two
more columns: that build's median and its ratio to QEMU, so a change shows as before/after
from one L1 run.

A test's metric is the first --metric whose unit appears in its RESULT line, so
  --metric MiB/s:seq --metric IOPS:rand
reports MiB/s for tests whose name starts with "seq" and IOPS for those with "rand".
"""
import argparse
import statistics
import sys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--title", default="benchmark")
    ap.add_argument("--metric", action="append", default=[],
                    help="UNIT:PREFIX - report UNIT for tests whose name starts with PREFIX")
    ap.add_argument("--lower-better", action="append", default=[], help="units where lower wins")
    args = ap.parse_args()
    metrics = [m.split(":", 1) for m in args.metric]
    results = {}  # (test) -> vmm -> [values]
    order = []
    failed = []
    for line in sys.stdin:
        words = line.split()
        if len(words) < 3 or words[0] != "RESULT":
            continue
        vmm, rest = words[1], words[2:]
        if rest[0] == "FAILED":
            failed.append(vmm)
            continue
        name_words = []
        for w in rest:
            try:
                float(w)
                break
            except ValueError:
                name_words.append(w)
        test = " ".join(name_words)
        unit = None
        for u, prefix in metrics:
            if test.startswith(prefix) and u in rest:
                unit = u
                break
        if unit is None:
            continue
        value = float(rest[rest.index(unit) - 1])
        key = (test, unit)
        if key not in results:
            results[key] = {}
            order.append(key)
        results[key].setdefault(vmm, []).append(value)
    print(args.title)
    before = any("hyper-before" in r for r in results.values())
    header = f"{'test':<28} {'unit':>6} {'hyper':>10} {'qemu':>10} {'hyper/qemu':>11}"
    if before:
        header += f" {'before':>10} {'before/qemu':>12}"
    header += "  rounds"
    print(header)
    print("-" * len(header))

    def ratio(h, q, unit):
        if not h or not q:
            return "n/a"
        hm, qm = statistics.median(h), statistics.median(q)
        if qm <= 0 or hm <= 0:
            return "n/a"
        return f"{(qm / hm) if unit in args.lower_better else (hm / qm):.2f}x"

    for key in order:
        test, unit = key
        h = results[key].get("hyper", [])
        q = results[key].get("qemu", [])
        b = results[key].get("hyper-before", [])
        hm = statistics.median(h) if h else float("nan")
        qm = statistics.median(q) if q else float("nan")
        row = f"{test:<28} {unit:>6} {hm:>10.1f} {qm:>10.1f} {ratio(h, q, unit):>11}"
        rounds = f"{len(h)}/{len(q)}"
        if before:
            bm = statistics.median(b) if b else float("nan")
            row += f" {bm:>10.1f} {ratio(b, q, unit):>12}"
            rounds += f"/{len(b)}"
        print(f"{row}  {rounds}")
    if failed:
        print(f"failed runs: {', '.join(failed)}")
    if not order:
        print("no results (see the L1 log)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
