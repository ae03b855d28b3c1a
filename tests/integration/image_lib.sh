# Helpers for the container-image tests (t_6*.sh): root file systems from busybox-static,
# ACIs and OCI image layouts built with busybox tools, and raw tar entries for hostile
# images. Sourced after lib.sh; runs in L1 (busybox sh).

# every vmm run uses the project kernel by default and a cache of its own
export HYPER_KERNEL=${HYPER_KERNEL:-$KERNEL}
export XDG_CACHE_HOME=$TEST_TMP/cache
IMAGE_CACHE=$XDG_CACHE_HOME/hyper/images

# make_rootfs DIR: busybox with its applets, /etc/passwd and /etc/group (root, app 1000,
# group extra 2000 with app in it), and /bin/app.sh, the test app: it prints what it got
# and exits with its first argument
make_rootfs() {
  mkdir -p "$1/bin" "$1/etc" "$1/home/app"
  cp /bin/busybox "$1/bin/busybox"
  for a in sh id hostname cat sleep ls env mkdir echo kill; do ln -sf busybox "$1/bin/$a"; done
  printf 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\n' > "$1/etc/passwd"
  printf 'root:x:0:\napp:x:1000:\nextra:x:2000:app\n' > "$1/etc/group"
  cat > "$1/bin/app.sh" <<'APP'
#!/bin/sh
echo "APP-ARGS $*"
echo "APP-ID $(id -u) $(id -g) $(id -G)"
echo "APP-CWD $(pwd)"
echo "APP-HOST $(hostname)"
echo "APP-ENV GREETING=$GREETING HOME=$HOME"
[ -f /data/in.txt ] && echo "APP-VOLUME $(cat /data/in.txt)" && echo "from the guest" > /data/out.txt
echo "APP-FILES motd=$(cat /etc/motd 2>/dev/null) srv=$(ls /srv 2>/dev/null | tr '\n' ,) gone=$(ls /opt 2>/dev/null | tr '\n' ,)"
case "$1" in
  signal) kill -USR1 $$ ;;
  wait-int) trap 'echo APP-GOT-INT; exit 7' INT; echo APP-READY; while :; do sleep 1; done ;;
esac
exit "${1:-0}"
APP
  chmod 755 "$1/bin/app.sh"
}

# aci_manifest EXEC-JSON: a manifest for the test app (user app, workdir /work, env,
# a data mount point, 128 MiB memory isolator)
aci_manifest() {
  cat <<EOF2
{"acKind":"ImageManifest","acVersion":"0.8.11","name":"example.com/test-app",
 "labels":[{"name":"os","value":"linux"},{"name":"arch","value":"$IMAGE_ARCH"}],
 "app":{"exec":$1,"user":"app","group":"app","supplementaryGIDs":[2000],
  "workingDirectory":"/work","environment":[{"name":"GREETING","value":"hello from the manifest"}],
  "mountPoints":[{"name":"data","path":"/data"}],
  "isolators":[{"name":"resource/memory","value":{"limit":"128Mi"}}]}}
EOF2
}

# make_aci OUT COMPRESSION: the test app as an ACI (COMPRESSION: none, gzip, bzip2, xz)
make_aci() {
  d=$TEST_TMP/aci.$$
  rm -rf "$d" && mkdir -p "$d/rootfs"
  make_rootfs "$d/rootfs"
  aci_manifest '["/bin/app.sh"]' > "$d/manifest"
  case "$2" in
    none) tar -C "$d" -cf "$1" manifest rootfs ;;
    gzip) tar -C "$d" -czf "$1" manifest rootfs ;;
    bzip2) tar -C "$d" -cf - manifest rootfs | bzip2 -c > "$1" ;;
    xz) tar -C "$d" -cf - manifest rootfs | "$PAYLOAD/bin/xz" -c > "$1" ;;
  esac
  rm -rf "$d"
}

# blob DIR FILE: moves FILE into DIR/blobs/sha256/ by its digest; prints the digest
blob() {
  sum=$(sha256sum "$2" | cut -d' ' -f1)
  mkdir -p "$1/blobs/sha256"
  mv "$2" "$1/blobs/sha256/$sum"
  echo "sha256:$sum"
}

