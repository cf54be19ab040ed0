#!/usr/bin/env bash
# The hostile-guest suite: a real `lodged daemon` on a temporary socket runs well-behaved guests (ticker
# instances that write 20 lines 100 ms apart and exit 0, and one Linux machine that must keep answering on
# its console) while hostile ones run beside them: infinite loops, memory bombs, stack exhaustion, a trap
# storm, a bare-metal guest lying to every device register and virtqueue, a machine process and a worker
# killed with SIGKILL. After each, the well-behaved guests must have kept going (their output complete,
# exit code 0; the machine answers a command) and the daemon must have kept answering (GET /v1/host within
# HOST_MAX_MS). Machine phases are skipped with the reason when the default guest (guests/cache or
# LODGE_GUEST_DIR) is missing.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
LODGED=$PWD/$BUILD/lodged
HCON=$PWD/$BUILD/tests/hostile/hconsole
GUEST=${LODGE_GUEST_DIR:-$PWD/guests/cache}
HOST_MAX_MS=${HOST_MAX_MS:-3000}     # GET /v1/host must answer within this, whatever the guests do
pass=0; fail=0; skip=0
ok()   { pass=$((pass+1)); echo "ok   $1"; }
bad()  { fail=$((fail+1)); echo "FAIL $1${2:+: $2}"; }
skp()  { skip=$((skip+1)); echo "SKIP $1: $2"; }
summary() { echo "$pass passed, $fail failed, $skip skipped"; [ "$fail" -eq 0 ]; exit $?; }

for tool in curl jq wat2wasm; do
    command -v $tool >/dev/null || { bad setup "$tool is not installed (tools/debian-packages.txt)"; summary; }
done
[ -x "$LODGED" ] || { bad setup "no $LODGED (make all)"; summary; }
if [ ! -x "$HCON" ]; then
    make -s "BUILD=$BUILD" "$BUILD/tests/hostile/hconsole" >/dev/null 2>&1 || { bad setup "cannot build $HCON"; summary; }
fi

T=$(mktemp -d "${TMPDIR:-/tmp}/lodge-hostile.XXXXXX") && [ -d "$T" ] || { bad setup "mktemp"; summary; }
SOCK=$T/d.sock
DPID=
cleanup() {
    [ -n "$DPID" ] && kill -9 "$DPID" 2>/dev/null
    # Machines and workers outlive the daemon by design: end the ones this suite made (their command lines
    # name its own temporary directory).
    for p in /proc/[0-9]*; do
        [ "${p#/proc/}" = $$ ] && continue
        grep -qaF "$T/" "$p/cmdline" 2>/dev/null && kill -9 "${p#/proc/}" 2>/dev/null
    done
    rm -rf "$T"
}
trap cleanup EXIT
# The whole suite is bounded: every wait below has its own deadline; this is the last resort. The watchdog
# kills its sleep when it is itself told to end: the sleep inherits a pipe of the caller's (bash keeps a
# saved copy of stdout on a high fd), and a sleep left running would keep `run-suites.sh`'s reader waiting.
(
    trap 'kill $sp 2>/dev/null; exit 0' TERM
    sleep "${SUITE_TIMEOUT:-400}" >/dev/null 2>&1 </dev/null &
    sp=$!
    wait $sp && { echo "FAIL suite: still running after ${SUITE_TIMEOUT:-400} s"; kill -TERM $$; }
) &
WATCHDOG=$!
trap 'kill $WATCHDOG 2>/dev/null; cleanup' EXIT

req() {   # req METHOD PATH [curl args...]: status in $code, body in $T/body
    local m=$1 p=$2; shift 2
    code=$(curl -s --max-time 20 --unix-socket "$SOCK" -X "$m" -o "$T/body" -w '%{http_code}' "$@" "http://lodge$p")
}
jqb() { jq -r "$1" "$T/body" 2>/dev/null; }

"$LODGED" daemon --socket "$SOCK" --state-dir "$T/state" >"$T/daemon.out" 2>"$T/daemon.err" &
DPID=$!
disown "$DPID"
for _ in $(seq 100); do grep -q listening "$T/daemon.out" 2>/dev/null && break; sleep 0.05; done
grep -q listening "$T/daemon.out" || { bad setup "the daemon did not start: $(tail -3 "$T/daemon.err")"; summary; }

