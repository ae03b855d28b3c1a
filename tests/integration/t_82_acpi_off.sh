#!/bin/sh
# --acpi off: no ACPI tables, the MP table and the command-line virtio devices only; the
# project kernel (no CONFIG_ACPI) boots with 2 vCPUs and a disk as before.
. "$(dirname "$0")/lib.sh"
require_file "$BZIMAGE" "$INITRD" || finish
L=$TEST_TMP/guest.log
IMG=$TEST_TMP/disk.img
dd if=/dev/zero of="$IMG" bs=1M count=0 seek=8 2>/dev/null
boot_guest "$L" "$BZIMAGE" 2 256 reboot --acpi off --disk "path=$IMG"
expect_exit 0 "$L"
expect_booted "$L"
expect_cpus "$L" 2
finish
