#!/usr/bin/env bash
# Installs every Debian 12 package that the build, the tests and the nested test bed need.
set -euo pipefail
PKGS=(
  # build
  build-essential g++ meson ninja-build pkg-config clang-format
  linux-libc-dev libseccomp-dev liburing-dev libcxxopts-dev doctest-dev libexpected-dev
  # container images (image/): archives (libarchive and SHA-256 from Nettle, both linked
  # statically, and the decompressors libarchive's tar reader calls), JSON, gzip checks;
  # the static guest init
  libarchive-dev nettle-dev zlib1g-dev libbz2-dev liblzma-dev libzstd-dev
  nlohmann-json3-dev musl-tools
  # the unit tests write pax archives: libxml2 for the static libarchive's other writers
  libxml2-dev
  # guest kernel build
  linux-source-6.1 bc bison flex libelf-dev libssl-dev xz-utils lz4 dwarves
  # nested test bed and guests
  qemu-system-x86 qemu-utils linux-image-amd64 busybox-static cpio gzip
  e2fsprogs socat iperf3 zstd attr
  # ACPI tables: iasl -d decompiles them in the unit tests
  acpica-tools
  # arm64 device trees (libfdt; its unit tests run on every host); the arm64 test bed
  libfdt-dev qemu-system-arm
  # fuzzing and sanitizers (tests/fuzz): clang with libFuzzer, ASan and UBSan runtimes
  clang libclang-rt-14-dev
  # benchmarks
  python3 gnuplot-nox
)
# The aarch64 cross build (cross/aarch64-linux-gnu.ini) on an x86_64 host: the cross
# compilers and the :arm64 libraries vmm links (Multi-Arch: same, installed beside the
# amd64 ones), musl for the guest init. busybox-static, libfdt-dev and the arm64 kernel
# cannot be installed beside their amd64 versions: tests/testbed/arm64-root.sh unpacks
# those (at the end of this script).
if [ "$(uname -m)" = x86_64 ]; then
  PKGS+=(gcc-aarch64-linux-gnu g++-aarch64-linux-gnu
    libseccomp-dev:arm64 liburing-dev:arm64 libarchive-dev:arm64 nettle-dev:arm64
    zlib1g-dev:arm64 libbz2-dev:arm64 liblzma-dev:arm64 libzstd-dev:arm64 libxml2-dev:arm64
    musl-dev:arm64)
fi
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi
if [ "$(uname -m)" = x86_64 ] && ! dpkg --print-foreign-architectures | grep -qx arm64; then
  echo "install-deps: adding the arm64 architecture (dpkg --add-architecture arm64)"
  $SUDO dpkg --add-architecture arm64
fi
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
# Debian's arm64 busybox, kernel, e2fsprogs, socat and libfdt, unpacked (cached)
if [ "$(uname -m)" = x86_64 ]; then
  "$(dirname "$0")/../tests/testbed/arm64-root.sh" >/dev/null
fi
