# Two VMs on one bridge: hyper.role=listen receives a stream on port 6000 and prints its
# checksum; hyper.role=send (with hyper.peer=ADDR) sends hyper.mib MiB of random data, then
# waits until the receiver says PEER-DONE on port 6001 before its VM stops.
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
    if ! timeout 110 socat -u TCP-LISTEN:6000,reuseaddr OPEN:/tmp/in,creat,trunc; then
      echo "PEER-ERROR receive unfinished after 110 s: $(stat -c %s /tmp/in 2>/dev/null) bytes"
      net_stats
    fi
    echo "PEER-RECEIVED $(sha256sum /tmp/in | cut -d' ' -f1) $(stat -c %s /tmp/in)"
    # the sender waits for this before it powers off
    echo PEER-DONE | timeout 20 socat -u - TCP-LISTEN:6001,reuseaddr ;;
  send)
    dd if=/dev/urandom of=/tmp/out bs=1M count="$mib" 2>/dev/null
    echo "PEER-SENT $(sha256sum /tmp/out | cut -d' ' -f1)"
    socat -u FILE:/tmp/out TCP:"$peer":6000,retry=300,interval=0.2 || echo "PEER-ERROR send failed"
    # socat returns once its data is queued: the kernel may still be sending it (and
    # powering off now would lose it), so wait for the receiver's word
    if ! timeout 110 socat -u TCP:"$peer":6001,retry=1000,interval=0.1 - | grep -q PEER-DONE; then
      echo "PEER-ERROR the receiver never confirmed"
      net_stats
    fi ;;
  *) echo "PEER-ERROR hyper.role= missing"; exit 1 ;;
esac
