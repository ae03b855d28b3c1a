# virtio-vsock test, guest side (host side: tests/integration/t_40_vsock.sh). Needs the
# --tools initramfs (socat with VSOCK). Host CID is 2.
mib=64
for arg in $(cat /proc/cmdline); do case "$arg" in hyper.mib=*) mib=${arg#hyper.mib=} ;; esac; done
# -t 30: after EOF from the host, give cat time to echo (socat waits only 0.5 s by default,
# too short for 32 forks at once in the nested test bed)
socat -t 30 VSOCK-LISTEN:5000,fork,reuseaddr,backlog=64 EXEC:cat &
socat -u VSOCK-LISTEN:5001,reuseaddr OPEN:/tmp/in,creat,trunc &
sink=$!
sleep 1
echo "VSOCK-READY"
# guest -> host
dd if=/dev/urandom of=/tmp/out bs=1M count="$mib" 2>/dev/null
echo "VSOCK-SENT $(sha256sum /tmp/out | cut -d' ' -f1)"
socat -u FILE:/tmp/out VSOCK-CONNECT:2:6000 && echo "VSOCK-SEND ok" || echo "VSOCK-ERROR send failed"
rm -f /tmp/out
# a port nobody listens on: refused, not a hang
t0=$(cut -d' ' -f1 /proc/uptime)
if socat -u /dev/null VSOCK-CONNECT:2:7777 2>/dev/null; then
  echo "VSOCK-ERROR connect to a closed port succeeded"
else
  echo "VSOCK-CLOSED-PORT refused after $(awk -v a="$t0" -v b="$(cut -d' ' -f1 /proc/uptime)" 'BEGIN { printf "%.2f", b - a }')s"
fi
# host -> guest (the host sends once it saw VSOCK-READY)
wait $sink
echo "VSOCK-RECEIVED $(sha256sum /tmp/in | cut -d' ' -f1) $(stat -c %s /tmp/in)"
rm -f /tmp/in
# the host kills its end of port 6001 while we write: the writer must see a reset
echo "VSOCK-KILL-ME"
dd if=/dev/zero bs=64k count=100000 2>/dev/null | socat -u - VSOCK-CONNECT:2:6001 2>/dev/null
echo "VSOCK-RESET-RC $?"
# wait until the host says it is done
socat -u VSOCK-LISTEN:5002,reuseaddr OPEN:/dev/null
echo "VSOCK-DONE"
