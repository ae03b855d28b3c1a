#!/usr/bin/env bash
# Where the guest's boot time goes, hyper against QEMU microvm: each VMM boots the project
# kernel (bzImage) with the same initramfs and a verbose, timestamped console
# (initcall_debug, printk times, no "quiet"), PROFILE_RUNS times (default 2) alternating, in
# one nested L1 run. bench/lib/boot_profile.py then lines the two kernel logs up: the
# kernel's own milestones (first message, calibration, initcalls, the initramfs, init) and
# the initcalls that took longest, side by side, with the difference. Use it to find what to
# cut; bench/boot.sh measures the result (a verbose console costs exits of its own, so these
# times are longer than boot.sh's).
#
# Usage: bench/boot-profile.sh   (env: MIB=128, ICOUNT=1 (default): L1's clock counts
#        instructions, so the figures repeat; ICOUNT=0 for real time; HYPER_ARGS: extra
#        vmm flags, e.g. "--acpi off")
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
PROFILE_RUNS=${PROFILE_RUNS:-2} MIB=${MIB:-128} ICOUNT=${ICOUNT:-1} HYPER_ARGS=${HYPER_ARGS:-}
. bench/lib/common.sh
bench_prepare boot-profile
cp "$(guest/initramfs/build.sh)" "$work/payload/guest/initramfs.cpio.gz"
cat > "$work/payload/run.sh" <<EOS
. /payload/lib.sh
CMD="console=ttyS0 panic=-1 initcall_debug printk.time=1 loglevel=8 hyper.action=reboot"
for round in \$(seq 1 $PROFILE_RUNS); do
  timeout 900 /payload/bin/vmm --kernel \$K --initrd \$I --memory $MIB --cmdline "\$CMD" $HYPER_ARGS \\
    </dev/null 2>&1 | sed 's/^/PROFILE hyper '\$round' /'
  qemu_microvm -m $MIB -kernel \$K -initrd \$I -append "\$CMD reboot=t" 2>&1 |
    sed 's/^/PROFILE qemu '\$round' /'
done
exit 0
EOS
L1_FLAGS=$([ "$ICOUNT" = 1 ] && echo --icount || true) bench_run_l1 "boot profile" >/dev/null 2>&1 || true
python3 bench/lib/boot_profile.py < "$work/l1.log" | tee "$work/table.txt"
