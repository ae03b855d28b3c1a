#!/bin/sh
# A kernel or initrd that does not exist: exit 66.
. "$(dirname "$0")/lib.sh"
L=$TEST_TMP/vmm.log
run_vmm "$L" --kernel /nonexistent/bzImage --initrd "$INITRD"
expect_exit 66 "$L"
expect_line "$L" '/nonexistent/bzImage'
run_vmm "$L" --kernel "$KERNEL" --initrd /nonexistent/initrd.cpio.gz
expect_exit 66 "$L"
expect_line "$L" '/nonexistent/initrd.cpio.gz'
finish
