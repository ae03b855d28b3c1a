#!/bin/sh
# vmm --help exits 0 with the usage, and is the same text on every arch: when the payload
# has another arch's --help (tests/arm64.sh puts the x86_64 build's there as
# help-x86_64.txt), this vmm's must equal it.
. "$(dirname "$0")/lib.sh"
L=$TEST_TMP/help.txt
run_vmm "$L" --help
expect_exit 0 "$L"
expect_line "$L" '^Usage:'
expect_line "$L" '--kernel FILE'
for other in "$PAYLOAD"/help-*.txt; do
  [ -f "$other" ] || continue
  if cmp -s "$other" "$L"; then
    echo "# vmm --help on $ARCH is the same as $(basename "$other")"
  else
    diff "$other" "$L" > "$TEST_TMP/help.diff" 2>&1
    fail "vmm --help on $ARCH differs from $(basename "$other")" "$TEST_TMP/help.diff"
  fi
done
finish
