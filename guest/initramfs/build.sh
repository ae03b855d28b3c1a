#!/usr/bin/env bash
# Builds the hyper L2 guest initramfs: busybox-static, its applet symlinks and ./init,
# packed as a gzip-compressed newc cpio archive.
# Cached by the hash of everything that goes in: a second call is instant.
# Usage: guest/initramfs/build.sh [--tools] [--add SRC:DST]... [BUSYBOX]
#   --tools        also the test tools, with their shared libraries: e2fsprogs (mkfs.ext4,
#                  e2fsck), socat, iperf3, getfattr/setfattr, flock. Without it the image is busybox
#                  alone (fastest boot).
#   --add SRC:DST  also put host file SRC at DST in the image (e.g. a static benchmark tool)
#   --modules DIR  also the kernel modules a modular (distribution) kernel needs for vmm's
#                  devices, from the module tree DIR (/lib/modules/VERSION): virtio_mmio,
#                  virtio_blk, virtio_net, vsock's virtio transport, 9p, ext4 and crc32c,
#                  with their dependencies from DIR/modules.dep, decompressed (busybox
#                  insmod reads plain .ko); ./init loads them in dependency order
#   --arch ARCH    the guest's architecture (default the host's); aarch64 on an x86_64
#                  host takes busybox and the --tools programs (all but iperf3) with their
#                  libraries from tests/testbed/arm64-root.sh (Debian's arm64 packages)
#   BUSYBOX        default /usr/bin/busybox, a static binary
# Prints the path of the .cpio.gz file.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
adds=()
tools=0
modules_dir=""
arch=$(uname -m)
while [ $# -gt 0 ]; do
  case "$1" in
    --tools) tools=1; shift ;;
    --add) adds+=("${2:?--add needs SRC:DST}"); shift 2 ;;
    --modules) modules_dir="${2:?--modules needs DIR}"; shift 2 ;;
    --arch) arch="${2:?--arch needs x86_64 or aarch64}"; shift 2 ;;
    *) break ;;
  esac
done
for a in ${adds[@]+"${adds[@]}"}; do
  [ -f "${a%%:*}" ] || { echo "initramfs/build.sh: --add ${a%%:*}: no such file" >&2; exit 1; }
done
# --modules: the wanted modules and their dependencies, each after what it needs
wanted_modules="virtio_mmio virtio_blk virtio_net vmw_vsock_virtio_transport 9pnet_virtio 9p crc32c_generic ext4"
module_list=()
if [ -n "$modules_dir" ]; then
  dep="$modules_dir/modules.dep"
  [ -r "$dep" ] || { echo "initramfs/build.sh: --modules $modules_dir: no modules.dep" >&2; exit 1; }
  # path_of NAME: the modules.dep path of module NAME (- and _ are the same in names)
  path_of() {
    awk -F: -v n="$1" '{ m = $1; sub(/.*\//, "", m); sub(/\.ko(\.(xz|zst|gz))?$/, "", m);
      gsub(/-/, "_", m); if (m == n) { print $1; exit } }' "$dep"
  }
  # add PATH: PATH's dependencies first (modules.dep lists them all), then PATH
  add_module() {
    local p=$1 d
    case " ${module_list[*]-} " in *" $p "*) return 0 ;; esac
    for d in $(awk -F: -v p="$p" '$1 == p { print $2; exit }' "$dep"); do add_module "$d"; done
    module_list+=("$p")
  }
  for m in $wanted_modules; do
    p=$(path_of "$m")
    if [ -z "$p" ]; then
      # built into this kernel (modules.builtin) or absent: nothing to load
      grep -Eq "/$m\.ko" "$modules_dir/modules.builtin" 2>/dev/null ||
        echo "initramfs/build.sh: module $m is in neither modules.dep nor modules.builtin" >&2
      continue
    fi
    add_module "$p"
  done
fi
# the applet list comes from the host's busybox (the same Debian version for every arch)
applets_from=/usr/bin/busybox
root="" # a foreign arch's unpacked packages
if [ "$arch" != "$(uname -m)" ]; then
  [ "$arch" = aarch64 ] || { echo "initramfs/build.sh: --arch $arch: only aarch64 besides the host's" >&2; exit 1; }
  root=$("$here/../../tests/testbed/arm64-root.sh")
fi
busybox="${1:-$root/usr/bin/busybox}"
[ -x "$busybox" ] || { echo "initramfs/build.sh: $busybox missing: run scripts/install-deps.sh" >&2; exit 1; }
# the guest has no shared libraries: ldd succeeds only on a dynamically linked binary
if [ -z "$root" ] && ldd "$busybox" >/dev/null 2>&1; then
  echo "initramfs/build.sh: $busybox is dynamically linked; need busybox-static" >&2; exit 1
