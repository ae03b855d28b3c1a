#!/bin/sh
# A stand-in for hyper's vmm built on QEMU (-M microvm -accel kvm), with vmm's command line
# and exit codes. It exists to check the test bed and the integration tests themselves:
# a test that fails against this reference is a broken test, not a broken vmm.
#   VMM_BIN=tests/testbed/qemu-vmm.sh L1_WITH_QEMU=1 tests/run.sh
# Runs inside L1 (busybox sh) with /payload/bin/qemu-system-x86_64 and /usr/share/qemu.
# Exit codes: 0 reboot, 64 usage, 65 not a kernel, 66 missing file, 69 no /dev/kvm,
# 80 guest panic (seen on the console; a real vmm must not depend on the console).
usage() { echo "qemu-vmm: $*" >&2; exit 64; }
kernel="" initrd="" cmdline="console=ttyS0 panic=-1" cpus=1 mem=256 console=stdio
while [ $# -gt 0 ]; do
  [ $# -ge 2 ] || usage "$1 needs a value"
  case "$1" in
    --kernel) kernel=$2 ;; --initrd) initrd=$2 ;; --cmdline) cmdline=$2 ;;
    --cpus) cpus=$2 ;; --memory) mem=$2 ;; --console) console=$2 ;;
    *) usage "unknown flag $1" ;;
  esac
  shift 2
done
[ -n "$kernel" ] || usage "--kernel is required"
case "$cpus" in ''|*[!0-9]*) usage "--cpus: '$cpus' is not a number" ;; esac
case "$mem" in ''|*[!0-9]*) usage "--memory: '$mem' is not a number" ;; esac
[ "$cpus" -ge 1 ] && [ "$cpus" -le 254 ] || usage "--cpus: must be between 1 and 254"
[ "$mem" -ge 32 ] || usage "--memory: must be at least 32 MiB"
case "$console" in stdio|none|file:?*) ;; *) usage "--console: '$console' is not one of stdio, file:PATH, none" ;; esac
for f in "$kernel" $initrd; do
  [ -r "$f" ] || { echo "qemu-vmm: $f: no such file" >&2; exit 66; }
done
# a bzImage has "HdrS" at 0x202, a vmlinux is ELF
if [ "$(dd if="$kernel" bs=1 skip=514 count=4 2>/dev/null)" != HdrS ] &&
   [ "$(dd if="$kernel" bs=1 skip=1 count=3 2>/dev/null)" != ELF ]; then
  echo "qemu-vmm: $kernel: not a bzImage or ELF kernel" >&2; exit 65
fi
[ -c /dev/kvm ] || { echo "qemu-vmm: /dev/kvm missing" >&2; exit 69; }

out=$(mktemp /tmp/qemu-vmm.XXXXXX)
# reboot=t: reset by triple fault, which -no-reboot turns into QEMU's exit
/payload/bin/qemu-system-x86_64 -L /usr/share/qemu -M microvm,rtc=on,isa-serial=on \
  -accel kvm -cpu host -m "$mem" -smp "$cpus" -nographic -no-reboot -nodefaults \
  -serial "file:$out" -kernel "$kernel" ${initrd:+-initrd "$initrd"} \
  -append "$cmdline reboot=t" </dev/null >&2
rc=$?
case "$console" in
  stdio) cat "$out" ;;
  file:*) cp "$out" "${console#file:}" ;;
esac
panicked=0
grep -q 'Kernel panic' "$out" && panicked=1
rm -f "$out"
[ "$rc" = 0 ] || { echo "qemu-vmm: qemu exited $rc" >&2; exit 70; }
[ "$panicked" = 1 ] && exit 80
exit 0
