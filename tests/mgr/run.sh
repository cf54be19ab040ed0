#!/usr/bin/env bash
# The hypervisor daemon's suite: a real `lodged daemon` on a real Unix socket in a temporary directory,
# driven with curl. Every path and method in docs/api.yaml must be exercised here (the doc and the code
# cannot drift); bad requests must get a clear 4xx and change nothing; the daemon SIGKILLed and restarted
# finds its guests. With `lodged machine` and the default guest (guests/cache, or LODGE_GUEST_DIR), a real
# Linux machine is created, started, paused, resumed, stopped, and killed behind the daemon's back.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
LODGED=$PWD/$BUILD/lodged
pass=0; fail=0; skip=0
ok()   { pass=$((pass+1)); echo "ok   $1"; }
bad()  { fail=$((fail+1)); echo "FAIL $1${2:+: $2}"; }
skp()  { skip=$((skip+1)); echo "SKIP $1: $2"; }
check() { local name=$1; shift; if "$@"; then ok "$name"; else bad "$name" "$(tail -c 400 "$T/body" 2>/dev/null)"; fi; }
summary() { echo "$pass passed, $fail failed, $skip skipped"; [ "$fail" -eq 0 ]; exit $?; }

for tool in curl jq; do
    command -v $tool >/dev/null || { bad setup "$tool is not installed (tools/debian-packages.txt)"; summary; }
done
[ -x "$LODGED" ] || { bad setup "no $LODGED (make all)"; summary; }

T=$(mktemp -d "${TMPDIR:-/tmp}/lodge-mgr.XXXXXX")
SOCK=$T/run/lodged.sock
STATE=$T/state
DPID=
cleanup() {
    [ -n "$DPID" ] && kill -9 "$DPID" 2>/dev/null
    # Machine and worker processes outlive the daemon by design: end the ones this test made (their
    # command lines name this test's own temporary directory).
    for p in /proc/[0-9]*; do
        grep -qaF "$T/" "$p/cmdline" 2>/dev/null && kill -9 "${p#/proc/}" 2>/dev/null
    done
    rm -rf "$T"
}
trap cleanup EXIT

start_daemon() {   # start_daemon [options...]
    "$LODGED" daemon --socket "$SOCK" --state-dir "$STATE" "$@" >"$T/daemon.out" 2>>"$T/daemon.err" &
    DPID=$!
    for _ in $(seq 100); do [ -S "$SOCK" ] && grep -q listening "$T/daemon.out" && return 0; sleep 0.05; done
    return 1
}
stop_daemon() {    # SIGTERM, and wait
    kill -TERM "$DPID" 2>/dev/null
    for _ in $(seq 100); do kill -0 "$DPID" 2>/dev/null || break; sleep 0.05; done
    wait "$DPID" 2>/dev/null; DPID=
}

# req METHOD PATH [curl args...]: the status in $code, the body in $T/body; every call is logged so the
# coverage check below can match it against docs/api.yaml.
req() {
    local m=$1 p=$2; shift 2
    code=$(curl -s --max-time 20 --unix-socket "$SOCK" -X "$m" -o "$T/body" -w '%{http_code}' "$@" "http://lodge$p")
    echo "$m ${p%%\?*} $code" >>"$T/calls"
}
json() { jq -er "$1" "$T/body" >/dev/null 2>&1; }     # json FILTER: true when FILTER holds on the last body
fault() { [ "$code" = "$1" ] && json '.fault_message | length > 0'; }   # fault STATUS

# ---------------------------------------------------------------- the daemon comes up
check "daemon starts and says where it listens" start_daemon --overcommit 1.0
check "prints the socket path" grep -q "$SOCK" "$T/daemon.out"
check "socket is private (0600)" test "$(stat -c %a "$SOCK")" = 600

req GET /v1/host
check "GET /v1/host: capacity" json '.cpus > 0 and .memory_bytes > 0 and .overcommit == 1 and .memory_budget_bytes == .memory_bytes'
check "GET /v1/host: allocated, free, guests by state" json '.allocated.memory_bytes == 0 and .free.memory_bytes == .memory_budget_bytes and .guests.machines.running == 0 and .guests.instances.created == 0'
HOSTMEM=$(jq -r .memory_bytes "$T/body")
req POST /v1/host -d '{}'; check "POST /v1/host: 405" fault 405
req GET /v1/nothing; check "unknown path: 404 with fault_message" fault 404

