#!/bin/sh
# Debian's stock kernel powers off through ACPI: the guest writes S5 to the FADT's sleep
# control register, vmm stops with exit 0 (without ACPI the kernel would only halt).
. "$(dirname "$0")/lib.sh"
require_file "$STOCK" "$INITRD" || finish
L=$TEST_TMP/guest.log
boot_guest "$L" "$STOCK" 1 256 poweroff
expect_exit 0 "$L"
expect_booted "$L"
expect_kernel "$L" '*-amd64'
finish
