# Network benchmark, guest side (bench/net.sh): iperf3 to the host (the gateway) both ways
# and ping round trips. Needs the --tools initramfs (iperf3).
host=$(ip route | awk '/^default/ { print $3 }')
secs=5
for arg in $(cat /proc/cmdline); do case "$arg" in hyper.secs=*) secs=${arg#hyper.secs=} ;; esac; done
i=0
until ping -c 1 -W 1 "$host" >/dev/null 2>&1; do
  i=$((i + 1)); [ $i -lt 60 ] || { echo "BENCH-ERROR host unreachable"; exit 1; }
done
# iperf3's receiver summary line: "... sec  X MBytes  Y Mbits/sec  receiver"
rate() { awk '/receiver/ { for (i = 1; i <= NF; i++) if ($i ~ /bits\/sec/) { v = $(i-1); u = $i } }
  END { if (u ~ /^G/) v *= 1000; if (u ~ /^K/) v /= 1000; print v }'; }
echo "BENCH tcp-guest-to-host $(iperf3 -c "$host" -t "$secs" -f m 2>&1 | rate) Mbit/s"
echo "BENCH tcp-host-to-guest $(iperf3 -c "$host" -t "$secs" -f m -R 2>&1 | rate) Mbit/s"
rtt=$(ping -c 50 -i 0.05 "$host" | awk -F/ '/min\/avg/ { print $4 }')
echo "BENCH ping-rtt $rtt ms"