# ---------------------------------------------------------------- HTTP framing
raw() { printf "$1" | timeout 5 socat -t 3 - UNIX-CONNECT:"$SOCK" >"$T/body" 2>/dev/null; }  # raw BYTES
raw 'hello there\r\n\r\n'; check "garbage request line: 400" grep -q '^HTTP/1.1 400 ' "$T/body"
raw 'GET /v1/host HTTP/3.0\r\n\r\n'; check "unknown HTTP version: 505" grep -q '^HTTP/1.1 505 ' "$T/body"
raw 'GET /v1/host HTTP/1.1\r\nno colon here\r\n\r\n'; check "malformed header: 400" grep -q '^HTTP/1.1 400 ' "$T/body"
raw 'POST /v1/machines HTTP/1.1\r\nContent-Length: 12x\r\n\r\n'; check "malformed Content-Length: 400" grep -q '^HTTP/1.1 400 ' "$T/body"
raw 'GET /v1/host HTTP/1.1\r\n\r\nGET /v1/machines HTTP/1.1\r\nConnection: close\r\n\r\n'
check "pipelined requests: two answers in order" bash -c "[ \$(grep -c '^HTTP/1.1 200' $T/body) = 2 ]"
raw 'HEAD /v1/host HTTP/1.1\r\n\r\nGET /v1/nothing HTTP/1.1\r\nConnection: close\r\n\r\n'
check "HEAD: headers only, the next answer follows at once" bash -c "grep -q '^HTTP/1.1 405' $T/body && grep -q '^HTTP/1.1 404' $T/body && [ \$(grep -c fault_message $T/body) = 1 ]"
code=$(curl -s --max-time 5 --unix-socket "$SOCK" -o "$T/body" -w '%{http_code}' -H 'Transfer-Encoding: chunked' -d '{}' http://lodge/v1/machines)
check "chunked request body: 411" fault 411
head -c $((2 * 1024 * 1024)) /dev/zero >"$T/big"
code=$(curl -s --max-time 10 --unix-socket "$SOCK" -o "$T/body" -w '%{http_code}' --data-binary @"$T/big" http://lodge/v1/machines)
check "2 MiB JSON body: 413" fault 413
code=$(curl -s --max-time 10 --unix-socket "$SOCK" -o "$T/body" -w '%{http_code}' -H "X-Big: $(head -c 20000 /dev/zero | tr '\0' a)" http://lodge/v1/host)
check "20 KB header: 413" fault 413
req GET '/v1/%zz'; check "bad percent-encoding: 400" fault 400
# hostile clients: requests assembled at random from HTTP's own pieces (fixed seed), raw random bytes
if command -v python3 >/dev/null; then
    python3 - "$SOCK" <<'PYEOF' >"$T/fuzz" 2>&1
import random, socket, sys
random.seed(7)
parts = [b"GET", b"POST", b"PUT", b"DELETE", b"/v1/", b"machines", b"instances", b"modules", b"/", b"%", b"%00",
         b"?", b"&", b"=", b" ", b"HTTP/1.1", b"HTTP/1.0", b"\r\n", b"\n", b":", b"Content-Length", b"Transfer-Encoding",
         b"chunked", b"Expect", b"100-continue", b"{", b"}", b'"', b"Upgrade", b"Connection", b"lodge-console",
         b"0", b"99999999999", b"-1", b"\r\n\r\n", b"\x00", b"\xff"]
for i in range(300):
    s = socket.socket(socket.AF_UNIX)
    s.connect(sys.argv[1])
    if i % 3 == 0:
        data = bytes(random.getrandbits(8) for _ in range(random.randint(1, 2000)))
    else:
        data = b"".join(random.choice(parts) for _ in range(random.randint(1, 60)))
    try:
        s.sendall(data)
        s.settimeout(0.1)
        s.recv(65536)
    except Exception:
        pass
    s.close()
print("sent")
PYEOF
    req GET /v1/host
    check "300 hostile requests: the daemon answers after them" test "$code" = 200
    sleep 0.3; req GET /metrics
    check "and closed every connection they opened" bash -c "grep -qx 'lodge_daemon_connections 1' $T/body"
else
    skp "hostile requests" "python3 is not installed"
fi
# keep-alive: two requests on one connection
curl -s --max-time 5 --unix-socket "$SOCK" -v http://lodge/v1/host http://lodge/v1/machines -o /dev/null -o /dev/null 2>"$T/ka"
check "keep-alive: the second request reuses the connection" grep -qi 're-using\|reusing' "$T/ka"
# a slow client holding a half-sent request does not block others
( printf 'GET /v1/host HTTP/1.1\r\nHost: x\r\n'; sleep 6 ) | timeout 7 socat - UNIX-CONNECT:"$SOCK" >/dev/null 2>&1 &
SLOW=$!
sleep 0.3
t0=$(date +%s%N); req GET /v1/host; t1=$(date +%s%N)
# (were the daemon waiting for the slow client, this request would take its 6 s)
check "a slow client does not block the daemon ($(( (t1 - t0) / 1000000 )) ms)" test "$code" = 200 -a $(( (t1 - t0) / 1000000 )) -lt 4000
kill "$SLOW" 2>/dev/null; wait "$SLOW" 2>/dev/null

# ---------------------------------------------------------------- bad machine requests change nothing
G=${LODGE_GUEST_DIR:-$PWD/guests/cache}
KERNEL=$G/Image; INITRD=$G/initramfs.cpio
[ -f "$KERNEL" ] || KERNEL=$T/fake-kernel
# (without the default guest: a file with an Image's magic, enough for the checks made at create)
[ -f "$KERNEL" ] || { head -c 56 /dev/zero; printf 'RSC\005'; head -c 4036 /dev/zero; } >"$KERNEL"
mreq() { req POST /v1/machines -H 'Content-Type: application/json' -d "$1"; }
mreq '{"kernel": '; check "malformed JSON: 400" fault 400
mreq '[1,2]'; check "JSON that is not an object: 400" fault 400
mreq "{\"kernel\": \"$KERNEL\", \"colour\": \"blue\"}"; check "unknown field: 400 naming it" bash -c "[ $code = 400 ] && grep -q colour $T/body"
mreq "{\"kernel\": \"$KERNEL\", \"mem_bytes\": \"256\"}"; check "wrong type: 400" fault 400
mreq "{\"kernel\": \"$KERNEL\", \"mem_bytes\": -5}"; check "negative size: 400" fault 400
mreq "{\"kernel\": \"$KERNEL\", \"mem_bytes\": 100000000}"; check "RAM not a whole MiB: 400" fault 400
mreq "{\"kernel\": \"$KERNEL\", \"cpus\": 99}"; check "too many cpus: 400" fault 400
mreq '{"kernel": "relative/Image"}'; check "relative kernel path: 400" fault 400
mreq "{\"kernel\": \"$T/missing\"}"; check "missing kernel: 400 naming the file" bash -c "[ $code = 400 ] && grep -q missing $T/body"
echo "not a kernel" >"$T/notkernel"
mreq "{\"kernel\": \"$T/notkernel\"}"; check "a file that is no kernel: 400 saying so" bash -c "[ $code = 400 ] && grep -q 'not a RISC-V Linux Image' $T/body"
mreq "{\"kernel\": \"$KERNEL\", \"disks\": [{\"path\": \"$KERNEL\", \"read_only\": true}, {\"path\": \"$KERNEL\", \"read_only\": true}]}"
check "the same disk twice (contradictory): 400" fault 400
mreq "{\"kernel\": \"$KERNEL\", \"net\": [{\"tap\": \"tap0\"}, {\"tap\": \"tap1\"}]}"; check "two network interfaces: 400" fault 400
mreq "{\"kernel\": \"$KERNEL\", \"disks\": [{\"path\": \"$KERNEL\", \"clone\": true, \"read_only\": true}]}"; check "a read-only clone (contradictory): 400" fault 400
mreq "{\"kernel\": \"$KERNEL\", \"disks\": [{\"path\": \"$KERNEL\", \"read_only\": true, \"size_bytes\": 1073741824}]}"; check "size_bytes without clone: 400" fault 400
mreq "{\"kernel\": \"$KERNEL\", \"kernel\": \"$KERNEL\"}"; check "duplicate field: 400" fault 400
mreq "{\"kernel\": \"$KERNEL\", \"id\": \"../etc\"}"; check "bad id: 400" fault 400
mreq "{\"kernel\": \"$KERNEL\", \"limits\": {\"cpu_weight\": 0}}"; check "cpu_weight out of range: 400" fault 400
mreq "{\"kernel\": \"$KERNEL\", \"mem_bytes\": $(( 64 * 1024 * 1024 * 1024 ))}"
check "admission control: 409 naming the figures" bash -c "[ $code = 409 ] && grep -q 'admission refused' $T/body && grep -q 'overcommit' $T/body"
req GET /v1/machines; check "nothing was created by the refused requests" json 'length == 0'
ls "$STATE/machines" >"$T/ls"; check "and nothing written to the state directory" test ! -s "$T/ls"
req GET /v1/machines/nope; check "GET unknown machine: 404" fault 404
req DELETE /v1/machines/nope; check "DELETE unknown machine: 404" fault 404
req POST /v1/machines/nope/actions -d '{"action":"start"}'; check "action on unknown machine: 404" fault 404
req GET /v1/machines/nope/stats; check "stats of unknown machine: 404" fault 404
req GET /v1/machines/nope/logs; check "logs of unknown machine: 404" fault 404
req GET /v1/machines/nope/console; check "console of unknown machine: 404" fault 404
req PATCH /v1/machines/nope -d '{"limits": {"cpu_weight": 10}}'; check "PATCH unknown machine: 404" fault 404

# ---------------------------------------------------------------- modules
WASM=$T/hello.wasm
if command -v wat2wasm >/dev/null; then
    cat >"$T/hello.wat" <<'EOF'
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "hello from an instance\n")
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 16)) (i32.store (i32.const 4) (i32.const 23))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))
EOF
    wat2wasm "$T/hello.wat" -o "$WASM"
