#!/usr/bin/env bash
# run.sh: times every bench/*.c program on Lodge and its peers side by side and prints a table of
# median wall seconds, ratios and geometric means; fails loudly when any engine's checksum disagrees.
#
# Usage: bench/run.sh [PROGRAM ...]           (default: every program built in $BUILD/bench)
# Environment:
#   BUILD=build      where `make bench-build` put the .wasm and .native files, and where lodge lives
#   RUNS=5           counted runs per engine and program (one more, uncounted, warms up and checks)
#   WASM3=PATH       a wasm3 binary you built yourself (bench/README.md); unset: wasm3 is skipped
#   NODE=node        the node binary; skipped when not found
#   ENGINES="lodge wasm3 native node"   which engines to run
#   TIMEOUT=120      seconds before one run is killed and counted as a failure
#   METRIC=wall      wall: elapsed seconds; cpu: user+system seconds of the process (steadier on a
#                    busy machine; node's count includes its compiler and GC threads)
#   RESULTS=FILE     also write the medians as tab-separated lines to FILE
set -u
export LC_ALL=C
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
RUNS=${RUNS:-5}
NODE=${NODE:-node}
ENGINES=${ENGINES:-lodge wasm3 native node}
TIMEOUT=${TIMEOUT:-120}
METRIC=${METRIC:-wall}
LODGE=${LODGE:-$BUILD/lodge}
DIR=$BUILD/bench

die() { echo "bench: $*" >&2; exit 2; }
case $RUNS in ''|*[!0-9]*|0) die "RUNS must be a positive integer, not '$RUNS'";; esac
case $METRIC in wall|cpu) ;; *) die "METRIC must be wall or cpu, not '$METRIC'";; esac

# --- which engines can run here; a missing peer is skipped with its reason -------------------------
active=()
for e in $ENGINES; do
    case $e in
    lodge)
        if [ -x "$LODGE" ]; then active+=(lodge); else echo "skip lodge: $LODGE not built (run make)"; fi ;;
    wasm3)
        if [ -z "${WASM3:-}" ]; then echo "skip wasm3: WASM3 is not set (see bench/README.md)"
        elif [ ! -x "$WASM3" ]; then echo "skip wasm3: WASM3=$WASM3 is not an executable"
        else active+=(wasm3); fi ;;
    native)
        active+=(native) ;;
    node)
        if command -v "$NODE" >/dev/null 2>&1; then active+=(node)
        else echo "skip node: '$NODE' not found (set NODE to a node binary)"; fi ;;
    *) die "unknown engine '$e' in ENGINES (lodge, wasm3, native, node)" ;;
    esac
