#!/bin/sh
# A file that is neither a bzImage nor an ELF vmlinux: exit 65.
. "$(dirname "$0")/lib.sh"
require_file "$INITRD" || finish
L=$TEST_TMP/vmm.log
run_vmm "$L" --kernel "$INITRD" --initrd "$INITRD"
expect_exit 65 "$L"
echo "this is not a kernel" > "$TEST_TMP/text"
run_vmm "$L" --kernel "$TEST_TMP/text"
expect_exit 65 "$L"
: > "$TEST_TMP/empty"
run_vmm "$L" --kernel "$TEST_TMP/empty"
expect_exit 65 "$L"
finish
