# Helpers for hyper's integration tests. Sourced by run.sh and by every t_*.sh; runs inside
# the L1 test bed (busybox sh), where /payload holds the vmm, the guests and these scripts.
#
# A test calls checks (expect_*); a failed check prints a "FAIL:" line with the evidence
# and the test goes on, so one run shows every broken check. `finish` ends the test:
# exit 0 when no check failed, 1 otherwise.

# shellcheck disable=SC2034 # the variables below are used by the t_*.sh that source this
PAYLOAD=${PAYLOAD:-/payload}
[ -f "$PAYLOAD/config.sh" ] && . "$PAYLOAD/config.sh" # written by tests/run.sh
VMM=${VMM:-$PAYLOAD/bin/vmm}
# tools copied with --bin (e2fsprogs) come before busybox's applets of the same name
PATH=$PAYLOAD/bin:$PATH
export PATH
# busybox sh runs its own mke2fs applet whatever PATH says: name e2fsprogs' by path
MKE2FS=$PAYLOAD/bin/mke2fs
GUEST_DIR=${GUEST_DIR:-$PAYLOAD/guest}
# The L1 machine's architecture: the tests that run on both (tests/arm64.sh lists them) boot
# $KERNEL, the project kernel of this arch; the console is ttyS0 on both (arm64: the
# 16550A the device tree describes, driven by 8250's of_serial).
ARCH=$(uname -m)
BZIMAGE=$GUEST_DIR/bzImage        # the project kernel (guest/kernel/build.sh)
case "$ARCH" in
  aarch64) KERNEL=$GUEST_DIR/Image IMAGE_ARCH=arm64 LOADER=/lib/ld-linux-aarch64.so.1 ;;
  *) KERNEL=$BZIMAGE IMAGE_ARCH=amd64 LOADER=/lib64/ld-linux-x86-64.so.2 ;;
esac
STOCK_RELEASE="*-$IMAGE_ARCH" # uname -r of Debian's stock kernel
# LOADER: the dynamic loader of L1's programs (the image tests copy one into a layer)
VMLINUX=$GUEST_DIR/vmlinux        # the same kernel as an ELF, booted through its PVH entry
STOCK=$GUEST_DIR/vmlinuz-stock    # Debian's kernel, the one L1 runs
INITRD=$GUEST_DIR/initramfs.cpio.gz # guest/initramfs/build.sh
TOOLS_INITRD=$GUEST_DIR/initramfs-tools.cpio.gz # build.sh --tools: + e2fsprogs, socat, iperf3
VMM_TIMEOUT=${VMM_TIMEOUT:-150}   # seconds one vmm run may take in L1
TEST_TMP=${TEST_TMP:-/tmp/it}     # this test's own directory (run.sh sets it)
# every guest boot: serial console, reboot at once on panic, quiet (each console byte
# costs VM exits, which are slow in L1)
CMDLINE_BASE=${CMDLINE_BASE:-"console=ttyS0 panic=-1 quiet"}
FAILS=0
VMM_RC=""
_shown=""
mkdir -p "$TEST_TMP"

now() { cut -d' ' -f1 /proc/uptime; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# show_log LOG [LINES]: the end of a log, indented, once per log and test
show_log() {
  case " $_shown " in *" $1 "*) return 0 ;; esac
  _shown="$_shown $1"
  if [ -s "$1" ]; then
    echo "  --- last ${2:-40} lines of $1 ---"
    tail -n "${2:-40}" "$1" | sed 's/^/  | /'
    echo "  ---"
  else
    echo "  ($1 is empty or missing)"
  fi
}

# fail MESSAGE [LOG]: records a failed check
fail() {
  echo "FAIL: $1"
  FAILS=$((FAILS + 1))
  [ -n "${2:-}" ] && show_log "$2"
  return 0
}

# require_file FILE...: fails (and returns 1) if a payload file is missing
require_file() {
  for f in "$@"; do
    [ -f "$f" ] || { fail "payload file $f missing (did its build step fail?)"; return 1; }
  done
}

