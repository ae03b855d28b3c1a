#!/usr/bin/env bash
# Density: starts 1, 10 and 20 VMs at once in the nested test bed (each 1 vCPU, 128 MiB,
# the project kernel and initramfs, idle after boot) and reports the time until every
# guest reached its init (from the first launch to the last "sleeping" line), and each
# VMM's own memory (vmm --stats on SIGUSR2: RSS less the guest's resident pages), mean
# and max per VM, plus the L1's free memory before and after.
#
# Usage: bench/density.sh   (env: COUNTS="1 10 20", MIB=128, L1_FLAGS=--icount: L1's clock
#        counts instructions, for repeatable times on a busy host)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
COUNTS=${COUNTS:-"1 10 20"} MIB=${MIB:-128}
. bench/lib/common.sh
bench_prepare density
cp "$(guest/initramfs/build.sh)" "$work/payload/guest/initramfs.cpio.gz"
cat > "$work/payload/run.sh" <<EOS
. /payload/lib.sh
CMD="console=ttyS0 panic=-1 quiet hyper.action=sleep"
now() { cut -d' ' -f1 /proc/uptime; }
for n in $COUNTS; do
  rm -rf /tmp/d && mkdir -p /tmp/d
  free_before=\$(awk '/MemAvailable/ { print \$2 }' /proc/meminfo)
  t0=\$(now)
  pids=""
  i=1
  while [ \$i -le \$n ]; do
    /payload/bin/vmm --kernel \$K --initrd \$I --memory $MIB --cmdline "\$CMD" --stats \\
      </dev/null > /tmp/d/vm\$i.log 2>&1 &
    pids="\$pids \$!"
    i=\$((i + 1))
  done
  # every guest idle (bounded: 20 minutes)
  waited=0
  while [ \$waited -lt 1200 ]; do
    up=\$(grep -l 'hyper-guest: sleeping' /tmp/d/vm*.log 2>/dev/null | wc -l)
    [ "\$up" -ge \$n ] && break
    sleep 1; waited=\$((waited + 1))
  done
  t1=\$(now)
  sleep 5
  free_after=\$(awk '/MemAvailable/ { print \$2 }' /proc/meminfo)
  for p in \$pids; do kill -USR2 \$p 2>/dev/null; done
  sleep 3
  for p in \$pids; do kill -TERM \$p 2>/dev/null; done
  for p in \$pids; do wait \$p 2>/dev/null || true; done
  over=\$(cat /tmp/d/vm*.log | tr -d '\r' | sed -n 's/.*{"stats":"now","overhead_kib":\([0-9]*\).*/\1/p')
  guest=\$(cat /tmp/d/vm*.log | tr -d '\r' | sed -n 's/.*"guest_resident_kib":\([0-9]*\).*/\1/p')
  echo "\$over" | awk -v n=\$n -v up=\$up -v t=\$(awk -v a=\$t0 -v b=\$t1 'BEGIN { print b - a }') \\
    -v fb=\$free_before -v fa=\$free_after -v g="\$(echo \$guest | tr ' ' '+')" '
    NF { s += \$1; if (\$1 > m) m = \$1; c++ }
    END { split(g, gs, "+"); gsum = 0; for (k in gs) gsum += gs[k];
          printf "DENSITY vms=%d booted=%d all_at_init_s=%.1f overhead_mean_kib=%d overhead_max_kib=%d guest_mean_kib=%d l1_used_mib=%d stats=%d\n",
            n, up, t, c ? s / c : 0, m, c ? gsum / c : 0, (fb - fa) / 1024, c }'
done
exit 0
EOS
img=$(tests/testbed/l1-image.sh --out "$work/l1.cpio" --payload "$work/payload" --bin build/vmm/vmm:vmm)
tests/testbed/run-l1.sh --initrd "$img" --log "$work/l1.log" --timeout "${L1_TIMEOUT:-3000}" --quiet ${L1_FLAGS:-} || true
{
  printf '%-5s %-7s %-16s %-20s %-19s %-17s %-12s\n' VMs booted all-at-init-s overhead-mean-KiB \
    overhead-max-KiB guest-mean-KiB L1-used-MiB
  grep -a '^DENSITY' "$work/l1.log" | tr -d '\r' | sed 's/[a-z0-9_]*=//g' |
    awk '{ printf "%-5s %-7s %-16s %-20s %-19s %-17s %-12s\n", $2, $3, $4, $5, $6, $7, $8 }'
} | tee "$work/table.txt"
