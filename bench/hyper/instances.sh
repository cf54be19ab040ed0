#!/usr/bin/env bash
# bench/hyper/instances.sh: fresh hello instances through a real daemon on a temporary socket: N x
# POST /v1/instances {"module": "hello", "start": true} from one C client (bench/hyper/dbench.c, which reports
# its own CPU time so one can see it is not the bottleneck) on one keep-alive connection. Prints requests/s
# (wall) and requests per CPU-second of the daemon and its workers (the per-core figure of issue 7), with the
# state directory on the temporary directory's file system and on tmpfs (/dev/shm) when there is one.
# Usage: bench/hyper/instances.sh [N]   (default 5000; BUILD=build by default; needs wat2wasm)
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
N=${1:-${INST_N:-5000}}
command -v wat2wasm >/dev/null || { echo "SKIP instances: wat2wasm missing (Debian wabt)"; exit 0; }
[ -x "$BUILD/bench/hyper/dbench" ] || make -s BUILD="$BUILD" "$BUILD/bench/hyper/dbench" "$BUILD/lodged" || exit 1
. bench/hyper/lib.sh
for where in "$D" /dev/shm; do
    [ -d "$where" ] && [ -w "$where" ] || { echo "SKIP state directory in $where: not writable"; continue; }
    state=$(mktemp -d "$where/lodge-bench-state.XXXXXX")
    echo "== $N fresh hello instances, state directory on $(df -T "$state" | awk 'NR == 2 { print $2 }') ($where)"
    start_daemon "$state"
    "$BUILD/bench/hyper/dbench" inst "$D/d.sock" hello "$N" $(server_pids) || exit 1
    stop_daemon
done
