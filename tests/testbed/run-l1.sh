#!/usr/bin/env bash
# Boots the L1 test bed: Debian's kernel under QEMU TCG with emulated SVM (-cpu max), so
# that KVM works inside it, with an image from tests/testbed/l1-image.sh.
# The serial console is echoed and saved; the exit status is the payload's, read from
# the marker line "HYPER-L1-EXIT rc=N" that the L1 init prints.
#
# Usage: tests/testbed/run-l1.sh --initrd IMAGE [--log FILE] [--timeout SECS] [--smp N]
#                                [--mem MiB] [--kver VERSION] [--icount] [--quiet]
#                                [--arch aarch64] [--stall SECS]
#   --log FILE      where the console log goes (default: IMAGE with .log), \r stripped
#   --timeout SECS  wall-clock limit for the whole L1 run (default 1800)
#   --smp N         L1 CPUs (default 1: on 2 host cores it was faster than 2; see below)
#   --mem MiB       L1 memory (default 4096)
#   --icount        count instructions for L1's clock (repeatable timings; see notes)
#   --quiet         do not echo the console, only save it
#   --arch ARCH     x86_64 (default): q35 with emulated SVM and the host's Debian kernel;
#                   aarch64: qemu-system-aarch64 -M virt with virtualization=on (EL2) and
#                   GICv3, Debian's arm64 kernel from tests/testbed/arm64-root.sh
#   --stall SECS    end L1 when its console stays silent for SECS (a payload that wants
#                   this prints a line now and then: bench/lib/bench-l1.sh's heartbeat)
# Exit status: the payload's; 124 if the time ran out or L1 stalled; 125 if L1 ended
# without the marker.
set -euo pipefail
die() { echo "run-l1.sh: $*" >&2; exit 125; }

initrd="" log="" tmo=1800 smp=1 mem=4096 kver="" icount=0 quiet=0 arch=x86_64 stall=0
while [ $# -gt 0 ]; do
  case "$1" in
    --initrd) initrd="${2:?--initrd needs a file}"; shift 2 ;;
    --log) log="${2:?--log needs a file}"; shift 2 ;;
    --timeout) tmo="${2:?--timeout needs seconds}"; shift 2 ;;
    --smp) smp="${2:?--smp needs a number}"; shift 2 ;;
    --mem) mem="${2:?--mem needs MiB}"; shift 2 ;;
    --kver) kver="${2:?--kver needs a version}"; shift 2 ;;
    --icount) icount=1; shift ;;
    --quiet) quiet=1; shift ;;
    --arch) arch="${2:?--arch needs x86_64 or aarch64}"; shift 2 ;;
    --stall) stall="${2:?--stall needs seconds}"; shift 2 ;;
    -h|--help) sed -n '2,24p' "$0"; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done
[ -n "$initrd" ] || die "--initrd is required"
for n in "$tmo" "$smp" "$mem" "$stall"; do
  case "$n" in ''|*[!0-9]*) die "'$n' is not a number" ;; esac
done
[ -f "$initrd" ] || die "$initrd missing: build it with tests/testbed/l1-image.sh"
[ -n "$log" ] || log="${initrd%%.cpio*}.log"
root=""
qemu=qemu-system-x86_64
if [ "$arch" = aarch64 ]; then
  qemu=qemu-system-aarch64
  [ "$(uname -m)" = aarch64 ] || root=$("$(dirname "$0")/arm64-root.sh") || die "tests/testbed/arm64-root.sh failed"
elif [ "$arch" != x86_64 ]; then
  die "--arch $arch: want x86_64 or aarch64"
fi
command -v "$qemu" >/dev/null || die "$qemu missing: run scripts/install-deps.sh"
if [ -z "$kver" ]; then
  kver=$(cd "$root/lib/modules" && for v in *; do [ -f "$root/boot/vmlinuz-$v" ] && echo "$v"; done | sort -V | tail -n1)
fi
kernel="$root/boot/vmlinuz-$kver"
[ -f "$kernel" ] || die "$kernel missing: install linux-image-amd64"
[ -r "$kernel" ] || die "$kernel is not readable (run as root)"

