#!/usr/bin/env bash
# Builds the L1 test-bed initramfs: busybox-static with its applet symlinks, the KVM
# modules of the installed Debian kernel, tests/testbed/l1-init as /init, and a payload.
#
# Usage: tests/testbed/l1-image.sh --out FILE --payload DIR [--bin FILE]... [--file SRC[:DST]]...
#                                  [--kver VERSION]
#   --out FILE        the image to write: FILE ending in .cpio.gz is gzip-compressed,
#                     FILE ending in .cpio is left uncompressed (faster to unpack under TCG)
#   --payload DIR     copied to /payload; L1 runs /payload/run.sh, then powers off
#   --bin FILE[:NAME] a host executable copied to /payload/bin/NAME (default: its own name),
#                     with every shared library ldd names and the dynamic loader (at their
#                     host paths); scripts and static binaries are copied alone
#   --file SRC[:DST]  a host file copied to DST in the image (default: the same path);
#                     shared libraries of an ELF file are not followed (use --bin for that)
#   --kver VERSION    kernel whose modules to use (default: the newest in /lib/modules
#                     with a matching /boot/vmlinuz-VERSION)
#   --arch ARCH       the L1 machine's architecture (default the host's); aarch64 on an
#                     x86_64 host takes busybox, the kernel modules and the libraries of
#                     --bin files from tests/testbed/arm64-root.sh (Debian's arm64 packages)
# Prints the path of the image.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root_dir="$(cd "$here/../.." && pwd)"
die() { echo "l1-image.sh: $*" >&2; exit 1; }

out="" payload="" kver="" arch=$(uname -m) bins=() files=()
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out="${2:?--out needs a file}"; shift 2 ;;
    --payload) payload="${2:?--payload needs a directory}"; shift 2 ;;
    --bin) bins+=("${2:?--bin needs FILE[:NAME]}"); shift 2 ;;
    --file) files+=("${2:?--file needs SRC[:DST]}"); shift 2 ;;
    --kver) kver="${2:?--kver needs a version}"; shift 2 ;;
    --arch) arch="${2:?--arch needs x86_64 or aarch64}"; shift 2 ;;
    -h|--help) sed -n '2,21p' "$0"; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done
[ -n "$out" ] || die "--out is required"
[ -n "$payload" ] || die "--payload is required"
[ -f "$payload/run.sh" ] || die "$payload/run.sh missing: the payload must have a run.sh"
case "$out" in *.cpio|*.cpio.gz) ;; *) die "--out must end in .cpio or .cpio.gz" ;; esac

busybox=/usr/bin/busybox
[ -x "$busybox" ] || die "$busybox missing: run scripts/install-deps.sh"
# the applet list comes from the host's busybox (the same Debian version for every arch)
applets_from=$busybox
root="" # a foreign arch's unpacked packages
if [ "$arch" != "$(uname -m)" ]; then
  [ "$arch" = aarch64 ] || die "--arch $arch: only aarch64 is supported besides the host's"
  root=$("$here/arm64-root.sh") || die "tests/testbed/arm64-root.sh failed"
  busybox="$root/usr/bin/busybox"
fi
if [ -z "$kver" ]; then
  kver=$(cd "$root/lib/modules" && for v in *; do [ -f "$root/boot/vmlinuz-$v" ] && echo "$v"; done | sort -V | tail -n1)
  [ -n "$kver" ] || die "no kernel with both /boot/vmlinuz-* and /lib/modules/*: install linux-image-amd64"
fi
moddir="$root/lib/modules/$kver/kernel"
[ -d "$moddir" ] || die "$moddir missing"

stage="$out.stage"
rm -rf "$stage"
trap 'rm -rf "$stage" "$out.tmp" "$out.tmp.cpio"' EXIT
mkdir -p "$stage"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp,root,etc,lib/modules,payload}
chmod 1777 "$stage/tmp"

# busybox and its applets at the paths busybox itself names
install -m 0755 "$busybox" "$stage/bin/busybox"
while IFS= read -r applet; do
  [ -n "$applet" ] && [ "$applet" != bin/busybox ] && [ ! -e "$stage/$applet" ] &&
    ln -s /bin/busybox "$stage/$applet"
done < <(timeout 10 "$applets_from" --list-full)
install -m 0755 "$here/l1-init" "$stage/init"

