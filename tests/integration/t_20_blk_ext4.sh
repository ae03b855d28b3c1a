#!/bin/sh
# virtio-blk: the guest makes an ext4 file system on /dev/vda, writes files, syncs and
# reboots; the host finds the same checksums in the image and e2fsck finds it clean.
. "$(dirname "$0")/lib.sh"
require_file "$BZIMAGE" "$TOOLS_INITRD" || finish
BOOT_INITRD=$TOOLS_INITRD # mkfs.ext4
L=$TEST_TMP/guest.log
IMG=$TEST_TMP/disk.img
dd if=/dev/zero of="$IMG" bs=1M count=0 seek=64 2>/dev/null
boot_guest "$L" "$BZIMAGE" 2 256 blk-write --disk "path=$IMG"
expect_exit 0 "$L"
expect_line "$L" '^BLK-WRITE done'
expect_line "$L" 'hyper-guest: action blk-write exited 0'
if ! e2fsck -fn "$IMG" > "$TEST_TMP/fsck.log" 2>&1; then
  fail "e2fsck -fn found problems in the image" "$TEST_TMP/fsck.log"
fi
n=0
for entry in $(grep '^BLK-FILE ' "$L" | tr ' ' ':'); do
  name=$(echo "$entry" | cut -d: -f2)
  want=$(echo "$entry" | cut -d: -f3)
  debugfs -R "dump /$name $TEST_TMP/out" "$IMG" >/dev/null 2>&1
  got=$(sha256sum "$TEST_TMP/out" 2>/dev/null | cut -d' ' -f1)
  [ "$got" = "$want" ] || fail "/$name in the image has sha256 ${got:-none}, the guest wrote $want"
  n=$((n + 1))
done
[ "$n" = 4 ] || fail "the guest reported $n files, want 4" "$L"
echo "# $n files verified in the image"
finish
