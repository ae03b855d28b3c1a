#!/usr/bin/env bash
# The aarch64 part of the suite, from an x86_64 (or arm64) Debian 12 machine:
#   1. cross-builds vmm into $ARM64_BUILD_DIR (cross/aarch64-linux-gnu.ini; native on arm64)
#   2. builds the arm64 guest kernel (guest/kernel/build.sh aarch64, cached) and the arm64
#      guest initramfs (guest/initramfs/build.sh --arch aarch64 [--tools])
#   3. builds the arm64 L1 image and boots it under qemu-system-aarch64 (TCG, EL2, GICv3),
#      where the arm64 unit tests run (test 02_unit_tests, written here: this build's
#      unit_tests, seccomp filters included) and the integration tests listed in
#      ARM64_TESTS run against arm64 KVM
# Prints "ok NAME" / "not ok NAME" lines (names prefixed "aarch64/") and ends with
# "N passed, N failed". Exit status 0 only when nothing failed.
#
# tests/arm64.sh --prepare does steps 1 and 2 only (everything cached, nothing reported):
# tests/run.sh runs that in the background while the x86_64 L1, which keeps one CPU busy,
# runs its tests, so the later full run finds its builds done.
#
# Environment:
#   ARM64_BUILD_DIR  meson build directory (default build-arm64); test-bed files in .../testbed
#   ARM64_TESTS      shell patterns of the tests that run on arm64 (default: all but the
#                    two that are x86 by nature, below)
#   ARM64_L1_TIMEOUT seconds for the whole arm64 L1 run (default 2400)
#   ARM64_NET_MIB    MiB each way in the virtio-net test (default 8: TCP through the TAP
#                    ran at about 0.2 MB/s in the emulated arm64 L1, where vsock and 9p
#                    move 64 MiB in about a minute)
#   VMM_TIMEOUT, TEST_TIMEOUT  passed into L1 (see tests/integration/lib.sh and run.sh)
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root" || exit 1
bd=${ARM64_BUILD_DIR:-build-arm64}
tb="$bd/testbed"
# every integration test but 12 (a vmlinux through its x86 PVH entry) and 82 (--acpi off:
# x86's MP table instead of ACPI); the project kernel stands in for the bzImage, Debian's
# stock arm64 kernel for the amd64 one (80: blk, 9p, vsock bound through the device tree;
# 81: power-off through PSCI)
ARM64_TESTS=${ARM64_TESTS:-"0* 1[013-9]_* 2* 3* 4* 5* 6* 7* 8[013-9]_*"}
passed=0 failed=0
bad() { echo "not ok aarch64/$1 # $2"; failed=$((failed + 1)); }
run_timed() {
  local secs=$1; shift
  timeout -k 10 "$secs" "$@" </dev/null
}
. tests/select_tests.sh
selected() { select_tests "$ARM64_TESTS"; }
finish() {
  echo "aarch64: $passed passed, $failed failed"
  echo "$passed passed, $failed failed"
  [ "$failed" = 0 ]
  exit
}
n=$(selected | wc -l)

echo "--- aarch64: build ($bd)"
cross=()
[ "$(uname -m)" = aarch64 ] || cross=(--cross-file cross/aarch64-linux-gnu.ini)
rootfs=$(run_timed 600 tests/testbed/arm64-root.sh) || { bad arm64-root "tests/testbed/arm64-root.sh failed"; failed=$((failed + n)); finish; }
if [ ! -f "$bd/build.ninja" ] && ! run_timed 600 meson setup "$bd" "${cross[@]}" -Dlibfdt_dir="$rootfs"; then
  bad build "meson setup $bd failed"; failed=$((failed + n)); finish
fi
if ! run_timed 3600 ninja -C "$bd" vmm/vmm unit_tests p9host; then
  bad build "ninja -C $bd failed"; failed=$((failed + n)); finish
fi

echo "--- aarch64: guest kernel and initramfs"
payload="$tb/payload"
rm -rf "$payload"
mkdir -p "$payload/guest"
if kdir=$(run_timed 3600 guest/kernel/build.sh aarch64) && [ -f "$kdir/Image" ]; then
  echo "guest kernel: $kdir"
  cp "$kdir/Image" "$payload/guest/"
else
  bad guest-kernel "guest/kernel/build.sh aarch64 failed"
fi
# Debian's arm64 kernel (the one L1 runs) as a stock guest, with its modules
kver=$(cd "$rootfs/lib/modules" && for v in *; do [ -f "$rootfs/boot/vmlinuz-$v" ] && echo "$v"; done | sort -V | tail -n1)
if [ -n "$kver" ]; then
  cp "$rootfs/boot/vmlinuz-$kver" "$payload/guest/vmlinuz-stock"
else
  bad stock-kernel "no arm64 kernel in $rootfs"
fi
for kind in plain tools; do
  args=(--arch aarch64); name=initramfs.cpio.gz
  [ "$kind" = tools ] && args+=(--tools) && name=initramfs-tools.cpio.gz
  if initrd=$(run_timed 600 guest/initramfs/build.sh "${args[@]}") && [ -f "$initrd" ]; then
    cp "$initrd" "$payload/guest/$name"
  else
    bad "guest-initramfs-$kind" "guest/initramfs/build.sh ${args[*]} failed"
  fi
done
if [ -n "$kver" ] && initrd=$(run_timed 600 guest/initramfs/build.sh --arch aarch64 --tools \
    --modules "$rootfs/lib/modules/$kver") && [ -f "$initrd" ]; then
  cp "$initrd" "$payload/guest/initramfs-stock.cpio.gz"
