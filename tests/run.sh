#!/usr/bin/env bash
# Runs hyper's whole test suite, the one command for developers and CI:
#   1. builds the project (meson setup if needed, ninja)
#   2. runs the doctest unit tests (build/unit_tests)
#   3. builds the guest kernel (guest/kernel/build.sh, cached) and initramfs
#   4. builds the L1 test-bed image with the vmm, the integration tests and the guests,
#      boots it under QEMU TCG (tests/testbed/run-l1.sh) and collects the ok/not ok lines
# and prints as its very last line "N passed, N failed": unit test cases plus integration
# tests, plus one failure for each step that broke (build, guest kernel, L1 boot, ...).
# Exit status 0 only when nothing failed.
#
# Environment:
#   BUILD_DIR     meson build directory (default build); test-bed files go to $BUILD_DIR/testbed
#   TESTS         space-separated shell patterns of integration test names (default all),
#                 e.g. TESTS='1*_bzimage*' tests/run.sh
#   INTEGRATION=0 skip steps 3-4 (unit tests only)
#   SANITIZERS=0  skip the sanitizer steps (unit tests in $BUILD_DIR-asan with ASan+UBSan,
#                 one entry; tests/fuzz/run.sh, one entry per fuzz target)
#   FUZZ_SECONDS  seconds per fuzz target in that step (default 30)
#   L1_TIMEOUT    seconds for the whole L1 run (default 2400); VMM_TIMEOUT, TEST_TIMEOUT
#                 are passed into L1 (see tests/integration/lib.sh and run.sh)
#   L1_SMP        CPUs of the L1 machine (default 1)
#   VMM_BIN       the vmm executable (default: $BUILD_DIR/vmm or $BUILD_DIR/vmm/vmm, used only
#                 when the build succeeded); given explicitly it is used whatever the build
#   L1_WITH_QEMU=1 copy QEMU into L1 too; with VMM_BIN=tests/testbed/qemu-vmm.sh this runs
#                 the integration tests against QEMU, to check the tests themselves
#   L1_DEBUG_BINS host executables (FILE[:NAME], space-separated) copied into L1's
#                 /payload/bin too, for debugging: e.g. strace, with VMM_BIN a wrapper
#                 script that runs /payload/bin/vmm.real under it
#   ARCHES        the L1 test beds to run (default "x86_64 aarch64"): aarch64 is
#                 tests/arm64.sh (cross build, arm64 guest kernel, the tests that apply to
#                 arm64 in an emulated arm64 L1; see ARM64_TESTS there); ARCHES=x86_64 skips it
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root" || exit 1
BUILD_DIR=${BUILD_DIR:-build}
TESTS=${TESTS:-*}
tb="$BUILD_DIR/testbed"

unit_passed=0 unit_failed=0 it_passed=0 it_failed=0 step_failed=0
failures=()
step() { echo; echo "=== $* ==="; }
# step_fail NAME REASON: a step broke; it counts as one failure
step_fail() {
  echo "not ok $1 # $2"
  failures+=("not ok $1 # $2")
  step_failed=$((step_failed + 1))
}
# quiet_timeout SECS CMD...: runs CMD with a timeout; says so if the timeout struck
run_timed() {
  local secs=$1; shift
  timeout -k 10 "$secs" "$@" </dev/null
  local rc=$?
  if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then echo "tests/run.sh: '$*' timed out after ${secs}s" >&2; fi
  return "$rc"
}

# ---- 0. dependencies (a no-op when everything is installed) ----
step "dependencies"
if ! run_timed 1800 scripts/install-deps.sh; then
  step_fail dependencies "scripts/install-deps.sh failed"
fi

# ---- 1. build ----
step "build ($BUILD_DIR)"
built=0
if [ ! -f "$BUILD_DIR/build.ninja" ] && ! run_timed 600 meson setup "$BUILD_DIR"; then
  step_fail build "meson setup failed"
elif ! run_timed 3600 ninja -C "$BUILD_DIR"; then
  step_fail build "ninja failed"
else
  built=1
fi