for m in ticker:tests/hostile/ticker.wat loop:tests/workers/loop.wat bomb:tests/workers/bomb.wat \
         recurse:tests/workers/recurse.wat divzero:tests/workers/divzero.wat; do
    wat2wasm "${m#*:}" -o "$T/${m%%:*}.wasm" && req POST "/v1/modules?id=${m%%:*}" --data-binary @"$T/${m%%:*}.wasm"
    [ "$code" = 201 ] || { bad setup "upload ${m%%:*}: $code $(cat "$T/body")"; summary; }
done

# ---- the daemon's latency, sampled in the background while a phase runs
HOSTLAT=$T/hostlat
sample_host() {    # every 200 ms until $T/stop-sampling exists: one latency (ms) or "timeout" per line
    while [ ! -e "$T/stop-sampling" ]; do
        t=$(curl -s --max-time 10 --unix-socket "$SOCK" -o /dev/null -w '%{http_code} %{time_total}' http://lodge/v1/host)
        case $t in 200\ *) awk -v s="${t#* }" 'BEGIN { printf "%d\n", s * 1000 }' ;; *) echo timeout ;; esac
        sleep 0.2
    done >>"$HOSTLAT"
}
SAMPLER=
begin_phase() { rm -f "$T/stop-sampling"; : >"$HOSTLAT"; sample_host & SAMPLER=$!; }
end_phase() {     # end_phase NAME: the daemon answered every sample within HOST_MAX_MS
    touch "$T/stop-sampling"; wait "$SAMPLER" 2>/dev/null
    local n worst
    n=$(grep -c . "$HOSTLAT"); worst=$(sort -n "$HOSTLAT" | tail -1)
    if [ "$n" -gt 0 ] && ! grep -q timeout "$HOSTLAT" && [ "$worst" -le "$HOST_MAX_MS" ]; then
        ok "$1: the daemon kept answering (GET /v1/host: $n samples, worst $worst ms)"
    else
        bad "$1: the daemon did not keep answering" "$n samples, worst ${worst:-none} ms (limit $HOST_MAX_MS)"
    fi
}

# ---- well-behaved guests
TICKERS=4
start_tickers() {  # start_tickers TAG
    local i
    for i in $(seq $TICKERS); do
        req POST /v1/instances -d "{\"id\": \"good-$1-$i\", \"module\": \"ticker\", \"start\": true}"
        [ "$code" = 201 ] || echo "ticker good-$1-$i: $code $(cat "$T/body")" >>"$T/errors"
    done
}
# check_tickers TAG NAME [ALLOW_CRASHED]: every ticker wrote its 20 lines and exited 0 within 30 s (with
# ALLOW_CRASHED, those on a killed worker may be crashed instead, but at least one must finish).
check_tickers() {
    local i st done=0 crashed=0 deadline=$((SECONDS + 30)) why=
    while [ $SECONDS -lt $deadline ]; do
        done=0; crashed=0; why=
        for i in $(seq $TICKERS); do
            req GET "/v1/instances/good-$1-$i"
            st=$(jqb '.state + ":" + (.exit_code // "" | tostring)')
            if [ "$st" = "stopped:0" ]; then
                req GET "/v1/instances/good-$1-$i/logs"
                if [ "$(grep -c '^tick$' "$T/body")" = 20 ]; then done=$((done+1)); else why="$why good-$1-$i: $(grep -c '^tick$' "$T/body") lines;"; fi
            elif [ "${st%%:*}" = crashed ]; then crashed=$((crashed+1)); why="$why good-$1-$i crashed;"
            else why="$why good-$1-$i $st;"
            fi
        done
        [ $((done + crashed)) -eq $TICKERS ] && break
        sleep 0.5
    done
    if { [ -z "${3:-}" ] && [ $done -eq $TICKERS ]; } ||
       { [ -n "${3:-}" ] && [ $done -ge 1 ] && [ $crashed -ge 1 ] && [ $((done + crashed)) -eq $TICKERS ]; }; then
        ok "$2: well-behaved instances ran to the end ($done of $TICKERS wrote 20 lines and exited 0${3:+, $crashed crashed with the worker})"
    else
        bad "$2: well-behaved instances did not finish" "$why"
    fi
}

# ---- the machine that must keep answering
MACH=
if [ -f "$GUEST/Image" ] && [ -f "$GUEST/initramfs.cpio" ]; then
    req POST /v1/machines -d "{\"id\": \"calm\", \"kernel\": \"$GUEST/Image\", \"initrd\": \"$GUEST/initramfs.cpio\", \"mem_bytes\": 134217728, \"start\": true}"
    if [ "$code" = 201 ]; then
        deadline=$((SECONDS + ${BOOT_TIMEOUT:-180}))
        while [ $SECONDS -lt $deadline ]; do
            req GET '/v1/machines/calm/logs?tail=200'
            grep -q '/ # ' "$T/body" && { MACH=calm; break; }
            sleep 1
        done
        [ -n "$MACH" ] && ok "a Linux machine boots to its prompt through the daemon" \
            || bad "machine boot" "no prompt within ${BOOT_TIMEOUT:-180} s: $(tail -c 300 "$T/body")"
    else
        bad "machine create" "$code $(cat "$T/body")"
    fi
