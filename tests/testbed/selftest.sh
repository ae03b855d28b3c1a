#!/usr/bin/env bash
# Checks the nested test bed end to end without hyper's vmm: builds an L1 image holding
# Debian's QEMU, boots L1, and inside it boots each guest kernel (Debian's stock kernel and
# the project kernel's bzImage and vmlinux) with the guest initramfs under
# `qemu-system-x86_64 -M microvm -accel kvm`. Prints ok/not ok per boot, the L1 and L2
# timings, and "N passed, N failed".
#
# Usage: tests/testbed/selftest.sh [--smp N] [--timeout SECS]
# Environment: BUILD_DIR (default build), HYPER_GUEST_KERNEL_DIR (a directory with bzImage
# and vmlinux; default: the output of guest/kernel/build.sh).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
smp=1 tmo=900
while [ $# -gt 0 ]; do
  case "$1" in
    --smp) smp="${2:?}"; shift 2 ;;
    --timeout) tmo="${2:?}"; shift 2 ;;
    *) echo "selftest.sh: unknown argument '$1'" >&2; exit 64 ;;
  esac
done
work="${BUILD_DIR:-build}/testbed/selftest"
rm -rf "$work"
mkdir -p "$work/payload/guest"
kver=$(cd /lib/modules && for v in *; do [ -f "/boot/vmlinuz-$v" ] && echo "$v"; done | sort -V | tail -n1)

cp "/boot/vmlinuz-$kver" "$work/payload/guest/vmlinuz-stock"
cp "$(guest/initramfs/build.sh)" "$work/payload/guest/initramfs.cpio.gz"
kdir="${HYPER_GUEST_KERNEL_DIR-$(guest/kernel/build.sh)}"
if [ -n "$kdir" ] && [ -f "$kdir/bzImage" ]; then
  cp "$kdir/bzImage" "$kdir/vmlinux" "$work/payload/guest/"
else
  echo "selftest.sh: no project guest kernel; booting the stock kernel only" >&2
fi

cat > "$work/payload/run.sh" <<'PAYLOAD'
#!/bin/sh
# selftest payload, runs in L1: boots the guest kernels under QEMU microvm with KVM
q=/payload/bin/qemu-system-x86_64
g=/payload/guest
passed=0 failed=0
now() { cut -d' ' -f1 /proc/uptime; }
# boot NAME KERNEL CPUS MACHINE
# reboot=t: reset by triple fault. Without it a kernel that finds no ACPI reset probes the
# missing i8042 keyboard controller port by port, which took minutes in L1.
boot() {
  log=/tmp/$1.log
  t0=$(now)
  timeout -k 5 300 $q -L /usr/share/qemu -M "$4" -accel kvm -cpu host -m 256 -smp "$3" \
    -nographic -no-reboot -nodefaults -serial stdio -kernel "$2" -initrd $g/initramfs.cpio.gz \
    -append "console=ttyS0 quiet panic=-1 reboot=t hyper.action=reboot" </dev/null >"$log" 2>&1
  rc=$?
  t1=$(now)
  if grep -q "HYPER-GUEST cpus=$3 " "$log" && grep -q "hello from the hyper guest" "$log"; then
    echo "ok $1"; passed=$((passed + 1))
  else
    echo "not ok $1"; failed=$((failed + 1)); tr -d '\r' < "$log" | tail -n 30 | sed 's/^/#   /'
  fi
  echo "# $1: qemu exit $rc, launch to exit $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')s in L1, guest uptime at init: $(grep -o 'hyper-guest: uptime [0-9.]*' "$log" | cut -d' ' -f3)s"
}
t0=$(now)
$q --version >/dev/null # start-up cost alone
echo "# qemu --version: $(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }')s"
fast=microvm,x-option-roms=off,pit=off,pic=off,rtc=on,isa-serial=on,acpi=off
boot stock-1cpu $g/vmlinuz-stock 1 "$fast"
boot stock-2cpu $g/vmlinuz-stock 2 microvm,rtc=on,isa-serial=on
if [ -f $g/bzImage ]; then
  boot bzimage-1cpu $g/bzImage 1 "$fast"
  boot bzimage-2cpu $g/bzImage 2 microvm,rtc=on,isa-serial=on
  boot vmlinux-pvh-1cpu $g/vmlinux 1 microvm,rtc=on,isa-serial=on
fi
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
PAYLOAD

qemu_files=()
for f in qboot.rom bios-microvm.bin linuxboot_dma.bin pvh.bin; do qemu_files+=(--file "/usr/share/qemu/$f"); done
img=$(tests/testbed/l1-image.sh --out "$work/l1.cpio" --payload "$work/payload" \
  --bin /usr/bin/qemu-system-x86_64 "${qemu_files[@]}")
set +e
tests/testbed/run-l1.sh --initrd "$img" --log "$work/l1.log" --timeout "$tmo" --smp "$smp"
rc=$?
set -e
summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$work/l1.log" | tail -n1 || true)
[ -n "$summary" ] || summary="0 passed, 1 failed"
echo "$summary"
[ "$rc" = 0 ] && [ "${summary#* passed, }" = "0 failed" ]
