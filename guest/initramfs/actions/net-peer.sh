# Two VMs on one bridge: hyper.role=listen receives a stream on port 6000 and prints its
# checksum; hyper.role=send (with hyper.peer=ADDR) sends hyper.mib MiB of random data.
role="" peer="" mib=16
for arg in $(cat /proc/cmdline); do
  case "$arg" in
    hyper.role=*) role=${arg#hyper.role=} ;;
    hyper.peer=*) peer=${arg#hyper.peer=} ;;
    hyper.mib=*) mib=${arg#hyper.mib=} ;;
  esac
done
# what the guest's stack and driver counted (read when a transfer goes wrong)
net_stats() {
  grep -E '^(Tcp|TcpExt):' /proc/net/snmp /proc/net/netstat
  grep virtio /proc/interrupts
  grep eth0 /proc/net/dev
}
case "$role" in
  listen)
    echo "PEER-LISTENING"
    # A stream that never ends says what arrived and what the guest's stack saw.
    if ! timeout 100 socat -u TCP-LISTEN:6000,reuseaddr OPEN:/tmp/in,creat,trunc; then
      echo "PEER-ERROR receive unfinished after 100 s: $(stat -c %s /tmp/in 2>/dev/null) bytes"
      net_stats
    fi
    echo "PEER-RECEIVED $(sha256sum /tmp/in | cut -d' ' -f1) $(stat -c %s /tmp/in)" ;;
  send)
    dd if=/dev/urandom of=/tmp/out bs=1M count="$mib" 2>/dev/null
    echo "PEER-SENT $(sha256sum /tmp/out | cut -d' ' -f1)"
    socat -u FILE:/tmp/out TCP:"$peer":6000,retry=300,interval=0.2,linger=60 || echo "PEER-ERROR send failed"
    net_stats ;;
  *) echo "PEER-ERROR hyper.role= missing"; exit 1 ;;
esac