# descriptor MEDIATYPE DIGEST DIR: an OCI descriptor (JSON) for a blob of DIR
descriptor() {
  printf '{"mediaType":"%s","digest":"%s","size":%s}' "$1" "$2" \
    "$(stat -c %s "$3/blobs/sha256/${2#sha256:}")"
}

# make_oci DIR TAG CONFIG-JSON LAYER-TAR...: an OCI image layout with one image; each layer
# is NAME.tar, NAME.tar.gz or NAME.tar.zst (media type from the name)
make_oci() {
  dir=$1 tag=$2 config=$3
  shift 3
  mkdir -p "$dir"
  echo '{"imageLayoutVersion":"1.0.0"}' > "$dir/oci-layout"
  layers="" diffs=""
  for l in "$@"; do
    case "$l" in
      *.tar.gz) mt=application/vnd.oci.image.layer.v1.tar+gzip ;;
      *.tar.zst) mt=application/vnd.oci.image.layer.v1.tar+zstd ;;
      *) mt=application/vnd.oci.image.layer.v1.tar ;;
    esac
    cp "$l" "$dir/layer.tmp"
    dg=$(blob "$dir" "$dir/layer.tmp")
    layers="$layers${layers:+,}$(descriptor "$mt" "$dg" "$dir")"
  done
  printf '{"architecture":"'"$IMAGE_ARCH"'","os":"linux","config":%s,"rootfs":{"type":"layers","diff_ids":[]}}' \
    "$config" > "$dir/config.tmp"
  cdg=$(blob "$dir" "$dir/config.tmp")
  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":%s,"layers":[%s]}' \
    "$(descriptor application/vnd.oci.image.config.v1+json "$cdg" "$dir")" "$layers" > "$dir/manifest.tmp"
  mdg=$(blob "$dir" "$dir/manifest.tmp")
  printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"%s","size":%s,"annotations":{"org.opencontainers.image.ref.name":"%s"}}]}\n' \
    "$mdg" "$(stat -c %s "$dir/blobs/sha256/${mdg#sha256:}")" "$tag" > "$dir/index.json"
}

# tar_entry NAME TYPE SIZE [LINK]: a raw ustar header (TYPE 0 file, 1 hard link, 2 symlink,
# 5 directory) on stdout, whatever NAME holds; the caller writes SIZE bytes and pads them
tar_entry() {
  h=$TEST_TMP/hdr.$$
  dd if=/dev/zero of="$h" bs=512 count=1 2>/dev/null
  put() { printf '%s' "$2" | dd of="$h" bs=1 seek="$1" conv=notrunc 2>/dev/null; }
  put 0 "$1"
  put 100 "0000644"
  put 108 "0000000"
  put 116 "0000000"
  put 124 "$(printf '%011o' "$3")"
  put 136 "00000000000"
  put 148 "        "
  put 156 "$2"
  [ -n "${4:-}" ] && put 157 "$4"
  put 257 "ustar"
  put 263 "00"
  sum=$(od -An -v -tu1 "$h" | awk '{ for (i = 1; i <= NF; i++) s += $i } END { print s }')
  put 148 "$(printf '%06o' "$sum")"
  printf '\000' | dd of="$h" bs=1 seek=154 conv=notrunc 2>/dev/null
  cat "$h"
  rm -f "$h"
}

# tar_data TEXT: TEXT padded to a 512-byte block
tar_data() {
  printf '%s' "$1"
  n=$(( (512 - ${#1} % 512) % 512 ))
  [ "$n" -gt 0 ] && dd if=/dev/zero bs=1 count="$n" 2>/dev/null
  return 0
}

# tar_end: the two zero blocks that end an archive
tar_end() { dd if=/dev/zero bs=512 count=2 2>/dev/null; }

# tar_file NAME TEXT: a regular file entry with its data
tar_file() { tar_entry "$1" 0 "${#2}"; tar_data "$2"; }

# expect_no_partial_cache: no temporary file left in the image cache
expect_no_partial_cache() {
  if ls -a "$IMAGE_CACHE" 2>/dev/null | grep -q '^\.tmp'; then
    fail "a partial file was left in the image cache: $(ls -a "$IMAGE_CACHE" | tr '\n' ' ')"
  fi
}
