#!/bin/sh
# Debian's stock kernel powers off: on x86_64 through ACPI (the guest writes S5 to the
# FADT's sleep control register; without ACPI the kernel would only halt), on arm64
# through PSCI SYSTEM_OFF. vmm stops with exit 0.
. "$(dirname "$0")/lib.sh"
require_file "$STOCK" "$INITRD" || finish
L=$TEST_TMP/guest.log
boot_guest "$L" "$STOCK" 1 256 poweroff
expect_exit 0 "$L"
expect_booted "$L"
expect_kernel "$L" "$STOCK_RELEASE"
finish
