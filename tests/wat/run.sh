#!/usr/bin/env bash
# tests/wat/run.sh: the text-format suite.
#  1. unit cases (build/wat-unit-tests): numeric literals, lexer edge cases, located errors, encodings;
#  2. a differential test against wabt's wast2json on every non-SIMD file of wasm-2.0/: the JSON must be
#     identical and every module file byte-identical (differences allowed only as listed, with the reason,
#     in tests/wat/known-diffs.txt); every `module quote` meant to be malformed must be rejected by our
#     parser with a message containing the assertion's text; the files wast2json cannot read are run
#     through wabt's spectest-interp instead;
#  3. a name-section check;
#  4. a short libFuzzer run of tests/wat/wat_fuzz.c (WAT_FUZZ_SECONDS, default 15) seeded with the spec
#     scripts, when clang and its libFuzzer runtime are installed.
# Spec files: $LODGE_SPEC_TESTS, default ../shared/wasm-spec-tests relative to the repository root.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
SPEC=${LODGE_SPEC_TESTS:-../shared/wasm-spec-tests}
case $BUILD in /*) TOOL=$BUILD/lodge-wast2json ;; *) TOOL=$PWD/$BUILD/lodge-wast2json ;; esac
pass=0 fail=0 skip=0

ok()   { pass=$((pass + 1)); }
bad()  { fail=$((fail + 1)); echo "FAIL $*"; }

# ---- 1. unit cases
if [ -x "$BUILD/wat-unit-tests" ]; then
    out=$("$BUILD/wat-unit-tests" 2>&1)
    grep -v '^ok' <<<"$out" | grep -v 'passed, ' || true
    line=$(tail -n1 <<<"$out")
    if [[ $line =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
        echo "unit: $line"
        pass=$((pass + BASH_REMATCH[1])); fail=$((fail + BASH_REMATCH[2]))
    else
        bad "unit: $BUILD/wat-unit-tests ended without its summary line (crashed?)"
    fi
else
    bad "unit: $BUILD/wat-unit-tests not built (make $BUILD/wat-unit-tests)"
fi

if [ ! -x "$TOOL" ]; then
    bad "$TOOL not built (make $TOOL)"
    echo "$pass passed, $fail failed"
    exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# ---- 3. name section: names from $ids survive a round trip through wabt's disassembler
if command -v wasm2wat >/dev/null; then
    cat >"$tmp/names.wat" <<'WAT'
(module $m
  (func $fac (export "fac") (param $n i64) (result i64) (local $acc i64)
    (if (result i64) (i64.eqz (local.get $n)) (then (i64.const 1))
      (else (i64.mul (local.get $n) (call $fac (i64.sub (local.get $n) (i64.const 1))))))))
WAT
    if "$TOOL" --wat "$tmp/names.wat" -o "$tmp/names.wasm" && wasm2wat "$tmp/names.wasm" -o "$tmp/names.out" &&
        grep -q 'func \$fac' "$tmp/names.out" && grep -q 'param \$n i64' "$tmp/names.out" &&
        grep -q 'local \$acc i64' "$tmp/names.out"; then
        ok; echo "ok   name section (function and local names)"
    else
        bad "name section: function or local names missing"
    fi
else
    skip=$((skip + 1)); echo "skip name section: wasm2wat (Debian package wabt) is not installed"
fi

# ---- 4. fuzzing (before the differential test, which may stop early when the spec files are missing)
if ! command -v clang >/dev/null; then
    skip=$((skip + 1)); echo "skip fuzz: clang is not installed (Debian clang)"
elif ! make -s build-fuzz/wat-fuzz >"$tmp/fuzzbuild.log" 2>&1; then
    if grep -q 'fuzzer' "$tmp/fuzzbuild.log"; then
        skip=$((skip + 1)); echo "skip fuzz: no libFuzzer runtime (Debian libclang-rt-14-dev)"
    else
        bad "fuzz build: $(grep -m3 -i error "$tmp/fuzzbuild.log" | tr '\n' ' ')"
    fi
else
    mkdir -p "$tmp/corpus"
    if [ -d "$SPEC/wasm-2.0" ]; then
        for f in "$SPEC"/wasm-2.0/*.wast; do case $f in */simd_*) ;; *) cp "$f" "$tmp/corpus/" ;; esac; done
    fi
    printf '(module (func (export "f") (param $x i32) (result i32) (i32.add (local.get $x) (i32.const 1))))' \
        >"$tmp/corpus/seed.wat"
    if (cd "$tmp" && "$OLDPWD/build-fuzz/wat-fuzz" -max_total_time="${WAT_FUZZ_SECONDS:-15}" -max_len=8192 \
            -timeout=10 -rss_limit_mb=2048 -seed=1 "$tmp/corpus" >"$tmp/fuzz.log" 2>&1); then
        ok; echo "ok   fuzz: $(grep -o '#[0-9]*.*DONE.*' "$tmp/fuzz.log" | head -c 100 || true)"
    else
        bad "fuzz: $(grep -m2 -E 'ERROR|SUMMARY' "$tmp/fuzz.log" | tr '\n' ' ') (reproducer copied to build-fuzz/)"
        mkdir -p build-fuzz && cp "$tmp"/crash-* "$tmp"/leak-* "$tmp"/timeout-* build-fuzz/ 2>/dev/null
    fi
