#!/usr/bin/env bash
# tests/capi: C programs written against include/wasm.h (the standard C API), built by `make` into
# $BUILD/tests/capi/ (mk/capi.mk) with their modules. Each prints "ok - ..." or "not ok - ..." per
# check; a program that exits non-zero without a failing line (a crash, a sanitizer report) is one
# failure more.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
dir=$BUILD/tests/capi
pass=0; fail=0
for src in tests/capi/*.c; do
    name=$(basename "$src" .c)
    bin=$dir/$name
    if [ ! -x "$bin" ]; then
        echo "FAIL $name: $bin not built (make capi-tests)"; fail=$((fail+1)); continue
    fi
    out=$("$bin" "$dir" 2>&1); rc=$?
    p=$(grep -c '^ok - ' <<<"$out"); f=$(grep -c '^not ok - ' <<<"$out")
    grep -E '^not ok - |^#' <<<"$out" | sed "s/^/  $name: /"
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        echo "FAIL $name: exit status $rc"; echo "$out" | tail -n 20 | sed "s/^/  | /"; f=1
    fi
    echo "$name: $p passed, $f failed"
    pass=$((pass+p)); fail=$((fail+f))
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
