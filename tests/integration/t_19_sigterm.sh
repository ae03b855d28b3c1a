#!/bin/sh
# SIGTERM to a running vmm stops the VM: exit 143, and no vmm thread is left behind.
. "$(dirname "$0")/lib.sh"
require_file "$KERNEL" "$INITRD" || finish
L=$TEST_TMP/guest.log
[ -x "$VMM" ] || { fail "vmm binary $VMM missing"; finish; }
"$VMM" --kernel "$KERNEL" --initrd "$INITRD" --cpus 2 --memory 256 \
  --cmdline "$CMDLINE_BASE hyper.action=sleep" </dev/null >"$L" 2>&1 &
pid=$!
# wait (bounded) for the guest to reach its init
i=0
while [ $i -lt "$VMM_TIMEOUT" ] && ! grep -q 'hyper-guest: sleeping' "$L"; do
  kill -0 $pid 2>/dev/null || break
  sleep 1; i=$((i + 1))
done
expect_line "$L" 'hyper-guest: sleeping'
kill -TERM $pid 2>/dev/null
# wait up to 30 s for it to exit
i=0
while [ $i -lt 30 ] && kill -0 $pid 2>/dev/null; do sleep 1; i=$((i + 1)); done
if kill -0 $pid 2>/dev/null; then
  fail "vmm still running 30 s after SIGTERM" "$L"
  kill -KILL $pid
fi
wait $pid
VMM_RC=$?
strip_cr "$L"
expect_exit 143 "$L"
expect_line "$L" 'stopping the VM'
finish
