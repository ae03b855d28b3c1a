#!/bin/sh
# vmm run of an OCI image layout: three layers (gzip, plain, zstd) applied in order with a
# whiteout and an opaque directory; Cmd, Env, WorkingDir, User from the config; --memory;
# a volume shared with the host both ways; a real dynamically linked program (socat) from
# a layer run in place of Cmd; a program that does not exist gives 127.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/image_lib.sh"
require_file "$KERNEL" || finish
W=$TEST_TMP/build
mkdir -p "$W/l1" "$W/l2/opt" "$W/l2/srv" "$W/l2/etc" "$W/l3/usr/bin"
make_rootfs "$W/l1"
mkdir -p "$W/l1/opt/gone" "$W/l1/srv"
echo old > "$W/l1/etc/motd"
echo x > "$W/l1/opt/gone/file"
echo x > "$W/l1/srv/old.txt"
echo new > "$W/l2/etc/motd"
: > "$W/l2/opt/.wh.gone"
: > "$W/l2/srv/.wh..wh..opq"
echo x > "$W/l2/srv/new.txt"
# socat and every library the loader says it needs
cp "$PAYLOAD/bin/socat" "$W/l3/usr/bin/socat"
for lib in $("$LOADER" --list "$PAYLOAD/bin/socat" | grep -o '/[^ ]*'); do
  mkdir -p "$W/l3$(dirname "$lib")"
  cp "$lib" "$W/l3$lib"
done
tar -C "$W/l1" -czf "$W/layer1.tar.gz" .
tar -C "$W/l2" -cf "$W/layer2.tar" .
tar -C "$W/l3" -cf - . | "$PAYLOAD/bin/zstd" -q -c > "$W/layer3.tar.zst"
O=$TEST_TMP/oci
make_oci "$O" v1 '{"Cmd":["/bin/app.sh","0"],"Env":["GREETING=hello from oci","PATH=/usr/bin:/bin"],"WorkingDir":"/srv","User":"1000:2000","Volumes":{"/data":{}}}' \
  "$W/layer1.tar.gz" "$W/layer2.tar" "$W/layer3.tar.zst"
V=$TEST_TMP/volume
mkdir -p "$V" && echo "from the host" > "$V/in.txt"
chmod 777 "$V" # the app runs as uid 1000

L=$TEST_TMP/oci.log
run_vmm "$L" run "$O:v1" --memory 128 --volume "data=$V" --log-level info
expect_exit 0 "$L"
expect_line "$L" '^APP-ARGS 0$'
expect_line "$L" '^APP-ID 1000 2000'
expect_line "$L" '^APP-CWD /srv$'
expect_line "$L" '^APP-ENV GREETING=hello from oci HOME=/home/app$'
expect_line "$L" '^APP-VOLUME from the host$'
expect_line "$L" '^APP-FILES motd=new srv=new.txt, gone=$'
[ "$(cat "$V/out.txt" 2>/dev/null)" = "from the guest" ] || fail "the guest's file did not reach the host volume"
expect_line "$L" 'converted in'

L=$TEST_TMP/socat.log
run_vmm "$L" run "oci:$O:v1" --log-level info -- /usr/bin/socat -V
expect_exit 0 "$L"
expect_line "$L" 'socat version'
expect_line "$L" 'no conversion'

L=$TEST_TMP/missing.log
run_vmm "$L" run "$O" -- /no/such/program
expect_exit 127 "$L"
expect_line "$L" 'cannot run /no/such/program'
finish
