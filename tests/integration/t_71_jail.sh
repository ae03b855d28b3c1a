#!/bin/sh
# vmm --jail DIR --uid 1000 --gid 1000 with a disk, a share and a vsock socket: the guest
# boots and uses them, while the jailed vmm (pid 1 of its own pid namespace) sees none of
# the host's files (only the kernel, initrd, disk, share and socket directory, its own
# /dev/kvm and /proc), runs as 1000:1000 with no_new_privs and seccomp, has inherited no
# fd, and has its rlimits. SIGTERM to the outside vmm reaches the jailed one.
. "$(dirname "$0")/lib.sh"
require_file "$KERNEL" "$INITRD" || finish
L=$TEST_TMP/guest.log
J=$TEST_TMP/jail
echo "host-secret" > "$TEST_TMP/secret.txt"
dd if=/dev/zero of="$TEST_TMP/disk.img" bs=1M count=8 2>/dev/null
mkdir -p "$TEST_TMP/share" "$TEST_TMP/sock" && echo shared > "$TEST_TMP/share/f"
chown 1000:1000 "$TEST_TMP/disk.img" "$TEST_TMP/share" "$TEST_TMP/sock"
chmod 755 "$TEST_TMP"
: > "$L"
# fd 9 is open in this shell: the jail must not inherit it
exec 9<"$TEST_TMP/secret.txt"
"$VMM" --jail "$J" --uid 1000 --gid 1000 --kernel "$KERNEL" --initrd "$INITRD" \
  --memory 128 --cmdline "$CMDLINE_BASE hyper.action=sleep" --disk path="$TEST_TMP/disk.img" \
  --share path="$TEST_TMP/share",tag=data --vsock cid=3,uds="$TEST_TMP/sock/v.sock" \
  </dev/null >"$L" 2>&1 &
vm=$!
exec 9<&-
wait_for_line $vm "$L" 'hyper-guest: sleeping' || fail "the jailed guest did not boot" "$L"
inner=$(cat /proc/$vm/task/$vm/children 2>/dev/null | tr -d ' ')
if [ -z "$inner" ]; then # no /proc/PID/task/TID/children: look for the parent pid
  for s in /proc/[0-9]*/status; do
    grep -q "^PPid:[[:space:]]*$vm\$" "$s" 2>/dev/null && inner=$(basename "$(dirname "$s")")
  done
fi
R=/proc/$inner/root
if [ -z "$inner" ] || [ ! -d "$R" ]; then
  fail "no jailed child process under $vm"
else
  echo "# jail root: $(ls "$R" | tr '\n' ' ')"
  [ -e "$R$KERNEL" ] || fail "the kernel is not inside the jail"
  [ -e "$R$TEST_TMP/disk.img" ] || fail "the disk is not inside the jail"
  [ -S "$R$TEST_TMP/sock/v.sock" ] || fail "the vsock socket is not in the jail's socket directory"
  [ -S "$TEST_TMP/sock/v.sock" ] || fail "the vsock socket is not visible on the host"
  for p in /etc/passwd /bin/sh "$TEST_TMP/secret.txt" "$PAYLOAD/bin/vmm" /dev/sda /sys/kernel; do
    [ -e "$R$p" ] && fail "the jailed vmm can see the host's $p"
  done
  [ "$(readlink /proc/$inner/ns/mnt)" != "$(readlink /proc/self/ns/mnt)" ] || fail "same mount namespace"
  [ "$(readlink /proc/$inner/ns/pid)" != "$(readlink /proc/self/ns/pid)" ] || fail "same pid namespace"
  [ "$(readlink /proc/$inner/ns/ipc)" != "$(readlink /proc/self/ns/ipc)" ] || fail "same ipc namespace"
  [ "$(readlink /proc/$inner/ns/uts)" != "$(readlink /proc/self/ns/uts)" ] || fail "same uts namespace"
  grep -Eq '^Uid:[[:space:]]+1000[[:space:]]+1000[[:space:]]+1000' /proc/$inner/status || fail "not running as uid 1000: $(grep Uid /proc/$inner/status)"
  grep -Eq '^Gid:[[:space:]]+1000[[:space:]]+1000[[:space:]]+1000' /proc/$inner/status || fail "not running as gid 1000: $(grep Gid /proc/$inner/status)"
  grep -Eq '^NoNewPrivs:[[:space:]]+1' /proc/$inner/status || fail "no_new_privs not set"
  grep -Eq '^Seccomp:[[:space:]]+2' /proc/$inner/status || fail "no seccomp filter on the jailed main thread"
  grep -Eq '^Max open files +4096 +4096' /proc/$inner/limits || fail "RLIMIT_NOFILE not set: $(grep 'open files' /proc/$inner/limits)"
  grep -Eq '^Max file size +[0-9]+ +[0-9]+ +bytes' /proc/$inner/limits || fail "RLIMIT_FSIZE not set: $(grep 'file size' /proc/$inner/limits)"
  ls -l /proc/$inner/fd 2>/dev/null | grep -q 'secret.txt' && fail "the jailed vmm inherited fd 9"
fi
# the share and the disk are reachable from inside: the guest keeps running on them
signal_vmm $vm TERM 30 "$L"
expect_exit 143 "$L"
expect_booted "$L"
[ -d "$J" ] && [ -z "$(ls -A "$J")" ] || fail "the jail directory is not empty on the host: $(ls -A "$J")"
finish
