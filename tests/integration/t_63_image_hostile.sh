#!/bin/sh
# Hostile images (no VM needed): entries with "..", absolute names, a write through a
# symlink, a size past the limit, a truncated and a corrupt archive, a manifest that is
# not JSON, dependencies, an OCI digest naming a path outside blobs/ and a layer that does
# not match its digest. Each is refused with exit 65 and one error line naming the entry;
# nothing is written outside the cache, and no partial cache entry is left behind.
# Also: vmm image inspect of an xz ACI, and vmm image build of a good one.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/image_lib.sh"
[ -x "$VMM" ] || { fail "vmm binary $VMM missing"; finish; }
H=$TEST_TMP/hostile
mkdir -p "$H"
M='{"acKind":"ImageManifest","acVersion":"0.8.11","name":"hostile","app":{"exec":["/bin/sh"],"user":"0","group":"0"}}'
canary=/tmp/hyper-hostile-canary
rm -rf "$canary"

# refuse NAME FILE PATTERN: vmm image build FILE exits 65 with one error line matching
refuse() {
  out=$TEST_TMP/$1.cpio
  log=$TEST_TMP/$1.log
  "$VMM" image build "$2" -o "$out" >"$log" 2>&1
  rc=$?
  [ "$rc" = 65 ] || fail "$1: vmm image build exited $rc, want 65" "$log"
  grep -Eq -- "^vmm: error: .*$3" "$log" || fail "$1: no error line matching /$3/" "$log"
  [ "$(grep -c 'vmm: error' "$log")" = 1 ] || fail "$1: want exactly one error line" "$log"
  [ -e "$out" ] && fail "$1: an output file was written"
  echo "# $1: $(grep -m1 'vmm: error' "$log" | cut -c1-160)"
  expect_no_partial_cache
}

{ tar_file manifest "$M"; tar_file "rootfs/../../../..$canary" evil; tar_end; } > "$H/dotdot.aci"
refuse dotdot "$H/dotdot.aci" "entry 'rootfs/\.\./.*'\.\.' is not allowed"

{ tar_file manifest "$M"; tar_file "$canary/abs" evil; tar_end; } > "$H/absolute.aci"
refuse absolute "$H/absolute.aci" "entry '$canary/abs': absolute paths are not allowed"

{ tar_file manifest "$M"; tar_entry rootfs/evil 2 0 /tmp; tar_file rootfs/evil/passwd evil; tar_end; } \
  > "$H/through.aci"
refuse symlink-write-through "$H/through.aci" "entry 'evil/passwd': would be written through the symlink 'evil'"

{ tar_file manifest "$M"; tar_entry rootfs/huge 0 8589934591; tar_end; } > "$H/huge.aci"
refuse huge "$H/huge.aci" "entry 'huge': its size \(8589934591 bytes\) takes the image past 2048 MiB"

make_aci "$H/good.aci" gzip
size=$(stat -c %s "$H/good.aci")
head -c $((size / 2)) "$H/good.aci" > "$H/truncated.aci"
refuse truncated "$H/truncated.aci" "truncated|corrupt"

cp "$H/good.aci" "$H/corrupt.aci"
dd if=/dev/urandom of="$H/corrupt.aci" bs=1 seek=$((size / 3)) count=64 conv=notrunc 2>/dev/null
refuse corrupt "$H/corrupt.aci" "corrupt|truncated|CRC|crc|invalid"

{ tar_file manifest "this is { not json"; tar_file rootfs/x x; tar_end; } > "$H/notjson.aci"
refuse manifest-not-json "$H/notjson.aci" "ACI manifest: not valid JSON"

D='{"acKind":"ImageManifest","acVersion":"0.8.11","name":"dep","dependencies":[{"imageName":"base"}]}'
{ tar_file manifest "$D"; tar_end; } > "$H/dependencies.aci"
refuse dependencies "$H/dependencies.aci" "dependencies are not supported"

# OCI: a digest that names a path outside blobs/, and a layer that does not match its digest
mkdir -p "$H/l" && echo x > "$H/l/file"
tar -C "$H/l" -cf "$H/layer.tar" .
make_oci "$H/oci" v1 '{"Cmd":["/bin/sh"]}' "$H/layer.tar"
cp -r "$H/oci" "$H/oci-escape"
sed 's|"digest":"sha256:[0-9a-f]*"|"digest":"sha256:../../../../etc/passwd"|' "$H/oci/index.json" \
  > "$H/oci-escape/index.json"
refuse oci-digest-escape "$H/oci-escape:v1" "digest 'sha256:\.\./\.\./\.\./\.\./etc/passwd' is not sha256"
layer=$(ls -S "$H/oci/blobs/sha256" | head -n1) # the layer is the largest blob
# the file's data ("x"), after the headers of ./ and ./file: still a valid tar
printf y | dd of="$H/oci/blobs/sha256/$layer" bs=1 seek=1024 conv=notrunc 2>/dev/null
refuse oci-layer-digest "$H/oci:v1" "OCI layer 1 .*does not match its digest"

[ -e "$canary" ] && fail "something was written outside the cache: $canary"
[ -z "$(ls "$IMAGE_CACHE" 2>/dev/null)" ] || fail "the cache holds entries after failures: $(ls -a "$IMAGE_CACHE")"

# the good ACIs: inspect (xz) and build
make_aci "$H/good-xz.aci" xz
"$VMM" image inspect "$H/good-xz.aci" > "$TEST_TMP/inspect.txt" 2>&1 || fail "image inspect failed" "$TEST_TMP/inspect.txt"
expect_line "$TEST_TMP/inspect.txt" '^name: +example.com/test-app$'
expect_line "$TEST_TMP/inspect.txt" '^exec: +"/bin/app.sh"$'
expect_line "$TEST_TMP/inspect.txt" '^memory: +128 MiB$'
"$VMM" image build "$H/good-xz.aci" -o "$TEST_TMP/good.cpio" > "$TEST_TMP/build.txt" 2>&1 ||
  fail "image build failed" "$TEST_TMP/build.txt"
[ "$(head -c 6 "$TEST_TMP/good.cpio")" = 070701 ] || fail "the built initramfs is not a newc cpio"
[ "$(ls "$IMAGE_CACHE"/*.cpio | wc -l)" = 1 ] || fail "want one cache entry: $(ls -a "$IMAGE_CACHE")"
expect_no_partial_cache
finish