fi
cache_root="${HYPER_CACHE:-$HOME/.cache/hyper}"
# extra dynamically linked tools for the tests (with their libraries): ext4 tools
extra_bins=()
[ "$tools" = 1 ] && extra_bins=(/sbin/mke2fs /sbin/e2fsck /usr/bin/socat /usr/bin/iperf3 /usr/bin/getfattr
  /usr/bin/setfattr /usr/bin/flock)
# arm64 (tests/testbed/arm64-root.sh): the same but iperf3 (for benchmarks only)
[ "$tools" = 1 ] && [ -n "$root" ] && extra_bins=(/sbin/mke2fs /sbin/e2fsck /usr/bin/socat
  /usr/bin/getfattr /usr/bin/setfattr /usr/bin/flock)
for b in ${extra_bins[@]+"${extra_bins[@]}"}; do
  [ -x "$root$b" ] || { echo "initramfs/build.sh: $root$b missing: run scripts/install-deps.sh" >&2; exit 1; }
done
key=$( (echo "$arch"; cat "$here/init" "$here/build.sh" "$busybox"
  for b in ${extra_bins[@]+"${extra_bins[@]}"}; do cat "$root$b"; done; cat "$here"/actions/*.sh 2>/dev/null || true
  for a in ${adds[@]+"${adds[@]}"}; do echo "$a"; cat "${a%%:*}"; done
  for m in ${module_list[@]+"${module_list[@]}"}; do echo "$m"; cat "$modules_dir/$m"; done) |
  sha256sum | cut -c1-16)
out="$cache_root/initramfs-$key.cpio.gz"
if [ -f "$out" ]; then echo "$out"; exit 0; fi

mkdir -p "$cache_root"
stage=$(mktemp -d "$cache_root/initramfs-stage.XXXXXX")
trap 'rm -rf "$stage" "$stage.cpio.gz"' EXIT
mkdir -p "$stage"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp,root}
install -m 0755 "$busybox" "$stage/bin/busybox"
install -m 0755 "$here/init" "$stage/init"
mkdir -p "$stage/actions"
for a in "$here"/actions/*.sh; do [ -f "$a" ] && install -m 0644 "$a" "$stage/actions/"; done
# each extra tool with every library ldd names and the dynamic loader, at their paths
for b in ${extra_bins[@]+"${extra_bins[@]}"}; do
  install -D -m 0755 "$root$b" "$stage$b"
  if [ -n "$root" ]; then # foreign arch: ldd cannot run it
    deps=$("$here/../../scripts/elf-deps.sh" "$root$b" "$arch-linux-gnu" "$root" /)
    while read -r lib dst; do
      [ -z "$lib" ] || [ -f "$stage$dst" ] || install -D -m 0755 "$lib" "$stage$dst"
    done <<<"$deps"
    continue
  fi
  for lib in $(ldd "$b" | grep -o '/[^ ]*'); do
    [ -f "$stage$lib" ] || install -D -m 0755 "$lib" "$stage$lib"
  done
done
[ "$tools" = 1 ] && ln -sf mke2fs "$stage/sbin/mkfs.ext4"
# modules as plain .ko under /lib/modules, their load order in /lib/modules/load-order
for m in ${module_list[@]+"${module_list[@]}"}; do
  ko="${m%.xz}"; ko="${ko%.zst}"; ko="${ko%.gz}"
  mkdir -p "$(dirname "$stage/lib/modules/$ko")"
  case "$m" in
    *.xz) xz -dc "$modules_dir/$m" > "$stage/lib/modules/$ko" ;;
    *.zst) zstd -q -dc "$modules_dir/$m" > "$stage/lib/modules/$ko" ;;
    *.gz) gzip -dc "$modules_dir/$m" > "$stage/lib/modules/$ko" ;;
    *) install -m 0644 "$modules_dir/$m" "$stage/lib/modules/$ko" ;;
  esac
  echo "$ko" >> "$stage/lib/modules/load-order"
done
for a in ${adds[@]+"${adds[@]}"}; do install -D -m 0755 "${a%%:*}" "$stage${a#*:}"; done
# applet symlinks at the paths busybox itself names (bin/sh, sbin/reboot, ...)
n=0
while IFS= read -r applet; do
  [ -n "$applet" ] || continue
  [ "$applet" = bin/busybox ] && continue
  [ -e "$stage/$applet" ] || { ln -s /bin/busybox "$stage/$applet"; n=$((n + 1)); }
done < <(timeout 10 "$applets_from" --list-full)
[ -L "$stage/bin/sh" ] || { echo "initramfs/build.sh: busybox gave no bin/sh applet" >&2; exit 1; }
# fixed timestamps and owners: the same inputs give the same archive
find "$stage" -exec touch -h -d @0 {} +
(cd "$stage" && find . -mindepth 1 | LC_ALL=C sort |
  cpio --quiet -o -H newc -R 0:0 --reproducible) | gzip -9 -n > "$stage.cpio.gz"
mv "$stage.cpio.gz" "$out" # atomic: a concurrent build never sees half a file
echo "initramfs/build.sh: $n applets, $(stat -c %s "$out") bytes" >&2
echo "$out"
