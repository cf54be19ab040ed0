#!/usr/bin/env bash
# bench/wasi/run.sh: whole-process time of WASI programs (bench/wasi/*.c) on Lodge, side by side with
# the same C built natively, node's WASI and wasm3. bench/wasi/timer/timeit.c runs them in turns (one
# run each per round, RUNS rounds after a warm-up round) so that a noisy machine's drift hits all
# alike; the table shows median wall and CPU milliseconds per whole process (exec included, as a user
# would see it) and Lodge's ratio to each peer (below 1 = Lodge is faster).
#   make wasi-bench            (builds, then runs this)
#   WASM3=/path/to/wasm3       wasm3's command-line runner, built outside this repository; without it
#                              the wasm3 column is skipped with the reason printed
#   RUNS=N                     runs per command (default 31)
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
case $BUILD in /*) B=$BUILD ;; *) B=$PWD/$BUILD ;; esac
L=$B/lodge
D=$B/bench/wasi
RUNS=${RUNS:-31}
NODE=$(command -v node || true)
NODE_WASI=$PWD/tests/wasi/node-wasi.mjs
WASM3=${WASM3:-}
T=$(mktemp -d "${TMPDIR:-/tmp}/lodge-wasi-bench.XXXXXX")
trap 'rm -rf "$T"' EXIT

[ -x "$L" ] || { echo "bench/wasi: $L missing: run make"; exit 1; }
if [ -z "$NODE" ]; then echo "node: skipped (node is not installed)"; fi
if [ -z "$WASM3" ]; then
    echo "wasm3: skipped (set WASM3 to the path of a wasm3 binary built outside the repository)"
elif [ ! -x "$WASM3" ]; then
    echo "wasm3: skipped ($WASM3 is not an executable)"
    WASM3=""
fi

head -c 4000000 /dev/urandom >"$T/input.bin"

ratio() {
    case "$1$2" in *fail* | *-*) printf -- "-"; return ;; esac
    awk -v a="$1" -v b="$2" 'BEGIN { if (b <= 0) printf "-"; else if (a / b < 0.1) printf "%.4f", a / b; else printf "%.2f", a / b }'
}

TIMEIT=$B/bench/wasi/timeit
[ -x "$TIMEIT" ] || { echo "bench/wasi: $TIMEIT missing: run make wasi-bench"; exit 1; }
ms() { awk -v u="$1" 'BEGIN { printf "%.2f", u / 1000 }'; }

printf '%-8s %-5s %10s %10s %10s %10s   %12s %12s %12s\n' program ms native lodge node wasm3 lodge/native lodge/node lodge/wasm3
for src in bench/wasi/*.c; do
    name=$(basename "$src" .c)
    [ -f "$D/$name.wasm" ] || { echo "$name: $D/$name.wasm missing: run make wasi-bench"; continue; }
    mkdir -p "$T/$name"
    runners=(native lodge)
    args=(-- "$D/$name.native" -- "$L" run --dir .::. "$D/$name.wasm")
    if [ -n "$NODE" ]; then runners+=(node); args+=(-- "$NODE" --no-warnings "$NODE_WASI" --dir .::. "$D/$name.wasm"); fi
    # wasm3's runner preopens its current directory as ".", like --dir .::. above.
    if [ -n "$WASM3" ]; then runners+=(wasm3); args+=(-- "$WASM3" "$D/$name.wasm"); fi
    "$TIMEIT" "$RUNS" "$T/input.bin" "$T/$name" "${args[@]}" >"$T/times" || { echo "$name: timing failed"; continue; }
    declare -A wall=([node]=- [wasm3]=-) cpu=([node]=- [wasm3]=-)
    i=0
    while read -r w c st; do
        r=${runners[$i]}
        if [ "$st" -eq 0 ]; then wall[$r]=$(ms "$w"); cpu[$r]=$(ms "$c"); else wall[$r]="fail($st)"; cpu[$r]="fail($st)"; fi
        i=$((i + 1))
    done <"$T/times"
    for kind in wall cpu; do
        declare -n v=$kind
        printf '%-8s %-5s %10s %10s %10s %10s   %12s %12s %12s\n' "$name" "$kind" "${v[native]}" "${v[lodge]}" \
            "${v[node]}" "${v[wasm3]}" "$(ratio "${v[lodge]}" "${v[native]}")" "$(ratio "${v[lodge]}" "${v[node]}")" \
            "$(ratio "${v[lodge]}" "${v[wasm3]}")"
        unset -n v
    done
    unset wall cpu
done
echo "(medians over $RUNS interleaved runs of each whole process: wall time, and CPU time = user + system;"
echo " ratios below 1 mean Lodge is faster; fail(N): that runner exited with status N)"
