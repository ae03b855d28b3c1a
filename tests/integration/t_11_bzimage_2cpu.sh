#!/bin/sh
# The project bzImage, 2 vCPUs, 512 MiB: the guest brings up both CPUs.
. "$(dirname "$0")/lib.sh"
require_file "$BZIMAGE" "$INITRD" || finish
L=$TEST_TMP/guest.log
boot_guest "$L" "$BZIMAGE" 2 512 reboot
expect_exit 0 "$L"
expect_booted "$L"
expect_cpus "$L" 2
expect_mem "$L" 512
finish
