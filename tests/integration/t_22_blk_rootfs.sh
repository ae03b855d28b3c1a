#!/bin/sh
# A root file system on /dev/vda (no initramfs): root=/dev/vda boots to its /init.
. "$(dirname "$0")/lib.sh"
require_file "$KERNEL" || finish
L=$TEST_TMP/guest.log
R=$TEST_TMP/rootfs
IMG=$TEST_TMP/rootfs.ext4
rm -rf "$R" && mkdir -p "$R/bin" "$R/dev" "$R/proc" "$R/sys"
cp /bin/busybox "$R/bin/busybox"
ln -s busybox "$R/bin/sh"
cat > "$R/init" <<'INIT'
#!/bin/sh
/bin/busybox mount -t proc proc /proc
echo "HYPER-ROOTFS root=$(/bin/busybox awk '$2 == "/" { print $1 " " $3 }' /proc/mounts | /bin/busybox tail -n1)"
/bin/busybox reboot -f
INIT
chmod +x "$R/init"
"$MKE2FS" -q -t ext4 -d "$R" "$IMG" 32M || fail "mke2fs -d failed"
run_vmm "$L" --kernel "$KERNEL" --cmdline "$CMDLINE_BASE root=/dev/vda rw init=/init" \
  --disk "path=$IMG" --memory 256
expect_exit 0 "$L"
expect_line "$L" '^HYPER-ROOTFS root=/dev/(vda|root) ext4$'
finish
