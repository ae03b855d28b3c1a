#!/bin/sh
# --console none: the guest still runs to its reboot (exit 0); nothing of it is printed.
. "$(dirname "$0")/lib.sh"
require_file "$KERNEL" "$INITRD" || finish
L=$TEST_TMP/vmm.log
boot_guest "$L" "$KERNEL" 1 256 reboot --console none
expect_exit 0 "$L"
expect_no_line "$L" 'HYPER-GUEST'
finish
