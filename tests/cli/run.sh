#!/usr/bin/env bash
# The lodge command's hypervisor verbs (ps, create, start, pause, resume, stop, kill, rm, info, stats, logs,
# console) against a real `lodged daemon` started here on a temporary socket and state directory, driven only
# through build/lodge: a clang-built WASI program and, when the default guest is built, a Linux machine.
# Also the one size convention and the usage errors, which need no daemon. Every wait is bounded.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
L=$PWD/$BUILD/lodge
D=$PWD/$BUILD/lodged
HELLO=$PWD/$BUILD/examples/hello.wasm       # and life.wasm next to it, for long runs
STEP=${STEP_TIMEOUT:-30}           # seconds any one lodge command may take
BOOT=${BOOT_TIMEOUT:-60}           # seconds for the guest to reach its shell
pass=0; fail=0; skip=0
ok()  { echo "PASS $1"; pass=$((pass+1)); }
bad() { echo "FAIL $1"; [ -n "${2:-}" ] && echo "$2" | head -n 15 | sed 's/^/    /'; fail=$((fail+1)); }
skp() { echo "SKIP $1: $2"; skip=$((skip+1)); }
finish() { echo "$pass passed, $fail failed, $skip skipped"; [ "$fail" -eq 0 ]; exit $?; }

# Short paths: a Unix socket's path must fit in 108 bytes.
T=$(mktemp -d /tmp/lodge-cli.XXXXXX)
SOCK=$T/lodged.sock
export LODGE_SOCKET=$SOCK
unset XDG_RUNTIME_DIR
DPID=
cleanup() {
    if [ -n "$DPID" ] && kill -0 "$DPID" 2>/dev/null; then
        # Guests outlive the daemon by design: remove ours first.
        for id in $(timeout 10 "$L" ps -a -q 2>/dev/null); do timeout 10 "$L" rm -f "$id" >/dev/null 2>&1; done
        kill -TERM "$DPID" 2>/dev/null
        for _ in $(seq 50); do kill -0 "$DPID" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$DPID" 2>/dev/null
    fi
    # Workers and machine processes outlive the daemon by design: end the ones this test made (their
    # command lines name this test's own temporary directory).
    for p in /proc/[0-9]*; do
        grep -qaF "$T/" "$p/cmdline" 2>/dev/null && kill -KILL "${p#/proc/}" 2>/dev/null
    done
    rm -rf "$T"
}
trap cleanup EXIT

# expect NAME STATUS REGEX CMD...: CMD exits STATUS and its output (stdout+stderr) matches REGEX.
expect() {
    local name=$1 want=$2 pat=$3; shift 3
    timeout "$STEP" "$@" >"$T/out" 2>&1 </dev/null
    local rc=$?
    if [ "$rc" -eq "$want" ] && grep -qE -- "$pat" "$T/out"; then ok "$name"
    else bad "$name (exit $rc, want $want, /$pat/)" "$(cat "$T/out")"; fi
}
# json NAME CMD...: CMD exits 0 and prints one JSON document.
json() {
    local name=$1; shift
    timeout "$STEP" "$@" >"$T/json" 2>"$T/err" </dev/null
    local rc=$?
    if [ $rc -eq 0 ] && python3 -c 'import json,sys; json.load(sys.stdin)' <"$T/json" 2>"$T/pyerr"; then ok "$name"
    else bad "$name (exit $rc)" "$(cat "$T/err" "$T/pyerr"; head -c 600 "$T/json")"; fi
}
# known NAME STATUS DETAIL: the result of a check listed in tests/cli/known.txt (STATUS 0 = passed).
known() {
    local reason; reason=$(sed -n "s/^$1: //p" tests/cli/known.txt | head -1)
    if [ "$2" -eq 0 ]; then
        if [ -n "$reason" ]; then bad "$1: unexpected pass: remove it from tests/cli/known.txt"; else ok "$1"; fi
    elif [ -n "$reason" ]; then skp "$1" "known failure: $reason"
    else bad "$1" "$3"; fi
}
# waitfor SECONDS CMD...: retries CMD (quietly) until it succeeds; false after SECONDS.
waitfor() {
    local secs=$1; shift
    local end=$((SECONDS + secs))
    while [ $SECONDS -lt $end ]; do
        "$@" >/dev/null 2>&1 && return 0
        sleep 0.2
    done
    return 1
}
state_of() { timeout "$STEP" "$L" info --json "$1" 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["state"])' 2>/dev/null; }
is_state() { [ "$(state_of "$1")" = "$2" ]; }
is_ended() { case "$(state_of "$1")" in stopped|crashed) return 0;; esac; return 1; }