# ---- 2. unit tests ----
step "unit tests"
if [ "$built" = 1 ] && [ -x "$BUILD_DIR/unit_tests" ]; then
  mkdir -p "$tb"
  run_timed 600 "$BUILD_DIR/unit_tests" 2>&1 | tee "$tb/unit_tests.log"
  urc=${PIPESTATUS[0]}
  # doctest's summary: "[doctest] test cases: 12 | 11 passed | 1 failed | 0 skipped"
  counts=$(sed -n 's/^\[doctest\] test cases: *\([0-9]*\) *| *\([0-9]*\) passed *| *\([0-9]*\) failed.*/\2 \3/p' \
    "$tb/unit_tests.log" | tail -n1)
  if [ -z "$counts" ]; then
    step_fail unit_tests "no doctest summary line (exit status $urc: crashed or timed out?)"
  else
    read -r unit_passed unit_failed <<<"$counts"
    if [ "$urc" != 0 ] && [ "$unit_failed" = 0 ]; then
      step_fail unit_tests "exit status $urc though doctest counted no failure"
    fi
    [ "$unit_failed" = 0 ] || failures+=("unit tests: $unit_failed test case(s) failed, see above")
  fi
elif [ "$built" = 1 ]; then
  step_fail unit_tests "$BUILD_DIR/unit_tests missing after the build"
else
  echo "skipped: the build failed"
fi

# ---- 2b. sanitizers: the unit tests under ASan+UBSan, then the fuzz targets briefly ----
# SANITIZERS=0 skips both; FUZZ_SECONDS (default 30) is each fuzz target's budget.
san_passed=0 san_failed=0
step "unit tests under ASan+UBSan ($BUILD_DIR-asan)"
if [ "${SANITIZERS:-1}" = 0 ]; then
  echo "skipped: SANITIZERS=0"
else
  asan="$BUILD_DIR-asan"
  mkdir -p "$tb"
  if [ ! -f "$asan/build.ninja" ] && ! run_timed 600 meson setup "$asan" \
      -Db_sanitize=address,undefined -Dbuildtype=debugoptimized; then
    san_failed=$((san_failed + 1)); failures+=("not ok unit_tests_asan # meson setup $asan failed")
    echo "not ok unit_tests_asan # meson setup $asan failed"
  elif ! run_timed 3600 ninja -C "$asan" unit_tests; then
    san_failed=$((san_failed + 1)); failures+=("not ok unit_tests_asan # ninja failed")
    echo "not ok unit_tests_asan # ninja failed"
  elif ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
      run_timed 900 "$asan/unit_tests" >"$tb/unit_tests_asan.log" 2>&1; then
    san_passed=$((san_passed + 1))
    echo "ok unit_tests_asan"
  else
    tail -n 40 "$tb/unit_tests_asan.log"
    san_failed=$((san_failed + 1))
    failures+=("not ok unit_tests_asan # see $tb/unit_tests_asan.log")
    echo "not ok unit_tests_asan # see $tb/unit_tests_asan.log"
  fi

  step "fuzz targets (tests/fuzz/run.sh ${FUZZ_SECONDS:-30})"
  run_timed 3600 tests/fuzz/run.sh "${FUZZ_SECONDS:-30}" 2>&1 | tee "$tb/fuzz.log"
  fuzz_ok=$(grep -ac '^ok fuzz_' "$tb/fuzz.log")
  fuzz_bad=$(grep -ac '^not ok fuzz_' "$tb/fuzz.log")
  san_passed=$((san_passed + fuzz_ok))
  san_failed=$((san_failed + fuzz_bad))
  while IFS= read -r line; do failures+=("$line"); done < <(grep -a '^not ok fuzz_' "$tb/fuzz.log")
  if [ "$fuzz_ok" = 0 ] && [ "$fuzz_bad" = 0 ]; then
    step_fail fuzz "tests/fuzz/run.sh reported no target (see $tb/fuzz.log)"
  fi
fi

# the integration tests that TESTS selects
. tests/select_tests.sh
selected_tests() { select_tests "$TESTS"; }

