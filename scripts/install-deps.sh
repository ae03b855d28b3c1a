#!/usr/bin/env bash
# Installs every Debian 12 package that the build, the tests and the nested test bed need.
set -euo pipefail
PKGS=(
  # build
  build-essential g++ meson ninja-build pkg-config clang-format
  linux-libc-dev libseccomp-dev liburing-dev libcxxopts-dev doctest-dev libexpected-dev
  # container images (image/): archives, JSON, gzip checks; the static guest init
  libarchive-dev nlohmann-json3-dev zlib1g-dev musl-tools
  # guest kernel build
  linux-source-6.1 bc bison flex libelf-dev libssl-dev xz-utils lz4 dwarves
  # nested test bed and guests
  qemu-system-x86 qemu-utils linux-image-amd64 busybox-static cpio gzip
  e2fsprogs socat iperf3 zstd attr
  # ACPI tables: iasl -d decompiles them in the unit tests
  acpica-tools
  # fuzzing and sanitizers (tests/fuzz): clang with libFuzzer, ASan and UBSan runtimes
  clang libclang-rt-14-dev
  # benchmarks
  python3 gnuplot-nox
)
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
