#!/bin/sh
# 3584 MiB: on x86_64 more than fits below the 32-bit MMIO hole (3-4 GiB), so part of the
# RAM must be placed above 4 GiB; on arm64 one block from 2 GiB up. The guest must still
# see about 3584 MiB.
. "$(dirname "$0")/lib.sh"
require_file "$KERNEL" "$INITRD" || finish
L=$TEST_TMP/guest.log
boot_guest "$L" "$KERNEL" 1 3584 reboot
expect_exit 0 "$L"
expect_booted "$L"
expect_mem "$L" 3584
finish
