#!/usr/bin/env bash
# virtio-9p benchmark: the guest (project kernel, 1 vCPU) creates, stats and unlinks N
# files (bench/guest/p9bench: one syscall per file, no fork) and writes/reads MIB MiB with 1 MiB blocks on a share, under hyper's vmm and under
# QEMU microvm's 9p (-fsdev local,security_model=passthrough + virtio-9p-device) on the same
# L1 directory, in the SAME nested L1 run, alternating, ROUNDS times each.
#
# Usage: bench/9p.sh   (env: ROUNDS=3, FILES=500, MIB=64, L1_FLAGS=--icount,
#        VMM_BEFORE=an older vmm build, run as a third VMM "hyper-before")
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
ROUNDS=${ROUNDS:-3} FILES=${FILES:-500} MIB=${MIB:-64}
. bench/lib/common.sh
bench_prepare 9p
gcc -O2 -static -o "$work/p9bench" bench/guest/p9bench.c
cp "$(guest/initramfs/build.sh --add "$work/p9bench:/bin/p9bench")" "$work/payload/guest/initramfs.cpio.gz"
cat > "$work/payload/run.sh" <<EOS
. /payload/lib.sh
CMD="console=ttyS0 panic=-1 quiet hyper.action=bench-9p hyper.files=$FILES hyper.mib=$MIB"
D=/tmp/share
for round in \$(seq 1 $ROUNDS); do
  for vmm in hyper qemu ${VMM_BEFORE:+hyper-before}; do
    rm -rf \$D && mkdir -p \$D
    bin=/payload/bin/vmm
    [ \$vmm = hyper-before ] && bin=/payload/bin/vmm-before
    if [ \$vmm != qemu ]; then
      \$bin --kernel \$K --initrd \$I --memory 256 --cmdline "\$CMD" \\
        --share path=\$D,tag=data </dev/null > /tmp/out.log 2>&1
    else
      qemu_microvm -kernel \$K -initrd \$I -append "\$CMD reboot=t" \\
        -fsdev local,id=f0,path=\$D,security_model=passthrough \\
        -device virtio-9p-device,fsdev=f0,mount_tag=data > /tmp/out.log 2>&1
    fi
    grep '^BENCH' /tmp/out.log | tr -d '\r' | sed "s/^BENCH/RESULT \$vmm/" || echo "RESULT \$vmm FAILED"
    if grep -q "^BENCH-ERROR" /tmp/out.log; then tr -d '\r' < /tmp/out.log | tail -n 20; fi
  done
done
exit 0
EOS
bench_run_l1 "virtio-9p in nested KVM (L1 under TCG), $ROUNDS rounds, medians" \
  "files/s:meta" "MiB/s:data"
