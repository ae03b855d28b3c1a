#!/bin/sh
# virtio-9p: a read-write and a read-only share, with the Linux 9p client: create, write,
# 64 MiB with checksums both ends, rename across directories, symlink, hard link, chmod
# and chown as root, 10 000 files listed, the read-only share refusing writes, and a host
# symlink pointing outside the share resolved inside the guest, never on the host.
. "$(dirname "$0")/lib.sh"
require_file "$KERNEL" "$INITRD" || finish
L=$TEST_TMP/guest.log
D=$TEST_TMP/data
C=$TEST_TMP/conf
rm -rf "$D" "$C" && mkdir -p "$D/many" "$C"
dd if=/dev/urandom of="$D/hostfile.bin" bs=1M count=4 2>/dev/null
hsha=$(sha256sum "$D/hostfile.bin" | cut -d' ' -f1)
i=0
while [ $i -lt 10000 ]; do : > "$D/many/f$i"; i=$((i + 1)); done
echo "setting=1" > "$C/settings.txt"
mkdir -p "$TEST_TMP/outside" && echo "host-secret" > "$TEST_TMP/outside/passwd"
ln -s "$TEST_TMP/outside" "$D/escape"
boot_guest "$L" "$KERNEL" 2 512 "p9-test hyper.mib=${P9_MIB:-64}" --share "path=$D,tag=data" \
  --share "path=$C,tag=conf,readonly=on"
expect_exit 0 "$L"
expect_line "$L" "^P9-HOSTFILE $hsha\$"
expect_line "$L" '^P9-DONE'
expect_no_line "$L" 'P9-ERROR'
[ "$(cat "$D/created.txt" 2>/dev/null)" = "hello from the guest" ] || fail "created.txt wrong on the host"
big=$(sed -n 's/^P9-BIG \([0-9a-f]*\) \([0-9a-f]*\)$/\1 \2/p' "$L")
want=${big%% *}
[ -n "$want" ] && [ "${big#* }" = "$want" ] || fail "the guest read big.bin back differently: $big" "$L"
[ "$(sha256sum "$D/big.bin" 2>/dev/null | cut -d' ' -f1)" = "$want" ] || fail "big.bin differs on the host"
[ "$(cat "$D/d1/d2/g" 2>/dev/null)" = moved ] || fail "the rename across directories did not land"
[ -e "$D/d1/f" ] && fail "d1/f still exists after the rename"
[ "$(readlink "$D/link")" = created.txt ] || fail "link is not a symlink to created.txt on the host"
expect_line "$L" '^P9-READLINK created.txt$'
expect_line "$L" '^P9-LINKS 2$'
expect_line "$L" '^P9-STAT 600 1000 1000$'
[ "$(stat -c '%a %u %g' "$D/created.txt")" = "600 1000 1000" ] || fail "mode/owner not set on the host: $(stat -c '%a %u %g' "$D/created.txt")"
[ -e "$D/hard.txt" ] && fail "hard.txt still exists after rm"
expect_line "$L" '^P9-MANY 10000$'
expect_line "$L" '^P9-RO-WRITE refused$'
expect_line "$L" '^P9-RO-READ setting=1$'
[ -e "$C/new.txt" ] && fail "the read-only share got a new file"
expect_no_line "$L" 'host-secret'
[ "$(cat "$TEST_TMP/outside/passwd")" = host-secret ] || fail "a file outside the share changed"
finish
