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
command -v wat2wasm >/dev/null || { echo "SKIP daemon part: wat2wasm missing (Debian wabt)"; exit 0; }
. bench/hyper/lib.sh

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
