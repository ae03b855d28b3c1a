#!/bin/sh
# virtio-vsock with the Unix-socket host side (Firecracker's protocol), against socat in
# the guest: host->guest and guest->host connections, echo, 64 MiB each way with
# checksums, 32 concurrent connections, a closed port refused quickly, and the host peer
# killed mid-transfer seen as a reset by the guest.
. "$(dirname "$0")/lib.sh"
require_file "$KERNEL" "$TOOLS_INITRD" || finish
L=$TEST_TMP/guest.log
U=$TEST_TMP/v.sock
rm -f "$U" "${U}_6000" "${U}_6001"
socat -u UNIX-LISTEN:"${U}_6000" OPEN:"$TEST_TMP/recv",creat,trunc &
rx=$!
socat -u UNIX-LISTEN:"${U}_6001" OPEN:/dev/null &
victim=$!
dd if=/dev/urandom of="$TEST_TMP/hdata" bs=1M count=64 2>/dev/null
hsha=$(sha256sum "$TEST_TMP/hdata" | cut -d' ' -f1)
: > "$L"
"$VMM" --kernel "$KERNEL" --initrd "$TOOLS_INITRD" --memory 512 --cpus 2 \
  --cmdline "$CMDLINE_BASE hyper.action=vsock-test hyper.mib=64" \
  --vsock cid=3,uds="$U" </dev/null >"$L" 2>&1 &
vm=$!
wait_for() { wait_for_line $vm "$L" "$1"; }
wait_for '^VSOCK-READY' || fail "the guest never got ready" "$L"
# echo through a host-initiated connection (half-close: EOF on our side ends the echo);
# the guest's listener may start a little after VSOCK-READY on a slow machine (an
# emulated arm64 L1): until it listens, a CONNECT is closed without an answer, so try again
try=0
while :; do
  (printf 'CONNECT 5000\n'; echo "hello vsock") | socat -t 20 - UNIX-CONNECT:"$U" > "$TEST_TMP/echo.out" 2>&1
  try=$((try + 1))
  head -n1 "$TEST_TMP/echo.out" | grep -Eq '^OK [0-9]+$' || [ $try -ge 10 ] || { sleep 1; continue; }
  break
done
[ $try -gt 1 ] && echo "# the first echo needed $try CONNECTs"
head -n1 "$TEST_TMP/echo.out" | grep -Eq '^OK [0-9]+$' || fail "no 'OK <port>' answer to CONNECT" "$TEST_TMP/echo.out"
grep -q '^hello vsock$' "$TEST_TMP/echo.out" || fail "the echo did not come back" "$TEST_TMP/echo.out"
# 32 connections at once
n=1
while [ $n -le 32 ]; do
  (printf 'CONNECT 5000\n'; echo "message $n"; sleep 1) | socat -t 30 - UNIX-CONNECT:"$U" > "$TEST_TMP/c$n.out" 2>&1 &
  n=$((n + 1))
done
# all of them within 90 s in all
i=0
while [ $i -lt 90 ]; do
  got=$(cat "$TEST_TMP"/c*.out 2>/dev/null | grep -c '^message [0-9]*$')
  [ "$got" = 32 ] && break
  sleep 1; i=$((i + 1))
done
n=1
while [ $n -le 32 ]; do
  grep -q "^message $n\$" "$TEST_TMP/c$n.out" 2>/dev/null || fail "connection $n got no echo" "$TEST_TMP/c$n.out"
  n=$((n + 1))
done
echo "# $got of 32 concurrent connections echoed"
# host -> guest, 64 MiB
(printf 'CONNECT 5001\n'; cat "$TEST_TMP/hdata") | socat -u - UNIX-CONNECT:"$U" 2>"$TEST_TMP/h2g.err" ||
  fail "host->guest transfer failed" "$TEST_TMP/h2g.err"
wait_for '^VSOCK-KILL-ME' || fail "the guest never reached the reset test" "$L"
sleep 2
kill -9 $victim 2>/dev/null
wait_for '^VSOCK-RESET-RC' || fail "the guest writer never noticed the dead peer" "$L"
printf 'CONNECT 5002\n' | socat -u - UNIX-CONNECT:"$U" 2>/dev/null
wait_exit $vm 60 || kill -TERM $vm 2>/dev/null
wait $vm
VMM_RC=$?
strip_cr "$L"
kill $rx 2>/dev/null
expect_exit 0 "$L"
expect_sent "$L" VSOCK-SENT "$TEST_TMP/recv"
expect_line "$L" '^VSOCK-SEND ok$'
expect_line "$L" "^VSOCK-RECEIVED $hsha 67108864\$"
expect_line "$L" '^VSOCK-CLOSED-PORT refused after (0|1)\.[0-9]+s$'
expect_line "$L" '^VSOCK-RESET-RC [1-9]'
expect_line "$L" '^VSOCK-DONE'
expect_no_line "$L" 'VSOCK-ERROR'
[ -e "$U" ] && fail "the vsock socket $U is still there after the VM stopped"
finish