# loglevel=3: only L1 kernel errors that are critical reach the console, so that KVM's
# warnings do not break the payload's lines; the L1 init prints them after the payload.
# -cpu max exposes SVM with nested paging under TCG. With -smp >1 each vCPU gets its own
# host thread (multi-threaded TCG). -no-reboot: a reboot or panic of L1 ends QEMU.
accel="tcg"
[ "$smp" -gt 1 ] && accel="tcg,thread=multi"
[ "$icount" = 1 ] && accel="tcg" # icount needs single-threaded TCG
args=(-M q35 -accel "$accel" -cpu max -m "$mem" -smp "$smp"
  -nographic -no-reboot -nodefaults -serial stdio -monitor none
  -kernel "$kernel" -initrd "$initrd"
  -append "console=ttyS0 quiet loglevel=3 panic=-1 tsc=reliable${L1_APPEND:+ $L1_APPEND}")
# shellcheck disable=SC2054 # one argument with commas
[ "$icount" = 1 ] && args+=(-icount shift=0,sleep=off)
if [ "$arch" = aarch64 ]; then
  # virtualization=on: EL2, so the L1 kernel runs KVM (VHE); pauth-impdef=on: pointer
  # authentication with QEMU's cheap algorithm (3-4x faster than the architected one)
  # shellcheck disable=SC2054
  args=(-M virt,virtualization=on,gic-version=3 -accel "$accel" -cpu max,pauth-impdef=on
    -m "$mem" -smp "$smp" -nographic -no-reboot -nodefaults -serial stdio -monitor none
    -kernel "$kernel" -initrd "$initrd"
    -append "console=ttyAMA0 quiet loglevel=3 panic=-1")
  [ "$icount" = 1 ] && args+=(-icount shift=0,sleep=off)
fi

# L1_QMP=PATH: a QMP socket on PATH, to look into a running L1 (e.g. "info registers"
# through human-monitor-command) when a run seems stuck; L1_APPEND: more L1 kernel
# parameters (e.g. nokaslr, so that its addresses match System.map).
[ -n "${L1_QMP:-}" ] && args+=(-qmp "unix:$L1_QMP,server=on,wait=off")
mkdir -p "$(dirname "$log")"
raw="$log.raw"
start=$(date +%s.%N)
set +e
timeout -k 10 "$tmo" "$qemu" "${args[@]}" </dev/null >"$raw" 2>&1 &
qpid=$!
[ "$quiet" = 1 ] || tail -n +1 -f --pid="$qpid" "$raw" &
wpid=""
if [ "$stall" -gt 0 ]; then
  # the watchdog: TERM to timeout(1), which passes it on to QEMU; exits 1 when it did
  (size=-1 quiet_s=0
   while kill -0 "$qpid" 2>/dev/null; do
     sleep 5
     now=$(stat -c %s "$raw" 2>/dev/null || echo 0)
     if [ "$now" = "$size" ]; then quiet_s=$((quiet_s + 5)); else quiet_s=0 size=$now; fi
     if [ "$quiet_s" -ge "$stall" ]; then kill -TERM "$qpid"; exit 1; fi
   done) &
  wpid=$!
fi
wait "$qpid"
qrc=$?
stalled=0
[ -n "$wpid" ] && ! wait "$wpid" && stalled=1
wait # the console echo
set -e
end=$(date +%s.%N)
# without \r and the firmware's terminal escape sequences
tr -d '\r' < "$raw" | sed 's/\x1b\[[0-9;?]*[A-Za-z]//g; s/\x1bc//g' > "$log"
rm -f "$raw"
secs=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')

if [ "$stalled" = 1 ]; then
  echo "run-l1.sh: L1 stalled: no console output for ${stall}s (log: $log)" >&2
  exit 124
fi
if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
  echo "run-l1.sh: L1 timed out after ${tmo}s (log: $log)" >&2
  exit 124
fi
marker=$(grep -a -o 'HYPER-L1-EXIT rc=[0-9]*' "$log" | tail -n1 || true)
if [ -z "$marker" ]; then
  echo "run-l1.sh: L1 ended after ${secs}s without the HYPER-L1-EXIT marker (qemu exit $qrc, log: $log)" >&2
  exit 125
fi
rc=${marker#HYPER-L1-EXIT rc=}
echo "run-l1.sh: L1 ran ${secs}s, payload exit status $rc (log: $log)" >&2
exit "$rc"
