#!/usr/bin/env bash
# bench/wasi/run.sh: whole-process time of WASI programs (bench/wasi/*.c) on Lodge, side by side with
# the same C built natively, node's WASI and wasm3. Each command runs RUNS times after two warm-ups;
# the table shows median milliseconds per run (fork and exec included, as a user would see them) and
# Lodge's ratio to each peer (below 1 = Lodge is faster).
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

# time_cmd DIR CMD...: median wall milliseconds of RUNS runs of CMD (in DIR, stdin from input.bin);
# "fail(N)" when the command does not run cleanly (exit status N on the first warm-up).
time_cmd() {
    local dir=$1
    shift
    local i t0 t1 times=()
    (cd "$dir" && exec "$@" <"$T/input.bin" >/dev/null 2>&1)
    local rc=$?
    if [ $rc -ne 0 ]; then
        printf 'fail(%d)' $rc
        return
    fi
    for i in $(seq 1 $((RUNS + 2))); do
        t0=$(date +%s%N)
        (cd "$dir" && exec "$@" <"$T/input.bin" >/dev/null 2>&1)
        t1=$(date +%s%N)
        [ "$i" -gt 2 ] && times+=($(((t1 - t0) / 1000)))
    done
    printf '%s\n' "${times[@]}" | sort -n | awk '{ a[NR] = $1 } END { printf "%.2f", a[int((NR + 1) / 2)] / 1000 }'
}

ratio() {
    case "$1$2" in *fail* | *-*) printf -- "-"; return ;; esac
    awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else printf "-" }'
}

printf '%-8s %10s %10s %10s %10s   %14s %14s %14s\n' program native lodge node wasm3 lodge/native lodge/node lodge/wasm3
for src in bench/wasi/*.c; do
    name=$(basename "$src" .c)
    [ -f "$D/$name.wasm" ] || { echo "$name: $D/$name.wasm missing: run make wasi-bench"; continue; }
    mkdir -p "$T/$name"
    nat=$(time_cmd "$T/$name" "$D/$name.native")
    lod=$(time_cmd "$T/$name" "$L" run --dir .::. "$D/$name.wasm")
    nod="-"
    [ -n "$NODE" ] && nod=$(time_cmd "$T/$name" "$NODE" --no-warnings "$NODE_WASI" --dir .::. "$D/$name.wasm")
    w3="-"
    # wasm3's runner preopens its current directory as ".", like --dir .::. above.
    [ -n "$WASM3" ] && w3=$(time_cmd "$T/$name" "$WASM3" "$D/$name.wasm")
    printf '%-8s %10s %10s %10s %10s   %14s %14s %14s\n' "$name" "$nat" "$lod" "$nod" "$w3" \
        "$(ratio "$lod" "$nat")" "$(ratio "$lod" "$nod")" "$(ratio "$lod" "$w3")"
done
echo "(median wall ms per whole process over $RUNS runs; ratios below 1 mean Lodge is faster)"
