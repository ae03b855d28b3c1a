# virtio-9p extended attributes and locks, guest side (host side:
# tests/integration/t_51_share_xattr_lock.sh). The share "data" is on ext4 in L1 (user
# xattrs need a host file system that has them). Needs the --tools initramfs (attr tools).
mkdir -p /mnt/data
mount -t 9p -o trans=virtio,version=9p2000.L data /mnt/data || { echo "P9X-ERROR mount"; exit 1; }
cd /mnt/data
echo "P9X-HOSTATTR $(getfattr --only-values -n user.host hostfile)"
echo guest > guestfile
setfattr -n user.guest -v fromguest guestfile || echo "P9X-ERROR setfattr"
setfattr -n user.gone -v x guestfile && setfattr -x user.gone guestfile || echo "P9X-ERROR remove"
echo "P9X-LIST $(getfattr --absolute-names -d guestfile | grep '^user\.' | tr '\n' ' ')"
if setfattr -n security.evil -v 1 guestfile 2>/dev/null; then echo "P9X-SECURITY set"; else echo "P9X-SECURITY refused"; fi
if setfattr -n trusted.evil -v 1 guestfile 2>/dev/null; then echo "P9X-TRUSTED set"; else echo "P9X-TRUSTED refused"; fi
# The host holds a write lock on held.txt until held.txt.release appears.
# util-linux flock -n: 0 locked, 1 refused, anything else an error
try_lock() { flock -n "$1" true; rc=$?; case $rc in 0) echo granted ;; 1) echo refused ;; *) echo "error $rc" ;; esac; }
echo "P9X-LOCK-WHILE-HELD $(try_lock held.txt)"
touch held.txt.release
i=0
while [ ! -e held.txt.released ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
echo "P9X-LOCK-AFTER $(try_lock held.txt)"
# Now the guest holds one and the host probes it.
flock mine.txt sh -c 'touch mine.txt.held; i=0; while [ ! -e mine.txt.probed ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done'
# A blocking flock waits for the host's lock and gets it once the host lets go.
touch wait.txt.go
i=0
while [ ! -e wait.txt.locked ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
flock wait.txt true && echo "P9X-BLOCKING granted"
cd / && umount /mnt/data
echo "P9X-DONE"
