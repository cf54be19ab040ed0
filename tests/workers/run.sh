#!/usr/bin/env bash
# tests/workers/run.sh: the worker pool (src/mgr/workers.c, worker.c, wsched.c) with real `lodged worker`
# processes: thousands of clang-built WASI programs on 2 workers with hostile guests among them (infinite
# loops, a memory bomb, deep recursion, a trap storm), pause/resume/stop/kill, idle instances counted,
# a worker killed with SIGKILL, a daemon restart (the pool deleted and re-created). Bounded: the test
# program runs under a timeout. Needs make (lodged, pool-test, wasi-tests) and wat2wasm (wabt).
# WORKERS_N: how many WASI programs (default 2000). Ends with "N passed, N failed, N skipped".
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
case $BUILD in /*) B=$BUILD ;; *) B=$PWD/$BUILD ;; esac
N=${WORKERS_N:-2000}
T=$(mktemp -d "${TMPDIR:-/tmp}/lodge-workers.XXXXXX")
cleanup() {
    # Workers outlive pools by design: end every process started with a path of this test's directory.
    for d in /proc/[0-9]*; do
        if tr '\0' ' ' <"$d/cmdline" 2>/dev/null | grep -qF "$T/state/"; then kill -9 "${d#/proc/}" 2>/dev/null; fi
    done 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT

summary() { echo "$1 passed, $2 failed, $3 skipped"; }
for f in "$B/lodged" "$B/tests/workers/pool-test" "$B/tests/wasi/n_exit.wasm"; do
    if [ ! -e "$f" ]; then
        echo "FAIL build: $f is missing: run make all $B/tests/workers/pool-test wasi-tests BUILD=$BUILD"
        summary 0 1 0
        exit 1
    fi
done
if ! command -v wat2wasm >/dev/null; then
    echo "SKIP workers: wat2wasm (Debian package wabt) is not installed"
    summary 0 0 1
    exit 0
fi
mkdir -p "$T/wasm" "$T/state" "$T/out"
cp "$B/tests/wasi/n_exit.wasm" "$T/wasm/"
for w in tests/workers/*.wat; do
    wat2wasm "$w" -o "$T/wasm/$(basename "${w%.wat}").wasm" || { echo "FAIL wat2wasm $w"; summary 0 1 0; exit 1; }
done

# The worker's command line: bad flags get a message and exit status 2.
pass=0 fail=0
for args in "" "--socket" "--socket $T/x.sock --threads 0" "--socket $T/x.sock --threads 5x" \
            "--socket $T/x.sock --stack-kib 1" "--socket $T/x.sock --bogus"; do
    # shellcheck disable=SC2086
    out=$(timeout 10 "$B/lodged" worker $args 2>&1 >/dev/null)
    rc=$?
    if [ "$rc" -eq 2 ] && [ -n "$out" ]; then
        pass=$((pass + 1))
    else
        echo "FAIL lodged worker $args: exit $rc, '$(printf '%s' "$out" | head -n 1)'"
        fail=$((fail + 1))
    fi
done
echo "PASS lodged worker refuses $pass of 6 bad command lines with a message and status 2"

timeout -k 5 300 "$B/tests/workers/pool-test" "$B/lodged" "$T/state" "$T/wasm" "$T/out" "$N" >"$T/log"
rc=$?
head -n -1 "$T/log"
line=$(tail -n 1 "$T/log")
if ! [[ $line =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed,\ ([0-9]+)\ skipped$ ]]; then
    echo "FAIL pool-test ended without a summary (exit $rc; 124: timed out)"
    for l in "$T"/state/workers/*.log; do [ -e "$l" ] && { echo "--- $l"; tail -n 20 "$l"; }; done
    summary "$pass" $((fail + 1)) 0
    exit 1
fi
[ "$rc" -eq 0 ] || for l in "$T"/state/workers/*.log; do [ -e "$l" ] && { echo "--- $l"; tail -n 20 "$l"; }; done
P=$((BASH_REMATCH[1] + pass)) F=$((BASH_REMATCH[2] + fail)) S=${BASH_REMATCH[3]}
summary "$P" "$F" "$S"
[ "$F" -eq 0 ] && [ "$rc" -eq 0 ]
