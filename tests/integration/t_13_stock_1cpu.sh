#!/bin/sh
# Debian's stock kernel (a distribution bzImage with modules, ACPI, PCI), 1 vCPU.
. "$(dirname "$0")/lib.sh"
require_file "$STOCK" "$INITRD" || finish
L=$TEST_TMP/guest.log
boot_guest "$L" "$STOCK" 1 256 reboot
expect_exit 0 "$L"
expect_booted "$L"
expect_cpus "$L" 1
expect_mem "$L" 256
expect_kernel "$L" "$STOCK_RELEASE"
finish
