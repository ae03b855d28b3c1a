# /dev/vda is read-write, /dev/vdb read-only. Reads both; a write to vdb must fail.
echo "BLK-RO vdb-ro=$(cat /sys/block/vdb/ro) vda-ro=$(cat /sys/block/vda/ro)"
echo "BLK-RO vdb-sha=$(dd if=/dev/vdb bs=1M count=4 2>/dev/null | sha256sum | cut -d' ' -f1)"
echo "BLK-RO vdb-size=$(cat /sys/block/vdb/size) vda-size=$(cat /sys/block/vda/size)"
echo "BLK-RO vdb-serial=$(cat /sys/block/vdb/serial 2>/dev/null)"
if dd if=/dev/zero of=/dev/vdb bs=4k count=1 conv=fsync 2>/dev/null; then
  echo "BLK-RO write-vdb=succeeded"
else
  echo "BLK-RO write-vdb=refused"
fi
if dd if=/dev/zero of=/dev/vda bs=4k count=1 seek=1 conv=fsync 2>/dev/null; then
  echo "BLK-RO write-vda=succeeded"
else
  echo "BLK-RO write-vda=refused"
fi
