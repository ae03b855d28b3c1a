# virtio-9p test, guest side (host side: tests/integration/t_50_share.sh): tag "data" is a
# read-write share, tag "conf" a read-only one.
mkdir -p /mnt/data /mnt/conf
mount -t 9p -o trans=virtio,version=9p2000.L,msize=524288 data /mnt/data || { echo "P9-ERROR mount data"; exit 1; }
mount -t 9p -o trans=virtio,version=9p2000.L conf /mnt/conf || { echo "P9-ERROR mount conf"; exit 1; }
cd /mnt/data
echo "hello from the guest" > created.txt
# big reads: without a cache mode the 9p client sends one Tread per read() call, so read
# with 1 MiB blocks (sha256sum alone reads 4 KiB at a time)
echo "P9-HOSTFILE $(dd if=hostfile.bin bs=1M 2>/dev/null | sha256sum | cut -d' ' -f1)"
mib=64
for arg in $(cat /proc/cmdline); do case "$arg" in hyper.mib=*) mib=${arg#hyper.mib=} ;; esac; done
dd if=/dev/urandom of=/tmp/big bs=1M count="$mib" 2>/dev/null
echo "P9-BIG-START $mib MiB"
dd if=/tmp/big of=big.bin bs=1M 2>/dev/null && sync
echo "P9-BIG-WRITTEN"
echo "P9-BIG $(sha256sum /tmp/big | cut -d' ' -f1) $(dd if=big.bin bs=1M 2>/dev/null | sha256sum | cut -d' ' -f1)"
rm -f /tmp/big
mkdir -p d1/d2 && echo moved > d1/f && mv d1/f d1/d2/g
ln -s created.txt link && echo "P9-READLINK $(readlink link)"
ln created.txt hard.txt && echo "P9-LINKS $(stat -c %h created.txt)"
chmod 600 created.txt && chown 1000:1000 created.txt
echo "P9-STAT $(stat -c '%a %u %g' created.txt)"
# count with a glob: readdir only (ls would stat each of the 10 000 files)
n=0
for f in many/*; do n=$((n + 1)); done
echo "P9-MANY $n"
rm hard.txt
if echo x > /mnt/conf/new.txt 2>/dev/null; then echo "P9-RO-WRITE succeeded"; else echo "P9-RO-WRITE refused"; fi
echo "P9-RO-READ $(cat /mnt/conf/settings.txt)"
# the guest follows a symlink that points outside the share into its own file system
echo "P9-ESCAPE $(cat escape/passwd 2>&1 | head -n1)"
cd /
umount /mnt/data /mnt/conf
echo "P9-DONE"