fi

# ---- 2. differential test
if [ ! -d "$SPEC/wasm-2.0" ]; then
    echo "!!! SPEC TESTS NOT FOUND at '$SPEC' (set LODGE_SPEC_TESTS): the differential test did NOT run !!!"
    skip=$((skip + 1))
    echo "$pass passed, $fail failed, $skip skipped"
    [ "$fail" -eq 0 ]
    exit
fi
if ! command -v wast2json >/dev/null; then
    echo "!!! wast2json (Debian package wabt) is not installed: the differential test did NOT run !!!"
    skip=$((skip + 1))
    echo "$pass passed, $fail failed, $skip skipped"
    [ "$fail" -eq 0 ]
    exit
fi

SPEC=$(cd "$SPEC" && pwd)
known() { grep -q "^$1	" tests/wat/known-diffs.txt; }

for f in "$SPEC"/wasm-2.0/*.wast; do
    b=$(basename "$f" .wast)
    case $b in simd_*) continue ;; esac
    mkdir -p "$tmp/$b/ours" "$tmp/$b/wabt"
    if ! (cd "$tmp/$b/ours" && "$TOOL" "$f" -o "$b.json") 2>"$tmp/$b/err"; then
        bad "$b: lodge-wast2json: $(head -c 300 "$tmp/$b/err")"
        continue
    fi
    nfiles=0 ndiff=0 nknown=0 nmal=0 msg=""
    # Quoted modules meant to be malformed must not parse, and our message must contain the spec's words.
    while IFS=$'\t' read -r wat want; do
        w="$tmp/$b/ours/$wat"
        if "$TOOL" --wat "$w" 2>"$tmp/msg"; then
            bad "$b: $wat (assert_malformed \"$want\") was accepted: $(head -c 200 "$w")"
        elif ! grep -qF -- "$want" "$tmp/msg"; then
            bad "$b: $wat: expected a message with \"$want\", got: $(head -c 200 "$tmp/msg")"
        else
            ok; nmal=$((nmal + 1))
        fi
    done < <(grep -o '"filename": "[^"]*\.wat", "text": "[^"]*"' "$tmp/$b/ours/$b.json" |
             sed -E 's/"filename": "([^"]*)", "text": "([^"]*)"/\1\t\2/')
    # (wast2json 1.0.32 aborts on comments.wast; keep the shell's "Aborted" notice out of the log)
    if { (cd "$tmp/$b/wabt" && exec wast2json "$f" -o "$b.json") >/dev/null 2>&1; } 2>/dev/null; then
        if cmp -s "$tmp/$b/ours/$b.json" "$tmp/$b/wabt/$b.json"; then
            ok
        else
            bad "$b: JSON differs: $(diff "$tmp/$b/wabt/$b.json" "$tmp/$b/ours/$b.json" | head -n 4 | tr '\n' ' ')"
        fi
        for w in "$tmp/$b/wabt"/*.wasm "$tmp/$b/wabt"/*.wat; do
            [ -e "$w" ] || continue
            n=$(basename "$w"); nfiles=$((nfiles + 1))
            if cmp -s "$w" "$tmp/$b/ours/$n"; then
                if known "$n"; then bad "$b: $n is listed in known-diffs.txt but no longer differs"; else ok; fi
            elif known "$n"; then
                ok; nknown=$((nknown + 1))
            else
                ndiff=$((ndiff + 1))
                bad "$b: $n differs from wast2json's"
            fi
        done
        [ "$(ls "$tmp/$b/ours" | wc -l)" -eq "$(ls "$tmp/$b/wabt" | wc -l)" ] || bad "$b: different number of files"
        msg="JSON and $nfiles module files compared with wast2json ($ndiff differ, $nknown known differences)"
    elif command -v spectest-interp >/dev/null; then
        # wast2json 1.0.32 cannot read this file: let wabt's interpreter run our conversion instead.
        res=$(cd "$tmp/$b/ours" && spectest-interp "$b.json" 2>&1 | tail -n1)
        if [[ $res =~ ^([0-9]+)/([0-9]+)\ tests\ passed ]] && [ "${BASH_REMATCH[1]}" = "${BASH_REMATCH[2]}" ]; then
            ok; msg="wast2json cannot read it; spectest-interp on our conversion: $res"
        else
            bad "$b: spectest-interp on our conversion: $res"
        fi
    else
        skip=$((skip + 1)); msg="skipped: wast2json cannot read it and spectest-interp is missing"
    fi
    echo "file $b: $msg; $nmal malformed text modules rejected with the expected message"
done

echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