else
    skp "machine phases" "no default guest in $GUEST (make guest, or set LODGE_GUEST_DIR)"
fi
N_ANSWER=0
check_machine() {  # check_machine NAME: the calm machine still runs and answers a command on its console
    [ -n "$MACH" ] || return 0
    N_ANSWER=$((N_ANSWER + 1))
    req GET /v1/machines/calm
    local st; st=$(jqb .state)
    if [ "$st" = running ] && "$HCON" "$SOCK" calm expect "echo answer-\$((6*7))-$N_ANSWER" "answer-42-$N_ANSWER" 20 2>"$T/hcon.err"; then
        ok "$1: the Linux machine kept running and answers on its console"
    else
        bad "$1: the Linux machine" "state $st; $(cat "$T/hcon.err")"
    fi
}

# ---- phases
phase_instances() {   # phase_instances TAG NAME MODULE COUNT EXPECT: COUNT hostile instances of MODULE
    local tag=$1 name=$2 mod=$3 count=$4 expect=$5 i n_ok=0 st err
    begin_phase
    start_tickers "$tag"
    for i in $(seq "$count"); do
        req POST /v1/instances -d "{\"id\": \"bad-$tag-$i\", \"module\": \"$mod\", \"start\": true, \"max_memory_bytes\": 16777216}"
        [ "$code" = 201 ] || echo "bad-$tag-$i: $code $(cat "$T/body")" >>"$T/errors"
    done
    check_tickers "$tag" "$name"
    check_machine "$name"
    # The hostile ones ended the way they should (or, for loops, are still running: then they are killed).
    local deadline=$((SECONDS + 30))
    for i in $(seq "$count"); do
        while :; do
            req GET "/v1/instances/bad-$tag-$i"
            st=$(jqb .state); err=$(jqb '.error // ""' | head -1)
            [ "$st" != running ] && [ "$st" != created ] && break
            [ "$expect" = running ] && break
            [ $SECONDS -ge $deadline ] && break
            sleep 0.3
        done
        case $expect in
            running) [ "$st" = running ] && n_ok=$((n_ok+1)) ;;
            *) [ "$st" = stopped ] && echo "$err" | grep -qiE "$expect" && n_ok=$((n_ok+1)) ;;
        esac
        [ "$expect" = running ] && req POST "/v1/instances/bad-$tag-$i/actions" -d '{"action": "kill"}'
    done
    if [ $n_ok -eq "$count" ]; then
        if [ "$expect" = running ]; then ok "$name: each of $count hostile instances ran until killed"
        else ok "$name: each of $count hostile instances ended with its own error ($err)"; fi
    else
        bad "$name: hostile instances" "$n_ok of $count as expected ($expect); last: $st $err"
    fi
    end_phase "$name"
}

phase_instances loop "infinite loops" loop 4 running
phase_instances bomb "memory bombs" bomb 4 "memory|unreachable|trap"
phase_instances stack "stack exhaustion" recurse 4 "stack|exhausted"
phase_instances storm "trap storm" divzero 200 "divi|zero|trap"

# A bare-metal guest lying to virtio-blk, poking unmapped addresses, abusing the SBI (tests/sysvm/guest).
RVCC=${RISCV_CC:-riscv64-linux-gnu-gcc}
if ! command -v "$RVCC" >/dev/null; then
    skp "hostile machine" "$RVCC not installed (Debian gcc-riscv64-linux-gnu)"
elif ! "$RVCC" -march=rv64gc -mabi=lp64d -mcmodel=medany -O2 -ffreestanding -nostdlib -nostartfiles -static \
        -fno-pic -fno-pie -no-pie -Wl,--build-id=none -T tests/sysvm/guest/link.ld \
        -o "$T/hostile.elf" tests/sysvm/guest/start.S tests/sysvm/guest/hostile.c >"$T/hostile-build.log" 2>&1; then
    bad "hostile machine" "does not compile: $(head -3 "$T/hostile-build.log")"
