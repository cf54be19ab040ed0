#!/usr/bin/env bash
# tests/embed: programs written against include/lodge.h only, as the hypervisor and other embedders use
# it: the WASI embedding API (t_wasi) and many guests in one process (t_signals: the fault handler's
# chaining, alternate stacks, fatal hooks, threads). Built by `make embed-tests` (mk/embed.mk) into
# $BUILD/tests/embed/. Each prints "ok - ..." or "not ok - ..." per check; a program that exits non-zero
# without a failing line (a crash, a sanitizer report, a timeout) is one failure more. Last, liblodge.a
# must hold no mutable global state beyond the list in tools/check-globals.sh.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
dir=$BUILD/tests/embed
pass=0; fail=0; skip=0
for src in tests/embed/t_*.c; do
    name=$(basename "$src" .c)
    bin=$dir/$name
    if [ ! -x "$bin" ]; then
        echo "FAIL $name: $bin not built (make embed-tests)"; fail=$((fail+1)); continue
    fi
    out=$(timeout 120 "$bin" "$dir" 2>&1); rc=$?
    p=$(grep -c '^ok - ' <<<"$out"); f=$(grep -c '^not ok' <<<"$out"); s=$(grep -c '^skip - ' <<<"$out")
    grep -E '^not ok|^skip - ' <<<"$out" | sed "s/^/  $name: /"
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        echo "FAIL $name: exit status $rc"; echo "$out" | tail -n 20 | sed "s/^/  | /"; f=1
    fi
    echo "$name: $p passed, $f failed, $s skipped"
    pass=$((pass+p)); fail=$((fail+f)); skip=$((skip+s))
done
if ! command -v objdump >/dev/null; then
    echo "SKIP mutable globals: objdump (binutils) is not installed"; skip=$((skip+1))
elif out=$(tools/check-globals.sh "$BUILD/liblodge.a"); then
    echo "PASS no mutable globals in liblodge.a beyond $(grep -c '^allowed' <<<"$out") justified ones"; pass=$((pass+1))
else
    echo "FAIL mutable globals in liblodge.a:"; grep '^MUTABLE' <<<"$out" | sed 's/^/  /'; fail=$((fail+1))
fi
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
