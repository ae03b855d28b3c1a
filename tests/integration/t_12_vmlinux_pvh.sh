#!/bin/sh
# The project kernel as an uncompressed ELF vmlinux, entered through its PVH entry point.
. "$(dirname "$0")/lib.sh"
require_file "$VMLINUX" "$INITRD" || finish
L=$TEST_TMP/guest.log
boot_guest "$L" "$VMLINUX" 1 256 reboot
expect_exit 0 "$L"
expect_booted "$L"
expect_cpus "$L" 1
expect_mem "$L" 256
expect_kernel "$L" '*-hyper'
finish
