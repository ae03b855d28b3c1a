#!/usr/bin/env bash
# Builds the hyper guest kernel from Debian's linux-source package: bzImage and vmlinux on
# x86_64, Image and vmlinux on aarch64 (cross-compiled with aarch64-linux-gnu- on another
# host). Cached by the hash of the config fragment, this script and the source tarball: a
# second call is instant. Two concurrent builds of the same kernel take turns (flock): the
# second finds the first one's result.
# Usage: guest/kernel/build.sh [ARCH]   (ARCH: x86_64 or aarch64, default the host's)
# Prints the cache directory holding the kernel image, vmlinux and .config.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
arch="${1:-$(uname -m)}"
frag="$here/$arch.config"
[ -f "$frag" ] || { echo "build.sh: no kernel config for $arch" >&2; exit 1; }
case "$arch" in
  x86_64) karch=x86 target=bzImage image=arch/x86/boot/bzImage cross=x86_64-linux-gnu- ;;
  aarch64) karch=arm64 target=Image image=arch/arm64/boot/Image cross=aarch64-linux-gnu- ;;
  *) echo "build.sh: unknown arch $arch" >&2; exit 1 ;;
esac
make_args=(ARCH="$karch")
if [ "$arch" != "$(uname -m)" ]; then
  command -v "${cross}gcc" >/dev/null ||
    { echo "build.sh: ${cross}gcc missing: run scripts/install-deps.sh" >&2; exit 1; }
  make_args+=(CROSS_COMPILE="$cross")
fi
tarball=$(ls /usr/src/linux-source-6.1.tar.xz 2>/dev/null || true)
[ -n "$tarball" ] || { echo "build.sh: /usr/src/linux-source-6.1.tar.xz missing: run scripts/install-deps.sh" >&2; exit 1; }
cache_root="${HYPER_CACHE:-$HOME/.cache/hyper}"
key=$( (cat "$frag" "$here/build.sh"; stat -c %s "$tarball") | sha256sum | cut -c1-16)
out="$cache_root/kernel-$arch-$key"
if [ -f "$out/$target" ] && [ -f "$out/vmlinux" ]; then echo "$out"; exit 0; fi
mkdir -p "$cache_root"
# one build of this key at a time; the waiting one then finds the result
exec 9>"$cache_root/kernel-$arch-$key.lock"
flock 9
if [ -f "$out/$target" ] && [ -f "$out/vmlinux" ]; then echo "$out"; exit 0; fi
src="$cache_root/linux-source-6.1"
if [ ! -f "$src/Makefile" ]; then
  # the unpacked source is shared by every arch and key: one unpacking at a time
  (flock 8; [ -f "$src/Makefile" ] || tar -C "$cache_root" -xf "$tarball") 8>"$cache_root/linux-source.lock"
fi
build="$cache_root/build-$arch-$key"
mkdir -p "$build"
make -s -C "$src" O="$build" "${make_args[@]}" tinyconfig >&2
"$src/scripts/kconfig/merge_config.sh" -m -O "$build" "$build/.config" "$frag" >&2
make -s -C "$src" O="$build" "${make_args[@]}" olddefconfig >&2
# every option in the fragment must have survived dependency resolution
missing=0
while IFS= read -r line; do
  case "$line" in CONFIG_*=n) opt=${line%%=*}; grep -q "^$opt=" "$build/.config" && { echo "build.sh: $opt still set" >&2; missing=1; } ;;
    CONFIG_*) grep -qxF "$line" "$build/.config" || { echo "build.sh: $line did not take" >&2; missing=1; } ;; esac
done < "$frag"
[ $missing = 0 ] || exit 1
make -s -C "$src" O="$build" "${make_args[@]}" -j"$(nproc)" "$target" >&2
mkdir -p "$out.tmp"
cp "$build/$image" "$build/vmlinux" "$build/.config" "$out.tmp/"
rm -rf "$out"; mv "$out.tmp" "$out"
rm -rf "$build"
echo "$out"
