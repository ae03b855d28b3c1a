#!/usr/bin/env bash
# virtio-vsock benchmark: the guest (project kernel, 1 vCPU) runs vsockbench
# (bench/guest/vsockbench.c): MIB MiB guest->host, MIB MiB host->guest and 2000 1-byte
# round trips, against socat servers in L1. Under hyper's vmm the host side is its Unix
# sockets (<uds>_<port>); under QEMU microvm it is vhost-vsock (vhost-vsock-device) and
# the servers listen on AF_VSOCK in L1. Same nested L1 run, alternating, ROUNDS each.
#
# Usage: bench/vsock.sh   (env: ROUNDS=3, MIB=64)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
ROUNDS=${ROUNDS:-3} MIB=${MIB:-64}
. bench/lib/common.sh
bench_prepare vsock
gcc -O2 -static -o "$work/vsockbench" bench/guest/vsockbench.c
cp "$(guest/initramfs/build.sh --add "$work/vsockbench:/bin/vsockbench")" \
  "$work/payload/guest/initramfs.cpio.gz"
cat > "$work/payload/run.sh" <<EOS
. /payload/lib.sh
CMD="console=ttyS0 panic=-1 quiet hyper.action=bench-vsock hyper.mib=$MIB"
U=/tmp/v.sock
dd if=/dev/zero of=/tmp/src bs=1M count=$MIB 2>/dev/null
for round in \$(seq 1 $ROUNDS); do
  for vmm in hyper qemu; do
    if [ \$vmm = hyper ]; then
      socat -u UNIX-LISTEN:\${U}_7000,fork OPEN:/dev/null & a=\$!
      socat -u FILE:/tmp/src UNIX-LISTEN:\${U}_7001 & b=\$!
      socat UNIX-LISTEN:\${U}_7002 EXEC:cat & c=\$!
      /payload/bin/vmm --kernel \$K --initrd \$I --memory 256 --cmdline "\$CMD" \\
        --vsock cid=3,uds=\$U </dev/null > /tmp/out.log 2>&1
    else
      socat -u VSOCK-LISTEN:7000,fork OPEN:/dev/null & a=\$!
      socat -u FILE:/tmp/src VSOCK-LISTEN:7001 & b=\$!
      socat VSOCK-LISTEN:7002 EXEC:cat & c=\$!
      qemu_microvm -kernel \$K -initrd \$I -append "\$CMD reboot=t" \\
        -device vhost-vsock-device,guest-cid=3 > /tmp/out.log 2>&1
    fi
    kill \$a \$b \$c 2>/dev/null; wait \$a \$b \$c 2>/dev/null
    rm -f \${U}_7000 \${U}_7001 \${U}_7002
    grep '^BENCH' /tmp/out.log | tr -d '\r' | sed "s/^BENCH/RESULT \$vmm/" || echo "RESULT \$vmm FAILED"
    if grep -q "^BENCH-ERROR\|vhost\|error" /tmp/out.log; then tr -d '\r' < /tmp/out.log | tail -n 20; fi
  done
done
exit 0
EOS
EXTRA_BINS="/usr/bin/socat" LOWER_BETTER="--lower-better us" \
  bench_run_l1 "virtio-vsock in nested KVM (L1 under TCG), $ROUNDS rounds, medians (QEMU: vhost-vsock)" \
  "MiB/s:guest" "MiB/s:host" "us:round"
