#!/bin/sh
# --console file:PATH: the guest's console goes to PATH and not to stdout.
. "$(dirname "$0")/lib.sh"
require_file "$KERNEL" "$INITRD" || finish
L=$TEST_TMP/vmm.log
C=$TEST_TMP/console.log
boot_guest "$L" "$KERNEL" 1 256 reboot --console "file:$C"
expect_exit 0 "$L"
[ -f "$C" ] && tr -d '\r' < "$C" > "$C.txt"
expect_booted "$C.txt"
expect_no_line "$L" 'HYPER-GUEST'
finish
