#!/bin/sh
# Debian's stock kernel, 2 vCPUs, 512 MiB.
. "$(dirname "$0")/lib.sh"
require_file "$STOCK" "$INITRD" || finish
L=$TEST_TMP/guest.log
boot_guest "$L" "$STOCK" 2 512 reboot
expect_exit 0 "$L"
expect_booted "$L"
expect_cpus "$L" 2
expect_mem "$L" 512
finish
