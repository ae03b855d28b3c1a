#!/bin/sh
# The VMM's own memory with 1 vCPU, 128 MiB and all four devices (blk, net, vsock, 9p),
# the guest idle after boot: vmm --stats on SIGUSR2 prints RSS less the guest's resident
# pages; the overhead must stay under 12 MiB. Runs under the default --seccomp=kill.
. "$(dirname "$0")/lib.sh"
require_file "$KERNEL" "$INITRD" || finish
L=$TEST_TMP/guest.log
TAP=hyt70
CEILING_KIB=$((12 * 1024))
tunctl -t $TAP >/dev/null || fail "tunctl -t $TAP failed"
ip link set $TAP up
dd if=/dev/zero of="$TEST_TMP/disk.img" bs=1M count=16 2>/dev/null
mkdir -p "$TEST_TMP/share" && echo hi > "$TEST_TMP/share/f"
: > "$L"
"$VMM" --kernel "$KERNEL" --initrd "$INITRD" --memory 128 --cpus 1 --stats \
  --cmdline "$CMDLINE_BASE hyper.action=sleep" --disk path="$TEST_TMP/disk.img" \
  --net tap=$TAP --vsock cid=3,uds="$TEST_TMP/v.sock" --share path="$TEST_TMP/share",tag=data \
  </dev/null >"$L" 2>&1 &
vm=$!
wait_for_line $vm "$L" 'hyper-guest: sleeping' || fail "the guest did not reach its idle loop" "$L"
sleep 5 # idle
kill -USR2 $vm
wait_for_line $vm "$L" '[{]"stats":"now"'
signal_vmm $vm TERM 30 "$L"
expect_exit 143 "$L"
expect_booted "$L"
line=$(grep -m1 '{"stats":"now"' "$L")
field() { echo "$line" | sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p"; }
over=$(field overhead_kib)
if [ -z "$over" ]; then
  fail "no stats line after SIGUSR2" "$L"
else
  echo "# footprint: overhead ${over} KiB (rss $(field rss_kib), guest resident $(field guest_resident_kib), anon $(field rss_anon_kib), file $(field rss_file_kib), shmem $(field rss_shmem_kib) KiB; $(field threads) threads; binary $(field binary_bytes) bytes)"
  [ "$over" -lt "$CEILING_KIB" ] || fail "overhead ${over} KiB is not under ${CEILING_KIB} KiB" "$L"
fi
grep -q '{"stats":"exit"' "$L" || fail "no stats line at exit" "$L"
ip link del $TAP 2>/dev/null || tunctl -d $TAP >/dev/null 2>&1
finish
