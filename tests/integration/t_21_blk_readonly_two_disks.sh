#!/bin/sh
# Two disks at once: /dev/vda read-write, /dev/vdb read-only with a serial. The guest
# reads vdb's content as the host wrote it, sees both sizes, and a write to vdb is refused
# while one to vda works; vdb is unchanged on the host afterwards.
. "$(dirname "$0")/lib.sh"
require_file "$KERNEL" "$INITRD" || finish
L=$TEST_TMP/guest.log
A=$TEST_TMP/a.img
B=$TEST_TMP/b.img
dd if=/dev/zero of="$A" bs=1M count=8 2>/dev/null
dd if=/dev/urandom of="$B" bs=1M count=4 2>/dev/null
want=$(sha256sum "$B" | cut -d' ' -f1)
boot_guest "$L" "$KERNEL" 1 256 blk-readonly --disk "path=$A" \
  --disk "path=$B,readonly=on,serial=hyper-ro-1"
expect_exit 0 "$L"
expect_line "$L" '^BLK-RO vdb-ro=1 vda-ro=0$'
expect_line "$L" "^BLK-RO vdb-sha=$want\$"
expect_line "$L" '^BLK-RO vdb-size=8192 vda-size=16384$'
expect_line "$L" '^BLK-RO vdb-serial=hyper-ro-1$'
expect_line "$L" '^BLK-RO write-vdb=refused$'
expect_line "$L" '^BLK-RO write-vda=succeeded$'
got=$(sha256sum "$B" | cut -d' ' -f1)
[ "$got" = "$want" ] || fail "the read-only image changed on the host"
finish
