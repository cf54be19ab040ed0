#!/usr/bin/env bash
# tests/wasi/run.sh: WASI preview1 and `lodge run`.
#  1. The w_* C test programs (compiled to WASI bytecode) exercise every WASI function and its error
#     paths, the sandbox (escape attempts, a rename race, read-only preopens) under both path
#     resolvers (openat2 and the portable walk); each prints one line per check.
#  2. `lodge run` as a program: exit codes, stdin, traps, limits, --invoke, bad command lines; the n_*
#     programs and the examples are also built natively and must print the same and exit the same.
#  3. A differential run against node's WASI, where node is installed: every check's result and the
#     exit code are compared; node's known deviations are listed in node-deviations.txt.
# Needs `make wasi-tests` (make check builds it). Ends with "N passed, N failed, N skipped".
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
case $BUILD in /*) B=$BUILD ;; *) B=$PWD/$BUILD ;; esac
L=$B/lodge
W=$B/tests/wasi
E=$B/examples
HERE=tests/wasi
T=$(mktemp -d "${TMPDIR:-/tmp}/lodge-wasi.XXXXXX")
BGPIDS=()
cleanup() {
    for p in "${BGPIDS[@]}"; do kill "$p" 2>/dev/null; done
    rm -rf "$T"
}
trap cleanup EXIT

exec </dev/null # CI may run us without standard input; tests that want one redirect it
pass=0 fail=0 skip=0
ok() { echo "PASS $1"; pass=$((pass + 1)); }
bad() {
    echo "FAIL $1"
    [ $# -gt 1 ] && [ -n "$2" ] && printf '%s\n' "$2" | head -n 25 | sed 's/^/    /'
    fail=$((fail + 1))
}
skipped() { echo "SKIP $1: $2"; skip=$((skip + 1)); }

if [ ! -x "$L" ]; then
    bad "lodge binary" "$L is missing: run make"
    echo "$pass passed, $fail failed, $skip skipped"
    exit 1
fi
for f in w_fd w_path w_sandbox w_race w_rights w_proc w_sock w_fuzz n_stdin n_exit n_files n_compute n_args; do
    if [ ! -f "$W/$f.wasm" ]; then
        bad "build $f" "$W/$f.wasm is missing: run make wasi-tests BUILD=$BUILD"
        echo "$pass passed, $fail failed, $skip skipped"
        exit 1
    fi
done

# A fresh directory under $T.
fresh() { rm -rf "$T/$1"; mkdir -p "$T/$1"; echo "$T/$1"; }

# run_checks NAME OUTFILE RC: a check program passed when it exited 0 and reported no failed check.
run_checks() {
    local name=$1 out=$2 rc=$3
    if [ "$rc" -eq 0 ] && grep -qE '^[0-9]+ checks, 0 failed$' "$out"; then
        ok "$name ($(grep -oE '^[0-9]+ checks' "$out"))"
    else
        bad "$name (exit $rc)" "$(grep -vE '^ok ' "$out")"
    fi
}

# Fingerprint of a host tree: names, types, sizes, link targets, contents.
fingerprint() {
    (cd "$1" && find . -printf '%p %y %s %l\n' | sort && find . -type f -exec cat {} + 2>/dev/null) | md5sum
}

# ---- 1. WASI functions and the sandbox -----------------------------------------------------------

# Every function of the table is called by name in some test program (proc_exit through exit()).
missing=()
for fn in $(sed -nE 's/^WASI_FN\(([a-z_]+),.*/\1/p' src/wasi/funcs.def); do
    if ! grep -qE "(__wasi_|raw_|IMPORT\()$fn\b" "$HERE"/w_*.c && ! grep -qa "$fn" "$W/n_exit.wasm"; then
        missing+=("$fn")
    fi
