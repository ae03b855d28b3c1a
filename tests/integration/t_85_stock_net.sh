#!/bin/sh
# The virtio-net on a TAP (t_30) checks on Debian's stock kernel, devices described by ACPI only.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/stock_lib.sh"
run_on_stock t_30_net.sh
