#!/usr/bin/env bash
# run.sh: the fuzz suite. Builds every libFuzzer target tests/fuzz/<name>_fuzz.c (make fuzz: clang with
# -fsanitize=fuzzer,address,undefined, into build-fuzz/) and runs each for a bounded time (FUZZ_SECONDS for
# the wasm target, half of it for the others; default 60 in build/, 20 in other builds, whose fuzz binaries
# are the same ones), then the deterministic
# mutation test build-fuzz/wasm-mutate (thousands of truncated, bit-flipped, spliced and hostile modules,
# fixed seed). Seeds for the wasm target come from the spec suite's modules ($BUILD/spec/*/*.wasm, written by
# the spec run) or, when those are missing, from converting the spec .wast files with wast2json; nothing
# binary is committed. Prints one line per step and ends with `N passed, N failed` (mutation inputs count one each).
# Env: BUILD, FUZZ_SECONDS, FUZZ_SCALE (mutation inputs, default 1), FUZZ_SEED (mutation seed, default 1),
# LODGE_SPEC_TESTS (the spec test folder, default ../shared/wasm-spec-tests).
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
FZ=build-fuzz
OUT=$FZ/run-$(basename "$BUILD")   # one per build: the build/ and build-san/ runs may overlap
if [ "$BUILD" = build ]; then SECONDS_DEFAULT=60; else SECONDS_DEFAULT=20; fi
FUZZ_SECONDS=${FUZZ_SECONDS:-$SECONDS_DEFAULT}
SPEC_DIR=$(realpath -m "${LODGE_SPEC_TESTS:-../shared/wasm-spec-tests}")
passed=0; failed=0; skipped=0

ok()   { echo "ok   $*"; passed=$((passed + 1)); }
bad()  { echo "FAIL $*"; failed=$((failed + 1)); }
skip() { echo "skip $*"; skipped=$((skipped + 1)); }
finish() {
    if [ "$skipped" -gt 0 ]; then echo "$passed passed, $failed failed, $skipped skipped"
    else echo "$passed passed, $failed failed"; fi
    [ "$failed" -eq 0 ]
    exit
}

if ! command -v clang >/dev/null; then
    skip "fuzz: clang is not installed (Debian clang; tools/install-deps.sh installs it)"
    finish
fi
mkdir -p "$OUT"
if ! make -s fuzz >"$OUT/build.log" 2>&1; then
    if grep -q 'libclang_rt.fuzzer\|fsanitize=fuzzer' "$OUT/build.log"; then
        bad "fuzz build: no libFuzzer runtime? (Debian libclang-rt-14-dev): $(grep -m1 -i error "$OUT/build.log")"
    else
        bad "fuzz build: $(grep -m3 -i error "$OUT/build.log" | tr '\n' ' ')"
    fi
    finish
fi

# ---- Seeds for the wasm target: the spec suite's modules, made at run time ----
SEEDS=$OUT/seeds
rm -rf "$SEEDS"; mkdir -p "$SEEDS"
if compgen -G "$BUILD/spec/*/*.wasm" >/dev/null; then
    find "$BUILD/spec" -name '*.wasm' -exec cp -t "$SEEDS" {} +  # names are <wast>.<n>.wasm, unique
    seed_from="$BUILD/spec"
elif command -v wast2json >/dev/null && [ -d "$SPEC_DIR/wasm-2.0" ]; then
    for w in "$SPEC_DIR"/wasm-2.0/*.wast; do
        n=$(basename "$w" .wast)
        case $n in simd_*) continue ;; esac
        (cd "$SEEDS" && timeout 60 wast2json --enable-all "$w" -o "$n.json") >/dev/null 2>&1  # newer syntax: skipped
    done
    rm -f "$SEEDS"/*.json "$SEEDS"/*.wat
    seed_from="wast2json of $SPEC_DIR/wasm-2.0"
else
    seed_from="none (no $BUILD/spec modules, no wast2json or spec tests): built-in seeds only"
fi
nseeds=$(find "$SEEDS" -name '*.wasm' | wc -l)
echo "fuzz: $nseeds seed modules from $seed_from"

# ---- libFuzzer: every target, bounded in time ----
for src in tests/fuzz/*_fuzz.c; do
    [ -e "$src" ] || continue
    name=$(basename "$src" _fuzz.c)
    bin=$FZ/$name-fuzz
    corpus=$OUT/corpus-$name
    rm -rf "$corpus"; mkdir -p "$corpus"
    case $name in wasm) [ "$nseeds" -gt 0 ] && cp "$SEEDS"/*.wasm "$corpus"/ ;; esac
    secs=$FUZZ_SECONDS
    [ "$name" = wasm ] || secs=$(( (FUZZ_SECONDS + 1) / 2 ))  # the wasm target gets the full time, others half
    log=$OUT/$name-fuzz.log
    rm -f "$OUT"/crash-"$name"-* "$OUT"/timeout-"$name"-* "$OUT"/oom-"$name"-*
    if "$bin" -max_total_time="$secs" -timeout=5 -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
            -artifact_prefix="$OUT/" "$corpus" >"$log" 2>&1; then
        runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$')
        ok "libFuzzer $name: ${runs:-?} executions in ${secs}s, no crash, hang, leak or oracle failure (corpus $(ls "$corpus" | wc -l) inputs)"
    else
        bad "libFuzzer $name: $(grep -m1 -E 'ERROR|oracle failed|deadly signal|timeout' "$log"); input: $(grep -o "$OUT/[a-z-]*-[0-9a-f]*" "$log" | tail -1); log: $log"
    fi
done

# ---- The deterministic mutation test ----
mlog=$OUT/wasm-mutate.log
"$FZ/wasm-mutate" -seed "${FUZZ_SEED:-1}" -scale "${FUZZ_SCALE:-1}" -out "$OUT" "$SEEDS" 2>&1 | tee "$mlog" | grep -v '^ok\|passed, ' 
mline=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$mlog" | tail -1)
if [ -z "$mline" ]; then
    bad "wasm-mutate ended without its summary (see $mlog)"
else
    grep '^ok' "$mlog"
    passed=$((passed + $(sed -E 's/^([0-9]+) passed.*/\1/' <<<"$mline")))
    failed=$((failed + $(sed -E 's/.* ([0-9]+) failed.*/\1/' <<<"$mline")))
fi
finish
