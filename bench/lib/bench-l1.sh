# Helpers for benchmark payloads running inside the L1 test bed (busybox sh), sourced
# first by each payload's run.sh: the payload's programs come first on PATH; K and I are
# the project kernel and the guest initramfs every benchmark copies into the payload.
export PATH=/payload/bin:$PATH
K=/payload/guest/bzImage
I=/payload/guest/initramfs.cpio.gz

# qemu_microvm ARGS...: QEMU microvm configured like the fastest peer setup measured in
# the notes (no option ROMs, no PIT/PIC, an RTC and an ISA serial, no ACPI), 1 vCPU,
# 256 MiB, console on stdout.
qemu_microvm() {
  /payload/bin/qemu-system-x86_64 -L /usr/share/qemu \
    -M microvm,x-option-roms=off,pit=off,pic=off,rtc=on,isa-serial=on,acpi=off \
    -accel kvm -cpu host -m 256 -smp 1 -nographic -no-reboot -nodefaults -no-user-config \
    -serial stdio "$@" </dev/null
}

# heartbeat [FILE]: a line on the console every 2 s of L1's clock, so that run-l1.sh
# --stall can tell an L1 that stopped running (the icount stall in bench/README.md) from a
# long run whose output goes to files; each line carries FILE's size (a guest's console
# log), to show whether the guest still makes progress. Only the split runs of
# bench/net.sh start it.
heartbeat() {
  (while sleep 2; do echo "L1-HEARTBEAT ${1:+$1 $(stat -c %s "$1" 2>/dev/null || echo 0) bytes}"; done) &
}
