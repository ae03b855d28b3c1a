# Shared steps of the benchmark scripts (sourced by bench/*.sh, bash).
# bench_prepare NAME: installs deps, builds vmm and the guest kernel, makes
#   build/bench/NAME/payload/guest with the kernel; sets $work and $kdir.
# bench_run_l1 TITLE METRIC...: builds the L1 image (vmm, QEMU, EXTRA_BINS) from the payload,
#   boots it (run-l1.sh with $L1_FLAGS, e.g. --icount), and prints the table (bench/lib/table.py) of its RESULT lines:
#   bench_boot_l1 then bench_table, which bench/net.sh's split runs also call apart.
#   VMM_BEFORE=FILE (an older vmm build) goes into L1 as /payload/bin/vmm-before: the
#   benchmarks that support it (bench/net.sh, bench/boot.sh) run it too, as "hyper-before", for a
#   before/after comparison from one L1 run.
bench_prepare() {
  scripts/install-deps.sh
  [ -f build/build.ninja ] || meson setup build >/dev/null
  ninja -C build >/dev/null
  work=build/bench/${BENCH_WORK:-$1} # BENCH_WORK: another directory, to run two at once
  rm -rf "$work" && mkdir -p "$work/payload/guest"
  kdir=$(guest/kernel/build.sh x86_64)
  cp "$kdir/bzImage" "$work/payload/guest/bzImage"
  cp bench/lib/bench-l1.sh "$work/payload/lib.sh"
}

# bench_boot_l1: builds the L1 image from the payload and boots it; the console log is
# $work/l1.log.
bench_boot_l1() {
  local extra=(--bin /usr/bin/qemu-system-x86_64)
  for f in qboot.rom bios-microvm.bin linuxboot_dma.bin pvh.bin; do extra+=(--file "/usr/share/qemu/$f"); done
  for b in ${EXTRA_BINS:-}; do extra+=(--bin "$b"); done
  [ -n "${VMM_BEFORE:-}" ] && extra+=(--bin "$VMM_BEFORE:vmm-before")
  local img
  img=$(tests/testbed/l1-image.sh --out "$work/l1.cpio" --payload "$work/payload" \
    --bin build/vmm/vmm:vmm "${extra[@]}")
  tests/testbed/run-l1.sh --initrd "$img" --log "$work/l1.log" --timeout "${L1_TIMEOUT:-3000}" --quiet ${L1_FLAGS:-} || true
}

# bench_table LOG TITLE METRIC...: the table of LOG's RESULT lines, also in $work/table.txt
bench_table() {
  local log=$1 title=$2; shift 2
  local args=()
  for m in "$@"; do args+=(--metric "$m"); done
  python3 bench/lib/table.py --title "$title" "${args[@]}" ${LOWER_BETTER:-} < "$log" |
    tee "$work/table.txt"
}

bench_run_l1() {
  local title=$1; shift
  bench_boot_l1
  bench_table "$work/l1.log" "$title" "$@"
}
