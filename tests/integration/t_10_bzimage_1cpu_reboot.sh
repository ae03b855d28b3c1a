#!/bin/sh
# The project kernel ($KERNEL: bzImage on x86_64, Image on aarch64), 1 vCPU, 256 MiB: reaches the guest init, which runs `reboot -f`:
# exit 0, and the guest saw 1 CPU and about 256 MiB.
. "$(dirname "$0")/lib.sh"
require_file "$KERNEL" "$INITRD" || finish
L=$TEST_TMP/guest.log
boot_guest "$L" "$KERNEL" 1 256 reboot
expect_exit 0 "$L"
expect_booted "$L"
expect_cpus "$L" 1
expect_mem "$L" 256
expect_kernel "$L" '*-hyper'
finish