else
    begin_phase
    start_tickers hm
    dd if=/dev/zero of="$T/hostile.img" bs=1k count=64 2>/dev/null
    hostile_ok=0
    for i in 1 2 3; do
        req POST /v1/machines -d "{\"id\": \"hostile-$i\", \"kernel\": \"$T/hostile.elf\", \"mem_bytes\": 16777216, \"disks\": [{\"path\": \"$T/hostile.img\"}], \"start\": true}"
        [ "$code" = 201 ] || { echo "hostile-$i: $code $(cat "$T/body")" >>"$T/errors"; continue; }
        deadline=$((SECONDS + 30))
        while [ $SECONDS -lt $deadline ]; do
            req GET "/v1/machines/hostile-$i"; [ "$(jqb .state)" = running ] || break; sleep 0.3
        done
        st=$(jqb '.state + " " + (.exit // "" | tostring)')
        req GET "/v1/machines/hostile-$i/logs"
        grep -q "all checks passed" "$T/body" && [ "${st%% *}" = stopped ] && hostile_ok=$((hostile_ok+1))
    done
    [ $hostile_ok -eq 3 ] && ok "hostile machine: 3 runs lied to every device and ended by powering off, all checks passed" \
        || bad "hostile machine" "$hostile_ok of 3 ended cleanly; last: $st: $(tail -c 200 "$T/body")"
    check_tickers hm "hostile machine"
    check_machine "hostile machine"
    end_phase "hostile machine"
fi

# A machine process killed with SIGKILL: that machine is crashed, nothing else is touched.
if [ -n "$MACH" ]; then
    begin_phase
    start_tickers mk
    req POST /v1/machines -d "{\"id\": \"victim\", \"kernel\": \"$GUEST/Image\", \"initrd\": \"$GUEST/initramfs.cpio\", \"mem_bytes\": 67108864, \"start\": true}"
    req GET /v1/machines/victim; vpid=$(jqb '.pid // 0')
    if [ "$vpid" -gt 0 ] 2>/dev/null && kill -9 "$vpid"; then
        deadline=$((SECONDS + 10)); st=
        while [ $SECONDS -lt $deadline ]; do req GET /v1/machines/victim; st=$(jqb .state); [ "$st" = crashed ] && break; sleep 0.3; done
        [ "$st" = crashed ] && ok "machine process SIGKILLed: reported crashed ($(jqb '.error // .exit // ""'))" \
            || bad "machine process SIGKILLed" "state $st"
    else
        bad "machine process SIGKILL" "no pid for the victim machine: $(cat "$T/body")"
    fi
    check_tickers mk "machine SIGKILL"
    check_machine "machine SIGKILL"
    end_phase "machine SIGKILL"
else
    skp "machine process SIGKILL" "no default guest in $GUEST"
fi

# A worker killed with SIGKILL: its instances crash, the pool restarts it, the other worker's keep going.
# The instances so far are removed first, so the new tickers spread over both workers (fewest first).
req GET /v1/instances
for id in $(jqb '.[].id'); do curl -s --max-time 10 --unix-socket "$SOCK" -X DELETE -o /dev/null "http://lodge/v1/instances/$id?force=true"; done
begin_phase
start_tickers wk
# The worker to kill is the one holding good-wk-1: it has that instance's output file open.
wpid=
for p in /proc/[0-9]*; do
    { tr '\0' ' ' <"$p/cmdline" | grep -q "^lodged worker --socket $T/state/workers/" &&
      ls -l "$p/fd" | grep -q "good-wk-1/output.log"; } 2>/dev/null && wpid=${p#/proc/}
done
if [ -n "$wpid" ] && kill -9 "$wpid"; then
    check_tickers wk "worker SIGKILL" allow-crashed
    deadline=$((SECONDS + 20)); st=
    while [ $SECONDS -lt $deadline ]; do
        req POST /v1/instances -d "{\"id\": \"after-$SECONDS-$RANDOM\", \"module\": \"ticker\", \"start\": true}"
        [ "$code" = 201 ] && break
        sleep 0.5
    done
    start_tickers wk2
    check_tickers wk2 "after the worker's restart"
else
    bad "worker SIGKILL" "no worker process of $T/state/workers holds good-wk-1's output file"
fi
check_machine "worker SIGKILL"
end_phase "worker SIGKILL"

if [ -s "$T/errors" ]; then bad "requests refused along the way" "$(head -3 "$T/errors")"; fi
kill -0 "$DPID" 2>/dev/null && ok "the daemon is still alive at the end" || bad "daemon" "died: $(tail -3 "$T/daemon.err")"
summary