done
[ ${#active[@]} -gt 0 ] || die "no engine to run"

# --- which programs ---------------------------------------------------------------------------------
if [ $# -gt 0 ]; then programs=("$@")
else programs=($(ls bench/*.c 2>/dev/null | sed 's|bench/\(.*\)\.c|\1|'))
fi
[ ${#programs[@]} -gt 0 ] || die "no programs in bench/"
for p in "${programs[@]}"; do
    [ -f "bench/$p.c" ] || die "no program bench/$p.c"
    [ -f "$DIR/$p.wasm" ] && [ -x "$DIR/$p.native" ] || die "$DIR/$p.wasm or .native missing: run make bench-build"
done

# The n each program is run with is written in the program itself (#define BENCH_N).
bench_n() { sed -n 's/^#define BENCH_N \([0-9][0-9]*\).*/\1/p' "bench/$1.c"; }

# Runs ENGINE on PROGRAM once; sets $secs (wall seconds) and $sum (the checksum, or a failure note).
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
run_once() {
    local e=$1 p=$2 n=$3 out=$tmp/out tf=$tmp/time rc real user sys
    local wasm=$DIR/$p.wasm cmd
    case $e in
    lodge)  cmd=("$LODGE" run --invoke run "$wasm" "$n") ;;
    wasm3)  cmd=("$WASM3" --func run "$wasm" "$n") ;;
    native) cmd=("$DIR/$p.native" "$n") ;;
    node)   cmd=("$NODE" bench/driver/node.mjs "$wasm" "$n") ;;
    esac
    # bash's own `time` gives the wall clock and the CPU time of the whole process tree.
    local TIMEFORMAT='%R %U %S'
    { time timeout "$TIMEOUT" "${cmd[@]}" >"$out" 2>&1; } 2>"$tf"
    rc=$?
    read -r real user sys <"$tf"
    if [ "$METRIC" = cpu ]; then
        secs=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.3f", u + s }')
    else
        secs=$real
    fi
    # Each engine prints the i32 result on its last line (wasm3 as "Result: N"); some print it
    # unsigned, so fold it to signed 32 bits before comparing.
    local v
    v=$(tail -n 1 "$out" | grep -oE -- '-?[0-9]+' | head -n 1)
    if [ $rc -ne 0 ] || [ -z "$v" ]; then
        sum="FAILED(exit $rc: $(tail -n 1 "$out" | cut -c1-80))"
        return
    fi
    sum=$(( ((v % 4294967296) + 4294967296) % 4294967296 ))
    [ $sum -ge 2147483648 ] && sum=$((sum - 4294967296))
}

median() { tr ' ' '\n' | grep . | sort -g | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

# Native code from the same C is the reference checksum, so it runs first in every round.
order=()
has_native=0
for e in "${active[@]}"; do [ "$e" = native ] && has_native=1; done
[ $has_native -eq 1 ] && order+=(native)
for e in "${active[@]}"; do [ "$e" != native ] && order+=("$e"); done

declare -A med spread
failed=0
echo "bench: ${#programs[@]} programs, engines: ${active[*]}, $RUNS counted runs each after one warm-up"
for p in "${programs[@]}"; do
    n=$(bench_n "$p")
    [ -n "$n" ] || die "bench/$p.c has no '#define BENCH_N <n>' line"
    declare -A times=()
    ref="" ref_engine=""
    for ((r = 0; r <= RUNS; r++)); do
        for e in "${order[@]}"; do
            [ "${times[$e]:-}" = FAILED ] && continue
            run_once "$e" "$p" "$n"
            if [ "${sum#FAILED}" != "$sum" ]; then
                echo "!!! $p on $e: $sum"
                times[$e]=FAILED; failed=1; continue
            fi
            if [ -z "$ref" ]; then ref=$sum ref_engine=$e
            elif [ "$sum" != "$ref" ]; then
                echo "!!! CHECKSUM MISMATCH on $p: $e gives $sum, $ref_engine gives $ref"
                times[$e]=FAILED; failed=1; continue
            fi
            [ $r -gt 0 ] && times[$e]="${times[$e]:-} $secs"
        done
    done
    for e in "${active[@]}"; do
        if [ "${times[$e]:-FAILED}" = FAILED ]; then med[$p,$e]=FAILED; continue; fi
        med[$p,$e]=$(median <<<"${times[$e]}")
        spread[$p,$e]=$(tr ' ' '\n' <<<"${times[$e]}" | grep . |
            awk -v m="${med[$p,$e]}" 'NR == 1 { lo = hi = $1 } { if ($1 < lo) lo = $1; if ($1 > hi) hi = $1 }
                 END { printf "%.0f", (m > 0 ? 100 * (hi - lo) / m : 0) }')
    done
    printf '  %-10s n=%-9s checksum %-12s' "$p" "$n" "${ref:-none}"
    for e in "${active[@]}"; do printf ' %s %s' "$e" "${med[$p,$e]}"; done
    echo
    unset times
done

# --- the table ----------------------------------------------------------------------------------------
has() { local x; for x in "${active[@]}"; do [ "$x" = "$1" ] && return 0; done; return 1; }
ratio_cols=()
if has lodge; then for e in wasm3 native node; do has $e && ratio_cols+=("$e"); done; fi

echo
printf '%-10s' program
for e in "${active[@]}"; do printf ' %9s' "$e"; done
for e in "${ratio_cols[@]}"; do printf ' %10s' "lodge/$e"; done
echo
declare -A logsum count
for p in "${programs[@]}"; do
    printf '%-10s' "$p"
    for e in "${active[@]}"; do
        m=${med[$p,$e]}
        if [ "$m" = FAILED ]; then printf ' %9s' FAILED; else printf ' %9.3f' "$m"; fi
    done
    for e in "${ratio_cols[@]}"; do
        a=${med[$p,lodge]} b=${med[$p,$e]}
        if [ "$a" = FAILED ] || [ "$b" = FAILED ]; then printf ' %10s' -; continue; fi
        rt=$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.3f", a / b }')
        printf ' %10.2f' "$rt"
        logsum[$e]=$(awk -v s="${logsum[$e]:-0}" -v x="$rt" 'BEGIN { printf "%.9f", s + log(x) }')
        count[$e]=$(( ${count[$e]:-0} + 1 ))
    done
    echo
done
if [ ${#ratio_cols[@]} -gt 0 ]; then
    printf '%-10s' geomean
    for e in "${active[@]}"; do printf ' %9s' ""; done
    for e in "${ratio_cols[@]}"; do
        if [ "${count[$e]:-0}" -gt 0 ]; then
            printf ' %10.2f' "$(awk -v s="${logsum[$e]}" -v c="${count[$e]}" 'BEGIN { print exp(s / c) }')"
        else printf ' %10s' -; fi
    done
    echo
    echo "(median $METRIC seconds over $RUNS runs, whole process; a ratio below 1 means Lodge is faster)"
    for e in "${ratio_cols[@]}"; do
        [ "${count[$e]:-0}" -lt ${#programs[@]} ] &&
            echo "note: the lodge/$e geomean covers ${count[$e]:-0} of ${#programs[@]} programs (the others failed)"
    done
fi

# Noisy medians deserve a warning: a wide spread says the machine was busy.
noisy=""
for p in "${programs[@]}"; do
    for e in "${active[@]}"; do
        s=${spread[$p,$e]:-0}
        [ "$s" -gt 15 ] && noisy+=" $p/$e(${s}%)"
    done
done
[ -n "$noisy" ] && echo "note: runs spread more than 15% of the median:$noisy"

if [ -n "${RESULTS:-}" ]; then
    { printf 'program\tn'; printf '\t%s' "${active[@]}"; echo
      for p in "${programs[@]}"; do
          printf '%s\t%s' "$p" "$(bench_n "$p")"
          for e in "${active[@]}"; do printf '\t%s' "${med[$p,$e]}"; done
          echo
      done; } >"$RESULTS"
fi

if [ $failed -ne 0 ]; then
    echo "bench: FAILED: an engine failed or a checksum disagreed (see the !!! lines above)" >&2
    exit 1
fi
