#!/usr/bin/env bash
# The jail (src/mgr/jail*.c, cgroup.c, seccomp.c): real jailed lodged processes started through jail_spawn()
# by the hidden `lodged jail-test` verb, which measures them from outside and prints one line per check
# ("ok: ...", "FAIL: ...", "skip: ... (reason)"). This script runs each case with a timeout and sums them.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
LODGED=$BUILD/lodged
pass=0; fail=0; skipped=0

if [ ! -x "$LODGED" ]; then
    echo "lodged not built ($LODGED): make all"
    echo "0 passed, 1 failed, 0 skipped"; exit 1
fi
tmp=$(mktemp -d)
tap=lodgejt$$
trap 'rm -rf "$tmp"; [ "$(id -u)" -eq 0 ] && ip tuntap del "$tap" mode tap 2>/dev/null' EXIT

# run NAME TIMEOUT [--as-nobody] ARGS...: one case; its ok/FAIL/skip lines are counted, a crash or a
# timeout without a FAIL line is a failure of its own.
run() {
    local name=$1 limit=$2; shift 2
    local pre=()
    if [ "${1:-}" = --as-nobody ]; then pre=(setpriv --reuid=65534 --regid=65534 --clear-groups); shift; fi
    echo "--- $name"
    local out rc
    out=$(timeout -k 5 "$limit" "${pre[@]}" "$LODGED" jail-test "$@" 2>&1); rc=$?
    sed 's/^/  /' <<<"$out"
    local p f s
    p=$(grep -c '^ok:' <<<"$out"); f=$(grep -c '^FAIL:' <<<"$out"); s=$(grep -c '^skip:' <<<"$out")
    pass=$((pass + p)); fail=$((fail + f)); skipped=$((skipped + s))
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        echo "  FAIL: $name ended with status $rc (timeout is 124)"; fail=$((fail + 1))
    fi
}

mkdir -p "$tmp/state"
run "isolation: namespaces, private root, rlimits, no_new_privs, capabilities" 30 \
    isolate --state "$tmp/state" --proc --cgroups --name jail-test-iso
run "degraded: protections turned off are reported missing, and are really absent" 30 \
    isolate --state "$tmp/state" --disable netns,root,seccomp --name jail-test-deg
run "bad specs: refused with the reason, nothing started" 20 errors
run "detached: the jailed program outlives its spawner, in a session of its own" 20 detach
run "required protection missing: the spawn is refused" 30 \
    isolate --state "$tmp/state" --disable userns --require userns --expect-fail
if [ "$(id -u)" -eq 0 ]; then
    mkdir -p "$tmp/asuser"; chmod 755 "$tmp"; chmod 777 "$tmp/asuser"
    run "root caller: the jailed process runs as uid 65534 (JailSpec.uid)" 30 \
        isolate --state "$tmp/asuser" --uid 65534 --proc --name jail-test-asuser
fi
# Hosts that refuse user namespaces: inside a user namespace allowed no nested one, the jail keeps the
# other namespaces (it is root there) and names the refused one.
if unshare --user --map-root-user true 2>/dev/null; then
    echo "--- user namespaces refused by the host: the other protections hold, the refusal is reported"
    out=$(timeout -k 5 30 unshare --user --map-root-user sh -c \
        'echo 0 > /proc/sys/user/max_user_namespaces && exec "$0" jail-test isolate --state "$1" --proc \
         --expect-missing userns --name jail-test-nouserns' "$LODGED" "$tmp/state" 2>&1)
    sed 's/^/  /' <<<"$out"
    pass=$((pass + $(grep -c '^ok:' <<<"$out"))); fail=$((fail + $(grep -c '^FAIL:' <<<"$out")))
    grep -q '^checks:' <<<"$out" || { echo "  FAIL: the case ended early"; fail=$((fail + 1)); }
else
    echo "skip: user namespaces refused (this host lets no user make a user namespace to stage it in)"
    skipped=$((skipped + 1))
fi

# A tap: made here for the caller's uid, as an operator makes one for a machine.
if [ "$(id -u)" -eq 0 ] && command -v ip >/dev/null && ip tuntap add "$tap" mode tap user 0 2>/dev/null; then
    run "tap: the jail keeps the host's network and opens the tap" 20 tap --tap "$tap"
    ip tuntap del "$tap" mode tap
else
    echo "skip: tap (making a tap needs root and ip(8))"; skipped=$((skipped + 1))
fi
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
    mkdir -p "$tmp/nobody"; chmod 755 "$tmp"; chmod 777 "$tmp/nobody"
    if setpriv --reuid=65534 --regid=65534 --clear-groups test -x "$LODGED"; then
        run "unprivileged: the same jail as uid 65534, no root needed" 30 --as-nobody \
            isolate --state "$tmp/nobody" --proc --cgroups --name jail-test-nobody
        run "unprivileged without a user namespace: no namespace at all, each one reported" 30 --as-nobody \
            isolate --state "$tmp/nobody" --disable userns --expect-missing mountns,root,pidns,netns,ipcns,utsns \
            --name jail-test-nobody-nouserns
    else
        echo "skip: unprivileged run (uid 65534 cannot execute $LODGED)"; skipped=$((skipped + 1))
    fi
else
    echo "skip: unprivileged run (needs root to switch to uid 65534 with setpriv; we already are unprivileged)"
    skipped=$((skipped + 1))