# run_vmm LOG ARGS...: runs the vmm with ARGS under a timeout, stdout and stderr (with the
# guest's console when --console stdio) into LOG with \r removed. Sets VMM_RC, VMM_SECS.
# Never fails itself: the checks below judge the result.
run_vmm() {
  log=$1; shift
  if [ ! -x "$VMM" ]; then
    fail "vmm binary $VMM missing"
    VMM_RC=127 VMM_SECS=0
    : > "$log"
    return 0
  fi
  echo "\$ vmm $*"
  t0=$(now)
  timeout -s TERM -k 10 "$VMM_TIMEOUT" "$VMM" "$@" </dev/null >"$log.raw" 2>&1
  VMM_RC=$?
  VMM_SECS=$(elapsed "$t0")
  tr -d '\r' < "$log.raw" > "$log" && rm -f "$log.raw"
  if awk -v s="$VMM_SECS" -v t="$VMM_TIMEOUT" 'BEGIN { exit !(s >= t) }'; then
    echo "  -> TIMED OUT after ${VMM_SECS}s (limit ${VMM_TIMEOUT}s), exit $VMM_RC"
    VMM_TIMED_OUT=1
  else
    echo "  -> exit $VMM_RC after ${VMM_SECS}s"
    VMM_TIMED_OUT=0
  fi
  # a timing line the runner prints for passing tests too
  echo "# vmm ran ${VMM_SECS}s, exit $VMM_RC"
  return 0
}

# boot_guest LOG KERNEL CPUS MIB ACTION [VMM-ARGS...]: boots KERNEL with the guest
# initramfs, CPUS vCPUs, MIB MiB, and hyper.action=ACTION (reboot, poweroff, panic)
boot_guest() {
  log=$1 kernel=$2 cpus=$3 mib=$4 action=$5
  shift 5
  run_vmm "$log" --kernel "$kernel" --initrd "${BOOT_INITRD:-$INITRD}" \
    --cmdline "$CMDLINE_BASE hyper.action=$action" --cpus "$cpus" --memory "$mib" "$@"
  up=$(grep -o 'hyper-guest: uptime [0-9.]*' "$log" 2>/dev/null | head -n1 | cut -d' ' -f3)
  [ -n "$up" ] && echo "# guest reached init after ${up}s of its uptime"
  report=$(grep -m1 -o 'HYPER-GUEST .*' "$log" 2>/dev/null)
  [ -n "$report" ] && echo "# guest: ${report#HYPER-GUEST }"
  return 0
}

# wait_for_line PID LOG REGEX: waits until LOG has a line matching the extended regex
# (carriage returns ignored), at most VMM_TIMEOUT seconds and only while the process PID
# (a vmm started in the background) lives; status 0 when the line is there
wait_for_line() {
  _w=0
  while [ $_w -lt "$VMM_TIMEOUT" ] && ! tr -d '\r' < "$2" | grep -Eq "$3"; do
    kill -0 "$1" 2>/dev/null || break
    sleep 1; _w=$((_w + 1))
  done
  tr -d '\r' < "$2" | grep -Eq "$3"
}

# wait_exit PID SECS: waits up to SECS seconds for the process PID to end; status 0 when
# it has (reap it with `wait PID` after)
wait_exit() {
  _w=0
  while [ $_w -lt "$2" ] && kill -0 "$1" 2>/dev/null; do sleep 1; _w=$((_w + 1)); done
  ! kill -0 "$1" 2>/dev/null
}

# signal_vmm PID SIGNAL SECS LOG: sends SIGNAL (a name: TERM, INT) to the vmm PID, which
# must end within SECS seconds (else the test fails and it is killed); reaps it into
# VMM_RC and strips LOG's carriage returns
signal_vmm() {
  kill -"$2" "$1" 2>/dev/null
  if ! wait_exit "$1" "$3"; then
    fail "vmm still running $3 s after SIG$2" "$4"
    kill -KILL "$1"
  fi
  wait "$1"
  VMM_RC=$?
  strip_cr "$4"
}

# expect_sent LOG TAG FILE: the guest's "TAG <sha256> ..." line names the checksum of what
# the host received into FILE
expect_sent() {
  _g=$(sed -n "s/^$2 \([0-9a-f]*\).*/\1/p" "$1")
  _r=$(sha256sum "$3" 2>/dev/null | cut -d' ' -f1)
  [ -n "$_g" ] && [ "$_g" = "$_r" ] ||
    fail "guest->host: the guest sent ${_g:-?}, the host received ${_r:-?}" "$1"
}

