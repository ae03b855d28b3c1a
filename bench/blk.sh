#!/usr/bin/env bash
# virtio-blk benchmark: the same guest (project kernel, 1 vCPU, 256 MiB) runs blkbench
# (bench/guest/blkbench.c, O_DIRECT) on a raw image under hyper's vmm and under QEMU
# microvm with virtio-blk on aio=io_uring, in the SAME nested L1 run, alternating, ROUNDS
# times each. Prints a table of medians with the hyper/QEMU ratio (higher is better).
# Absolute numbers in L1 are many times below real hardware; only the ratios mean much.
#
# Usage: bench/blk.sh   (env: ROUNDS=3, SEQ_MIB=128, RAND_MIB=16, IMG_MIB=256)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
ROUNDS=${ROUNDS:-3} SEQ_MIB=${SEQ_MIB:-128} RAND_MIB=${RAND_MIB:-16} IMG_MIB=${IMG_MIB:-256}
. bench/lib/common.sh
bench_prepare blk
gcc -O2 -static -pthread -o "$work/blkbench" bench/guest/blkbench.c
initrd=$(guest/initramfs/build.sh --add "$work/blkbench:/bin/blkbench")
cp "$initrd" "$work/payload/guest/initramfs.cpio.gz"
cat > "$work/payload/run.sh" <<EOS
. /payload/lib.sh
CMD="console=ttyS0 panic=-1 quiet hyper.action=bench-blk hyper.bench=$SEQ_MIB,$RAND_MIB"
img=/tmp/bench.img
for round in \$(seq 1 $ROUNDS); do
  for vmm in hyper qemu; do
    rm -f \$img; dd if=/dev/zero of=\$img bs=1M count=0 seek=$IMG_MIB 2>/dev/null
    if [ \$vmm = hyper ]; then
      /payload/bin/vmm --kernel \$K --initrd \$I --memory 256 --cmdline "\$CMD" \\
        --disk path=\$img </dev/null > /tmp/out.log 2>&1
    else
      qemu_microvm -kernel \$K -initrd \$I -append "\$CMD reboot=t" \\
        -drive id=d0,file=\$img,format=raw,if=none,aio=io_uring,cache=writeback \\
        -device virtio-blk-device,drive=d0 > /tmp/out.log 2>&1
    fi
    grep '^BENCH' /tmp/out.log | sed "s/^BENCH/RESULT \$vmm/" || echo "RESULT \$vmm FAILED"
    if grep -q "^BENCH-ERROR" /tmp/out.log; then cat /tmp/out.log; fi
  done
done
exit 0
EOS
bench_run_l1 "virtio-blk in nested KVM (L1 under TCG), $ROUNDS rounds, medians" \
  "MiB/s:seq" "IOPS:rand"
