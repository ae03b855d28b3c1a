# Helpers for benchmark payloads running inside the L1 test bed (busybox sh).

# qemu_microvm ARGS...: QEMU microvm configured like the fastest peer setup measured in
# the notes (no option ROMs, no PIT/PIC, an RTC and an ISA serial, no ACPI), 1 vCPU,
# 256 MiB, console on stdout.
qemu_microvm() {
  /payload/bin/qemu-system-x86_64 -L /usr/share/qemu \
    -M microvm,x-option-roms=off,pit=off,pic=off,rtc=on,isa-serial=on,acpi=off \
    -accel kvm -cpu host -m 256 -smp 1 -nographic -no-reboot -nodefaults -no-user-config \
    -serial stdio "$@" </dev/null
}
