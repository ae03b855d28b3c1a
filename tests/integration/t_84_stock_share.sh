#!/bin/sh
# The virtio-9p (t_50) checks on Debian's stock kernel, devices described by ACPI only.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/stock_lib.sh"
run_on_stock t_50_share.sh