else
    # the same module, assembled by hand for hosts without wabt
    printf '\0asm\1\0\0\0' >"$WASM"; bad setup "wat2wasm missing (wabt): module tests use an empty module"
fi
req POST '/v1/modules?id=hello' --data-binary @"$WASM"
check "POST /v1/modules: 201, validated, described" bash -c "[ $code = 201 ] && jq -e '.id == \"hello\" and (.sha256 | length) == 64 and .size_bytes > 0 and (.imports | length) == 1 and .imports[0].name == \"fd_write\"' $T/body >/dev/null"
req POST '/v1/modules?id=hello' --data-binary @"$WASM"; check "same bytes again: 200, no duplicate" test "$code" = 200
printf '\0asm\1\0\0\0' >"$T/empty.wasm"
req POST '/v1/modules?id=hello' --data-binary @"$T/empty.wasm"; check "other bytes under a taken id: 409" fault 409
req POST '/v1/modules' --data-binary 'not wasm at all'; check "invalid module: 400 with the validator's reason" bash -c "[ $code = 400 ] && grep -q 'not a valid WebAssembly module' $T/body"
req POST '/v1/modules?name=x' --data-binary @"$WASM"; check "unknown query parameter: 400" fault 400
# large uploads: curl asks "Expect: 100-continue"; past the 64 MiB bound the answer is 413 before the body
head -c $((3 * 1024 * 1024)) /dev/zero >"$T/3m.bin"
req POST '/v1/modules?id=big' --data-binary @"$T/3m.bin"; check "a 3 MiB upload is read whole (100-continue) and judged: 400" fault 400
truncate -s $((65 * 1024 * 1024)) "$T/65m.bin"
t0=$(date +%s%N); req POST '/v1/modules?id=huge' --data-binary @"$T/65m.bin"; t1=$(date +%s%N)
check "a 65 MiB upload: 413 at once ($(( (t1 - t0) / 1000000 )) ms)" fault 413
rm -f "$T/3m.bin" "$T/65m.bin"
req GET /v1/modules; check "GET /v1/modules: one module" json 'length == 1 and .[0].id == "hello"'
req GET /v1/modules/hello; check "GET /v1/modules/{id}" json '.id == "hello" and .instances == 0'
req GET /v1/modules/nope; check "GET unknown module: 404" fault 404
req POST '/v1/modules?id=scratch' --data-binary @"$T/empty.wasm"; check "a second module" test "$code" = 201
req DELETE /v1/modules/scratch; check "DELETE /v1/modules/{id}: 204" test "$code" = 204
req DELETE /v1/modules/scratch; check "DELETE it again: 404" fault 404
test ! -e "$STATE/modules/scratch.wasm"; check "its file is gone" test $? = 0

