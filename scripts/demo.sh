#!/usr/bin/env bash
# The main job: installs what is missing, builds vmm, the guest kernel and the guest
# initramfs, and boots the demo guest, which prints a hello and reboots (vmm exits 0).
# On a host without /dev/kvm it says so and runs the same demo inside the nested-KVM
# test bed (a QEMU-emulated L1 Linux that has KVM; see README.md).
#
# Usage: scripts/demo.sh [--cpus N] [--memory MIB]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
cpus=2 mem=256
while [ $# -gt 0 ]; do
  case "$1" in
    --cpus) cpus=${2:?}; shift 2 ;;
    --memory) mem=${2:?}; shift 2 ;;
    *) echo "demo.sh: unknown argument '$1'" >&2; exit 64 ;;
  esac
done

scripts/install-deps.sh
[ -f build/build.ninja ] || meson setup build >/dev/null
ninja -C build
echo "demo: building the guest kernel (cached; a first build takes about 10 minutes)"
kdir=$(guest/kernel/build.sh x86_64)
initrd=$(guest/initramfs/build.sh)
args=(--kernel "$kdir/bzImage" --initrd "$initrd" --cpus "$cpus" --memory "$mem"
      --cmdline "console=ttyS0 panic=-1 quiet hyper.action=reboot")

if [ -c /dev/kvm ] && [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
  echo "demo: \$ vmm ${args[*]}"
  exec build/vmm/vmm "${args[@]}"
fi

echo "demo: this host has no usable /dev/kvm: running the demo inside the nested KVM test bed"
work=build/demo
rm -rf "$work" && mkdir -p "$work/payload/guest"
cp "$kdir/bzImage" "$work/payload/guest/bzImage"
cp "$initrd" "$work/payload/guest/initramfs.cpio.gz"
cat > "$work/payload/run.sh" <<EOS
cd /payload
echo "demo: \\\$ vmm --kernel bzImage --initrd initramfs.cpio.gz --cpus $cpus --memory $mem"
./bin/vmm --kernel guest/bzImage --initrd guest/initramfs.cpio.gz --cpus $cpus --memory $mem \\
  --cmdline "console=ttyS0 panic=-1 quiet hyper.action=reboot" </dev/null
rc=\$?
echo "demo: vmm exited \$rc"
exit \$rc
EOS
tests/testbed/l1-image.sh --out "$work/l1.cpio" --payload "$work/payload" \
  --bin build/vmm/vmm >/dev/null
tests/testbed/run-l1.sh --initrd "$work/l1.cpio" --log "$work/l1.log" --timeout 600
