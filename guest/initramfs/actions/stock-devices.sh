# Debian's stock kernel under vmm (host side: tests/integration/t_80_stock_acpi_devices.sh):
# which virtio devices the drivers bound, found through the DSDT's LNRO0005 devices on
# x86_64 (ACPI) or the device tree's virtio,mmio nodes on aarch64, then the ext4 disk check
# (blk-write.sh) and a write through the 9p share "data".
echo "STOCK-ACPI-DEVICES $(ls /sys/bus/acpi/devices 2>/dev/null | grep -c '^LNRO0005:')"
echo "STOCK-MMIO-BOUND $(find /sys/bus/platform/drivers/virtio-mmio -maxdepth 1 -type l ! -name module 2>/dev/null | wc -l)"
ids=""
for d in /sys/bus/virtio/devices/*; do [ -f "$d/device" ] && ids="$ids $(cat "$d/device")"; done
echo "STOCK-VIRTIO-IDS$(echo "$ids" | tr ' ' '\n' | sort | tr '\n' ' ' | sed 's/ *$//')"
[ -e /dev/vsock ] && echo "STOCK-VSOCK present"
sh /actions/blk-write.sh || echo "STOCK-ERROR blk-write"
mkdir -p /mnt/share
if mount -t 9p -o trans=virtio,version=9p2000.L data /mnt/share; then
  echo "written by the stock kernel" > /mnt/share/stock.txt && sync && echo "STOCK-P9 ok"
  umount /mnt/share
else
  echo "STOCK-ERROR 9p mount"
fi
