#!/bin/sh
# Two VMs on one Linux bridge: VM B sends 16 MiB over TCP to VM A; the checksums match.
. "$(dirname "$0")/lib.sh"
require_file "$KERNEL" "$TOOLS_INITRD" || finish
LA=$TEST_TMP/a.log
LB=$TEST_TMP/b.log
brctl addbr hybr0 || fail "brctl addbr failed"
for t in hyta hytb; do
  tunctl -t $t >/dev/null || fail "tunctl -t $t failed"
  brctl addif hybr0 $t
  ip link set $t up
done
ip link set hybr0 up
"$VMM" --kernel "$KERNEL" --initrd "$TOOLS_INITRD" --memory 256 \
  --cmdline "$CMDLINE_BASE hyper.action=net-peer hyper.role=listen" \
  --net tap=hyta,ip=10.0.1.2/24 --stats </dev/null >"$LA" 2>&1 &
a=$!
"$VMM" --kernel "$KERNEL" --initrd "$TOOLS_INITRD" --memory 256 \
  --cmdline "$CMDLINE_BASE hyper.action=net-peer hyper.role=send hyper.peer=10.0.1.2 hyper.mib=16" \
  --net tap=hytb,ip=10.0.1.3/24 --stats </dev/null >"$LB" 2>&1 &
b=$!
i=0
while [ $i -lt "$VMM_TIMEOUT" ] && { kill -0 $a 2>/dev/null || kill -0 $b 2>/dev/null; }; do
  sleep 1; i=$((i + 1))
done
kill -TERM $a $b 2>/dev/null
wait $a; ra=$?
wait $b; rb=$?
strip_cr "$LA" "$LB"
[ "$ra" = 0 ] || fail "VM A exited $ra" "$LA"
[ "$rb" = 0 ] || fail "VM B exited $rb" "$LB"
sent=$(sed -n 's/^PEER-SENT \([0-9a-f]*\).*/\1/p' "$LB")
[ -n "$sent" ] || fail "VM B reported no checksum" "$LB"
expect_line "$LA" "^PEER-RECEIVED $sent 16777216\$"
expect_no_line "$LB" 'PEER-ERROR'
if [ "$FAILS" != 0 ]; then
  show_log "$LB"
  for t in hyta hytb; do
    s=/sys/class/net/$t/statistics
    echo "  $t: rx $(cat $s/rx_bytes) tx $(cat $s/tx_bytes) bytes; rx $(cat $s/rx_packets) tx $(cat $s/tx_packets) packets; tx_dropped $(cat $s/tx_dropped)"
  done
fi
ip link set hybr0 down; brctl delbr hybr0 2>/dev/null
for t in hyta hytb; do ip link del $t 2>/dev/null; done
finish
