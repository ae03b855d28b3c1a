#!/usr/bin/env bash
# Prints the shared libraries a foreign-architecture ELF file needs (recursively), one
# "HOSTPATH GUESTPATH" pair a line, and its dynamic loader, without running it (ldd
# cannot run an arm64 binary on x86_64). Libraries are looked up in the library
# directories of the given roots, in order; GUESTPATH is where the loader finds them on
# the target (/lib/<triplet>/NAME; the loader itself at its PT_INTERP path).
# Usage: scripts/elf-deps.sh FILE TRIPLET ROOT...   (e.g. FILE aarch64-linux-gnu / /root/x)
# A static file prints nothing; a library found nowhere fails (exit 1) naming it.
set -euo pipefail
file=$1 triplet=$2; shift 2
roots=("$@")
declare -A seen=()
interp=$(readelf -lW "$file" 2>/dev/null | sed -n 's/.*\[Requesting program interpreter: \(.*\)\]/\1/p')
[ -n "$interp" ] || exit 0
find_lib() {
  local r d
  for r in "${roots[@]}"; do
    for d in "$r/lib/$triplet" "$r/usr/lib/$triplet" "$r/usr/$triplet/lib"; do
      [ -e "$d/$1" ] && { echo "$d/$1"; return 0; }
    done
  done
  return 1
}
walk() {
  local lib path
  for lib in $(readelf -dW "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
    [ -n "${seen[$lib]:-}" ] && continue
    path=$(find_lib "$lib") || { echo "elf-deps.sh: $1 needs $lib, found in none of ${roots[*]}" >&2; exit 1; }
    seen[$lib]=1
    echo "$path /lib/$triplet/$lib"
    walk "$path"
  done
}
walk "$file"
loader=$(find_lib "$(basename "$interp")") || { echo "elf-deps.sh: no loader $interp" >&2; exit 1; }
echo "$loader $interp"
