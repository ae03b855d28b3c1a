# Sourced by tests/run.sh and tests/arm64.sh (bash).
# select_tests PATTERNS: the names (without t_ and .sh) of tests/integration/t_*.sh that
# match one of the space-separated shell patterns, in file order.
select_tests() {
  local t name pat
  for t in tests/integration/t_*.sh; do
    name=$(basename "$t" .sh); name=${name#t_}
    set -f
    for pat in $1; do
      # shellcheck disable=SC2254
      case "$name" in $pat) echo "$name"; break ;; esac
    done
    set +f
  done
}