# ---------------------------------------------------------------- instances
ireq() { req POST /v1/instances -d "$1"; }
ireq '{"module": "hello", "args": "x"}'; check "instance: args not an array: 400" fault 400
ireq '{"module": "hello", "env": {"A=B": "c"}}'; check "instance: bad env name: 400" fault 400
ireq '{"module": "hello", "max_memory_bytes": 10}'; check "instance: max_memory_bytes too small: 400" fault 400
ireq '{"module": "hello", "dirs": [{"host": "/"}, {"host": "/tmp", "guest": "/"}]}'; check "instance: two dirs at one guest path: 400" fault 400
ireq '{"module": "nope"}'; check "instance of an unknown module: 404" fault 404
ireq "{\"module\": \"hello\", \"max_memory_bytes\": $((HOSTMEM + 1))}"; check "instance bigger than the host: 400" fault 400
req GET /v1/host
if json '.daemon.instances_unavailable'; then
    WHY=$(jq -r .daemon.instances_unavailable "$T/body")
    ireq '{"module": "hello", "id": "hi"}'; check "instances unavailable: 503 with the reason" fault 503
    req GET /v1/instances; check "GET /v1/instances: empty" json 'length == 0'
    for p in "POST /v1/instances/x/actions" "GET /v1/instances/x" "DELETE /v1/instances/x" "GET /v1/instances/x/stats" "GET /v1/instances/x/logs"; do
        set -- $p; req "$1" "$2" -d '{"action":"start"}'; check "$1 $2: 404 (no such instance)" fault 404
    done
    skp "instance lifecycle" "$WHY"
    INSTANCES=0
