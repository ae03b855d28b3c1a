# Makes an ext4 file system on /dev/vda, writes files with known checksums, syncs,
# unmounts. Prints "BLK-FILE <name> <sha256>" per file for the host to verify.
set -e
mkfs.ext4 -q -F -L hyper /dev/vda
mkdir -p /mnt
mount -t ext4 /dev/vda /mnt
for n in 1 2 3; do
  dd if=/dev/urandom of=/mnt/file$n bs=64k count=$((n * 16)) 2>/dev/null
done
mkdir -p /mnt/dir
echo "hello from the hyper guest disk" > /mnt/dir/hello.txt
sync
for f in file1 file2 file3 dir/hello.txt; do
  echo "BLK-FILE $f $(sha256sum /mnt/$f | cut -d' ' -f1)"
done
umount /mnt
echo "BLK-WRITE done"
