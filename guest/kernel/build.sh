#!/usr/bin/env bash
# Builds the hyper guest kernel (bzImage and vmlinux) from Debian's linux-source package.
# Cached by the hash of the config fragment and the source tarball: a second call is instant.
# Usage: guest/kernel/build.sh [ARCH]   (ARCH: x86_64, default the host's)
# Prints the cache directory holding bzImage, vmlinux and .config.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
arch="${1:-$(uname -m)}"
frag="$here/$arch.config"
[ -f "$frag" ] || { echo "build.sh: no kernel config for $arch" >&2; exit 1; }
tarball=$(ls /usr/src/linux-source-6.1.tar.xz 2>/dev/null || true)
[ -n "$tarball" ] || { echo "build.sh: /usr/src/linux-source-6.1.tar.xz missing: run scripts/install-deps.sh" >&2; exit 1; }
cache_root="${HYPER_CACHE:-$HOME/.cache/hyper}"
key=$( (cat "$frag" "$here/build.sh"; stat -c %s "$tarball") | sha256sum | cut -c1-16)
out="$cache_root/kernel-$arch-$key"
if [ -f "$out/bzImage" ] && [ -f "$out/vmlinux" ]; then echo "$out"; exit 0; fi
src="$cache_root/linux-source-6.1"
if [ ! -f "$src/Makefile" ]; then
  mkdir -p "$cache_root"
  tar -C "$cache_root" -xf "$tarball"
fi
build="$cache_root/build-$arch-$key"
mkdir -p "$build"
make -s -C "$src" O="$build" ARCH=x86 tinyconfig >&2
"$src/scripts/kconfig/merge_config.sh" -m -O "$build" "$build/.config" "$frag" >&2
make -s -C "$src" O="$build" ARCH=x86 olddefconfig >&2
# every option in the fragment must have survived dependency resolution
missing=0
while IFS= read -r line; do
  case "$line" in CONFIG_*=n) opt=${line%%=*}; grep -q "^$opt=" "$build/.config" && { echo "build.sh: $opt still set" >&2; missing=1; } ;;
    CONFIG_*) grep -qxF "$line" "$build/.config" || { echo "build.sh: $line did not take" >&2; missing=1; } ;; esac
done < "$frag"
[ $missing = 0 ] || exit 1
make -s -C "$src" O="$build" ARCH=x86 -j"$(nproc)" bzImage >&2
mkdir -p "$out.tmp"
cp "$build/arch/x86/boot/bzImage" "$build/vmlinux" "$build/.config" "$out.tmp/"
rm -rf "$out"; mv "$out.tmp" "$out"
rm -rf "$build"
echo "$out"