# strip_cr FILE...: drops the \r of the guest's serial line endings (run_vmm does this
# itself; tests that start the vmm in the background call it before their checks)
strip_cr() {
  for f in "$@"; do
    [ -f "$f" ] && tr -d '\r' < "$f" > "$f.tmp" && mv "$f.tmp" "$f"
  done
  return 0
}

# expect_exit WANT [LOG]: the last vmm run exited with WANT
expect_exit() {
  if [ "$VMM_RC" != "$1" ]; then
    if [ "${VMM_TIMED_OUT:-0}" = 1 ]; then
      fail "vmm timed out after ${VMM_SECS}s; want exit $1" "${2:-}"
    else
      fail "vmm exited $VMM_RC, want $1" "${2:-}"
    fi
  fi
}

# expect_line LOG REGEX: some line of LOG matches the extended regex
expect_line() {
  grep -Eq -- "$2" "$1" 2>/dev/null || fail "no line matching /$2/ in $1" "$1"
}

# expect_no_line LOG REGEX: no line of LOG matches
expect_no_line() {
  if grep -Eq -- "$2" "$1" 2>/dev/null; then
    fail "unexpected line matching /$2/ in $1: $(grep -Em1 -- "$2" "$1")" "$1"
  fi
}

# guest_field LOG NAME: a field of the guest's "HYPER-GUEST cpus=.. mem_kb=.. kernel=.." line
guest_field() {
  grep -m1 -o 'HYPER-GUEST .*' "$1" 2>/dev/null | tr ' ' '\n' | sed -n "s/^$2=//p" | head -n1
}

# expect_booted LOG: the guest reached its init and printed its report
expect_booted() {
  expect_line "$1" '^HYPER-GUEST cpus=[0-9]+ mem_kb=[0-9]+ kernel=[^ ]+$'
  expect_line "$1" 'hello from the hyper guest'
}

# expect_cpus LOG N: the guest saw N CPUs
expect_cpus() {
  got=$(guest_field "$1" cpus)
  [ "$got" = "$2" ] || fail "guest saw cpus=${got:-?}, want $2" "$1"
}

# expect_mem LOG MIB: the guest's MemTotal fits MIB MiB of RAM: at most MIB, and at least
# MIB less 3% (the kernel's page structures take 1.6%) less 64 MiB (kernel image, reserved
# areas, firmware holes)
expect_mem() {
  got=$(guest_field "$1" mem_kb)
  hi=$(($2 * 1024))
  lo=$(($2 * 1024 * 97 / 100 - 65536))
  if [ -z "$got" ] || [ "$got" -gt "$hi" ] || [ "$got" -lt "$lo" ]; then
    fail "guest saw mem_kb=${got:-?}, want $lo..$hi for --memory $2" "$1"
  fi
}

# expect_kernel LOG PATTERN: the guest's uname -r matches the shell glob PATTERN
expect_kernel() {
  got=$(guest_field "$1" kernel)
  # shellcheck disable=SC2254 # $2 is a pattern
  case "$got" in $2) ;; *) fail "guest kernel=${got:-?}, want $2" "$1" ;; esac
}

# expect_blk_files LOG IMG: after the blk-write action, e2fsck finds IMG clean and each
# "BLK-FILE name sha256" the guest printed is in IMG with that checksum (4 files)
expect_blk_files() {
  if ! e2fsck -fn "$2" > "$TEST_TMP/fsck.log" 2>&1; then
    fail "e2fsck -fn found problems in the image" "$TEST_TMP/fsck.log"
  fi
  n=0
  for entry in $(grep '^BLK-FILE ' "$1" | tr ' ' ':'); do
    name=$(echo "$entry" | cut -d: -f2)
    want=$(echo "$entry" | cut -d: -f3)
    debugfs -R "dump /$name $TEST_TMP/out" "$2" >/dev/null 2>&1
    got=$(sha256sum "$TEST_TMP/out" 2>/dev/null | cut -d' ' -f1)
    [ "$got" = "$want" ] || fail "/$name in the image has sha256 ${got:-none}, the guest wrote $want"
    n=$((n + 1))
  done
  [ "$n" = 4 ] || fail "the guest reported $n files, want 4" "$1"
  echo "# $n files verified in the image"
}

# finish: ends the test
finish() {
  if [ "$FAILS" = 0 ]; then exit 0; fi
  echo "$FAILS check(s) failed"
  exit 1
}
