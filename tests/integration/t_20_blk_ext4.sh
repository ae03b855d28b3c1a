#!/bin/sh
# virtio-blk: the guest makes an ext4 file system on /dev/vda, writes files, syncs and
# reboots; the host finds the same checksums in the image and e2fsck finds it clean.
. "$(dirname "$0")/lib.sh"
require_file "$KERNEL" "$TOOLS_INITRD" || finish
BOOT_INITRD=$TOOLS_INITRD # mkfs.ext4
L=$TEST_TMP/guest.log
IMG=$TEST_TMP/disk.img
dd if=/dev/zero of="$IMG" bs=1M count=0 seek=64 2>/dev/null
boot_guest "$L" "$KERNEL" 2 256 blk-write --disk "path=$IMG"
expect_exit 0 "$L"
expect_line "$L" '^BLK-WRITE done'
expect_line "$L" 'hyper-guest: action blk-write exited 0'
expect_blk_files "$L" "$IMG"
finish
