#!/bin/sh
# A user who may not open /dev/kvm (mode 0600 root on devtmpfs) gets exit 77 and a line
# naming /dev/kvm.
. "$(dirname "$0")/lib.sh"
require_file "$KERNEL" "$INITRD" || finish
L=$TEST_TMP/vmm.log
grep -q '^nobody:' /etc/passwd 2>/dev/null ||
  echo 'nobody:x:65534:65534:nobody:/:/bin/sh' >> /etc/passwd
grep -q '^nogroup:' /etc/group 2>/dev/null || echo 'nogroup:x:65534:' >> /etc/group
chmod 0600 /dev/kvm
chmod 0755 "$PAYLOAD" "$PAYLOAD/bin" "$(dirname "$KERNEL")" 2>/dev/null
chmod 0644 "$KERNEL" "$INITRD" 2>/dev/null
# busybox su reorders options, so the command line goes in as one quoted string
cat > "$TEST_TMP/vmm-as-nobody" <<WRAP
#!/bin/sh
cmd="'$VMM'"
for a in "\$@"; do cmd="\$cmd '\$(printf %s "\$a" | sed "s/'/'\\\\''/g")'"; done
exec su -s /bin/sh -c "\$cmd" nobody
WRAP
chmod 0755 "$TEST_TMP" "$TEST_TMP/vmm-as-nobody"
[ -x "$VMM" ] && VMM=$TEST_TMP/vmm-as-nobody
run_vmm "$L" --kernel "$KERNEL" --initrd "$INITRD" --console none
expect_exit 77 "$L"
expect_line "$L" 'permission.*/dev/kvm'
finish
