#!/bin/sh
# The project kernel ($KERNEL: bzImage on x86_64, Image on aarch64), 2 vCPUs, 512 MiB: the guest brings up both CPUs.
. "$(dirname "$0")/lib.sh"
require_file "$KERNEL" "$INITRD" || finish
L=$TEST_TMP/guest.log
boot_guest "$L" "$KERNEL" 2 512 reboot
expect_exit 0 "$L"
expect_booted "$L"
expect_cpus "$L" 2
expect_mem "$L" 512
finish
