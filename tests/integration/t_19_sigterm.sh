#!/bin/sh
# SIGTERM to a running vmm stops the VM: exit 143, and no vmm thread is left behind.
. "$(dirname "$0")/lib.sh"
require_file "$KERNEL" "$INITRD" || finish
L=$TEST_TMP/guest.log
[ -x "$VMM" ] || { fail "vmm binary $VMM missing"; finish; }
"$VMM" --kernel "$KERNEL" --initrd "$INITRD" --cpus 2 --memory 256 \
  --cmdline "$CMDLINE_BASE hyper.action=sleep" </dev/null >"$L" 2>&1 &
pid=$!
wait_for_line $pid "$L" 'hyper-guest: sleeping'
expect_line "$L" 'hyper-guest: sleeping'
signal_vmm $pid TERM 30 "$L"
expect_exit 143 "$L"
expect_line "$L" 'stopping the VM'
finish
