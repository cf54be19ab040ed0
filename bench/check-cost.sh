#!/usr/bin/env bash
# check-cost.sh: what the interruption/fuel check at loop back-edges and calls costs. Builds a second
# Lodge with the check compiled out (build-nocheck/, -DLODGE_NO_FUEL_CHECK: a build that cannot be
# interrupted, for this measurement only) and runs every bench program on both, alternating, printing the
# median CPU seconds of each and the ratio. Target: the checked build within 3% (geomean ratio <= 1.03).
# Env: RUNS (default 5), BUILD (default build).
set -u
export LC_ALL=C
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
RUNS=${RUNS:-5}
make -s "$BUILD/lodge" bench-build >/dev/null || exit 2
make -s BUILD=build-nocheck CFLAGS=-DLODGE_NO_FUEL_CHECK build-nocheck/lodge >/dev/null || exit 2
A=$BUILD/lodge
B=build-nocheck/lodge
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
cpu() { # prints user+sys seconds of one run
    local TIMEFORMAT='%U %S'
    { time "$@" >/dev/null 2>&1; } 2>"$tmp"
    awk '{ printf "%.3f", $1 + $2 }' "$tmp"
}
median() { tr ' ' '\n' | grep . | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
printf '%-10s %9s %9s %7s\n' program checked nocheck ratio
logsum=0; count=0
for src in bench/*.c; do
    p=$(basename "$src" .c)
    n=$(sed -n 's/^#define BENCH_N \([0-9][0-9]*\).*/\1/p' "$src")
    [ -n "$n" ] && [ -f "$BUILD/bench/$p.wasm" ] || continue
    ta=""; tb=""
    for ((r = 0; r < RUNS; r++)); do
        ta="$ta $(cpu "$A" run --invoke run "$BUILD/bench/$p.wasm" "$n")"
        tb="$tb $(cpu "$B" run --invoke run "$BUILD/bench/$p.wasm" "$n")"
    done
    ma=$(median <<<"$ta"); mb=$(median <<<"$tb")
    ratio=$(awk -v a="$ma" -v b="$mb" 'BEGIN { printf "%.3f", (b > 0 ? a / b : 0) }')
    printf '%-10s %9s %9s %7s\n' "$p" "$ma" "$mb" "$ratio"
    logsum=$(awk -v s="$logsum" -v r="$ratio" 'BEGIN { printf "%.6f", s + log(r) }')
    count=$((count + 1))
done
[ $count -gt 0 ] || { echo "no bench programs built"; exit 2; }
awk -v s="$logsum" -v n="$count" 'BEGIN { printf "geomean checked/nocheck: %.3f (median CPU seconds over '"$RUNS"' runs; target <= 1.03)\n", exp(s / n) }'
