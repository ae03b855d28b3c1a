# vsock benchmark, guest side (bench/vsock.sh): throughput both ways and 1-byte round
# trips against servers on the host (CID 2): 7000 sink, 7001 source, 7002 echo.
mib=64 rtts=2000
for arg in $(cat /proc/cmdline); do case "$arg" in hyper.mib=*) mib=${arg#hyper.mib=} ;; esac; done
[ -x /bin/vsockbench ] || { echo "BENCH-ERROR no /bin/vsockbench in this initramfs"; exit 1; }
vsockbench send 7000 "$mib"
vsockbench recv 7001
vsockbench rtt 7002 "$rtts"
