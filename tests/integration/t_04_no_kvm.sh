#!/bin/sh
# Without /dev/kvm (hidden by an empty /dev in a private mount namespace): exit 69.
. "$(dirname "$0")/lib.sh"
require_file "$KERNEL" "$INITRD" || finish
L=$TEST_TMP/vmm.log
# run_vmm runs $VMM: make it a wrapper that hides /dev/kvm, then runs the real vmm
cat > "$TEST_TMP/vmm-without-kvm" <<WRAP
#!/bin/sh
exec unshare -m sh -c 'mount -t tmpfs none /dev || exit 99; exec "\$0" "\$@"' "$VMM" "\$@"
WRAP
chmod +x "$TEST_TMP/vmm-without-kvm"
[ -x "$VMM" ] && VMM=$TEST_TMP/vmm-without-kvm
run_vmm "$L" --kernel "$KERNEL" --initrd "$INITRD" --console none
expect_exit 69 "$L"
expect_line "$L" 'kvm'
[ -c /dev/kvm ] || fail "/dev/kvm is gone outside the namespace too"
finish