if [ "${INTEGRATION:-1}" != 0 ]; then
  n_selected=$(selected_tests | wc -l)

  # ---- 3. guests ----
  step "guest kernel and initramfs"
  payload="$tb/payload"
  rm -rf "$payload"
  mkdir -p "$payload/guest"
  kver=$(cd /lib/modules 2>/dev/null && for v in *; do [ -f "/boot/vmlinuz-$v" ] && echo "$v"; done | sort -V | tail -n1)
  if [ -n "$kver" ] && [ -r "/boot/vmlinuz-$kver" ]; then
    cp "/boot/vmlinuz-$kver" "$payload/guest/vmlinuz-stock"
  else
    step_fail stock-kernel "no readable /boot/vmlinuz-* with /lib/modules (run scripts/install-deps.sh)"
  fi
  if kdir=$(run_timed 3600 guest/kernel/build.sh) && [ -f "$kdir/bzImage" ]; then
    echo "guest kernel: $kdir"
    cp "$kdir/bzImage" "$kdir/vmlinux" "$payload/guest/"
  else
    step_fail guest-kernel "guest/kernel/build.sh failed"
  fi
  if initrd=$(run_timed 300 guest/initramfs/build.sh) && [ -f "$initrd" ]; then
    echo "guest initramfs: $initrd"
    cp "$initrd" "$payload/guest/initramfs.cpio.gz"
  else
    step_fail guest-initramfs "guest/initramfs/build.sh failed"
  fi
  if initrd=$(run_timed 300 guest/initramfs/build.sh --tools) && [ -f "$initrd" ]; then
    echo "guest initramfs with test tools: $initrd"
    cp "$initrd" "$payload/guest/initramfs-tools.cpio.gz"
  else
    step_fail guest-initramfs-tools "guest/initramfs/build.sh --tools failed"
  fi
  # the stock kernel's drivers are modules: the tools initramfs plus those modules
  if [ -n "$kver" ] && initrd=$(run_timed 300 guest/initramfs/build.sh --tools --modules "/lib/modules/$kver") &&
    [ -f "$initrd" ]; then
    echo "guest initramfs with test tools and $kver modules: $initrd"
    cp "$initrd" "$payload/guest/initramfs-stock.cpio.gz"
  else
    step_fail guest-initramfs-stock "guest/initramfs/build.sh --tools --modules failed"
  fi

  # ---- 4. L1 ----
  step "integration tests in L1 ($n_selected selected)"
  # the vmm executable: VMM_BIN, or where meson puts it (top level, or vmm/ when the
  # executable is declared in vmm/meson.build); only if this build succeeded
  vmm_bin=""
  if [ -n "${VMM_BIN:-}" ]; then
    [ -f "$VMM_BIN" ] && [ -x "$VMM_BIN" ] && vmm_bin=$VMM_BIN
  elif [ "$built" = 1 ]; then
    for c in "$BUILD_DIR/vmm" "$BUILD_DIR/vmm/vmm"; do
      if [ -f "$c" ] && [ -x "$c" ]; then vmm_bin=$c; break; fi
    done
  fi
  # QEMU in L1, for tests/testbed/qemu-vmm.sh
  # ext4 tools for the disk tests: make images and check what the guest wrote
  # socat: the host end of the network and vsock tests
  # xz, zstd: the container-image tests compress ACIs and OCI layers with them
  extra=(--bin /sbin/mke2fs --bin /sbin/e2fsck --bin /sbin/debugfs --bin /usr/bin/socat
    --bin /usr/bin/xz --bin /usr/bin/zstd)
  for b in ${L1_DEBUG_BINS:-}; do extra+=(--bin "$b"); done
  # p9host: xattrs and POSIX locks on the host side of the 9p test
  [ -x "$BUILD_DIR/p9host" ] && extra+=(--bin "$BUILD_DIR/p9host:p9host")
  if [ "${L1_WITH_QEMU:-0}" = 1 ]; then
    extra+=(--bin /usr/bin/qemu-system-x86_64)
    for f in qboot.rom bios-microvm.bin linuxboot_dma.bin pvh.bin; do extra+=(--file "/usr/share/qemu/$f"); done
  fi
  cp tests/integration/run.sh tests/integration/lib.sh tests/integration/image_lib.sh \
    tests/integration/stock_lib.sh "$payload/"
  for name in $(selected_tests); do cp "tests/integration/t_$name.sh" "$payload/"; done
  # every test, not run as such: t_8x tests rerun some of them on Debian's stock kernel
  mkdir -p "$payload/all"
  cp tests/integration/lib.sh tests/integration/image_lib.sh tests/integration/t_*.sh "$payload/all/"
  {
    echo "# written by tests/run.sh"
    printf 'TESTS=%q\n' "$TESTS"
    [ -n "${VMM_TIMEOUT:-}" ] && printf 'VMM_TIMEOUT=%q\n' "$VMM_TIMEOUT"
    [ -n "${TEST_TIMEOUT:-}" ] && printf 'TEST_TIMEOUT=%q\n' "$TEST_TIMEOUT"
  } > "$payload/config.sh"
  if [ "$n_selected" = 0 ]; then
    echo "no integration test matches TESTS='$TESTS'"
  elif [ -z "$vmm_bin" ]; then
    echo "not ok integration # no vmm executable (${VMM_BIN:-$BUILD_DIR/vmm}): $n_selected tests not run"
    failures+=("not ok integration # no vmm executable (${VMM_BIN:-$BUILD_DIR/vmm}): $n_selected tests not run")
    it_failed=$n_selected
  elif ! img=$(run_timed 600 tests/testbed/l1-image.sh --out "$tb/l1.cpio" --payload "$payload" \
      --bin "$vmm_bin:vmm" "${extra[@]}"); then
    step_fail l1-image "tests/testbed/l1-image.sh failed; $n_selected tests not run"
    it_failed=$n_selected
  else
    # L1 keeps one CPU busy: the aarch64 builds (step 5) use the rest meanwhile
    arm64_prepare=""
    case " ${ARCHES:-x86_64 aarch64} " in
      *" aarch64 "*)
        nice -n 10 timeout 3600 tests/arm64.sh --prepare </dev/null > "$tb/arm64-prepare.log" 2>&1 &
        arm64_prepare=$! ;;
    esac
    tests/testbed/run-l1.sh --initrd "$img" --log "$tb/l1.log" \
      --timeout "${L1_TIMEOUT:-2400}" --smp "${L1_SMP:-1}"
    l1rc=$?
    if [ -n "$arm64_prepare" ]; then
      echo "tests/run.sh: waiting for the aarch64 builds (log $tb/arm64-prepare.log)"
      wait "$arm64_prepare"
    fi
    summary=$(grep -aE '^[0-9]+ passed, [0-9]+ failed$' "$tb/l1.log" | tail -n1)
    while IFS= read -r line; do failures+=("$line"); done < <(grep -aE '^not ok ' "$tb/l1.log")
    if [ -n "$summary" ]; then
      it_passed=${summary%% passed*}
      it_failed=${summary#* passed, }; it_failed=${it_failed%% failed}
      if [ "$l1rc" != 0 ] && [ "$it_failed" = 0 ]; then
        step_fail l1 "run-l1.sh exit status $l1rc though every test passed"
      fi
    else
      # L1 died or timed out part way: what was reported counts, the rest failed
      it_passed=$(grep -acE '^ok ' "$tb/l1.log")
      it_failed=$((n_selected - it_passed))
      [ "$it_failed" -gt 0 ] || it_failed=1
      failures+=("L1 ended without a summary (run-l1.sh exit status $l1rc, log $tb/l1.log)")
      echo "tests/run.sh: L1 ended without the integration summary (run-l1.sh exit status $l1rc)"
    fi
  fi
fi

# ---- 5. aarch64: the same vmm and devices on arm64 KVM (tests/arm64.sh) ----
arm_passed=0 arm_failed=0
case " ${ARCHES:-x86_64 aarch64} " in
  *" aarch64 "*)
    if [ "${INTEGRATION:-1}" != 0 ]; then
      step "aarch64 (tests/arm64.sh)"
      mkdir -p "$tb"
      run_timed 4800 tests/arm64.sh 2>&1 | tee "$tb/arm64.log"
      summary=$(grep -aE '^[0-9]+ passed, [0-9]+ failed$' "$tb/arm64.log" | tail -n1)
      while IFS= read -r line; do failures+=("$line"); done < <(grep -aE '^not ok ' "$tb/arm64.log")
      if [ -n "$summary" ]; then
        arm_passed=${summary%% passed*}
        arm_failed=${summary#* passed, }; arm_failed=${arm_failed%% failed}
      else
        step_fail aarch64 "tests/arm64.sh ended without a summary (see $tb/arm64.log)"
      fi
    fi ;;
esac

step "summary"
echo "unit test cases: $unit_passed passed, $unit_failed failed"
echo "integration tests: $it_passed passed, $it_failed failed"
echo "sanitizer runs (unit tests, fuzz targets): $san_passed passed, $san_failed failed"
echo "aarch64 (build, guests, integration tests): $arm_passed passed, $arm_failed failed"
[ "$step_failed" = 0 ] || echo "broken steps: $step_failed"
for f in "${failures[@]}"; do echo "  $f"; done
passed=$((unit_passed + it_passed + san_passed + arm_passed))
failed=$((unit_failed + it_failed + san_failed + step_failed + arm_failed))
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
