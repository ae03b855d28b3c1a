#!/usr/bin/env bash
# Unpacks the arm64 programs the aarch64 test bed needs into one directory, without
# installing them (several cannot be installed beside their amd64 versions: busybox-static
# and linux-image replace them). Debian's packages, fetched with `apt-get download` (needs
# `dpkg --add-architecture arm64`, which scripts/install-deps.sh does):
#   busybox-static        the L1 and L2 user land
#   linux-image-*-arm64   the L1 kernel (KVM built in) and its modules; also a stock L2 kernel
#   e2fsprogs, socat      the disk, network and vsock tests, in L1 and in the L2 guest
#   xz-utils, zstd        the container-image tests compress ACIs and OCI layers with them
#   attr, util-linux      getfattr/setfattr and flock in the guest of the 9p xattr/lock test
#   libfdt-dev            for cross builds (meson -Dlibfdt_dir=...)
# and the libraries they need. Cached: a second call with the same list is instant.
# Usage: tests/testbed/arm64-root.sh    prints the directory (usr/, lib/, boot/ below it)
set -euo pipefail
cache_root="${HYPER_CACHE:-$HOME/.cache/hyper}"
kpkg=$(apt-cache depends linux-image-arm64:arm64 2>/dev/null | awk '/Depends: linux-image-/ { sub(/:arm64$/, "", $2); print $2; exit }')
[ -n "$kpkg" ] || { echo "arm64-root.sh: no linux-image-arm64:arm64 (run scripts/install-deps.sh)" >&2; exit 1; }
pkgs=(busybox-static "$kpkg" e2fsprogs libext2fs2 libss2 libblkid1 libuuid1 libcom-err2
  socat libssl3 libwrap0 libnsl2 libtirpc3 libgssapi-krb5-2 libkrb5-3 libk5crypto3 libkrb5support0
  libkeyutils1 libc6 libgcc-s1 libfdt1 libfdt-dev xz-utils zstd liblzma5 libzstd1 liblz4-1
  zlib1g attr util-linux)
key=$( (printf '%s\n' "${pkgs[@]}"; cat "$0") | sha256sum | cut -c1-16)
root="$cache_root/arm64-root-$key"
if [ -f "$root/.complete" ]; then echo "$root"; exit 0; fi
mkdir -p "$cache_root"
exec 9>"$root.lock"
flock 9
if [ -f "$root/.complete" ]; then echo "$root"; exit 0; fi
dl=$(mktemp -d "$cache_root/arm64-debs.XXXXXX")
trap 'rm -rf "$dl"' EXIT
tmp="$root.tmp"
rm -rf "$tmp"
mkdir -p "$tmp"
# shellcheck disable=SC2046 # one argument per package
(cd "$dl" && apt-get download -q $(printf '%s:arm64 ' "${pkgs[@]}") >&2)
for deb in "$dl"/*.deb; do dpkg-deb -x "$deb" "$tmp"; done
# Debian 12 is usr-merged: make /lib, /bin and /sbin point into usr where they are plain dirs
for d in lib bin sbin; do
  if [ -d "$tmp/$d" ] && [ ! -L "$tmp/$d" ]; then
    mkdir -p "$tmp/usr/$d"
    cp -a "$tmp/$d/." "$tmp/usr/$d/"
    rm -rf "${tmp:?}/$d"
  fi
  ln -sfn "usr/$d" "$tmp/$d"
done
# modules.dep, which the package leaves to depmod at install (guest/initramfs/build.sh
# --modules reads it)
kver=${kpkg#linux-image-}
depmod -b "$tmp" -F "$tmp/boot/System.map-$kver" "$kver"
touch "$tmp/.complete"
rm -rf "$root"; mv "$tmp" "$root"
echo "$root"
