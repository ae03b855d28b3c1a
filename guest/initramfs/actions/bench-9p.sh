# 9p benchmark, guest side (bench/9p.sh): metadata rates (create, stat, unlink of N empty
# files) and 1 MiB-block write/read throughput on the share tagged "data".
n=500 mib=64
for arg in $(cat /proc/cmdline); do
  case "$arg" in hyper.files=*) n=${arg#hyper.files=} ;; hyper.mib=*) mib=${arg#hyper.mib=} ;; esac
done
mkdir -p /mnt/data
mount -t 9p -o trans=virtio,version=9p2000.L,msize=524288 data /mnt/data || { echo "BENCH-ERROR mount"; exit 1; }
cd /mnt/data && mkdir -p m && cd m
up() { cut -d' ' -f1 /proc/uptime; }
# metadata: bench/guest/p9bench (one syscall per file, no fork) when the image has it
if command -v p9bench >/dev/null; then
  p9bench . "$n"
else
  rate() { awk -v n="$1" -v a="$2" -v b="$3" 'BEGIN { printf "%.0f", n / (b - a) }'; }
  t0=$(up); i=0; while [ $i -lt "$n" ]; do : > f$i; i=$((i + 1)); done; t1=$(up)
  echo "BENCH meta-create $(rate "$n" "$t0" "$t1") files/s"
  t0=$(up); i=0; while [ $i -lt "$n" ]; do [ -e f$i ] || echo "BENCH-ERROR missing f$i"; i=$((i + 1)); done; t1=$(up)
  echo "BENCH meta-stat $(rate "$n" "$t0" "$t1") files/s"
  t0=$(up); i=0; while [ $i -lt "$n" ]; do rm f$i; i=$((i + 1)); done; t1=$(up)
  echo "BENCH meta-unlink $(rate "$n" "$t0" "$t1") files/s"
fi
cd /mnt/data
t0=$(up); dd if=/dev/zero of=big bs=1M count="$mib" 2>/dev/null; sync; t1=$(up)
echo "BENCH data-write $(awk -v m="$mib" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", m / (b - a) }') MiB/s"
t0=$(up); dd if=big of=/dev/null bs=1M 2>/dev/null; t1=$(up)
echo "BENCH data-read $(awk -v m="$mib" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", m / (b - a) }') MiB/s"
rm -f big; cd /; umount /mnt/data
