#!/usr/bin/env bash
# tests/oom/run.sh: every allocation of a whole WASI run (decode and validate a clang-built program,
# instantiate it, run it to the end) fails in turn; each run must end in a clean out-of-memory error or
# trap (tests/oom/sweep.c). Run it in build-san to have the sanitizers find leaks and bad accesses.
# Needs `make oom-tests` (make check builds it). Ends with "N passed, N failed, N skipped".
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
S=$BUILD/tests/oom/sweep
E=$BUILD/examples
pass=0 fail=0 skip=0
if [ ! -x "$S" ]; then
    echo "FAIL sweep program: $S is missing: run make oom-tests BUILD=$BUILD"
    echo "0 passed, 1 failed, 0 skipped"
    exit 1
fi
# name, budget in seconds, program and its arguments
sweep() {
    local name=$1 budget=$2
    shift 2
    local prog a
    for a in "$@"; do
        case $a in -*) ;; *) prog=$a; break ;; esac
    done
    if [ ! -f "$prog" ]; then
        echo "FAIL $name: $prog is missing: run make oom-tests BUILD=$BUILD"
        fail=$((fail + 1))
        return
    fi
    local out
    out=$(timeout 300 "$S" -t "$budget" "$@" 2>&1)
    local rc=$?
    printf '%s\n' "$out" | sed 's/^/    /'
    local line
    line=$(printf '%s\n' "$out" | tail -n 1)
    if [ $rc -eq 0 ] && [[ $line =~ ^([0-9]+)\ passed,\ 0\ failed$ ]]; then
        echo "PASS $name"
        pass=$((pass + 1))
    else
        echo "FAIL $name (exit $rc)"
        fail=$((fail + 1))
    fi
}
sweep "hello: every allocation fails in turn" 20 "$E/hello.wasm" a b
sweep "life: every allocation fails in turn" 20 "$E/life.wasm" 2
sweep "life, bounds-check mode: every allocation fails in turn" 20 -b "$E/life.wasm" 2
sweep "hello, one engine for all runs (pooled memories and stacks)" 20 -p "$E/hello.wasm" a b
sweep "life, bounds-check mode, one engine for all runs" 20 -b -p "$E/life.wasm" 2
echo "$pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ]