fi

# Seccomp: a forbidden call on a thread of each kind kills the process with SIGSYS; allowed work goes on.
for kc in hart:socket hart:unix-socket hart:execve hart:mprotect-exec hart:open io:execve io:fork wasm:socket \
          wasm:fork control:execve control:fork control:socket; do
    run "seccomp: ${kc#*:} on a ${kc%%:*} thread" 20 seccomp --kind "${kc%%:*}" --call "${kc#*:}" --expect sigsys
done
for kc in hart:none io:none wasm:open wasm:wasm-run control:unix-socket control:open; do
    run "seccomp: ${kc#*:} on a ${kc%%:*} thread is allowed" 20 seccomp --kind "${kc%%:*}" --call "${kc#*:}" \
        --expect exit0
done

# A real machine process: jailed, in a cgroup, its machine thread under the hart list, boots the default guest.
GUEST=${LODGE_GUEST_DIR:-$PWD/guests/cache}
mkdir -p "$tmp/machine"
asuser=()
if [ "$(id -u)" -eq 0 ]; then chmod 755 "$tmp"; chmod 777 "$tmp/machine"; asuser=(--uid 65534); fi
run "machine: a jailed machine process boots Linux under its lists" 120 machine --guest "$GUEST" \
    --state "$tmp/machine" "${asuser[@]}"

# The machine process itself (lodged machine --seccomp, as the daemon starts it): configured through its
# Firecracker API with curl, two harts, paused and resumed, stats read; each thread under its list.
fc() {  # fc METHOD PATH JSON: the HTTP status
    curl -s --max-time 10 --unix-socket "$tmp/m.sock" -o "$tmp/fc.out" -w '%{http_code}' -X "$1" \
        -H 'Content-Type: application/json' -d "$3" "http://localhost$2"
}
check() {  # check "what" CONDITION...
    local what=$1; shift
    if "$@"; then echo "  ok: $what"; pass=$((pass + 1)); else echo "  FAIL: $what"; fail=$((fail + 1)); fi
}
echo "--- machine process: lodged machine --seccomp driven through its Firecracker API"
if [ -r "$GUEST/Image" ] && [ -r "$GUEST/initramfs.cpio" ] && command -v curl >/dev/null; then
    "$LODGED" machine --api-sock "$tmp/m.sock" --seccomp --console-log "$tmp/m.log" \
        --exit-file "$tmp/m.exit" >"$tmp/m.out" 2>&1 &
    mp=$!
    for _ in $(seq 100); do [ -S "$tmp/m.sock" ] && break; sleep 0.05; done
    args='console=ttyS0 quiet lodge_cmd=\"echo hi-under-seccomp; sleep 1\"'
    c1=$(fc PUT /boot-source "{\"kernel_image_path\": \"$GUEST/Image\", \"initrd_path\": \"$GUEST/initramfs.cpio\", \"boot_args\": \"$args\"}")
    c2=$(fc PUT /machine-config '{"vcpu_count": 2, "mem_size_mib": 128}')
    c3=$(fc PUT /actions '{"action_type": "InstanceStart"}')
    check "configured and started through the API ($c1 $c2 $c3)" test "$c1 $c2 $c3" = "204 204 204"
    sleep 0.3
    # Distinct filter counts over the threads: the control list on all, one more on the machine's thread.
    counts=$(awk '/Seccomp_filters/ {print $2}' /proc/$mp/task/*/status | sort -n | uniq | tr '\n' ' ')
    check "every thread is filtered, the machine's thread once more (filters per thread: $counts)" \
        bash -c '[ $# -eq 2 ] && [ "$1" -ge 1 ] && [ "$2" -eq $(($1 + 1)) ]' counts $counts
    c4=$(fc PATCH /vm '{"state": "Paused"}'); c5=$(fc PATCH /vm '{"state": "Resumed"}'); c6=$(fc GET /lodge/stats '')
    check "paused, resumed, stats read under the lists ($c4 $c5 $c6)" test "$c4 $c5 $c6" = "204 204 200"
    for _ in $(seq 600); do kill -0 "$mp" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$mp" 2>/dev/null; wait "$mp"; st=$?
    check "the guest ran and powered off: status $st, $(cat "$tmp/m.exit" 2>/dev/null)" \
        bash -c "[ $st -eq 0 ] && grep -q hi-under-seccomp '$tmp/m.log' && grep -q poweroff '$tmp/m.exit'"
    [ "$st" -eq 0 ] || tail -5 "$tmp/m.out"
else
    echo "skip: machine process (no default guest in $GUEST: make guest, or set LODGE_GUEST_DIR; or no curl)"
    skipped=$((skipped + 1))
fi

# Cgroups: a CPU cap and weights measured from the group's CPU accounting, memory and pids limits.
run "cgroup: CPU cap" 40 cpu-cap --pct 20 --secs 3
run "cgroup: CPU weight" 40 cpu-weight --secs 3
run "cgroup: memory limit against an allocation bomb" 40 mem-bomb --mib 64
run "cgroup: pids limit" 30 pids --max 16

run "spawn cost: jail_spawn to exec, median of 30" 60 spawn-rate --n 30

echo "$pass passed, $fail failed, $skipped skipped"
[ "$fail" -eq 0 ]
