#!/bin/sh
# Debian's stock kernel, untouched, with ACPI: the virtio-mmio devices reach it only
# through the DSDT (it has no virtio_mmio.device= support) and its drivers are modules
# the initramfs loads (guest/initramfs/build.sh --modules). On aarch64 the same checks with
# Debian's arm64 kernel, the devices described by the device tree (no ACPI there). A disk, a 9p share and vsock
# attached: the guest sees all three (virtio ids 2, 9, 19), makes ext4 on the disk (checked
# here with e2fsck and the files' checksums) and writes through the share.
. "$(dirname "$0")/lib.sh"
STOCK_INITRD=$GUEST_DIR/initramfs-stock.cpio.gz
require_file "$STOCK" "$STOCK_INITRD" || finish
BOOT_INITRD=$STOCK_INITRD
L=$TEST_TMP/guest.log
IMG=$TEST_TMP/disk.img
D=$TEST_TMP/share
rm -rf "$D" && mkdir -p "$D"
dd if=/dev/zero of="$IMG" bs=1M count=0 seek=64 2>/dev/null
boot_guest "$L" "$STOCK" 2 512 stock-devices --disk "path=$IMG" --share "path=$D,tag=data" \
  --vsock "cid=3,uds=$TEST_TMP/v.sock"
expect_exit 0 "$L"
expect_kernel "$L" "$STOCK_RELEASE"
expect_no_line "$L" 'insmod .* failed'
[ "$ARCH" = x86_64 ] && expect_line "$L" '^STOCK-ACPI-DEVICES 3$'
expect_line "$L" '^STOCK-MMIO-BOUND 3$'
expect_line "$L" '^STOCK-VIRTIO-IDS 0x0002 0x0009 0x0013$'
expect_line "$L" '^STOCK-VSOCK present$'
expect_line "$L" '^BLK-WRITE done'
expect_line "$L" '^STOCK-P9 ok$'
expect_no_line "$L" 'STOCK-ERROR'
[ "$(cat "$D/stock.txt" 2>/dev/null)" = "written by the stock kernel" ] ||
  fail "stock.txt did not reach the host through the share" "$L"
expect_blk_files "$L" "$IMG"
finish