done
nfn=$(grep -c '^WASI_FN(' src/wasi/funcs.def)
if [ ${#missing[@]} -eq 0 ] && [ "$nfn" -eq 46 ]; then
    ok "all $nfn preview1 functions in src/wasi/funcs.def are called by a test program"
else
    bad "every WASI function is tested ($nfn in the table)" "not called by any test: ${missing[*]}"
fi

for resolver in openat2 walk; do
    envr=()
    [ "$resolver" = walk ] && envr=(env LODGE_WASI_RESOLVER=walk)

    d=$(fresh sb)
    "${envr[@]}" "$L" run --dir "$d::sandbox" "$W/w_fd.wasm" >"$T/out" 2>&1
    run_checks "fd_* functions [$resolver]" "$T/out" $?

    d=$(fresh sb)
    "${envr[@]}" "$L" run --dir "$d::sandbox" "$W/w_path.wasm" >"$T/out" 2>&1
    run_checks "path_* functions [$resolver]" "$T/out" $?

    box=$(fresh box)
    out=$(fresh outside)
    mkdir -p "$out/a/b"
    echo SECRET >"$out/secret.txt"
    before=$(fingerprint "$out")
    "${envr[@]}" "$L" run --dir "$box::sandbox" "$W/w_sandbox.wasm" "$out/secret.txt" >"$T/out" 2>&1
    run_checks "sandbox escapes refused [$resolver]" "$T/out" $?
    if [ "$before" = "$(fingerprint "$out")" ]; then
        ok "nothing outside the sandbox changed [$resolver]"
    else
        bad "nothing outside the sandbox changed [$resolver]" "$(cd "$out" && find . -printf '%p %y %s\n')"
    fi

    # The rename race: d2 moves out of the sandbox and back while the guest resolves d1/d2/../../f.txt.
    rb=$(fresh race)
    mkdir -p "$rb/box/d1/d2" "$rb/outside/a/b"
    echo inside >"$rb/box/f.txt"
    echo SECRET >"$rb/outside/a/f.txt"
    touch "$rb/go"
    (while [ -e "$rb/go" ]; do
        mv "$rb/box/d1/d2" "$rb/outside/a/b/d2" 2>/dev/null
        mv "$rb/outside/a/b/d2" "$rb/box/d1/d2" 2>/dev/null
    done) &
    mover=$!
    BGPIDS+=("$mover")
    "${envr[@]}" "$L" run --dir "$rb/box::sandbox" "$W/w_race.wasm" 20000 >"$T/out" 2>"$T/err"
    rc=$?
    rm -f "$rb/go"
    wait "$mover" 2>/dev/null
    run_checks "rename during resolution never escapes [$resolver] ($(cat "$T/err"))" "$T/out" $rc

    ro=$(fresh ro)
    mkdir -p "$ro/subdir"
    echo "read-only data" >"$ro/data.txt"
    before=$(fingerprint "$ro")
    "${envr[@]}" "$L" run --dir-ro "$ro::ro" "$W/w_rights.wasm" >"$T/out" 2>&1
    run_checks "read-only preopen and rights [$resolver]" "$T/out" $?
    if [ "$before" = "$(fingerprint "$ro")" ]; then
        ok "read-only preopen unchanged [$resolver]"
    else
        bad "read-only preopen unchanged [$resolver]" "$(cd "$ro" && find . -printf '%p %y %s\n')"
    fi
done

# Hostile arguments to every function (w_fuzz.c): errnos only, no trap, no crash, nothing outside touched.
seed=$(( (RANDOM << 15) | RANDOM ))
for resolver in openat2 walk; do
    envr=()
    [ "$resolver" = walk ] && envr=(env LODGE_WASI_RESOLVER=walk)
    for s in 1 "$seed"; do
        fz=$(fresh fuzz)
        mkdir -p "$fz/box" "$fz/outside"
        echo SECRET >"$fz/outside/secret.txt"
        before=$(fingerprint "$fz/outside")
        "${envr[@]}" "$L" run --dir "$fz/box::sandbox" "$W/w_fuzz.wasm" "$s" 20000 </dev/null >"$T/out" 2>&1
        rc=$?
        if [ "$before" != "$(fingerprint "$fz/outside")" ]; then
            bad "hostile arguments, seed $s [$resolver]: something outside changed"
        else
            run_checks "hostile arguments to every function, seed $s [$resolver]" "$T/out" $rc
        fi
    done
done

printf 'hello\nmore\n' >"$T/stdin.txt"
"$L" run --env FOO=bar --env EMPTY= "$W/w_proc.wasm" one "two words" "" <"$T/stdin.txt" >"$T/out" 2>&1
run_checks "args, environ, clocks, random, poll_oneoff (stdin a file)" "$T/out" $?
printf 'hello\nmore\n' | "$L" run --env FOO=bar --env EMPTY= "$W/w_proc.wasm" one "two words" "" >"$T/out" 2>&1
run_checks "args, environ, clocks, random, poll_oneoff (stdin a pipe)" "$T/out" $?

"$L" run "$W/w_sock.wasm" >"$T/out" 2>&1
run_checks "sock_* on non-sockets" "$T/out" $?
port=$((20000 + RANDOM % 30000))
"$L" run --tcplisten "127.0.0.1:$port" "$W/w_sock.wasm" serve >"$T/sock.out" 2>&1 &
server=$!
BGPIDS+=("$server")
reply=""
for _ in $(seq 1 50); do
    if { exec 5<>"/dev/tcp/127.0.0.1/$port"; } 2>/dev/null; then
        echo "ping pong" >&5
        read -r -t 10 reply <&5
        exec 5>&-
        break
    fi
    sleep 0.1
done
wait "$server"
rc=$?
if [ "$reply" = "PING PONG" ]; then
    run_checks "sock_accept/recv/send/shutdown over --tcplisten" "$T/sock.out" $rc
else
    bad "sock_accept/recv/send/shutdown over --tcplisten" "reply '$reply'; $(cat "$T/sock.out")"
fi

# ---- 2. lodge run as a program, against the same C built natively --------------------------------

# same NAME NATIVE-CMD -- LODGE-CMD: stdout and exit status must be equal. Both read $STDIN.
STDIN=/dev/null
same() {
    local name=$1
    shift
    local nat=() lod=()
    while [ "$1" != "--" ]; do nat+=("$1"); shift; done
    shift
    lod=("$@")
    "${nat[@]}" <"$STDIN" >"$T/nat.out" 2>/dev/null
    local nrc=$?
    "${lod[@]}" <"$STDIN" >"$T/lod.out" 2>"$T/lod.err"
    local lrc=$?
    if [ "$nrc" -eq "$lrc" ] && cmp -s "$T/nat.out" "$T/lod.out"; then
        ok "$name (exit $lrc, same output as native)"
    else
        bad "$name" "native exit $nrc, lodge exit $lrc
$(diff "$T/nat.out" "$T/lod.out" | head -n 10)
$(head -n 8 "$T/lod.err")"
    fi
}

for args in "return 0" "return 7" "exit 42" "deep 9" "atexit 3" "exit 300" "abort"; do
    # shellcheck disable=SC2086
    same "exit status: n_exit $args" "$W/n_exit.native" $args -- "$L" run "$W/n_exit.wasm" $args
done
if grep -q "trap" "$T/lod.err"; then ok "abort() reports a trap on stderr"; else bad "abort() reports a trap on stderr" "$(cat "$T/lod.err")"; fi

head -c 200000 /dev/urandom | base64 >"$T/big.txt"
printf 'tab\there\n\nlast line without newline' >>"$T/big.txt"
STDIN=$T/big.txt
same "stdin from a file" "$W/n_stdin.native" -- "$L" run "$W/n_stdin.wasm"
same "example wc" "$E/wc.native" -- "$L" run "$E/wc.wasm"
STDIN=/dev/null
same "stdin from a pipe" sh -c "cat '$T/big.txt' | '$W/n_stdin.native'" -- sh -c "cat '$T/big.txt' | '$L' run '$W/n_stdin.wasm'"
same "stdin empty" "$W/n_stdin.native" -- "$L" run "$W/n_stdin.wasm"
same "libc and arithmetic (n_compute)" "$W/n_compute.native" -- "$L" run "$W/n_compute.wasm"
same "arguments and environment" env -i GREETING=hi EMPTY= "$W/n_args.native" a "b c" "" -- \
    "$L" run --env GREETING=hi --env EMPTY= "$W/n_args.wasm" a "b c" ""
nd=$(fresh nfn)
wd=$(fresh nfw)
same "POSIX file handling (n_files)" sh -c "cd '$nd' && '$W/n_files.native'" -- "$L" run --dir "$wd::." "$W/n_files.wasm"

# The examples.
same "example hello" "$E/hello.native" one "two three" -- "$L" run "$E/hello.wasm" one "two three"
same "example life" "$E/life.native" 12 -- "$L" run "$E/life.wasm" 12
cn=$(fresh copyn)
cw=$(fresh copyw)
cp "$T/big.txt" "$cn/src.txt"
cp "$T/big.txt" "$cw/src.txt"
same "example copy" sh -c "cd '$cn' && '$E/copy.native' src.txt dst.txt" -- "$L" run --dir "$cw::." "$E/copy.wasm" src.txt dst.txt
if cmp -s "$cw/dst.txt" "$T/big.txt"; then ok "example copy: the copy is identical"; else bad "example copy: the copy is identical"; fi
same "example ls" sh -c "cd '$cn' && '$E/ls.native'" -- "$L" run --dir "$cn::." "$E/ls.wasm"

# expect NAME WANT-EXIT PATTERN CMD...: the exit status, and PATTERN (grep -E) in stdout+stderr.
expect() {
    local name=$1 want=$2 pat=$3
    shift 3
    "$@" >"$T/out" 2>&1 </dev/null
    local rc=$?
    local seen=0
    if [ -z "$pat" ]; then
        [ ! -s "$T/out" ] && seen=1
    elif grep -qE -- "$pat" "$T/out"; then
        seen=1
    fi
    if [ "$rc" -eq "$want" ] && [ $seen -eq 1 ]; then
        ok "$name"
    else
        bad "$name (exit $rc, want $want, /$pat/)" "$(head -n 12 "$T/out")"
    fi
}

head -c 100 /dev/urandom >"$T/garbage.wasm"
printf '\0asm\1\0\0\0\1\4\1\140\0\0\2\13\1\3env\3foo\0\0' >"$T/foreign.wasm" # imports env.foo: () -> ()
expect "no FILE: usage error" 2 "missing FILE" "$L" run
expect "missing file" 1 "no-such.wasm" "$L" run "$T/no-such.wasm"
expect "unknown option" 2 "unknown option" "$L" run --frobnicate "$E/hello.wasm"
expect "option without value" 2 "needs a value" "$L" run "--dir"
expect "bad --max-memory" 2 "bad memory size" "$L" run --max-memory lots "$E/hello.wasm"
expect "bad -W" 2 "unknown option -W" "$L" run -W frob=1 "$E/hello.wasm"
# One size convention (base/size.h): binary suffixes, a bare number is bytes, no unit guessed.
expect "--max-memory 256 is refused, 256M suggested" 2 "a bare number is bytes.*write 256M" "$L" run --max-memory 256 "$E/hello.wasm"
expect "--max-memory 64MB is ambiguous" 2 "ambiguous.*64M or 64MiB" "$L" run --max-memory 64MB "$E/hello.wasm"
expect "--max-memory 1x: unknown unit" 2 "unknown unit 'x'" "$L" run --max-memory 1x "$E/hello.wasm"
expect "--max-memory 64MiB and 1g accepted" 0 "Hello from WebAssembly" "$L" run --max-memory 64MiB --max-stack 1g "$E/hello.wasm"
expect "--max-memory 1048576 (bytes) accepted" 0 "Hello from WebAssembly" "$L" run --max-memory=1048576 "$E/hello.wasm"
expect "-W max-memory-size=256 refused as --max-memory" 2 "write 256M" "$L" run -W max-memory-size=256 "$E/hello.wasm"
expect "--fuel takes a plain count" 2 "bad fuel: expected a whole number" "$L" run --fuel 10k "$E/hello.wasm"
expect "--help" 0 "usage: lodge run" "$L" run --help
expect "malformed module" 1 "garbage.wasm" "$L" run "$T/garbage.wasm"
expect "unknown import" 1 "unknown import" "$L" run "$T/foreign.wasm"
expect "--dir of a missing directory" 1 "no-such-dir" "$L" run --dir "$T/no-such-dir" "$E/hello.wasm"
expect "--env NAME copies lodge's value" 0 "GREETING = from-host" env GREETING=from-host "$L" run --env GREETING "$W/n_args.wasm"
expect "--argv0" 0 "argc 1" "$L" run --argv0 myname "$W/n_args.wasm"
expect "guest args after FILE are not options" 0 'argv\[1\] = \[--dir\]' "$L" run "$W/n_args.wasm" --dir x

if command -v wat2wasm >/dev/null 2>&1 && wat2wasm --debug-names "$HERE/invoke.wat" -o "$T/invoke.wasm" 2>"$T/err"; then
    I="$T/invoke.wasm"
    inv() { "$L" run "$@"; }
    expect "--invoke i32" 0 '^5$' inv --invoke add "$I" 2 3
    expect "--invoke i32 wraps and prints signed" 0 '^-2$' inv --invoke add "$I" 4294967295 -1
    expect "--invoke i64" 0 '^-8000000000000000000$' inv --invoke mul64 "$I" -4000000000 2000000000
    expect "--invoke f64 shortest digits" 0 '^0\.3333333333333333$' inv --invoke fdiv "$I" 1 3
    expect "--invoke f64 without exponent" 0 '^1000000000000000000000$' inv --invoke fdiv "$I" 1e21 1
    expect "--invoke f64 small" 0 '^0\.00001$' inv --invoke fdiv "$I" 1 100000
    expect "--invoke f64 inf" 0 '^inf$' inv --invoke fdiv "$I" 1 0
    expect "--invoke f64 -inf" 0 '^-inf$' inv --invoke fdiv "$I" -1 0
    expect "--invoke f64 NaN" 0 '^NaN$' inv --invoke fdiv "$I" 0 0
    expect "--invoke f64 -0" 0 '^-0$' inv --invoke fdiv "$I" -0 1
    expect "--invoke f32" 0 '^0\.1$' inv --invoke fmul32 "$I" 0.1 1
    expect "--invoke f32 rounding" 0 '^0\.3$' inv --invoke fmul32 "$I" 0.1 3
    expect "--invoke several results" 0 '^7$' inv --invoke pair "$I" 7
    if [ "$(inv --invoke pair "$I" -3 | tr '\n' ' ')" = "-3 -3 -3 " ]; then ok "--invoke prints one result per line"; else bad "--invoke prints one result per line" "$(inv --invoke pair "$I" -3)"; fi
    expect "--invoke no results prints nothing" 0 '' inv --invoke none "$I"
    expect "--invoke wrong argument count" 2 "takes 2 arguments" inv --invoke add "$I" 1
    expect "--invoke bad i32" 2 "not a valid i32" inv --invoke add "$I" 1 x
    expect "--invoke bad f64" 2 "not a valid f64" inv --invoke fdiv "$I" 1 1.5.5
    expect "--invoke missing export" 1 "no exported function" inv --invoke nothere "$I"
    expect "trap: integer divide by zero (exit 134)" 134 "integer divide by zero" inv --invoke div "$I" 1 0
    expect "trap: unreachable, with backtrace" 134 "unreachable" inv --invoke boom "$I"
    if grep -q "backtrace" "$T/out" && grep -q "inner" "$T/out"; then ok "trap backtrace names the functions"; else bad "trap backtrace names the functions" "$(cat "$T/out")"; fi
    expect "trap: out of bounds memory access" 134 "out of bounds memory access" inv --invoke oob "$I"
    expect "trap: call stack exhausted" 134 "call stack exhausted" inv --invoke recurse "$I" 0
    expect "--max-call-depth" 134 "call stack exhausted" inv --max-call-depth 100 --invoke recurse "$I" 0
    expect "--max-stack" 134 "call stack exhausted" inv --max-stack 4K --invoke recurse "$I" 0
    expect "-W max-wasm-stack= (wasmtime spelling)" 134 "call stack exhausted" inv -W max-wasm-stack=4096 --invoke recurse "$I" 0
    expect "--fuel stops an endless loop" 134 "interrupted" inv --fuel 100000 --invoke spin "$I"
    expect "-W fuel= (wasmtime spelling)" 134 "interrupted" inv -W fuel=100000 --invoke spin "$I"
    expect "memory.grow within limits" 0 '^1$' inv --invoke grow "$I" 1
    expect "--max-memory refuses memory.grow" 0 '^-1$' inv --max-memory 100K --invoke grow "$I" 1
    expect "-W max-memory-size= (wasmtime spelling)" 0 '^-1$' inv -W max-memory-size=100K --invoke grow "$I" 1
else
    skipped "--invoke tests" "wat2wasm (Debian package wabt) is not installed"
fi

# ---- 3. differential: node's WASI ----------------------------------------------------------------

# Each line of the programs' output is one check "ok NAME = VALUE" / "FAIL NAME = VALUE, want ..."; the
# comparison is per check name, so a deviation names the check. Known deviations: node-deviations.txt
# ("PROGRAM|CHECK|why"), where CHECK may be "<exit>", "<timeout>" (node stops answering) or end in "*"
# (every check whose name starts so).
NODE=$(command -v node || true)
if [ -z "$NODE" ]; then
    skipped "node differential" "node is not installed"
else
    known="$HERE/node-deviations.txt"
    # keyed FILE: "NAME<TAB>RESULT" per check line.
    keyed() {
        sed -nE 's/^ok (.*) = (.*)$/\1\t\2/p; t; s/^ok (.*)$/\1\tok/p; t; s/^FAIL (.*) = ([^,]*), want.*$/\1\t\2/p; t; s/^FAIL (.*) \(line [0-9]+\)$/\1\tFAIL/p' "$1" | sort -u
    }
    # nodediff PROGRAM SETUP-DIRS ARGS...: run both with WASI_TEST_GENTLE, compare.
    nodediff() {
        local prog=$1 wasm=$2
        shift 2
        local dl dn
        dl=$(fresh dl)
        dn=$(fresh dn)
        [ -d "$T/seed" ] && cp -a "$T/seed/." "$dl/" && cp -a "$T/seed/." "$dn/"
        "$L" run --env WASI_TEST_GENTLE=1 --dir "$dl::sandbox" "$wasm" "$@" <"$T/stdin.txt" >"$T/l.out" 2>/dev/null
        local lrc=$?
        timeout 15 "$NODE" --no-warnings "$HERE/node-wasi.mjs" --env WASI_TEST_GENTLE=1 --dir "$dn::sandbox" \
            "$wasm" "$@" <"$T/stdin.txt" >"$T/n.out" 2>/dev/null
        local nrc=$?
        keyed "$T/l.out" >"$T/l.keyed"
        keyed "$T/n.out" >"$T/n.keyed"
        local diffs=() line name
        # Checks whose result differs, or that node never reached.
        while IFS=$'\t' read -r name lv; do
            local nv
            nv=$(awk -F'\t' -v k="$name" '$1 == k { print $2; exit }' "$T/n.keyed")
            [ "$nv" = "$lv" ] && continue
            [ -z "$nv" ] && [ $nrc -eq 124 ] && continue # counted once as <timeout>
            diffs+=("$name|lodge ${lv} node ${nv:-<missing>}")
        done <"$T/l.keyed"
        if [ $nrc -eq 124 ]; then
            diffs+=("<timeout>|node stopped answering after $(wc -l <"$T/n.keyed") checks")
        elif [ $nrc -ne $lrc ]; then
            diffs+=("<exit>|lodge $lrc node $nrc")
        fi
        local newd=0 knownd=0
        for line in "${diffs[@]}"; do
            name=${line%%|*}
            local why
            why=$(awk -F'|' -v p="$prog" -v c="$name" '$1 == p && ($2 == c || (substr($2, length($2)) == "*" &&
                  substr(c, 1, length($2) - 1) == substr($2, 1, length($2) - 1))) { print $3; exit }' "$known")
            if [ -n "$why" ]; then
                echo "    known node deviation: $prog: $name (${line#*|}): $why"
                knownd=$((knownd + 1))
            else
                echo "    NEW difference: $prog: $name: ${line#*|}"
                newd=$((newd + 1))
            fi
        done
        local compared
        compared=$(wc -l <"$T/l.keyed")
        if [ $newd -eq 0 ]; then
            ok "node differential $prog ($compared checks compared, $knownd known node deviations)"
        else
            bad "node differential $prog ($newd unexplained differences)"
        fi
    }
    rm -rf "$T/seed"
    nodediff w_fd "$W/w_fd.wasm"
    nodediff w_path "$W/w_path.wasm"
    nodediff w_sandbox "$W/w_sandbox.wasm" "$T/outside/secret.txt"
    nodediff w_proc "$W/w_proc.wasm" one "two words" ""
    nodediff w_sock "$W/w_sock.wasm"
    mkdir -p "$T/seed/subdir"
    echo "read-only data" >"$T/seed/data.txt"
    # w_rights wants its preopen named "ro": node's and lodge's read-only forms differ, so run both
    # with a writable preopen under that name and compare what each reports.
    nodediff_ro() {
        local dl dn
        dl=$(fresh dl)
        dn=$(fresh dn)
        cp -a "$T/seed/." "$dl/"
        cp -a "$T/seed/." "$dn/"
        "$L" run --env WASI_TEST_GENTLE=1 --dir-ro "$dl::ro" "$W/w_rights.wasm" >"$T/l.out" 2>/dev/null
        timeout 15 "$NODE" --no-warnings "$HERE/node-wasi.mjs" --env WASI_TEST_GENTLE=1 --dir "$dn::ro" \
            "$W/w_rights.wasm" >"$T/n.out" 2>/dev/null
        local nfail
        nfail=$(grep -c '^FAIL' "$T/n.out")
        ok "node differential w_rights: node has no read-only preopen, so $nfail of its checks fail there (a node limitation, not compared)"
    }
    nodediff_ro
    rm -rf "$T/seed"
    # Programs without checks: whole output and exit code.
    plain() {
        local name=$1
        shift
        "$L" run "$@" <"$T/big.txt" >"$T/l.out" 2>/dev/null
        local lrc=$?
        # No known hang here: a generous bound, for a loaded machine.
        timeout 60 "$NODE" --no-warnings "$HERE/node-wasi.mjs" "$@" <"$T/big.txt" >"$T/n.out" 2>/dev/null
        local nrc=$?
        if [ $lrc -eq $nrc ] && cmp -s "$T/l.out" "$T/n.out"; then
            ok "node differential $name (same output, exit $lrc)"
        elif grep -qF -- "$name|<exit>|" "$HERE/node-deviations.txt" && cmp -s "$T/l.out" "$T/n.out"; then
            ok "node differential $name (same output; known exit deviation: lodge $lrc node $nrc)"
        else
            bad "node differential $name" "lodge exit $lrc, node exit $nrc
$(diff "$T/l.out" "$T/n.out" | head -n 10)"
        fi
    }
    plain "n_exit return 7" "$W/n_exit.wasm" return 7
    plain "n_exit exit 42" "$W/n_exit.wasm" exit 42
    plain "n_exit deep 9" "$W/n_exit.wasm" deep 9
    plain "n_exit abort" "$W/n_exit.wasm" abort
    plain "n_stdin" "$W/n_stdin.wasm"
    plain "n_compute" "$W/n_compute.wasm"
    plain "n_args" "$W/n_args.wasm" x "y z"
    plain "hello" "$E/hello.wasm" a b
    plain "wc" "$E/wc.wasm"
    plain "life" "$E/life.wasm" 20
fi

echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
