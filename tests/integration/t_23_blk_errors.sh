#!/bin/sh
# Disk errors are clear and come with their exit codes: a missing image (66), a size that
# is not a whole number of sectors (65), an image a running vmm holds (66, "in use").
. "$(dirname "$0")/lib.sh"
require_file "$KERNEL" "$INITRD" || finish
L=$TEST_TMP/vmm.log
run_vmm "$L" --kernel "$KERNEL" --initrd "$INITRD" --console none --disk path=/nonexistent.img
expect_exit 66 "$L"
expect_line "$L" '/nonexistent.img'
ODD=$TEST_TMP/odd.img
dd if=/dev/zero of="$ODD" bs=1000 count=3 2>/dev/null
run_vmm "$L" --kernel "$KERNEL" --initrd "$INITRD" --console none --disk "path=$ODD"
expect_exit 65 "$L"
expect_line "$L" 'odd.img'
# a vmm that stays up holds the image; a second one must refuse it
IMG=$TEST_TMP/shared.img
dd if=/dev/zero of="$IMG" bs=1M count=4 2>/dev/null
"$VMM" --kernel "$KERNEL" --initrd "$INITRD" --disk "path=$IMG" \
  --cmdline "$CMDLINE_BASE hyper.action=sleep" </dev/null >"$TEST_TMP/first.log" 2>&1 &
pid=$!
wait_for_line $pid "$TEST_TMP/first.log" 'hyper-guest: sleeping'
run_vmm "$L" --kernel "$KERNEL" --initrd "$INITRD" --console none --disk "path=$IMG"
expect_exit 66 "$L"
expect_line "$L" 'in use'
kill -TERM $pid 2>/dev/null
wait $pid
finish
