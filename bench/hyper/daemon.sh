#!/usr/bin/env bash
# bench/hyper/daemon.sh: guests through a real daemon on a temporary socket (bench/hyper/dbench.c), against
# the one-by-one commands: fresh hello instances (POST /v1/instances with start) vs `lodge run`, and
# machines to their first instructions vs `lodge boot`. Run by bench/hyper/run.sh (PARTS=daemon).
# Settings: INST_N (default 2000), MACH_N (default 30), RUNS (one-by-one commands, default 20).
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
GUEST=${GUEST:-${LODGE_GUEST_DIR:-$PWD/guests/cache}}
INST_N=${INST_N:-2000}
MACH_N=${MACH_N:-30}
RUNS=${RUNS:-20}
OWN_TMP=
if [ -z "${TMP:-}" ]; then TMP=$(mktemp -d /tmp/lodge-bench.XXXXXX); OWN_TMP=1; fi
D=$(mktemp -d "$TMP/daemon.XXXXXX") && [ -d "$D" ] || { echo "bench/hyper: no temporary directory" >&2; exit 1; }
DPID=
STATE=
cleanup() {
    [ -n "$DPID" ] && kill "$DPID" 2>/dev/null
    # Workers and machine processes outlive a daemon by design: end those of this run (their command
    # lines name its directory).
    kill_servers
    [ -n "$STATE" ] && rm -rf "$STATE"
    [ -n "$OWN_TMP" ] && rm -rf "$TMP"
    rm -rf "$D"
}
trap cleanup EXIT
command -v wat2wasm >/dev/null || { echo "SKIP daemon part: wat2wasm missing (Debian wabt)"; exit 0; }
wat2wasm bench/hyper/hello.wat -o "$D/hello.wasm" || exit 1

start_daemon() {   # start_daemon STATE_DIR
    kill_servers
    STATE=$1
    "$BUILD/lodged" daemon --socket "$D/d.sock" --state-dir "$STATE" >"$D/daemon.out" 2>&1 &
    DPID=$!
    for _ in $(seq 100); do grep -q listening "$D/daemon.out" 2>/dev/null && break; sleep 0.05; done
    curl -s --max-time 10 --unix-socket "$D/d.sock" 'http://lodge/v1/modules?id=hello' --data-binary @"$D/hello.wasm" \
        -o /dev/null -w '%{http_code}' | grep -q '^20' || { echo "bench/hyper: the daemon did not start" >&2; exit 1; }
}
stop_daemon() { kill "$DPID" 2>/dev/null; wait "$DPID" 2>/dev/null; DPID=; kill_servers; rm -rf "$STATE"; STATE=; }
# The daemon and its workers (the processes whose command line names this run's directory).
# Never an empty pattern: only this run's own directories (D, and STATE when a daemon runs) are matched.
server_pids() {
    local pats=(-e "$D/")
    [ -n "$STATE" ] && pats+=(-e "$STATE/")
    for p in /proc/[0-9]*; do
        [ "${p#/proc/}" = $$ ] && continue
        grep -qaF "${pats[@]}" "$p/cmdline" 2>/dev/null && echo "${p#/proc/}"
    done
}
kill_servers() { for p in $(server_pids); do kill -9 "$p" 2>/dev/null; done; }

# Wall time of RUNS runs of a command one after the other: the median in ms.
one_by_one() {
    local i t
    : >"$D/t"
    bash -c "$1" >/dev/null 2>&1
    for ((i = 0; i < RUNS; i++)); do
        t=$(date +%s%N); bash -c "$1" >/dev/null 2>&1; echo $(( $(date +%s%N) - t )) >>"$D/t"
    done
    sort -n "$D/t" | awk '{ v[NR] = $1 } END { printf "%.3f\n", v[int(NR / 2) + 1] / 1e6 }'
}

echo "== daemon: fresh hello instances, POST /v1/instances {\"start\": true}, one client on one keep-alive connection"
for where in "$D" /dev/shm; do
    [ -d "$where" ] && [ -w "$where" ] || { echo "SKIP state directory in $where: not writable"; continue; }
    state=$(mktemp -d "$where/lodge-bench-state.XXXXXX")
    echo "-- state directory on $(df -T "$state" | awk 'NR == 2 { print $2 }') ($where)"
    start_daemon "$state"
    "$BUILD/bench/hyper/dbench" inst "$D/d.sock" hello "$INST_N" $(server_pids) | tee "$D/inst.out"
    stop_daemon
done
ms=$(one_by_one "$BUILD/lodge run $D/hello.wasm")
echo "lodge run hello.wasm, one by one         p50 $ms ms per run ($(awk -v m="$ms" 'BEGIN { printf "%.0f", 1000 / m }') runs/s)"
p50=$(awk '/^POST \/v1\/instances/ { for (i = 1; i < NF; i++) if ($i == "p50") print $(i + 1) }' "$D/inst.out")
[ -n "$p50" ] && awk -v a="$p50" -v b="$ms" 'BEGIN { printf "ratio daemon request / lodge run          %.3f (p50 latencies)\n", a / b }'

echo "== daemon: machines (64 MiB, default guest) to their first instructions, each deleted before the next"
if [ -f "$GUEST/Image" ] && [ -f "$GUEST/initramfs.cpio" ]; then
    state=$(mktemp -d "$D/state.XXXXXX")
    start_daemon "$state"
    "$BUILD/bench/hyper/dbench" mach "$D/d.sock" "$GUEST/Image" "$GUEST/initramfs.cpio" "$MACH_N" "$DPID" | tee "$D/mach.out"
    stop_daemon
    "$BUILD/bench/hyper/mbench" -w "$D/poweroff.elf"
    ms=$(one_by_one "$BUILD/lodge boot --kernel $D/poweroff.elf --mem 64M --console none")
    echo "lodge boot (to first instruction, exit)  p50 $ms ms per run ($(awk -v m="$ms" 'BEGIN { printf "%.0f", 1000 / m }') machines/s one by one)"
else
    echo "SKIP machines through the daemon: no default guest in $GUEST (make guest)"
fi
