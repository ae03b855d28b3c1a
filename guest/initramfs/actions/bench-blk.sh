# Block benchmark (bench/blk.sh): O_DIRECT I/O on /dev/vda with the static blkbench tool.
# Sizes come from hyper.bench=SEQ_MIB,RAND_MIB on the command line.
seq=128 rnd=16
for arg in $(cat /proc/cmdline); do
  case "$arg" in hyper.bench=*) v=${arg#hyper.bench=}; seq=${v%%,*}; rnd=${v#*,} ;; esac
done
[ -x /bin/blkbench ] || { echo "BENCH-ERROR no /bin/blkbench in this initramfs"; exit 1; }
blkbench seqwrite /dev/vda "$seq" 1024 1
blkbench seqread /dev/vda "$seq" 1024 1
blkbench randread /dev/vda "$rnd" 4 8
blkbench randwrite /dev/vda "$rnd" 4 8