if [ ! -x "$L" ] || [ ! -x "$D" ]; then
    bad "build" "$L or $D missing: run make"
    finish
fi

# ---- without a daemon: usage errors (2), sizes, and a clear message naming the socket --------------------
expect "no daemon: the socket and how to start one" 1 "no daemon answers at $SOCK" "$L" ps
grep -q 'start one with `lodge daemon`' "$T/out" && ok "no daemon: LODGE_SOCKET is the daemon's default too" \
    || bad "no daemon: how to start one" "$(cat "$T/out")"
expect "create machine --mem 256: bare number refused, 256M suggested" 2 "lodge create: --mem 256: .*write 256M" \
    "$L" create machine --mem 256
expect "create machine --mem 1MB: ambiguous" 2 "ambiguous.*1M or 1MiB" "$L" create machine --mem 1MB
expect "create machine --mem lots" 2 "bad guest RAM size: expected a number" "$L" create machine --mem lots
expect "create machine --cpus 9" 2 "bad hart count: expected a whole number from 1 to 8" "$L" create machine --cpus 9
expect "create machine --cpu-max 0" 2 "bad CPU cap" "$L" create machine --cpu-max 0
expect "create instance --max-memory 64: 64M suggested" 2 "write 64M" "$L" create instance --max-memory 64 "$HELLO"
printf '\0asm\1\0\0\0' >"$T/empty.wasm"   # the smallest module: read and hashed before the daemon is asked
expect "a size with a suffix is taken as meant (2KiB, though a bare 2048 is refused)" 1 \
    "no daemon answers" "$L" create instance --max-memory 2KiB "$T/empty.wasm"
expect "create instance --fuel 1k: a count" 2 "bad fuel" "$L" create instance --fuel 1k "$HELLO"
expect "create instance without FILE" 2 "missing FILE.wasm" "$L" create instance
expect "create without a kind" 2 "machine or instance" "$L" create
expect "create vm: unknown kind" 2 "unknown kind 'vm'" "$L" create vm
expect "ps --frobnicate" 2 "lodge ps: unknown option '--frobnicate'" "$L" ps --frobnicate
expect "ps extra argument" 2 "unexpected argument" "$L" ps x
expect "stop without an id" 2 "which guest" "$L" stop
expect "stop -t 4000" 2 "bad timeout" "$L" stop -t 4000 x
expect "logs -f --json" 2 "do not go together" "$L" logs -f --json x
expect "console --json" 2 "not JSON" "$L" console --json x
expect "--socket without a value" 2 "needs a value" "$L" ps --socket
expect "list --help" 0 "usage: lodge ps" "$L" list --help
expect "create machine --help shows boot's options" 0 "--mem SIZE.*bare number is bytes" "$L" create machine --help
expect "create instance --help shows run's options" 0 "--max-memory SIZE" "$L" create instance --help
expect "--socket names another socket" 1 "lodge daemon --socket $T/other.sock" \
    "$L" ps --socket "$T/other.sock"

# ---- the daemon ------------------------------------------------------------------------------------------
if ! timeout 10 "$D" daemon --help >"$T/dhelp" 2>&1; then
    skp "daemon tests" "\`lodged daemon --help\` does not work on this build yet: $(head -1 "$T/dhelp")"
    finish
fi
"$D" daemon --socket "$SOCK" --state-dir "$T/state" >"$T/daemon.log" 2>&1 &
DPID=$!
if ! waitfor 15 "$L" ps; then
    skp "daemon tests" "the daemon did not answer within 15 s: $(tail -3 "$T/daemon.log" | tr '\n' ' ')"
    finish
