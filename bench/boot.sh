#!/usr/bin/env bash
# Boot latency: from launching the VMM to the guest init's first console line
# ("HYPER-GUEST ..."), timed from outside by tests/helpers/bootwatch, in the nested test
# bed. N runs (alternating) of each configuration on the same kernel and initramfs:
#   hyper-bzimage   vmm, project kernel as bzImage (decompresses itself)
#   hyper-vmlinux   vmm, the same kernel as an ELF through its PVH entry (no decompression)
#   hyper-stock     vmm, Debian's stock kernel (L1's own vmlinuz)
#   qemu-bzimage    QEMU microvm (qboot, no ACPI/PIC/PIT, -nodefaults), same bzImage
#   qemu-vmlinux    QEMU microvm, same vmlinux through PVH
#   qemu-stock      QEMU microvm, Debian's stock kernel
#   hyper-run       `vmm run` of a one-binary ACI (busybox echo) with the project kernel:
#                   vmm's default path, timed to the app's own output line
# and, for hyper-bzimage, a timeline (vmm --boot-timer) of TIMELINE_RUNS more runs: the
# VMM's own share (process start -> first KVM_RUN) of the time to the guest init's mark.
# Prints median/min/max per configuration and the hyper/QEMU ratio of the medians for the
# matching kernel format; writes build/bench/boot/boot.csv and boot.png (gnuplot).
# Figures are nested and emulated (L1 runs under TCG): ratios carry over, absolute values
# do not.
#
# Usage: bench/boot.sh   (env: RUNS=10, MIB=128, ICOUNT=1: L1's clock counts instructions
#        (run-l1.sh --icount): repeatable figures on a busy host, but VM exits look cheaper;
#        CONFIGS: the configurations to run (default all of the above); VMM_BEFORE=an older
#        vmm build, run as hyper-before-bzimage (and -vmlinux, -stock where selected) for a
#        before/after row from the same L1 run, and its timeline beside vmm's; TIMELINE_RUNS=0
#        skips the timelines)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
RUNS=${RUNS:-10} TIMELINE_RUNS=${TIMELINE_RUNS:-5} MIB=${MIB:-128} ICOUNT=${ICOUNT:-0}
CONFIGS=${CONFIGS:-"hyper-bzimage qemu-bzimage hyper-vmlinux qemu-vmlinux hyper-stock qemu-stock hyper-run"}
if [ -n "${VMM_BEFORE:-}" ]; then
  for c in bzimage vmlinux stock; do
    case " $CONFIGS " in *" hyper-$c "*) CONFIGS="$CONFIGS hyper-before-$c" ;; esac
  done
fi
. bench/lib/common.sh
bench_prepare boot
cp "$kdir/vmlinux" "$work/payload/guest/vmlinux"
kver=$(cd /lib/modules && for v in *; do [ -f "/boot/vmlinuz-$v" ] && echo "$v"; done | sort -V | tail -n1)
cp "/boot/vmlinuz-$kver" "$work/payload/guest/vmlinuz-stock"
cp "$(guest/initramfs/build.sh)" "$work/payload/guest/initramfs.cpio.gz"
# the app image of hyper-run: busybox alone, its exec prints the marker line
python3 - "$work/payload/guest/app.aci" <<'PY'
import io, json, sys, tarfile
manifest = {"acKind": "ImageManifest", "acVersion": "0.8.11", "name": "bench/hello",
            "app": {"exec": ["/bin/busybox", "echo", "HYPER-GUEST app"], "user": "0", "group": "0"}}
with tarfile.open(sys.argv[1], "w:gz") as t:
    data = json.dumps(manifest).encode()
    info = tarfile.TarInfo("manifest"); info.size = len(data)
    t.addfile(info, io.BytesIO(data))
    for d in ("rootfs", "rootfs/bin"):
        info = tarfile.TarInfo(d); info.type = tarfile.DIRTYPE; info.mode = 0o755
        t.addfile(info)
    t.add("/bin/busybox", "rootfs/bin/busybox")
PY
cat > "$work/payload/run.sh" <<EOS
. /payload/lib.sh
G=/payload/guest
CMD="console=ttyS0 panic=-1 quiet hyper.action=poweroff"
watch() { bootwatch HYPER-GUEST 120 -- "\$@" 2>/dev/null || echo FAILED; }
hyperbin() { watch "\$1" --kernel "\$2" --initrd \$I --memory $MIB --cmdline "\$CMD"; }
qemu() { watch /payload/bin/qemu-system-x86_64 -L /usr/share/qemu \\
  -M microvm,x-option-roms=off,pit=off,pic=off,rtc=on,isa-serial=on,acpi=off \\
  -accel kvm -cpu host -m $MIB -smp 1 -nographic -no-reboot -nodefaults -no-user-config \\
  -serial stdio -kernel "\$1" -initrd \$I -append "\$CMD reboot=t"; }
export XDG_CACHE_HOME=/tmp/cache HYPER_KERNEL=\$G/bzImage
/payload/bin/vmm run \$G/app.aci --memory $MIB >/dev/null 2>&1 # converts and caches the image
kernel() { case "\$1" in *bzimage) echo \$G/bzImage ;; *vmlinux) echo \$G/vmlinux ;; *) echo \$G/vmlinuz-stock ;; esac; }
for round in \$(seq 1 $RUNS); do
  for c in $CONFIGS; do
    case \$c in
      hyper-run) echo "BOOT \$c \$(watch /payload/bin/vmm run \$G/app.aci --memory $MIB)" ;;
      hyper-before-*) echo "BOOT \$c \$(hyperbin /payload/bin/vmm-before \$(kernel \$c))" ;;
      hyper-*) echo "BOOT \$c \$(hyperbin /payload/bin/vmm \$(kernel \$c))" ;;
      qemu-*) echo "BOOT \$c \$(qemu \$(kernel \$c))" ;;
    esac
  done
done
# vmm's own phases against the guest's: the init's first mark on the boot-timer page
# (the guest reboots, which ends vmm: without ACPI the project kernel's poweroff only halts)
for round in \$(seq 1 $TIMELINE_RUNS); do
  for v in vmm ${VMM_BEFORE:+vmm-before}; do
    rm -f /tmp/timeline.json
    timeout 120 /payload/bin/\$v --kernel \$G/bzImage --initrd \$I --memory $MIB \
      --cmdline "\${CMD%poweroff}reboot" --boot-timer=/tmp/timeline.json >/tmp/timeline.log 2>&1
    label=TIMELINE; [ \$v = vmm ] || label=TIMELINE-before
    if [ -s /tmp/timeline.json ]; then echo "\$label \$(cat /tmp/timeline.json)"
    else echo "timeline run failed:"; tr -d '\r' < /tmp/timeline.log | tail -n 5; fi
  done
done
exit 0
EOS
L1_FLAGS=$([ "$ICOUNT" = 1 ] && echo --icount || true) EXTRA_BINS="build/bootwatch" bench_run_l1 "boot" >/dev/null 2>&1 || true
python3 bench/lib/boot_report.py --csv "$work/boot.csv" --png "$work/boot.png" \
  --title "Boot to init, nested KVM (L1 under TCG$([ "$ICOUNT" = 1 ] && echo ", icount" || true)), $RUNS runs" < "$work/l1.log" |
  tee "$work/table.txt"