else
  bad guest-initramfs-stock "guest/initramfs/build.sh --arch aarch64 --tools --modules failed"
fi

if [ "${1:-}" = --prepare ]; then
  echo "--- aarch64: prepared ($passed passed, $failed failed so far; the full run reports)"
  exit 0
fi
echo "--- aarch64: integration tests in L1 ($n selected: $ARM64_TESTS)"
cp tests/integration/run.sh tests/integration/lib.sh tests/integration/image_lib.sh \
  tests/integration/stock_lib.sh "$payload/"
mkdir -p "$payload/all" # the t_8x tests rerun others on the stock kernel from here
cp tests/integration/lib.sh tests/integration/image_lib.sh tests/integration/t_*.sh "$payload/all/"
# the x86_64 build's --help, which t_09_help compares with the arm64 vmm's
x86_vmm=${BUILD_DIR:-build}/vmm/vmm
if [ "$(uname -m)" = x86_64 ] && [ -x "$x86_vmm" ]; then
  "$x86_vmm" --help > "$payload/help-x86_64.txt" 2>&1
fi
for name in $(selected); do cp "tests/integration/t_$name.sh" "$payload/"; done
# the arm64 unit tests, run in L1 (an arm64 machine); x86_64 runs its own in tests/run.sh
# (with the fuzz corpus they replay, at the path compiled into them: HYPER_SOURCE_ROOT)
cp -r tests/fuzz/corpus "$payload/fuzz-corpus"
cat > "$payload/t_02_unit_tests.sh" <<'TEST'
#!/bin/sh
# The unit tests of the aarch64 build (written by tests/arm64.sh).
. "$(dirname "$0")/lib.sh"
mkdir -p "$HYPER_SOURCE_ROOT/tests/fuzz"
ln -sfn "$PAYLOAD/fuzz-corpus" "$HYPER_SOURCE_ROOT/tests/fuzz/corpus"
# their temporary files on ext4 (a loop device): L1's root file system has no user.* xattrs,
# which the 9p xattr tests need (the x86_64 unit tests run on the build machine's disk)
mkdir -p "$TEST_TMP/fs"
if $MKE2FS -q -F -t ext4 "$TEST_TMP/fs.img" 256M && mount -o loop "$TEST_TMP/fs.img" "$TEST_TMP/fs"; then
  export TMPDIR="$TEST_TMP/fs"
else
  echo "# no ext4 on a loop device: the xattr tests will fail"
fi
"$PAYLOAD/bin/unit_tests" > "$TEST_TMP/unit.log" 2>&1
rc=$?
umount "$TEST_TMP/fs" 2>/dev/null
grep '^\[doctest\] test cases' "$TEST_TMP/unit.log" | sed 's/^/# /'
if [ "$rc" != 0 ]; then
  grep -E 'TEST CASE|ERROR' "$TEST_TMP/unit.log" | head -n 60 | sed 's/^/# /'
  fail "unit_tests exited $rc"
fi
finish
TEST
n=$((n + 1))
{
  echo "# written by tests/arm64.sh"
  printf 'TESTS=%q\n' "*"
  printf 'NET_MIB=%q\n' "${ARM64_NET_MIB:-8}"
  printf 'HYPER_SOURCE_ROOT=%q\n' "$root"
  [ -n "${VMM_TIMEOUT:-}" ] && printf 'VMM_TIMEOUT=%q\n' "$VMM_TIMEOUT"
  [ -n "${TEST_TIMEOUT:-}" ] && printf 'TEST_TIMEOUT=%q\n' "$TEST_TIMEOUT"
} > "$payload/config.sh"
# L1's tools for the tests' host side: e2fsprogs to make and check images, socat for net/vsock,
# xz and zstd to compress container images, p9host for xattrs and locks beside the 9p guest
extra=(--bin "$rootfs/usr/sbin/mke2fs:mke2fs" --bin "$rootfs/usr/sbin/e2fsck:e2fsck"
  --bin "$rootfs/usr/sbin/debugfs:debugfs" --bin "$rootfs/usr/bin/socat:socat"
  --bin "$rootfs/usr/bin/xz:xz" --bin "$rootfs/usr/bin/zstd:zstd" --bin "$bd/p9host:p9host")
if ! img=$(run_timed 600 tests/testbed/l1-image.sh --arch aarch64 --out "$tb/l1.cpio" \
    --payload "$payload" --bin "$bd/vmm/vmm:vmm" --bin "$bd/unit_tests:unit_tests" "${extra[@]}"); then
  bad l1-image "tests/testbed/l1-image.sh --arch aarch64 failed"; failed=$((failed + n)); finish
fi
tests/testbed/run-l1.sh --arch aarch64 --initrd "$img" --log "$tb/l1.log" \
  --timeout "${ARM64_L1_TIMEOUT:-2400}" --quiet
l1rc=$?
# the L1 log's test lines, named as aarch64 tests
sed -n 's/^\(not \)\{0,1\}ok \(.*\)$/\1ok aarch64\/\2/p; /^ *# /p' "$tb/l1.log" | grep -v '^# written'
summary=$(grep -aE '^[0-9]+ passed, [0-9]+ failed$' "$tb/l1.log" | tail -n1)
if [ -n "$summary" ]; then
  passed=$((passed + ${summary%% passed*}))
  f=${summary#* passed, }; failed=$((failed + ${f%% failed}))
else
  got=$(grep -acE '^ok ' "$tb/l1.log")
  passed=$((passed + got))
  bad l1 "arm64 L1 ended without a summary (run-l1.sh exit $l1rc, log $tb/l1.log)"
  [ $((n - got)) -gt 1 ] && failed=$((failed + n - got - 1))
fi
finish
