#!/bin/sh
# virtio-net on a TAP: the guest (10.0.0.2, eth0 configured from --net ip=,gw=) pings the
# host (10.0.0.1 on the TAP), sends it 64 MiB (NET_MIB) over TCP and receives as much
# back, with sha256 compared at both ends; the host pings the guest.
. "$(dirname "$0")/lib.sh"
require_file "$KERNEL" "$TOOLS_INITRD" || finish
L=$TEST_TMP/guest.log
TAP=hyt0
tunctl -t $TAP >/dev/null || fail "tunctl -t $TAP failed"
ip addr add 10.0.0.1/24 dev $TAP
ip link set $TAP up
mib=${NET_MIB:-64}
dd if=/dev/urandom of="$TEST_TMP/hdata" bs=1M count="$mib" 2>/dev/null
hsha=$(sha256sum "$TEST_TMP/hdata" | cut -d' ' -f1)
socat -u TCP-LISTEN:5001,reuseaddr OPEN:"$TEST_TMP/recv",creat,trunc &
rx=$!
socat -u FILE:"$TEST_TMP/hdata" TCP-LISTEN:5002,reuseaddr &
tx=$!
"$VMM" --kernel "$KERNEL" --initrd "$TOOLS_INITRD" --memory 512 --cpus 2 \
  --cmdline "$CMDLINE_BASE hyper.action=net-test hyper.mib=$mib" \
  --net tap=$TAP,ip=10.0.0.2/24,gw=10.0.0.1 </dev/null >"$L" 2>&1 &
vm=$!
wait_for_line $vm "$L" '^NET-READY'
expect_line "$L" '^NET-READY'
if ping -c 3 -W 2 10.0.0.2 > "$TEST_TMP/ping.log" 2>&1; then :; else
  fail "the host cannot ping the guest" "$TEST_TMP/ping.log"
fi
echo done | socat -u STDIN TCP:10.0.0.2:5003,retry=20,interval=0.5 2>/dev/null
wait_exit $vm 60 || kill -TERM $vm 2>/dev/null
wait $vm
VMM_RC=$?
strip_cr "$L"
kill $rx $tx 2>/dev/null
expect_exit 0 "$L"
expect_line "$L" '^hyper-guest: eth0 10.0.0.2/24$'
expect_line "$L" '^NET-PING ok 3$'
expect_sent "$L" NET-SENT "$TEST_TMP/recv"
expect_line "$L" "^NET-RECEIVED $hsha $((mib * 1048576))\$"
expect_line "$L" '^NET-DONE'
expect_no_line "$L" 'NET-ERROR'
ip link del $TAP 2>/dev/null
finish