fi
ok "daemon answers lodge ps"
json "ps --json parses" "$L" ps --json
expect "ps with no guests: the header" 0 "^ID +KIND +STATE +CPU +MEMORY +UPTIME/EXIT" "$L" ps -a
expect "rm of an unknown guest" 1 "lodge rm: no guest 'nope'" "$L" rm nope
expect "info of an unknown guest" 1 "lodge info: no guest 'nope'" "$L" info nope

# ---- a WebAssembly instance ------------------------------------------------------------------------------
if [ ! -f "$HELLO" ]; then
    skp "instance tests" "$HELLO is missing (make examples; it needs clang and wasi-libc)"
else
    timeout "$STEP" "$L" create instance --name hello1 --env GREETING=hi --max-memory 16M "$HELLO" one two >"$T/id" 2>&1
    rc=$?
    if [ $rc -ne 0 ]; then
        bad "create instance (exit $rc)" "$(cat "$T/id"; tail -5 "$T/daemon.log")"
    elif [ "$(cat "$T/id")" != hello1 ]; then
        bad "create instance prints the id" "$(cat "$T/id")"
    else
        ok "create instance (module uploaded, instance created)"
        expect "ps shows it created" 0 "^hello1 +instance +created " "$L" ps
        expect "start" 0 "^hello1$" "$L" start hello1
        if waitfor 20 is_state hello1 stopped; then ok "the instance ran to its end"; else bad "the instance ran to its end" "state $(state_of hello1)"; fi
        expect "logs: its output" 0 "Hello from WebAssembly!" "$L" logs hello1
        expect "logs: its arguments" 0 "argv\[2\] = two" "$L" logs hello1
        expect "ps hides a stopped guest" 0 "^ID" "$L" ps
        if grep -q hello1 "$T/out"; then bad "ps hides a stopped guest" "$(cat "$T/out")"; fi
        expect "ps -a: stopped, exit 0" 0 "^hello1 +instance +stopped .*exit 0" "$L" ps -a
        json "info --json parses" "$L" info --json hello1
        expect "info: fields one a line" 0 "config.max_memory_bytes +16777216 \(16M\)" "$L" info hello1
        json "stats --json parses" "$L" stats --json hello1
        json "logs --json parses" "$L" logs --json hello1
        expect "start of a stopped instance: the daemon's refusal" 1 "^lodge start: .+" "$L" start hello1
        # The same module again: found by its digest, not uploaded twice.
        timeout "$STEP" "$L" create instance --start "$HELLO" >"$T/id2" 2>&1
        id2=$(cat "$T/id2")
        if [ -n "$id2" ] && waitfor 20 is_state "$id2" stopped \
            && [ "$(timeout "$STEP" "$L" logs "$id2" 2>&1)" = "Hello from WebAssembly!" ]; then
            ok "create --start, same module, generated id ($id2)"
        else
            bad "create --start, same module, generated id" "$id2 state $(state_of "$id2")"
        fi
        # logs -f follows an instance until it ends.
        timeout "$STEP" "$L" create instance --name hello3 --start "$HELLO" >/dev/null 2>&1
        expect "logs -f: follows to the end" 0 "Hello from WebAssembly!" "$L" logs -f hello3
        LS=$(dirname "$HELLO")/ls.wasm
        if [ -f "$LS" ]; then
            # --dir with a relative host path: the daemon gets it absolute, the guest sees the name asked for.
            mkdir -p "$T/share/sub" && echo data >"$T/share/f.txt"
            (cd "$T" && timeout "$STEP" "$L" create instance --name ls1 --start --dir-ro share::/data "$LS" /data) >/dev/null 2>&1
            st=1
            waitfor 20 is_ended ls1 && is_state ls1 stopped && timeout "$STEP" "$L" logs ls1 2>&1 | grep -q "f\.txt" \
                && timeout "$STEP" "$L" info ls1 2>&1 \
                    | grep -qE "config.dirs\[0\] +.*\"host\":\"$T/share\".*\"read_only\":true" && st=0
            known instance-preopen $st "state $(state_of ls1): $(timeout 5 "$L" logs ls1 2>&1 | tail -3)"
            timeout "$STEP" "$L" rm -f ls1 >/dev/null 2>&1
        fi
        LIFE=$(dirname "$HELLO")/life.wasm
        if [ -f "$LIFE" ]; then
            # A long run (sleeping in WASI between frames): stopped gracefully, ends as by proc_exit(143).
            timeout "$STEP" "$L" create instance --name life1 --start "$LIFE" 100000000 --animate >/dev/null 2>&1
            expect "stats --watch refreshes" 124 "^life1 +instance +running" timeout 2 "$L" stats --watch --interval 300 life1
            n=$(grep -c '^life1 ' "$T/out"); [ "$n" -ge 2 ] && ok "stats --watch: $n rounds in 2 s" || bad "stats --watch rounds" "$(cat "$T/out")"
            expect "stop an instance: waits for its end" 0 "^life1$" "$L" stop life1
            expect "ps -a: exit 143" 0 "^life1 +instance +stopped .*exit 143" "$L" ps -a
            timeout "$STEP" "$L" create instance --name life2 --start "$LIFE" 100000000 --animate >/dev/null 2>&1
            expect "kill an instance" 0 "^life2$" "$L" kill life2
            expect "ps -a: killed" 0 "^life2 +instance +stopped .*killed" "$L" ps -a
            expect "rm the two" 0 "^life2$" "$L" rm life1 life2 hello3
        else
            skp "long-running instance tests" "$LIFE is missing (make examples)"
            timeout "$STEP" "$L" rm -f hello3 >/dev/null 2>&1
        fi
        expect "rm two at once" 0 "^hello1$" "$L" rm hello1 "$id2"
        if timeout "$STEP" "$L" ps -aq >"$T/ids" 2>&1 && ! grep -q . "$T/ids"; then ok "rm: both gone from ps -aq"
        else bad "rm: both gone from ps -a" "$(cat "$T/ids")"; fi
        head -c 100 /dev/urandom >"$T/junk.wasm"
        expect "create instance of a file that is not wasm" 1 "not a WebAssembly binary" "$L" create instance "$T/junk.wasm"
        echo '(module)' >"$T/text.wat"
        expect "create instance of a text-format module: a hint" 1 "convert it with wat2wasm" "$L" create instance "$T/text.wat"
        expect "create instance of a missing file" 1 "no-such.wasm: No such file" "$L" create instance "$T/no-such.wasm"
    fi
