# virtio-net test, guest side (the host side is tests/integration/t_30_net.sh). eth0 is
# configured from ip=; the host is the gateway. Needs the --tools initramfs (socat).
host=$(ip route | awk '/^default/ { print $3 }')
[ -n "$host" ] || { echo "NET-ERROR no default route"; exit 1; }
i=0
until ping -c 1 -W 1 "$host" >/dev/null 2>&1; do
  i=$((i + 1)); [ $i -lt 60 ] || { echo "NET-ERROR host $host unreachable"; exit 1; }
done
echo "NET-PING ok $(ping -c 3 -W 2 "$host" | grep -c 'bytes from')"
mib=64
for arg in $(cat /proc/cmdline); do case "$arg" in hyper.mib=*) mib=${arg#hyper.mib=} ;; esac; done
# guest -> host
dd if=/dev/urandom of=/tmp/out bs=1M count="$mib" 2>/dev/null
echo "NET-SENT $(sha256sum /tmp/out | cut -d' ' -f1)"
socat -u FILE:/tmp/out TCP:"$host":5001,retry=100,interval=0.2,linger=60 || echo "NET-ERROR send failed"
rm -f /tmp/out
# host -> guest
socat -u TCP:"$host":5002,retry=100,interval=0.2 OPEN:/tmp/in,creat,trunc || echo "NET-ERROR receive failed"
echo "NET-RECEIVED $(sha256sum /tmp/in | cut -d' ' -f1) $(stat -c %s /tmp/in)"
# the host pings us now, then connects to port 5003 to say it is done
echo "NET-READY"
socat -u TCP-LISTEN:5003,reuseaddr OPEN:/dev/null
echo "NET-DONE"
