#!/bin/sh
# virtio-9p extended attributes and POSIX locks against a host file system that has them
# (ext4 on a loop device in L1): an xattr set on the host is read in the guest and one set
# in the guest lands on the host file; security.* and trusted.* are refused; a host lock
# keeps the guest's flock out until the host lets go, a blocking flock waits for it, and
# the host sees the guest's lock.
. "$(dirname "$0")/lib.sh"
require_file "$KERNEL" "$TOOLS_INITRD" "$PAYLOAD/bin/p9host" || finish
L=$TEST_TMP/guest.log
M=$TEST_TMP/mnt
mkdir -p "$M"
$MKE2FS -q -F -t ext4 "$TEST_TMP/fs.img" 32M || { fail "mke2fs failed"; finish; }
mount -o loop "$TEST_TMP/fs.img" "$M" || { fail "mounting ext4 on a loop device failed"; finish; }
D=$M/data
mkdir -p "$D"
echo host > "$D/hostfile"
p9host setx "$D/hostfile" user.host fromhost || fail "setting the host xattr failed"
: > "$D/held.txt"
p9host hold "$D/held.txt" > "$TEST_TMP/hold.out" &
# the guest holds mine.txt while the host probes it
( i=0
  while [ ! -e "$D/mine.txt.held" ] && [ $i -lt 1500 ]; do sleep 0.1; i=$((i + 1)); done
  p9host probe "$D/mine.txt" > "$TEST_TMP/probe.out" 2>&1
  touch "$D/mine.txt.probed" ) &
# a blocking flock in the guest waits while the host holds wait.txt for 3 s
( i=0
  while [ ! -e "$D/wait.txt.go" ] && [ $i -lt 1500 ]; do sleep 0.1; i=$((i + 1)); done
  : > "$D/wait.txt"
  p9host hold "$D/wait.txt" > "$TEST_TMP/wait.out" &
  sleep 1 && touch "$D/wait.txt.locked" && sleep 3 && touch "$D/wait.txt.release" ) &
BOOT_INITRD=$TOOLS_INITRD boot_guest "$L" "$KERNEL" 1 256 p9-xattr --share "path=$D,tag=data"
expect_exit 0 "$L"
expect_line "$L" '^P9X-DONE'
expect_no_line "$L" 'P9X-ERROR'
expect_line "$L" '^P9X-HOSTATTR fromhost$'
[ "$(p9host getx "$D/guestfile" user.guest 2>&1)" = fromguest ] || fail "user.guest not on the host: $(p9host getx "$D/guestfile" user.guest 2>&1)"
p9host getx "$D/guestfile" user.gone >/dev/null 2>&1 && fail "user.gone still on the host after setfattr -x"
expect_line "$L" '^P9X-LIST user.guest="fromguest" $'
expect_line "$L" '^P9X-SECURITY refused$'
expect_line "$L" '^P9X-TRUSTED refused$'
p9host getx "$D/guestfile" security.evil >/dev/null 2>&1 && fail "security.evil reached the host file"
expect_line "$L" '^P9X-LOCK-WHILE-HELD refused$'
expect_line "$L" '^P9X-LOCK-AFTER granted$'
[ "$(cat "$TEST_TMP/probe.out" 2>&1)" = locked ] || fail "the host did not see the guest's lock: $(cat "$TEST_TMP/probe.out" 2>&1)"
expect_line "$L" '^P9X-BLOCKING granted$'
touch "$D/held.txt.release" "$D/wait.txt.release" "$D/mine.txt.probed"
wait
umount "$M"
finish
