#!/usr/bin/env bash
# run.sh: the WebAssembly spec conformance suite. Converts each in-scope .wast of the spec test folder with
# wast2json into $BUILD/spec/<name>/ (kept while newer than its source), runs $BUILD/spec-runner on it in a
# process of its own, prints one line per file and ends with the total `N passed, N failed, N skipped`.
# Env: BUILD (default build), LODGE_SPEC_TESTS (default ../shared/wasm-spec-tests from the repo root),
# CI=true makes a missing test folder a failure, SPEC_FILES="i32 br_table" runs only those files,
# SPEC_VERBOSE=1 passes -v to the runner, SPEC_BOUNDS_CHECKS=1 runs with explicit memory bounds checks
# instead of guard pages, SPEC_FUEL=N gives each store N units of fuel, SPEC_TIMEOUT (seconds per file,
# default 900).
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
SPEC_DIR=${LODGE_SPEC_TESTS:-../shared/wasm-spec-tests}
RUNNER=$BUILD/spec-runner
OUT=$BUILD/spec
SKIP_LIST=tests/spec/skip.txt
LODGE_W2J=$BUILD/lodge-wast2json
SUITE=wasm-2.0          # the in-scope suite
FALLBACK=wasm-2.0-draft1-2022  # older copy of it that Debian's wast2json 1.0.32 reads completely
TIMEOUT=${SPEC_TIMEOUT:-900}

passed=0; failed=0; skipped=0; mism_bin=0; mism_text=0; mism_trap=0
failing=()