else
    INSTANCES=1
    ireq '{"module": "hello", "id": "hi", "args": ["a"], "env": {"K": "V"}, "max_memory_bytes": 1048576, "fuel": 1000000, "cpu_weight": 50}'
    check "POST /v1/instances: 201 created" bash -c "[ $code = 201 ] && jq -e '.state == \"created\" and .kind == \"instance\"' $T/body >/dev/null"
    ireq '{"module": "hello", "id": "hi"}'; check "an instance id taken: 409" fault 409
    req DELETE '/v1/instances/hi?forceful=1'; check "unknown query parameter on DELETE: 400, nothing removed" fault 400
    req GET /v1/instances; check "GET /v1/instances" json 'length == 1'
    req GET /v1/host; check "the instance's budget is allocated" json '.allocated.instances_memory_bytes == 1048576'
    req POST /v1/instances/hi/actions -d '{"action":"resume"}'; check "resume a created instance: 409" fault 409
    req POST /v1/instances/hi/actions -d '{"action":"start"}'; check "start: 200" test "$code" = 200
    for _ in $(seq 50); do req GET /v1/instances/hi; json '.state == "stopped"' && break; sleep 0.1; done
    check "the instance ran to its end: stopped, exit 0" json '.state == "stopped" and .exit_code == 0'
    req GET /v1/instances/hi/logs; check "GET /v1/instances/{id}/logs: its output" grep -q 'hello from an instance' "$T/body"
    req GET /v1/instances/hi/stats; check "GET /v1/instances/{id}/stats" json '.id == "hi" and (.memory_bytes | type) == "number"'
    req DELETE /v1/instances/hi; check "DELETE /v1/instances/{id}: 204" test "$code" = 204
    # a guest that never ends: pause, resume, stop, kill; its worker killed under it
    printf '%s\n' '(module' \
        '  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))' \
        '  (memory (export "memory") 1)' \
        '  (data (i32.const 16) "spinning\n")' \
        '  (func (export "_start")' \
        '    (i32.store (i32.const 0) (i32.const 16)) (i32.store (i32.const 4) (i32.const 9))' \
        '    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))' \
        '    (loop $l (br $l))))' >"$T/spin.wat"
    wat2wasm "$T/spin.wat" -o "$T/spin.wasm"
    req POST '/v1/modules?id=spin' --data-binary @"$T/spin.wasm"
    wait_inst() {   # wait_inst ID STATE SECONDS
        for _ in $(seq $(( $3 * 10 ))); do req GET /v1/instances/$1; json ".state == \"$2\"" && return 0; sleep 0.1; done
        return 1
    }
    ireq '{"module": "spin", "id": "s1", "start": true}'; check "create with start: running" json '.state == "running"'
    req POST /v1/instances/s1/actions -d '{"action":"pause"}'; check "instance pause: paused" json '.state == "paused"'
    req POST /v1/instances/s1/actions -d '{"action":"resume"}'; check "instance resume: running" json '.state == "running"'
    req DELETE /v1/modules/spin; check "a module in use cannot be deleted: 409" fault 409
    req POST /v1/instances/s1/actions -d '{"action":"stop"}'; check "instance stop: accepted" test "$code" = 200
    wait_inst s1 stopped 5; check "a spinning instance stops gracefully (exit 143)" json '.state == "stopped" and .exit_code == 143'
    curl -s --max-time 5 --unix-socket "$SOCK" 'http://lodge/v1/instances/s1/logs?follow=true' -o "$T/ifollow"
    check "logs?follow of an ended instance: its output, then the end" grep -q spinning "$T/ifollow"
    ireq '{"module": "spin", "id": "f1", "start": true, "fuel": 1000000}'
    wait_inst f1 stopped 10; check "an instance out of fuel: stopped, the trap recorded" json '.state == "stopped" and (.error | test("fuel"))'
    ireq '{"module": "spin", "id": "s2", "start": true}'
    req POST /v1/instances/s2/actions -d '{"action":"kill"}'; check "instance kill: stopped" json '.state == "stopped"'
    ireq '{"module": "spin", "id": "s3", "start": true}'
    # The workers of this test's daemon (their command lines name this test's state directory), killed
    # behind the daemon's back: s3 crashes, the daemon answers, the pool restarts them.
    : >"$T/workers"
    for p in /proc/[0-9]*; do
        { tr '\0' ' ' <"$p/cmdline"; } 2>/dev/null | grep -qF "worker --socket $STATE/workers/" && echo "${p#/proc/}" >>"$T/workers"
    done
    check "worker processes run ($(wc -l <"$T/workers"))" test -s "$T/workers"
    while read -r w; do [ -n "$w" ] && kill -9 "$w"; done <"$T/workers"
    check "a worker SIGKILLed: its instance is crashed" wait_inst s3 crashed 10
    req GET /v1/host; check "the daemon still answers after the workers died" test "$code" = 200
    ireq '{"module": "hello", "id": "after", "start": true}'
    check "a new instance runs on the restarted pool" wait_inst after stopped 10
    ireq '{"module": "spin", "id": "keep", "start": true}'
    ireq "{\"module\": \"hello\", \"max_memory_bytes\": $HOSTMEM}"
    check "instance admission: 409 when its budget does not fit" bash -c "[ $code = 409 ] && grep -q 'admission refused' $T/body"
fi

# ---------------------------------------------------------------- actions' own validation
req POST /v1/modules/hello -d x; check "POST on a module: 405" fault 405

# ---------------------------------------------------------------- machines (need lodged machine + guest)
MACHINES=1
if ! "$LODGED" machine --help >/dev/null 2>&1; then
    skp "machine lifecycle" "this lodged has no 'machine' verb yet"; MACHINES=0
elif [ ! -f "$G/Image" ] || [ ! -f "$G/initramfs.cpio" ]; then
    skp "machine lifecycle" "no default guest in $G (make guest, or set LODGE_GUEST_DIR)"; MACHINES=0
