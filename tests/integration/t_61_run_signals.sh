#!/bin/sh
# vmm run and signals: an app killed by signal N gives 128+N; SIGINT to vmm reaches the
# app as SIGINT (it traps it and exits 7); a guest that stops before the app runs (an
# unknown user) gives 82 with the init's error line.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/image_lib.sh"
require_file "$KERNEL" || finish
A=$TEST_TMP/app.aci
make_aci "$A" none
L=$TEST_TMP/signal.log
run_vmm "$L" run "$A" -- signal
expect_exit 138 "$L" # SIGUSR1 is 10

L=$TEST_TMP/int.log
"$VMM" run "$A" -- wait-int </dev/null >"$L" 2>&1 &
pid=$!
wait_for_line $pid "$L" 'APP-READY'
expect_line "$L" 'APP-READY'
signal_vmm $pid INT 60 "$L"
expect_exit 7 "$L"
expect_line "$L" '^APP-GOT-INT$'

# a user the image does not have: the init stops the VM without a status
d=$TEST_TMP/ghost
mkdir -p "$d/rootfs"
make_rootfs "$d/rootfs"
aci_manifest '["/bin/app.sh"]' | sed 's/"user":"app"/"user":"ghost"/' > "$d/manifest"
tar -C "$d" -cf "$TEST_TMP/ghost.aci" manifest rootfs
L=$TEST_TMP/ghost.log
run_vmm "$L" run "$TEST_TMP/ghost.aci"
expect_exit 82 "$L"
expect_line "$L" "hyper-init: error: user 'ghost' is not in the image's /etc/passwd"
expect_line "$L" "without reporting the app's exit status"
finish
