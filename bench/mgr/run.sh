#!/usr/bin/env bash
# bench/mgr/run.sh: instantiation speed and idle density through lodge.h (bench/mgr/instbench.c), for a
# tiny module and for clang-built WASI programs: examples/life.c (a few KiB of data) and bench/mgr/bigdata.c
# (256 KiB of data), and examples/hello.c. Each WASI program is timed in the same run copying its data
# segments (the baseline) and from the module's copy-on-write image, with the ratio of the medians, and as
# whole fresh-guest requests (create, run _start, delete).
# Settings (environment): ITER (timed creations per case, default 20000), DENSITY (idle instances kept at
# once, default 10000; the memory-less tiny module gets ten times as many).
# Needs `make bench-mgr` (which runs it).
set -eu
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
B=$BUILD/bench/mgr/instbench
ITER=${ITER:-20000}
DENSITY=${DENSITY:-10000}
for f in "$B" "$BUILD/examples/hello.wasm" "$BUILD/examples/life.wasm" "$BUILD/bench/mgr/bigdata.wasm"; do
    [ -e "$f" ] || { echo "bench/mgr: $f is missing: run make bench-mgr BUILD=$BUILD" >&2; exit 1; }
done
echo "== $(nproc) cores; $(uname -r); each line: p50/p99 of lodge_store_new + instantiation"
echo "== life.wasm (examples/life.c)"
"$B" -n "$ITER" -d "$DENSITY" "$BUILD/examples/life.wasm"
echo "== hello.wasm (examples/hello.c), no density pass"
"$B" -n "$ITER" -d 0 "$BUILD/examples/hello.wasm"
echo "== bigdata.wasm (bench/mgr/bigdata.c: 256 KiB of data), no density pass"
"$B" -n "$ITER" -d 0 "$BUILD/bench/mgr/bigdata.wasm"