# Kernel modules in load order. busybox insmod reads plain .ko files only, so a compressed
# module is unpacked here.
: > "$stage/etc/l1-modules"
# After KVM: TAP and bridge for the virtio-net tests, vhost-vsock for QEMU as a vsock peer,
# ext4 on a loop device for shares that need a file system with xattrs (L1's root has none).
# (Debian's arm64 kernel has KVM built in.)
kvm_modules="virt/lib/irqbypass drivers/crypto/ccp/ccp arch/x86/kvm/kvm arch/x86/kvm/kvm-amd arch/x86/kvm/kvm-intel"
[ "$arch" = aarch64 ] && kvm_modules=""
for m in $kvm_modules \
    drivers/net/tun net/llc/llc net/802/stp net/bridge/bridge \
    drivers/vhost/vhost_iotlb drivers/vhost/vhost net/vmw_vsock/vsock \
    net/vmw_vsock/vmw_vsock_virtio_transport_common drivers/vhost/vhost_vsock \
    lib/crc16 fs/mbcache fs/jbd2/jbd2 crypto/crc32c_generic fs/ext4/ext4 drivers/block/loop; do
  dst="$stage/lib/modules/$(basename "$m").ko"
  if [ -f "$moddir/$m.ko" ]; then cp "$moddir/$m.ko" "$dst"
  elif [ -f "$moddir/$m.ko.xz" ]; then xz -dc "$moddir/$m.ko.xz" > "$dst"
  elif [ -f "$moddir/$m.ko.zst" ]; then zstd -qdc "$moddir/$m.ko.zst" > "$dst"
  elif [ -f "$moddir/$m.ko.gz" ]; then gzip -dc "$moddir/$m.ko.gz" > "$dst"
  else die "module $moddir/$m.ko missing"
  fi
  # kvm-amd for QEMU TCG's emulated SVM; kvm-intel is a fallback that fails harmlessly
  echo "/lib/modules/$(basename "$m").ko" >> "$stage/etc/l1-modules"
done

# copy_file SRC DST: a host file into the image, following symlinks
copy_file() {
  [ -e "$1" ] || die "$1 missing"
  mkdir -p "$stage$(dirname "$2")"
  cp -L "$1" "$stage$2"
}

# copy_libs FILE: every shared library FILE needs, and the dynamic loader, at the paths
# ldd prints (so the loader finds them in L1 as it does on the host)
copy_libs() {
  local line lib
  if [ -n "$root" ]; then # foreign arch: ldd cannot run it
    local deps dst
    deps=$("$root_dir/scripts/elf-deps.sh" "$1" "$arch-linux-gnu" "$root" /) || die "$1: a library is missing"
    while read -r lib dst; do
      [ -z "$lib" ] || [ -e "$stage$dst" ] || copy_file "$lib" "$dst"
    done <<<"$deps"
    return 0
  fi
  if ! ldd "$1" >/dev/null 2>&1; then return 0; fi # static: nothing to copy
  while IFS= read -r line; do
    lib=""
    case "$line" in
      *"=> not found"*) die "$1: a library is missing on this machine: $line" ;;
      *"=> /"*) lib=${line#*=> }; lib=${lib%% (*} ;;
      *) lib=$(echo "$line" | awk '$1 ~ /^\// { print $1 }') ;;
    esac
    if [ -n "$lib" ] && [ ! -e "$stage$lib" ]; then copy_file "$lib" "$lib"; fi
  done < <(ldd "$1")
}

cp -a "$payload/." "$stage/payload/"
for spec in "${bins[@]}"; do
  b=${spec%%:*}; name=${spec#*:}
  [ "$spec" = "$b" ] && name=$(basename "$b")
  [ -f "$b" ] && [ -x "$b" ] || die "--bin $b: not an executable file"
  copy_file "$b" "/payload/bin/$name"
  copy_libs "$b"
done
for f in "${files[@]}"; do
  src=${f%%:*}; dst=${f#*:}
  [ "$f" = "$src" ] && dst="$src"
  case "$dst" in /*) ;; *) die "--file $f: the destination must be an absolute path" ;; esac
  copy_file "$src" "$dst"
done

(cd "$stage" && find . -mindepth 1 | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0) > "$out.tmp.cpio"
case "$out" in
  *.gz) gzip -1 -n < "$out.tmp.cpio" > "$out.tmp"; rm -f "$out.tmp.cpio" ;;
  *) mv "$out.tmp.cpio" "$out.tmp" ;;
esac
mv "$out.tmp" "$out"
echo "l1-image.sh: $out: $(du -sh "$stage" | cut -f1) unpacked, $(stat -c %s "$out") bytes, modules of $kver" >&2
echo "$out"
