#!/bin/sh
# The guest init exits, the kernel panics ("Attempted to kill init"), and with panic=-1
# resets at once: the vmm tells that apart from a reboot and exits 80.
. "$(dirname "$0")/lib.sh"
require_file "$KERNEL" "$INITRD" || finish
L=$TEST_TMP/guest.log
boot_guest "$L" "$KERNEL" 1 256 panic
expect_exit 80 "$L"
expect_booted "$L"
expect_line "$L" 'Kernel panic'
finish
