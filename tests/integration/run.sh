#!/bin/sh
# hyper's integration test runner. Runs inside the L1 test bed as /payload/run.sh (busybox
# sh): runs every t_*.sh next to it in name order, each in its own session under a
# timeout, prints "ok NAME" or "not ok NAME" (TAP style; "#" lines are diagnostics) and
# ends with the line "N passed, N failed". Exit status 0 only when nothing failed.
# Environment (or /payload/config.sh): TESTS, a space-separated list of shell patterns of
# test names to run (default all); TEST_TIMEOUT, seconds per test (default 600).
here=$(cd "$(dirname "$0")" && pwd)
PAYLOAD=${PAYLOAD:-$here}
export PAYLOAD
[ -f "$PAYLOAD/config.sh" ] && . "$PAYLOAD/config.sh"
TEST_TIMEOUT=${TEST_TIMEOUT:-600}
TESTS=${TESTS:-*}
now() { cut -d' ' -f1 /proc/uptime; }

selected() {
  for pat in $TESTS; do
    # shellcheck disable=SC2254
    case "$1" in $pat) return 0 ;; esac
  done
  return 1
}

passed=0 failed=0
[ -c /dev/kvm ] || echo "# warning: /dev/kvm missing; every boot will fail"
for t in "$here"/t_*.sh; do
  [ -f "$t" ] || continue
  name=$(basename "$t" .sh)
  name=${name#t_}
  set -f; selected "$name"; sel=$?; set +f
  [ "$sel" = 0 ] || continue
  dir=/tmp/it/$name
  rm -rf "$dir"; mkdir -p "$dir"
  t0=$(now)
  # its own session, so a timeout kills the test and everything it started
  TEST_TMP=$dir setsid sh "$t" >"$dir/output" 2>&1 &
  pid=$!
  setsid sh -c "sleep $TEST_TIMEOUT; echo timeout > '$dir/timed-out'; kill -TERM -$pid; sleep 10; kill -KILL -$pid" \
    >/dev/null 2>&1 &
  watchdog=$!
  wait "$pid"
  rc=$?
  kill -KILL -"$watchdog" 2>/dev/null
  wait "$watchdog" 2>/dev/null
  secs=$(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }')
  if [ "$rc" = 0 ]; then
    echo "ok $name # ${secs}s"
    passed=$((passed + 1))
    grep '^# ' "$dir/output" | sed 's/^/  /'
  else
    if [ -f "$dir/timed-out" ]; then
      echo "not ok $name # timed out after ${TEST_TIMEOUT}s"
    else
      echo "not ok $name # exit $rc, ${secs}s"
    fi
    failed=$((failed + 1))
    sed 's/^/# /' "$dir/output"
  fi
done
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
