#!/usr/bin/env bash
# virtio-net benchmark: the same guest (project kernel, 1 vCPU, 256 MiB) runs iperf3 against
# an iperf3 server in L1 over a TAP, both directions, and 50 pings, under hyper's vmm and
# under QEMU microvm with virtio-net-device on the same TAP (no vhost), in the SAME nested
# L1 run, alternating, ROUNDS times each. Prints medians and the hyper/QEMU ratio
# (throughput: higher is better; round trip: the ratio is QEMU/hyper, higher is better).
#
# Usage: bench/net.sh   (env: ROUNDS=3, SECS=5 per iperf3 run, L1_FLAGS=--icount,
#        VMM_BEFORE=an older vmm build, run as a third VMM "hyper-before";
#        SPLIT=1: each VM run in an L1 of its own, retried up to TRIES=4 times when L1's
#        console stays silent for STALL_S=300 s: the way to finish an icount run despite
#        the stall described in bench/README.md; icount figures repeat across L1 boots)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
ROUNDS=${ROUNDS:-3} SECS=${SECS:-5} SPLIT=${SPLIT:-0} TRIES=${TRIES:-4} STALL_S=${STALL_S:-300}
. bench/lib/common.sh
bench_prepare net
cp "$(guest/initramfs/build.sh --tools)" "$work/payload/guest/initramfs.cpio.gz"
# write_run VMMS ROUNDS [LINE]: the payload's run.sh (LINE: a command run first, e.g. heartbeat)
write_run() {
  cat > "$work/payload/run.sh" <<EOS
. /payload/lib.sh
${3:-}
CMD="console=ttyS0 panic=-1 quiet hyper.action=bench-net hyper.secs=$SECS"
IP="ip=10.0.0.2::10.0.0.1:255.255.255.0::eth0:off"
tunctl -t hbt0 >/dev/null
ip addr add 10.0.0.1/24 dev hbt0
ip link set hbt0 up
/payload/bin/iperf3 -s -D -B 10.0.0.1 >/dev/null 2>&1
sleep 1
for round in \$(seq 1 $2); do
  for vmm in $1; do
    bin=/payload/bin/vmm
    [ \$vmm = hyper-before ] && bin=/payload/bin/vmm-before
    if [ \$vmm != qemu ]; then
      \$bin --kernel \$K --initrd \$I --memory 256 --cmdline "\$CMD" \\
        --net tap=hbt0,ip=10.0.0.2/24,gw=10.0.0.1 </dev/null > /tmp/out.log 2>&1
    else
      qemu_microvm -kernel \$K -initrd \$I -append "\$CMD \$IP reboot=t" \\
        -netdev tap,id=n0,ifname=hbt0,script=no,downscript=no,vhost=off \\
        -device virtio-net-device,netdev=n0 > /tmp/out.log 2>&1
    fi
    grep '^BENCH' /tmp/out.log | tr -d '\r' | sed "s/^BENCH/RESULT \$vmm/" || echo "RESULT \$vmm FAILED"
    if grep -q "^BENCH-ERROR" /tmp/out.log; then cat /tmp/out.log; fi
  done
done
exit 0
EOS
}
vmms="hyper qemu${VMM_BEFORE:+ hyper-before}"
title="virtio-net in nested KVM (L1 under TCG), $ROUNDS rounds, medians"
export EXTRA_BINS="/usr/bin/iperf3" LOWER_BETTER="--lower-better ms"
if [ "$SPLIT" = 0 ]; then
  write_run "$vmms" "$ROUNDS"
  bench_run_l1 "$title" "Mbit/s:tcp" "ms:ping"
  exit 0
fi
# SPLIT=1: one L1 boot per VM run, each retried (up to TRIES times) when L1 stalls;
# the RESULT lines of every boot's log make the table
: > "$work/all.log"
for round in $(seq 1 "$ROUNDS"); do
  for vmm in $vmms; do
    for try in $(seq 1 "$TRIES"); do
      write_run "$vmm" 1 "heartbeat /tmp/out.log"
      L1_FLAGS="${L1_FLAGS:-} --stall $STALL_S" bench_boot_l1 >/dev/null 2>&1
      if grep -aq "^RESULT $vmm " "$work/l1.log" && ! grep -aq "^RESULT $vmm FAILED" "$work/l1.log"; then
        grep -a "^RESULT" "$work/l1.log" >> "$work/all.log"
        break
      fi
      echo "net.sh: $vmm, round $round: try $try gave no result (L1 stalled?)" >&2
      cp "$work/l1.log" "$work/l1-$vmm-$round-$try.log" 2>/dev/null || true
    done
  done
done
bench_table "$work/all.log" "$title, one L1 boot per run" "Mbit/s:tcp" "ms:ping"
