#!/bin/sh
# vmm run of an ACI (gzip): the app's exit code (0, 1, 42) is vmm's; its arguments, env,
# user and groups, working directory and host name reach it; the second run of the same
# image does no conversion (the cache); a bzip2 ACI of the same app runs too.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/image_lib.sh"
require_file "$KERNEL" || finish
A=$TEST_TMP/app.aci
make_aci "$A" gzip
L=$TEST_TMP/run0.log
run_vmm "$L" run "$A" --log-level info -- 0 first "second arg"
expect_exit 0 "$L"
expect_line "$L" '^APP-ARGS 0 first second arg$'
expect_line "$L" '^APP-ID 1000 1000 1000 2000$'
expect_line "$L" '^APP-CWD /work$'
expect_line "$L" '^APP-HOST test-app$'
expect_line "$L" '^APP-ENV GREETING=hello from the manifest HOME=/home/app$'
expect_line "$L" 'converted in [0-9.]+ s'
expect_no_line "$L" 'hyper-init: error'
conv=$(grep -o 'converted in [0-9.]* s' "$L" | head -n1)
echo "# first run: $conv, vmm ran ${VMM_SECS}s"

L=$TEST_TMP/run42.log
run_vmm "$L" run "$A" --log-level info -- 42
expect_exit 42 "$L"
expect_line "$L" 'cached as .*, no conversion'
expect_no_line "$L" 'converted in'
echo "# second run (cached, no conversion): vmm ran ${VMM_SECS}s"

B=$TEST_TMP/app.aci.bz2
make_aci "$B" bzip2
L=$TEST_TMP/run1.log
run_vmm "$L" run "$B" --console stdio -- 1
expect_exit 1 "$L"
expect_line "$L" '^APP-ARGS 1$'
expect_no_partial_cache
[ "$(ls "$IMAGE_CACHE"/*.cpio | wc -l)" = 2 ] || fail "want 2 cached images: $(ls "$IMAGE_CACHE")"
finish
