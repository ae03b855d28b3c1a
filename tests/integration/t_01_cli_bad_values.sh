#!/bin/sh
# Bad flags and numbers are usage errors: exit 64, before any file is opened.
. "$(dirname "$0")/lib.sh"
L=$TEST_TMP/vmm.log
run_vmm "$L" --kernel "$KERNEL" --cpus abc
expect_exit 64 "$L"
expect_line "$L" 'cpus'
run_vmm "$L" --kernel "$KERNEL" --memory 12x
expect_exit 64 "$L"
run_vmm "$L" --kernel "$KERNEL" --cpus 0
expect_exit 64 "$L"
run_vmm "$L" --kernel "$KERNEL" --console nowhere
expect_exit 64 "$L"
run_vmm "$L" --kernel "$KERNEL" --no-such-flag
expect_exit 64 "$L"
run_vmm "$L" --initrd "$INITRD"
expect_exit 64 "$L"
finish