finish() {
    echo "spec: message mismatches (informative, not failures): $mism_bin binary modules," \
         "$mism_text text modules, $mism_trap traps (SPEC_VERBOSE=1 lists them)"
    [ ${#failing[@]} -gt 0 ] && echo "spec: files with failures: ${failing[*]}"
    echo "$passed passed, $failed failed, $skipped skipped"
    [ "$failed" -eq 0 ]
    exit
}

if [ ! -d "$SPEC_DIR/$SUITE" ]; then
    echo "################################################################################"
    echo "spec: TEST DATA MISSING: $SPEC_DIR/$SUITE does not exist."
    echo "spec: set LODGE_SPEC_TESTS to the folder holding wasm-2.0/ (the WebAssembly testsuite .wast files)."
    echo "################################################################################"
    if [ "${CI:-}" = true ]; then failed=1; failing+=("(test data missing)"); else skipped=1; fi
    finish
fi
for tool in wast2json timeout; do
    if ! command -v $tool >/dev/null; then
        echo "spec: $tool not found (Debian packages wabt, coreutils; tools/install-deps.sh installs them)"
        failed=1; failing+=("(no $tool)"); finish
    fi
done
if [ ! -x "$RUNNER" ]; then
    echo "spec: $RUNNER is not built (make $RUNNER)"
    failed=1; failing+=("(no runner)"); finish
fi

# ---- Self-check: every assertion of selfcheck/must-fail.wast is wrong on purpose; the runner must report
# each as failed (and one as skipped when it is listed as an expected failure). Counts as 1 if broken.
selfcheck() {
    local src=tests/spec/selfcheck/must-fail.wast dir=$OUT/selfcheck json=$OUT/selfcheck/must-fail.json n got
    if [ ! -f "$json" ] || [ "$src" -nt "$json" ]; then
        local tmp
        mkdir -p "$OUT"; tmp=$(mktemp -d "$OUT/.convert.XXXXXX")
        wast2json "$src" -o "$tmp/must-fail.json" >"$tmp/.convert.log" 2>&1 ||
            { echo "cannot convert $src: $(head -n3 "$tmp/.convert.log")"; rm -rf "$tmp"; return 1; }
        rm -rf "$dir"; mv "$tmp" "$dir"
    fi
    n=$(grep -c '"type": "assert_' "$json")
    got=$("$RUNNER" "$json" 2>&1 | tail -n1)
    [[ $got == "must-fail.wast: 0 passed, $n failed, 0 skipped"* ]] || { echo "got '$got'"; return 1; }
    local first
    first=$(grep -o '"type": "assert_[a-z]*", "line": [0-9]*' "$json" | head -n1 | sed 's/.* //')
    got=$("$RUNNER" --xfail "$first" "$json" 2>&1 | tail -n1)
    [[ $got == "must-fail.wast: 0 passed, $((n - 1)) failed, 1 skipped"* ]] || { echo "with --xfail: got '$got'"; return 1; }
    echo "all $n wrong assertions caught"
}
if msg=$(selfcheck); then
    echo "spec: runner self-check: $msg"
else
    echo "spec: RUNNER SELF-CHECK FAILED: $msg"
    failed=$((failed + 1)); failing+=("(runner self-check)")
fi

# ---- The skip list: out-of-scope patterns and expected failures --------------------------------------
skip_pats=(); skip_why=(); xfails=()
while IFS= read -r line || [ -n "$line" ]; do
    line=${line%%#*}
    read -r pat why <<<"$line" || true
    [ -z "${pat:-}" ] && continue
    if [ "$pat" = xfail ]; then xfails+=("$why"); continue; fi
    skip_pats+=("$pat"); skip_why+=("$why")
done < "$SKIP_LIST"

# Top-level assertions of .wast files, counted by line (exact for the 2.0 files, close for the others).
count_assertions() { cat "$@" /dev/null | grep -a -c '^[[:space:]]*(assert_'; }

is_skipped() {  # $1: path relative to SPEC_DIR; prints the reason when a pattern matches
    local i
    for i in "${!skip_pats[@]}"; do
        case ${skip_pats[$i]} in
            */) [[ $1 == "${skip_pats[$i]}"* ]] && { echo "${skip_why[$i]}"; return 0; } ;;
            *) [[ $1 == ${skip_pats[$i]} ]] && { echo "${skip_why[$i]}"; return 0; } ;;
        esac
    done
    return 1
}

for i in "${!skip_pats[@]}"; do
    pat=${skip_pats[$i]}
    if [[ $pat == */ ]]; then
        mapfile -t files < <(find "$SPEC_DIR/$pat" -name '*.wast' 2>/dev/null | sort)
    else
        mapfile -t files < <(compgen -G "$SPEC_DIR/$pat" | sort)
    fi
    n=$(count_assertions "${files[@]}")
    echo "skip $pat: ${#files[@]} files, $n assertions: ${skip_why[$i]}"
    skipped=$((skipped + n))
done

# ---- Conversion ------------------------------------------------------------------------------------
# convert NAME: leaves $OUT/NAME/NAME.json and sets $origin to where it came from. Tries, in order,
# wast2json on the wasm-2.0 file, $BUILD/lodge-wast2json on it, wast2json on the draft1-2022 copy.
# $OUT/NAME/.origin records the choice, so a better converter appearing later redoes it.
convert() {
    local name=$1 dir=$OUT/$1 src=$SPEC_DIR/$SUITE/$1.wast json=$OUT/$1/$1.json
    local old=""
    [ -f "$dir/.origin" ] && old=$(cat "$dir/.origin")
    if [ -f "$json" ] && [ -n "$old" ]; then
        local conv=${old%% *} from=${old#* }
        if [ "$json" -nt "$SPEC_DIR/$from" ] && { [ "$conv" = wast2json ] || [ "$json" -nt "$conv" ]; } &&
           ! { [ "$from" != "$SUITE/$name.wast" ] && [ -x "$LODGE_W2J" ]; }; then
            origin=$old; return 0
        fi
    fi
    local try
    for try in "wast2json $SUITE/$name.wast" "$LODGE_W2J $SUITE/$name.wast" "wast2json $FALLBACK/$name.wast"; do
        local conv=${try%% *} from=${try#* }
        [ "$conv" = wast2json ] || [ -x "$conv" ] || continue
        [ -f "$SPEC_DIR/$from" ] || continue
        # Into a fresh folder moved into place at the end, so a run beside this one never reads half a
        # conversion; in a subshell, so a converter dying of a signal says so in the log, not on the terminal.
        local tmp
        mkdir -p "$OUT"; tmp=$(mktemp -d "$OUT/.convert.XXXXXX")
        if ( "$conv" "$SPEC_DIR/$from" -o "$tmp/$name.json"; exit $? ) >"$tmp/.convert.log" 2>&1 &&
           [ -f "$tmp/$name.json" ]; then
            echo "$try" >"$tmp/.origin"
            rm -rf "$dir"; mv "$tmp" "$dir"; origin=$try; return 0
        fi
        mkdir -p "$dir"; mv "$tmp/.convert.log" "$dir/.convert.log"; rm -rf "$tmp"
    done
    origin=""
    return 1
}

# ---- The in-scope files ------------------------------------------------------------------------------
if [ -n "${SPEC_FILES:-}" ]; then
    names=($SPEC_FILES)
else
    mapfile -t names < <(ls "$SPEC_DIR/$SUITE" | sed -n 's/\.wast$//p' | sort)
fi
for name in "${names[@]}"; do
    rel=$SUITE/$name.wast
    if [ ! -f "$SPEC_DIR/$rel" ]; then
        echo "$name.wast: no such file in $SPEC_DIR/$SUITE"; failed=$((failed + 1)); failing+=("$name"); continue
    fi
    is_skipped "$rel" >/dev/null && continue
    if ! convert "$name"; then
        n=$(count_assertions "$SPEC_DIR/$rel")
        echo "$name.wast: cannot be converted (see $OUT/$name/.convert.log): $n assertions failed"
        failed=$((failed + n)); failing+=("$name"); continue
    fi
    label=$name.wast
    case $origin in
        "wast2json $SUITE/"*) ;;
        "wast2json $FALLBACK/"*)
            echo "note: $name.wast runs from $FALLBACK/ (wast2json 1.0.32 cannot read the $SUITE/ version; no $LODGE_W2J)"
            label="$name.wast [$FALLBACK]" ;;
        *) echo "note: $name.wast converted with ${origin%% *}" ;;
    esac
    args=()
    for x in "${xfails[@]}"; do
        read -r loc _ <<<"$x"
        [[ ${loc%:*} == "$rel" ]] && args+=(--xfail "${loc##*:}")
    done
    [ "${SPEC_VERBOSE:-}" = 1 ] && args+=(-v)
    [ "${SPEC_BOUNDS_CHECKS:-}" = 1 ] && args+=(--bounds-checks)
    [ -n "${SPEC_FUEL:-}" ] && args+=(--fuel "$SPEC_FUEL")
    log=$(mktemp)
    timeout "$TIMEOUT" "$RUNNER" --name "$label" "${args[@]}" "$OUT/$name/$name.json" >"$log" 2>&1
    rc=$?
    cat "$log"
    line=$(grep -E '^.+: [0-9]+ passed, [0-9]+ failed, [0-9]+ skipped' "$log" | tail -n1)
    rm -f "$log"
    if [ -z "$line" ] || [ $rc -gt 1 ]; then
        n=$(grep -c '"type": "assert_' "$OUT/$name/$name.json")
        why="exit status $rc"
        [ $rc -eq 124 ] && why="timed out after ${TIMEOUT}s"
        [ $rc -gt 128 ] && [ $rc -ne 124 ] && why="killed by signal $((rc - 128))"
        echo "$label: CRASHED ($why): its $n assertions count as failed"
        failed=$((failed + n)); failing+=("$name"); continue
    fi
    p=$(sed -E 's/.*: ([0-9]+) passed.*/\1/' <<<"$line")
    f=$(sed -E 's/.* ([0-9]+) failed.*/\1/' <<<"$line")
    s=$(sed -E 's/.* ([0-9]+) skipped.*/\1/' <<<"$line")
    passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
    [ "$f" -ne 0 ] && failing+=("$name")
    if [[ $line =~ mismatches:\ ([0-9]+)\ binary,\ ([0-9]+)\ text,\ ([0-9]+)\ trap ]]; then
        mism_bin=$((mism_bin + BASH_REMATCH[1])); mism_text=$((mism_text + BASH_REMATCH[2]))
        mism_trap=$((mism_trap + BASH_REMATCH[3]))
    fi
done
finish