fi
wait_state() {  # wait_state ID STATE SECONDS
    for _ in $(seq $(( $3 * 10 ))); do req GET /v1/machines/$1; json ".state == \"$2\"" && return 0; sleep 0.1; done
    return 1
}
wait_log() {    # wait_log ID TEXT SECONDS
    for _ in $(seq $(( $3 * 5 ))); do req GET /v1/machines/$1/logs; grep -qa -- "$2" "$T/body" && return 0; sleep 0.2; done
    return 1
}
if [ $MACHINES = 1 ]; then
    DISKS=""
    if [ -f "$G/disk.ext4" ] && command -v qemu-img >/dev/null; then
        BASESUM=$(sha256sum <"$G/disk.ext4")
        DISKS=", \"disks\": [{\"path\": \"$G/disk.ext4\", \"clone\": true, \"size_bytes\": 134217728}]"
    fi
    mreq "{\"id\": \"vm1\", \"kernel\": \"$KERNEL\", \"initrd\": \"$INITRD\", \"cmdline\": \"console=ttyS0\", \"mem_bytes\": 268435456, \"cpus\": 1, \"limits\": {\"cpu_weight\": 200}$DISKS}"
    check "POST /v1/machines: 201 created" bash -c "[ $code = 201 ] && jq -e '.state == \"created\" and .pid > 0' $T/body >/dev/null"
    MPID=$(jq -r .pid "$T/body")
    mreq "{\"id\": \"vm1\", \"kernel\": \"$KERNEL\"}"; check "a machine id taken: 409" fault 409
    req GET /v1/host; check "RAM + overhead allocated" json ".allocated.machines_memory_bytes == 268435456 + .machine_overhead_bytes and .guests.machines.created == 1"
    req POST /v1/machines/vm1/actions -d '{"action":"pause"}'; check "pause a created machine: 409" fault 409
    req POST /v1/machines/vm1/actions -d '{"action":"fly"}'; check "unknown action: 400" fault 400
    req POST /v1/machines/vm1/actions -d '{"action":"start","timeout_s":3}'; check "timeout_s with start (contradictory): 400" fault 400
    req GET /v1/machines/vm1; check "still created after the refusals" json '.state == "created"'
    req GET /v1/machines/vm1; check "the machine process is jailed, and says how" json '.jail | test("in force: .*mountns")'
    req POST /v1/machines/vm1/actions -d '{"action":"start"}'; check "start: running" json '.state == "running"'
    check "the console log reaches the shell prompt" wait_log vm1 '/ # ' 60
    req GET '/v1/machines/vm1/logs?tail=5'; check "logs?tail=5: five bytes" test "$(wc -c <"$T/body")" = 5
    req GET '/v1/machines/vm1/logs?follow=maybe'; check "logs?follow=maybe: 400" fault 400
    req PATCH /v1/machines/vm1 -d '{"limits": {"cpu_max_percent": 50}, "colour": 1}'; check "PATCH with an unknown field: 400" fault 400
    req PATCH /v1/machines/vm1 -d '{"disks": [{}, {}]}'; check "PATCH with more disks than the machine has: 400" fault 400
    req PATCH /v1/machines/vm1 -d '{"limits": {"cpu_max_percent": 50}}'
    if json '.jail | test("cgroup-cpu")'; then
        check "PATCH limits: 200, recorded" json '.config.limits.cpu_max_percent == 50 and .config.limits.cpu_weight == 200'
        CG=$(awk -F: '$2 ~ /(^|,)cpu(,|$)/ {print $3}' /proc/"$MPID"/cgroup)
        MNT=$(awk '$3 == "cgroup" && $4 ~ /(^|,)cpu(,|$)/ {print $2; exit}' /proc/mounts)
        check "the cap reaches the machine's cgroup (cfs quota 50000)" test "$(cat "$MNT$CG/cpu.cfs_quota_us" 2>/dev/null)" = 50000
    else
        check "PATCH limits without a cgroup: 409 saying why" fault 409
    fi
    if [ -n "$DISKS" ]; then
        req PATCH /v1/machines/vm1 -d '{"disks": [{"rate_limiter": {"bandwidth": {"size": 1048576, "refill_time": 1000}}}]}'
        if [ "$code" = 400 ] && grep -q 'not supported' "$T/body"; then
            skp "PATCH a disk's rate limiter" "the machine process refuses: $(jq -r .fault_message "$T/body" | cut -c1-90)"
        else
            check "PATCH a disk's rate limiter while running: 200, recorded" json '.config.disks[0].rate_limiter.bandwidth.size == 1048576'
        fi
    fi
    req POST /v1/machines/vm1/actions -d '{"action":"pause"}'; check "pause: paused" json '.state == "paused"'
    req GET /v1/machines/vm1/stats; I1=$(jq -r .instructions "$T/body"); sleep 0.5
    req GET /v1/machines/vm1/stats; I2=$(jq -r .instructions "$T/body")
    check "paused: no instruction retires ($I1 -> $I2)" test "$I1" = "$I2" -a "$I1" != 0
    req POST /v1/machines/vm1/actions -d '{"action":"resume"}'; check "resume: running" json '.state == "running"'
    # console attach: type a command, read its output through the upgraded connection
    code=$(curl -s --max-time 5 --unix-socket "$SOCK" -o "$T/body" -w '%{http_code}' http://lodge/v1/machines/vm1/console)
    echo "GET /v1/machines/vm1/console $code" >>"$T/calls"
    check "console without the upgrade headers: 400" fault 400
    if command -v socat >/dev/null; then
        ( printf 'GET /v1/machines/vm1/console HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: lodge-console\r\n\r\n'
          sleep 0.5; printf 'echo attach-$((6*7))\n'; sleep 2 ) | timeout 5 socat - UNIX-CONNECT:"$SOCK" >"$T/attach" 2>/dev/null
        echo "GET /v1/machines/vm1/console 101" >>"$T/calls"
        check "console attach: 101, typed command runs" bash -c "grep -qa '101 Switching' $T/attach && grep -qa 'attach-42' $T/attach"
    else
        skp "console attach" "socat is not installed"
    fi
    curl -s --max-time 3 --unix-socket "$SOCK" -N 'http://lodge/v1/machines/vm1/logs?follow=true' -o "$T/follow" &
    FOL=$!
    sleep 1
    req GET /metrics
    check "/metrics: the machine's state and counters" bash -c "grep -q 'lodge_guest_state{kind=\"machine\",id=\"vm1\",state=\"running\"} 1' $T/body && grep -q 'lodge_machine_instructions_total{id=\"vm1\"}' $T/body"
    req POST /v1/machines/vm1/actions -d '{"action":"stop","timeout_s":8}'; check "stop (graceful): accepted" test "$code" = 200
    wait_state vm1 stopped 15
    # A guest whose init handles the power button powers off; one that ignores it is killed at the deadline.
    check "stop: the guest ends, by poweroff or at the deadline ($(jq -r .exit.reason "$T/body"))" json '.state == "stopped" and (.exit.reason == "poweroff" or .exit.reason == "killed")'
    wait "$FOL" 2>/dev/null
    check "logs?follow streamed the console and ended with the machine" grep -qa '/ # ' "$T/follow"
    req GET /v1/machines/vm1; check "exit reason recorded" json '.exit.reason != null and .pid == 0'
    req POST /v1/machines/vm1/actions -d '{"action":"start"}'; check "start a stopped machine: 409" fault 409
    req PATCH /v1/machines/vm1 -d '{"limits": {"cpu_weight": 10}}'; check "PATCH a stopped machine: 409" fault 409
    req GET /v1/host; check "a stopped machine holds no memory" json '.allocated.machines_memory_bytes == 0'
    if [ -n "$DISKS" ]; then
        OVL=$STATE/machines/vm1/io/vda.qcow2
        check "the disk clone is a qcow2 overlay over the base" bash -c "qemu-img info '$OVL' | grep -q 'backing file: $G/disk.ext4'"
        check "qemu-img check finds the clone clean" qemu-img check -q "$OVL"
        check "the base image is unchanged" test "$(sha256sum <"$G/disk.ext4")" = "$BASESUM"
    else
        skp "disk clone" "no $G/disk.ext4 or no qemu-img"
    fi

    # crash: the machine process killed behind the daemon's back
    mreq "{\"id\": \"vm2\", \"kernel\": \"$KERNEL\", \"initrd\": \"$INITRD\", \"start\": true}"
    check "create with start: running" json '.state == "running"'
    kill -9 "$(jq -r .pid "$T/body")"
    check "machine process SIGKILLed: crashed" wait_state vm2 crashed 5
    check "the crash says why" json '.error | test("signal 9")'
    req GET /v1/host; check "the daemon still answers" test "$code" = 200
    req DELETE /v1/machines/vm2; check "DELETE a crashed machine: 204" test "$code" = 204
    # kill
    mreq "{\"id\": \"vm3\", \"kernel\": \"$KERNEL\", \"initrd\": \"$INITRD\", \"start\": true}"
    req DELETE /v1/machines/vm3; check "DELETE a running machine: 409" fault 409
    req POST /v1/machines/vm3/actions -d '{"action":"kill"}'; check "kill: stopped, killed" json '.state == "stopped" and .exit.reason == "killed"'
    # a machine left running across a daemon SIGKILL
    mreq "{\"id\": \"vm4\", \"kernel\": \"$KERNEL\", \"initrd\": \"$INITRD\", \"start\": true}"
    VM4PID=$(jq -r .pid "$T/body")
    # one paused when the daemon dies, one whose process dies while no daemon watches
    mreq "{\"id\": \"vm5\", \"kernel\": \"$KERNEL\", \"initrd\": \"$INITRD\", \"start\": true}"
    req POST /v1/machines/vm5/actions -d '{"action":"pause"}'
    mreq "{\"id\": \"vm6\", \"kernel\": \"$KERNEL\", \"initrd\": \"$INITRD\", \"start\": true}"
    VM6PID=$(jq -r .pid "$T/body")
    wait_log vm4 '/ # ' 60 >/dev/null
fi

# ---------------------------------------------------------------- the daemon SIGKILLed and restarted
req GET /v1/modules; NMOD=$(jq length "$T/body")
kill -9 "$DPID"; wait "$DPID" 2>/dev/null; DPID=
[ $MACHINES = 1 ] && kill -9 "$VM6PID"
check "restart after SIGKILL (stale socket replaced)" start_daemon
req GET /v1/modules; check "modules found again" json "length == $NMOD"
if [ $INSTANCES = 1 ]; then
    req GET /v1/instances/keep; check "an instance running across the daemon's SIGKILL is found running" json '.state == "running"'
    req GET /metrics
    check "/metrics: a spinning instance's CPU time" bash -c "awk '/^lodge_guest_cpu_seconds_total\{kind=\"instance\",id=\"keep\"\}/ {exit !(\$2 > 0)}' $T/body && grep -q 'lodge_guest_state{kind=\"instance\",id=\"keep\",state=\"running\"} 1' $T/body"
    req DELETE '/v1/instances/keep?force=true'; check "DELETE a running instance with ?force=true: 204" test "$code" = 204
fi
if [ $MACHINES = 1 ]; then
    check "the machine kept running meanwhile" kill -0 "$VM4PID"
    req GET /v1/machines/vm4; check "its record is found, still running" json ".state == \"running\" and .pid == $VM4PID"
    req GET /v1/machines/vm1; check "a stopped machine's record is found" json '.state == "stopped"'
    req GET /v1/machines/vm5; check "a machine paused when the daemon died is found paused" json '.state == "paused"'
    req GET /v1/machines/vm6; check "a machine that died while no daemon watched is crashed, and says so" json '.state == "crashed" and (.error | test("exit status is unknown"))'
    req DELETE '/v1/machines/vm5?force=true'; check "DELETE a paused machine with ?force=true: 204" test "$code" = 204
    req DELETE '/v1/machines/vm4?force=true'; check "DELETE ?force=true: 204" test "$code" = 204
    gone() { for _ in $(seq 30); do st=$(awk '{print $3}' /proc/$1/stat 2>/dev/null); [ -z "$st" -o "$st" = Z ] && return 0; sleep 0.1; done; return 1; }
    check "its process is gone" gone "$VM4PID"
    req DELETE /v1/machines/vm1; check "DELETE /v1/machines/{id}: 204" test "$code" = 204
fi
check "a second daemon on the same state directory is refused" bash -c "! '$LODGED' daemon --socket '$T/other.sock' --state-dir '$STATE' >/dev/null 2>&1"
check "a second daemon on the same socket is refused" bash -c "! '$LODGED' daemon --socket '$SOCK' --state-dir '$T/state2' >/dev/null 2>&1"
check "bad flags: usage error" bash -c "'$LODGED' daemon --overcommit lots 2>&1 | grep -q overcommit"
# The defaults: the socket under XDG_RUNTIME_DIR, the state under XDG_STATE_HOME; LODGE_SOCKET overrides.
mkdir -p "$T/xdg" "$T/xs"; chmod 700 "$T/xdg"
default_daemon() {  # default_daemon EXPECTED-SOCKET [env...]: start with no --socket/--state-dir, see where it listens
    local want=$1; shift
    env "$@" XDG_RUNTIME_DIR="$T/xdg" XDG_STATE_HOME="$T/xs" "$LODGED" daemon >"$T/def.out" 2>&1 &
    local pid=$!
    for _ in $(seq 100); do [ -S "$want" ] && break; sleep 0.05; done
    local ok=1
    curl -s --max-time 5 --unix-socket "$want" http://lodge/v1/host | jq -e ".daemon.state_dir == \"$T/xs/lodge\"" >/dev/null && grep -q "$want" "$T/def.out" && ok=0
    kill -TERM $pid; wait $pid 2>/dev/null
    return $ok
}
check "default socket \$XDG_RUNTIME_DIR/lodge/lodged.sock, state \$XDG_STATE_HOME/lodge" default_daemon "$T/xdg/lodge/lodged.sock"
check "LODGE_SOCKET overrides the default socket" default_daemon "$T/xdg/other.sock" LODGE_SOCKET="$T/xdg/other.sock"
mkdir -p "$T/open"; chmod 777 "$T/open"
check "a socket directory others can write is refused" bash -c "! '$LODGED' daemon --socket '$T/open/s.sock' --state-dir '$T/state3' 2>&1 | grep -q listening"

# ---------------------------------------------------------------- /metrics parses as Prometheus text
req GET /metrics
check "/metrics: 200 text/plain" test "$code" = 200
check "/metrics: every line is a comment or 'name{labels} value'" bash -c "grep -vE '^# (HELP|TYPE) [a-z_]+ |^[a-z_]+(\{[a-z_]+=\"[^\"]*\"(,[a-z_]+=\"[^\"]*\")*\})? -?[0-9.e+]+$' $T/body | wc -l | grep -qx 0"
check "/metrics: daemon counters" bash -c "grep -q '^lodge_daemon_requests_total [1-9]' $T/body && grep -q '^lodge_daemon_admission_refusals_total' $T/body"

# ---------------------------------------------------------------- every documented path answers as documented
# docs/api.yaml's operations with their documented statuses: "METHOD PATH CODE CODE ...".
awk '/^paths:/{p=1;next} /^components:/{p=0}
     p && /^  \/[^ ]*:$/{if(op!="")print op; op=""; path=$1; sub(/:$/,"",path)}
     p && /^    (get|post|put|patch|delete):/{if(op!="")print op; m=$1; sub(/:$/,"",m); op=toupper(m) " " path}
     p && op!="" && /^        "[0-9][0-9][0-9]":/{c=$1; gsub(/[":]/,"",c); op=op " " c}
     END{if(op!="")print op}' docs/api.yaml >"$T/doc"
ndoc=$(wc -l <"$T/doc")
# Statuses any route may give (docs/api.yaml's conventions): framing and method errors.
GENERIC=" 405 411 413 505 "
while read -r m p codes; do
    re="^$m $(sed 's/{id}/[^\/]+/g' <<<"$p") "
    seen=$(grep -E "$re[0-9]+$" "$T/calls" | awk '{print $3}' | sort -u | tr '\n' ' ')
    if [ -z "$seen" ]; then bad "documented $m $p" "never exercised by this suite"; continue; fi
    undocumented=""; documented=""
    for c in $seen; do
        if [[ " $codes " == *" $c "* ]]; then documented+="$c "
        elif [[ "$GENERIC" != *" $c "* ]]; then undocumented+="$c "; fi
    done
    if [ -n "$undocumented" ]; then bad "documented $m $p" "answered $undocumented, which docs/api.yaml does not list ($codes)"
    elif [ -z "$documented" ]; then bad "documented $m $p" "never answered with a documented status ($codes)"
    else ok "$m $p answers as documented ($documented)"; fi
done <"$T/doc"
check "docs/api.yaml lists its operations ($ndoc)" test "$ndoc" -ge 20

stop_daemon
check "SIGTERM: the daemon ends and removes its socket" test ! -S "$SOCK"
check "no sanitizer report from the daemon" bash -c "! grep -E 'Sanitizer|runtime error' $T/daemon.err"
summary
