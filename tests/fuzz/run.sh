#!/usr/bin/env bash
# Runs every libFuzzer target in tests/fuzz for SECONDS each (default 60):
#
#   tests/fuzz/run.sh [SECONDS]
#
# Builds $FUZZ_BUILD_DIR (default build-fuzz: clang, -Dfuzz=true, ASan + UBSan) first if
# needed. Each target starts from its seeds in tests/fuzz/corpus/<target>/ plus what earlier
# runs found ($FUZZ_BUILD_DIR/fuzz-work/<target>/corpus, never committed). Prints one
# "ok fuzz_<target>" or "not ok fuzz_<target> # ..." line per target and exits 1 when any
# target crashed, leaked, timed out or broke an invariant; the input that did it is kept as
# $FUZZ_BUILD_DIR/fuzz-work/<target>/crash-* (or leak-*, timeout-*), its log beside it.
#
# Environment: FUZZ_TARGETS (default: all of them, space-separated), FUZZ_BUILD_DIR.
set -uo pipefail
cd "$(dirname "$0")/../.."
budget=${1:-60}
build=${FUZZ_BUILD_DIR:-build-fuzz}
targets=(${FUZZ_TARGETS:-queue p9 blk kernel cli vsock vsock_worker net image image_json})

if [ ! -f "$build/build.ninja" ]; then
  if ! CC=clang CXX=clang++ meson setup "$build" -Dfuzz=true -Db_sanitize=address,undefined \
      -Db_lundef=false >"/tmp/fuzz-setup.$$.log" 2>&1; then
    cat "/tmp/fuzz-setup.$$.log"; rm -f "/tmp/fuzz-setup.$$.log"
    for t in "${targets[@]}"; do echo "not ok fuzz_$t # meson setup $build failed (clang, libclang-rt-14-dev?)"; done
    exit 1
  fi
  rm -f "/tmp/fuzz-setup.$$.log"
fi
if ! ninja -C "$build" "${targets[@]/#/tests/fuzz/fuzz_}"; then
  for t in "${targets[@]}"; do echo "not ok fuzz_$t # build failed"; done
  exit 1
fi

failed=0
for t in "${targets[@]}"; do
  work="$build/fuzz-work/$t"
  mkdir -p "$work/corpus"
  log="$work/fuzz.log"
  # UBSan findings stop the run like ASan's; leaks are reported at exit.
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
  UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    timeout -k 10 $((budget + 120)) "$build/tests/fuzz/fuzz_$t" -max_total_time="$budget" \
      -timeout=20 -rss_limit_mb=2048 -max_len=16384 -print_final_stats=1 -close_fd_mask=1 \
      -artifact_prefix="$work/" "$work/corpus" "tests/fuzz/corpus/$t" >"$log" 2>&1
  rc=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n1)
  if [ "$rc" = 0 ]; then
    echo "ok fuzz_$t # ${runs:-?} runs in ${budget}s"
  else
    failed=1
    artifact=$(sed -n 's/.*Test unit written to //p' "$log" | tail -n1)
    echo "not ok fuzz_$t # exit $rc${artifact:+, input: $artifact} (log: $log)"
    grep -aE 'ERROR|invariant|runtime error|SUMMARY' "$log" | head -n 5 | sed 's/^/#   /'
  fi
done
exit "$failed"
