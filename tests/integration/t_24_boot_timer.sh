#!/bin/sh
# --boot-timer[=FILE]: one JSON line with the boot timeline, in increasing order, with the
# two marks the test init writes to the control page.
. "$(dirname "$0")/lib.sh"
require_file "$KERNEL" "$INITRD" || finish
L=$TEST_TMP/vmm.log
J=$TEST_TMP/boot-timer.json
boot_guest "$L" "$KERNEL" 1 256 reboot --boot-timer="$J"
expect_exit 0 "$L"
expect_booted "$L"
expect_no_line "$L" 'boot_timer_us'
if [ ! -s "$J" ]; then
  fail "--boot-timer=$J: no file written"
else
  echo "boot timer: $(cat "$J")"
  [ "$(wc -l < "$J")" -eq 1 ] || fail "$J: not one line"
  grep -q '^{"boot_timer_us":{.*}}$' "$J" || fail "$J: not the boot_timer_us object"
  # the values in timeline order: args_parsed vm_ready kernel_loaded first_kvm_run mark1
  # mark2 exit
  vals=""
  for k in args_parsed vm_ready kernel_loaded first_kvm_run; do
    v=$(sed -n "s/.*\"$k\":\([0-9][0-9]*\).*/\1/p" "$J")
    [ -n "$v" ] || fail "$J: no $k"
    vals="$vals $v"
  done
  marks=$(sed -n 's/.*"guest_marks":\[\([0-9,]*\)\].*/\1/p' "$J" | tr ',' ' ')
  n=$(echo $marks | wc -w)
  [ "$n" -eq 2 ] || fail "$J: $n guest marks, want 2"
  ex=$(sed -n 's/.*"exit":\([0-9][0-9]*\)}}$/\1/p' "$J")
  [ -n "$ex" ] || fail "$J: no exit"
  echo "$vals $marks $ex" | awk '{ for (i = 2; i <= NF; i++) if ($i + 0 <= $(i - 1) + 0) exit 1 }' ||
    fail "$J: values not increasing:$vals $marks $ex"
fi
# plain --boot-timer: on stderr, on error exits too
run_vmm "$L.2" --boot-timer --kernel "$TEST_TMP/missing-kernel"
expect_exit 66 "$L.2"
expect_line "$L.2" '^\{"boot_timer_us":\{"args_parsed":[0-9]+,"guest_marks":\[\],"exit":[0-9]+\}\}$'
finish