fi

# ---- a RISC-V Linux machine ------------------------------------------------------------------------------
G=${LODGE_GUEST_DIR:-$PWD/guests/cache}
if [ ! -f "$G/Image" ] || [ ! -f "$G/initramfs.cpio" ]; then
    skp "machine tests" "no default guest in $G (make guest, or set LODGE_GUEST_DIR)"
elif ! timeout 10 "$D" machine --help >"$T/mhelp" 2>&1; then
    skp "machine tests" "the daemon's machine process (\`lodged machine\`) does not work on this build yet: $(head -1 "$T/mhelp")"
else
    export LODGE_GUEST_DIR=$G
    timeout "$STEP" "$L" create machine --name vm1 --mem 128M --cpus 1 >"$T/id" 2>&1
    rc=$?
    if [ $rc -ne 0 ] || [ "$(cat "$T/id")" != vm1 ]; then
        bad "create machine (exit $rc)" "$(cat "$T/id"; tail -5 "$T/daemon.log")"
    else
        ok "create machine (the default guest)"
        json "info --json parses" "$L" info --json vm1
        expect "info: RAM as asked" 0 "config.mem_bytes +134217728 \(128M\)" "$L" info vm1
        expect "start" 0 "^vm1$" "$L" start vm1
        shell() { timeout "$STEP" "$L" logs vm1 2>/dev/null | grep -q "lodge-guest: shell"; }
        if waitfor "$BOOT" shell; then ok "logs reach the shell"; else bad "logs reach the shell" "$(timeout 5 "$L" logs --tail 1K vm1 2>&1 | tail -5)"; fi
        expect "ps: running" 0 "^vm1 +machine +running .*up " "$L" ps
        expect "pause" 0 "^vm1$" "$L" pause vm1
        expect "ps: paused" 0 "^vm1 +machine +paused " "$L" ps
        expect "pause again: refused by the daemon" 1 "^lodge pause: .+" "$L" pause vm1
        expect "resume" 0 "^vm1$" "$L" resume vm1
        expect "ps: running again" 0 "^vm1 +machine +running " "$L" ps
        if command -v python3 >/dev/null; then
            # The console through a pipe: type a command, read its answer, detach when the input ends.
            printf 'echo cons-$((6*7))\n' | timeout "$STEP" "$L" console vm1 >"$T/console" 2>&1
            rc=$?
            if [ $rc -eq 0 ] && grep -q "cons-42" "$T/console"; then ok "console: typed a command, read its output"
            else bad "console (exit $rc)" "$(tail -c 400 "$T/console")"; fi
        fi
        if command -v script >/dev/null; then
            # On a terminal (script(1) gives it one): raw mode, Ctrl-A x detaches, the machine keeps running.
            (printf 'echo tty-$((6*7))\n'; sleep 2; printf '\001x'; sleep 1) \
                | timeout "$STEP" script -q -e -c "$L console vm1" /dev/null >"$T/tty" 2>&1
            rc=$?
            if [ $rc -eq 0 ] && grep -q "tty-42" "$T/tty" && grep -q "detached from vm1" "$T/tty" && is_state vm1 running
            then ok "console on a terminal: Ctrl-A x detaches, the machine runs on"
            else bad "console on a terminal (exit $rc)" "$(tail -c 400 "$T/tty" | cat -v)"; fi
        else
            skp "console on a terminal" "script(1) (Debian bsdutils) is not installed"
        fi
        json "stats --json parses" "$L" stats --json vm1
        expect "stats: a table" 0 "^vm1 +machine +running " "$L" stats --interval 200 vm1
        expect "logs --tail 100" 0 "." "$L" logs --tail 100 vm1
        if [ "$(wc -c <"$T/out")" -le 100 ]; then ok "logs --tail keeps the last bytes"; else bad "logs --tail keeps the last bytes" "$(wc -c <"$T/out") bytes"; fi
        # A graceful stop presses the guest's power button; a kernel without the driver ignores it.
        if timeout "$STEP" "$L" logs vm1 2>/dev/null | grep -aq "input: Lodge power button"; then
            expect "stop: graceful, waits for the guest to power off" 0 "^vm1$" "$L" stop -t 20 vm1
            expect "ps -a: stopped, poweroff" 0 "^vm1 +machine +stopped .*poweroff" "$L" ps -a
        else
            skp "stop: graceful power-off" "the guest kernel has no virtio-input driver for the power button (rebuild it: make guest)"
            expect "stop -t 2: ended by the deadline" 0 "^vm1$" "$L" stop -t 2 vm1
            expect "ps -a: stopped" 0 "^vm1 +machine +stopped " "$L" ps -a
        fi
        expect "rm" 0 "^vm1$" "$L" rm vm1
        # rm -f of a running machine: killed, then removed.
        timeout "$STEP" "$L" create machine --start --mem 64M >"$T/id3" 2>&1
        id3=$(cat "$T/id3")
        expect "rm -f of a running machine" 0 "^$id3$" "$L" rm -f "$id3"
        expect "create machine with a read-only disk" 0 "^vm3$" "$L" create machine --name vm3 --mem 64M --disk "$G/disk.ext4,ro"
        expect "info: the disk, absolute and read-only" 0 "config.disks\[0\] +\{\"path\":\"/[^\"]*disk.ext4\",\"read_only\":true" "$L" info vm3
        expect "rm -f a created machine" 0 "^vm3$" "$L" rm -f vm3
        timeout "$STEP" "$L" create machine --name vm2 --start --mem 64M >/dev/null 2>&1
        expect "kill a machine" 0 "^vm2$" "$L" kill vm2
        expect "ps -a: killed" 0 "^vm2 +machine +stopped .*killed" "$L" ps -a
        expect "rm after kill" 0 "^vm2$" "$L" rm vm2
        expect "admission: a machine larger than the host" 1 "^lodge create: .+" "$L" create machine --mem 64G
    fi
fi
finish
