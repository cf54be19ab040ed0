#!/usr/bin/env bash
# The machine process's Firecracker API (lodged machine, docs/firecracker-api.md): the request checks' unit
# tests, then real processes on real sockets driven with curl: every endpoint's success path, bad requests
# (each a 400 that changes nothing), Firecracker's getting-started sequence booting the default guest to its
# shell, pause and resume, the console socket, SendCtrlAltDel, --config-file, SIGTERM and SIGKILL.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
LODGED=$BUILD/lodged
BOOT_TIMEOUT=${BOOT_TIMEOUT:-180}
OUT=$BUILD/fcapi-run
rm -rf "$OUT"; mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
SOCK=$(mktemp -d /tmp/lodge-fcapi.XXXXXX)   # Unix socket paths are short: they live apart from OUT
pass=0; fail=0; skip=0
ok()  { echo "PASS $1"; pass=$((pass+1)); }
bad() { echo "FAIL $1: $2"; fail=$((fail+1)); }
skp() { echo "SKIP $1: $2"; skip=$((skip+1)); }
check() { if [ "$2" = 0 ]; then ok "$1"; else bad "$1" "$3"; fi; }   # check NAME STATUS DETAIL

PIDS=(); TAPS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done
    for t in "${TAPS[@]}"; do ip link del "$t" 2>/dev/null; done
    rm -rf "$SOCK"
}
trap cleanup EXIT

finish() {
    echo "$pass passed, $fail failed, $skip skipped"
    [ "$fail" -eq 0 ]
    exit
}

# ---- unit tests of the request checks ----
[ -x "$BUILD/fcapi-unit-tests" ] || make -s "BUILD=$BUILD" "$BUILD/fcapi-unit-tests" >/dev/null 2>&1
if [ -x "$BUILD/fcapi-unit-tests" ]; then
    "$BUILD/fcapi-unit-tests" >"$OUT/unit.log" 2>&1; rc=$?
    check unit $rc "$(grep -m5 FAIL "$OUT/unit.log"; tail -1 "$OUT/unit.log")"
else
    bad unit "cannot build $BUILD/fcapi-unit-tests"
fi
if [ ! -x "$LODGED" ]; then bad lodged "$LODGED is not built (make all)"; finish; fi
for t in curl jq; do
    command -v $t >/dev/null || { skp process-tests "$t is not installed (tools/debian-packages.txt)"; finish; }
done

# ---- helpers ----
# start NAME OPTIONS...: a machine process with its API on $SOCK/NAME.sock; sets PID.
start() {
    local name=$1; shift
    "$LODGED" machine --api-sock "$SOCK/$name.sock" "$@" >"$OUT/$name.out" 2>&1 &
    PID=$!; PIDS+=("$PID")
    # Ready when it answers (the socket file appears at bind(), a moment before listen()).
    for _ in $(seq 1 100); do
        [ -S "$SOCK/$name.sock" ] && curl -s -o /dev/null --max-time 5 --unix-socket "$SOCK/$name.sock" \
            http://localhost/ && return 0
        sleep 0.05
    done
    return 1
}
# api NAME METHOD PATH [BODY]: sets CODE and BODY.
api() {
    local args=(-s -o "$OUT/resp" -w '%{http_code}' --max-time 20 --unix-socket "$SOCK/$1.sock" -X "$2")
    [ $# -ge 4 ] && args+=(-H 'Content-Type: application/json' --data-binary "$4")
    CODE=$(curl "${args[@]}" "http://localhost$3"); BODY=$(cat "$OUT/resp" 2>/dev/null)
}
# expect NAME TEST CODE METHOD PATH [BODY] [TEXT]: the answer has that code (and the text in its body).
expect() {
    local name=$1 test=$2 code=$3 text=${7:-}
    if [ $# -ge 6 ] && [ "$4" != GET ]; then api "$name" "$4" "$5" "$6"; else api "$name" "$4" "$5"; fi
    if [ "$CODE" = "$code" ] && { [ -z "$text" ] || grep -qF -- "$text" <<<"$BODY"; }; then ok "$test"
    else bad "$test" "$4 $5 -> $CODE $BODY (wanted $code${text:+ with '$text'})"; fi
}
# wait_exit PID SECONDS: sets RC (or 255 on timeout).
wait_exit() {
    for _ in $(seq 1 $(($2 * 10))); do
        kill -0 "$1" 2>/dev/null || { wait "$1" 2>/dev/null; RC=$?; return 0; }
        sleep 0.1
    done
    RC=255; return 1
}
# wait_for FILE TEXT SECONDS
wait_for() {
    for _ in $(seq 1 $(($3 * 4))); do grep -aqF -- "$2" "$1" 2>/dev/null && return 0; sleep 0.25; done
    return 1
}

# ---- the command line ----
"$LODGED" machine >"$OUT/usage.out" 2>&1; r1=$?
"$LODGED" machine --api-sock "$SOCK/x.sock" --bogus 1 >>"$OUT/usage.out" 2>&1; r2=$?
"$LODGED" machine --api-sock "$SOCK/x.sock" --id 'no spaces' >>"$OUT/usage.out" 2>&1; r3=$?
"$BUILD/lodge" boot --api-sock "$SOCK/x.sock" --help >"$OUT/boot-help.out" 2>&1; r4=$?
st=1; [ $r1 = 2 ] && [ $r2 = 2 ] && [ $r3 = 2 ] && [ $r4 = 0 ] && grep -q "lodged machine" "$OUT/boot-help.out" \
    && grep -q "unknown option --bogus" "$OUT/usage.out" && [ ! -e "$SOCK/x.sock" ] && st=0
check usage $st "rc=$r1 $r2 $r3 $r4: $(cat "$OUT/usage.out")"
echo '{"boot-source": {"kernel_image_path": "/nonexistent/Image"}}' >"$OUT/bad-config.json"
"$LODGED" machine --api-sock "$SOCK/bad.sock" --config-file "$OUT/bad-config.json" >"$OUT/bad-config.out" 2>&1; r=$?
st=1; [ $r = 1 ] && grep -q "/nonexistent/Image: No such file" "$OUT/bad-config.out" && [ ! -e "$SOCK/bad.sock" ] && st=0
check config-file-missing-kernel $st "rc=$r: $(cat "$OUT/bad-config.out")"

# ---- every endpoint before the start, and the requests that must change nothing ----
touch "$OUT/fake-kernel"; truncate -s 1M "$OUT/fake-disk"
if ! start a --id api-test --exit-file "$OUT/a.exit"; then bad api-start "no socket: $(cat "$OUT/a.out")"; finish; fi
expect a get-info 200 GET / "" '"state":"Not started"'
grep -q '"id":"api-test"' <<<"$BODY" && grep -q '"app_name":"Lodge"' <<<"$BODY" || bad get-info-fields "$BODY"
expect a get-version 200 GET /version "" firecracker_version
expect a get-machine-config-default 200 GET /machine-config "" '"vcpu_count":1,"mem_size_mib":128'
expect a put-machine-config 204 PUT /machine-config '{"vcpu_count": 2, "mem_size_mib": 256, "smt": false}'
expect a patch-machine-config 204 PATCH /machine-config '{"mem_size_mib": 512}'
api a GET /machine-config; MC=$BODY
[ "$(jq -c '[.vcpu_count,.mem_size_mib]' <<<"$MC")" = "[2,512]" ] && ok machine-config-applied \
    || bad machine-config-applied "$MC"
# Each bad request: a 400 with a clear message, and GET /machine-config unchanged.
bad_mc() {
    expect a "$1" 400 PUT /machine-config "$2" "$3"
    api a GET /machine-config
    [ "$BODY" = "$MC" ] || bad "$1-unchanged" "$BODY"
}
bad_mc malformed-json '{"vcpu_count": 4, "mem_size_mib": ' "malformed JSON"
bad_mc trailing-garbage '{"vcpu_count": 4, "mem_size_mib": 64} x' "after the object"
bad_mc not-an-object '[4, 64]' "must be an object"
bad_mc unknown-field '{"vcpu_count": 4, "mem_size_mib": 64, "cpus": 4}' 'unknown field `cpus`'
bad_mc wrong-type '{"vcpu_count": "4", "mem_size_mib": 64}' '`vcpu_count` must be a non-negative integer'
bad_mc missing-field '{"vcpu_count": 4}' 'missing required field `mem_size_mib`'
bad_mc too-many-vcpus '{"vcpu_count": 64, "mem_size_mib": 64}' "1 to 8 harts"
bad_mc smt-unsupported '{"vcpu_count": 4, "mem_size_mib": 64, "smt": true}' "simultaneous multithreading"
bad_mc huge-pages-unsupported '{"vcpu_count": 4, "mem_size_mib": 64, "huge_pages": "2M"}' "huge_pages 2M"
bad_mc empty-body '' "needs a JSON body"
expect a boot-source-missing-kernel 400 PUT /boot-source '{"kernel_image_path": "/nonexistent/vmlinux"}' \
    "/nonexistent/vmlinux: No such file or directory"
api a GET /vm/config
[ "$(jq -c '."boot-source"' <<<"$BODY")" = null ] && ok boot-source-unchanged || bad boot-source-unchanged "$BODY"
expect a start-without-kernel 400 PUT /actions '{"action_type": "InstanceStart"}' "without kernel configuration"
expect a ctrlaltdel-before-start 400 PUT /actions '{"action_type": "SendCtrlAltDel"}' "before starting"
expect a pause-before-start 400 PATCH /vm '{"state": "Paused"}' "before starting"
expect a drive-patch-before-start 400 PATCH /drives/rootfs '{"drive_id": "rootfs"}' "before starting"
expect a lodge-stop-before-start 400 PUT /lodge/actions '{"action_type": "Stop"}' "not running"
expect a unknown-action 400 PUT /actions '{"action_type": "Reboot"}' "expected one of InstanceStart"
expect a bad-vm-state 400 PATCH /vm '{"state": "Frozen"}' "expected one of Paused, Resumed"
expect a put-boot-source 204 PUT /boot-source "{\"kernel_image_path\": \"$OUT/fake-kernel\", \"boot_args\": \"console=ttyS0\"}"
expect a put-drive 204 PUT /drives/rootfs "{\"drive_id\": \"rootfs\", \"path_on_host\": \"$OUT/fake-disk\", \"is_root_device\": true, \"is_read_only\": false, \"cache_type\": \"Unsafe\", \"io_engine\": \"Sync\"}"
expect a drive-id-mismatch 400 PUT /drives/data "{\"drive_id\": \"rootfs\", \"path_on_host\": \"$OUT/fake-disk\", \"is_root_device\": false}" "does not match the id from the body"
expect a second-root-drive 400 PUT /drives/data "{\"drive_id\": \"data\", \"path_on_host\": \"$OUT/fake-disk\", \"is_root_device\": true}" "A root block device already exists!"
expect a drive-missing-file 400 PUT /drives/data "{\"drive_id\": \"data\", \"path_on_host\": \"$OUT/none.img\", \"is_root_device\": false}" "none.img: No such file"
expect a drive-bad-rate-limiter 400 PUT /drives/data "{\"drive_id\": \"data\", \"path_on_host\": \"$OUT/fake-disk\", \"is_root_device\": false, \"rate_limiter\": {\"bandwidth\": {\"size\": 1048576}}}" 'missing required field `refill_time`'
expect a drive-rate-limited 204 PUT /drives/data "{\"drive_id\": \"data\", \"path_on_host\": \"$OUT/fake-disk\", \"is_root_device\": false, \"rate_limiter\": {\"bandwidth\": {\"size\": 1048576, \"refill_time\": 1000}}}"
expect a net-missing-tap 400 PUT /network-interfaces/eth0 '{"iface_id": "eth0", "host_dev_name": "lodgenotap0"}' "no such network interface"
if [ -e /sys/class/net/lo ]; then
    expect a put-network-interface 204 PUT /network-interfaces/eth0 '{"iface_id": "eth0", "host_dev_name": "lo"}'
    expect a net-patch-before-start 400 PATCH /network-interfaces/eth0 '{"iface_id": "eth0"}' "before starting"
fi
expect a put-entropy 204 PUT /entropy '{}'
expect a put-logger 204 PUT /logger "{\"log_path\": \"$OUT/a.log\", \"level\": \"Debug\", \"show_level\": true}"
mkfifo "$OUT/nobody.fifo"
expect a metrics-fifo-no-reader 400 PUT /metrics "{\"metrics_path\": \"$OUT/nobody.fifo\"}" "a named pipe with no reader"
expect a put-metrics 204 PUT /metrics "{\"metrics_path\": \"$OUT/a.metrics\"}"
expect a flush-metrics 204 PUT /actions '{"action_type": "FlushMetrics"}'
jq -e '.lodge.state == "created"' "$OUT/a.metrics" >/dev/null 2>&1 && ok metrics-line || bad metrics-line "$(cat "$OUT/a.metrics" 2>&1)"
expect a get-vm-config 200 GET /vm/config
[ "$(jq -c '[.drives[0].drive_id, ."boot-source".boot_args, ."machine-config".mem_size_mib, (.entropy != null)]' <<<"$BODY")" \
    = '["rootfs","console=ttyS0",512,true]' ] && ok vm-config-fields || bad vm-config-fields "$BODY"
expect a lodge-stats-before-start 200 GET /lodge/stats "" '"state":"created"'
expect a unsupported-balloon 400 PUT /balloon '{"amount_mib": 1, "deflate_on_oom": true}' "balloon device is not supported"
expect a invalid-path 400 GET /nowhere "" "Invalid request method and/or path: GET /nowhere."
expect a wrong-method 400 GET /boot-source "" "Invalid request method and/or path"
grep -q "PUT /machine-config: 400" "$OUT/a.log" 2>/dev/null || grep -q "received a GET request" "$OUT/a.log" \
    && ok logger-writes || bad logger-writes "$(cat "$OUT/a.log" 2>&1 | tail -3)"
# A machine that cannot be built: the start is refused with the reason and the process keeps serving.
expect a start-bad-kernel 400 PUT /actions '{"action_type": "InstanceStart"}' "Failed to start microVM"
expect a still-not-started 200 GET / "" '"state":"Not started"'
kill -TERM "$PID"; wait_exit "$PID" 10
st=1; [ "$RC" = 143 ] && [ ! -e "$SOCK/a.sock" ] && jq -e '.exit == "stopped"' "$OUT/a.exit" >/dev/null && st=0
check sigterm-before-start $st "rc=$RC sock=$(ls "$SOCK") exit=$(cat "$OUT/a.exit" 2>&1)"

# ---- the default guest ----
G=${LODGE_GUEST_DIR:-guests/cache}
need=""
for f in Image initramfs.cpio; do [ -r "$G/$f" ] || need="$need $G/$f"; done
for t in cpio mkfs.ext4 socat debugfs; do command -v $t >/dev/null || need="$need $t"; done
if [ -n "$need" ]; then
    for t in getting-started pause-resume console-socket send-ctrl-alt-del config-file sigkill; do
        skp $t "missing:$need (make guest; LODGE_GUEST_DIR; tools/debian-packages.txt)"
    done
    finish
fi
# Firecracker's guests boot from a root file system on /dev/vda: one made from the default guest's initramfs
# (busybox) and this tree's guests/init, which Linux runs as /sbin/init.
mkdir -p "$OUT/rootfs" && (cd "$OUT/rootfs" && cpio -id --quiet 2>/dev/null) <"$G/initramfs.cpio"
mkdir -p "$OUT/rootfs/sbin" && install -m 0755 guests/init "$OUT/rootfs/init" && install -m 0755 guests/init "$OUT/rootfs/sbin/init"
if ! mkfs.ext4 -q -F -d "$OUT/rootfs" "$OUT/rootfs.ext4" 32M >"$OUT/mkfs.out" 2>&1; then
    bad rootfs "mkfs.ext4: $(cat "$OUT/mkfs.out")"; finish
fi
cp "$OUT/rootfs.ext4" "$OUT/rootfs2.ext4"
KERNEL=$(cd "$G" && pwd)/Image
PROMPT="/ # "

# Firecracker's getting-started sequence (docs/getting-started.md), only the paths changed.
start gs --id gs-vm --console-log "$OUT/gs.console" --console-sock "$SOCK/gs.console" --exit-file "$OUT/gs.exit" \
    || bad getting-started "no socket: $(cat "$OUT/gs.out")"
API_SOCKET=$SOCK/gs.sock
LOGFILE=$OUT/gs.fclog
ROOTFS=$OUT/rootfs.ext4
KERNEL_BOOT_ARGS="console=ttyS0 reboot=k panic=1 pci=off"
touch "$LOGFILE"
gs_codes=""
gs() { gs_codes="$gs_codes $(curl -s -o /dev/null -w '%{http_code}' --max-time 30 -X PUT --unix-socket "${API_SOCKET}" "$@")"; }
gs --data "{
        \"log_path\": \"${LOGFILE}\",
        \"level\": \"Debug\",
        \"show_level\": true,
        \"show_log_origin\": true
    }" "http://localhost/logger"
gs --data "{
        \"kernel_image_path\": \"${KERNEL}\",
        \"boot_args\": \"${KERNEL_BOOT_ARGS}\"
    }" "http://localhost/boot-source"
gs --data "{
        \"drive_id\": \"rootfs\",
        \"path_on_host\": \"${ROOTFS}\",
        \"is_root_device\": true,
        \"is_read_only\": false
    }" "http://localhost/drives/rootfs"
gs --data "{
        \"vcpu_count\": 2,
        \"mem_size_mib\": 1024
    }" "http://localhost/machine-config"
gs --data "{
        \"action_type\": \"InstanceStart\"
    }" "http://localhost/actions"
GS_PID=$PID
if [ "$gs_codes" = " 204 204 204 204 204" ] && wait_for "$OUT/gs.console" "$PROMPT" "$BOOT_TIMEOUT"; then
    ok getting-started
else
    bad getting-started "codes:$gs_codes; console: $(tail -c 400 "$OUT/gs.console" 2>&1)"
fi
grep -q "root=/dev/vda rw" "$LOGFILE" && ok getting-started-cmdline || bad getting-started-cmdline "$(tail -3 "$LOGFILE")"
expect gs info-running 200 GET / "" '"state":"Running"'
grep -q '"id":"gs-vm"' <<<"$BODY" || bad info-running-id "$BODY"
expect gs pre-boot-after-start 400 PUT /machine-config '{"vcpu_count": 1, "mem_size_mib": 128}' "not supported after starting"
expect gs machine-config-unchanged 200 GET /machine-config "" '"vcpu_count":2,"mem_size_mib":1024'
expect gs boot-source-after-start 400 PUT /boot-source "{\"kernel_image_path\": \"$KERNEL\"}" "not supported after starting"
expect gs drive-after-start 400 PUT /drives/data "{\"drive_id\": \"data\", \"path_on_host\": \"$OUT/fake-disk\", \"is_root_device\": false}" "not supported after starting"
expect gs start-twice 400 PUT /actions '{"action_type": "InstanceStart"}' "not supported after starting"
expect gs patch-drive 204 PATCH /drives/rootfs '{"drive_id": "rootfs"}'
expect gs patch-drive-rate-limiter 204 PATCH /drives/rootfs '{"drive_id": "rootfs", "rate_limiter": {"ops": {"size": 1000, "refill_time": 100}}}'
api gs GET /vm/config
[ "$(jq -c '.drives[0].rate_limiter.ops | [.size, .refill_time]' <<<"$BODY")" = "[1000,100]" ] \
    && ok rate-limiter-applied || bad rate-limiter-applied "$BODY"
expect gs patch-drive-path 400 PATCH /drives/rootfs "{\"drive_id\": \"rootfs\", \"path_on_host\": \"$OUT/fake-disk\"}" "cannot swap"

# The console socket: two clients attach; what one types runs in the guest and both see the output.
marker="fcapi-typed-$$"
socat -u "UNIX-CONNECT:$SOCK/gs.console" "OPEN:$OUT/watcher.out,creat,trunc" 2>/dev/null & W=$!; PIDS+=("$W")
sleep 0.3
(printf 'echo %s > /typed.txt; sync; cat /typed.txt\n' "$marker"; sleep 3) \
    | timeout 10 socat - "UNIX-CONNECT:$SOCK/gs.console" >"$OUT/typer.out" 2>&1
st=1; grep -q "^$marker" <(tr -d '\r' <"$OUT/typer.out") && grep -q "^$marker" <(tr -d '\r' <"$OUT/watcher.out") \
    && grep -q "^$marker" <(tr -d '\r' <"$OUT/gs.console") && st=0
check console-socket $st "typer: $(tail -c 200 "$OUT/typer.out"); watcher: $(tail -c 200 "$OUT/watcher.out")"

# Pause: the state says so and the guest retires no instruction; resume: it runs again. (An idle guest
# retires none either, so a busy loop runs in it meanwhile.)
(printf 'while :; do :; done &\n'; sleep 1) | timeout 10 socat - "UNIX-CONNECT:$SOCK/gs.console" >/dev/null 2>&1
instr() { api gs GET /lodge/stats; jq -r .instructions <<<"$BODY"; }
expect gs pause 204 PATCH /vm '{"state": "Paused"}'
api gs GET /; s1=$(jq -r .state <<<"$BODY"); i1=$(instr); sleep 1; i2=$(instr)
api gs GET /lodge/stats; ls=$(jq -r .state <<<"$BODY")
expect gs pause-again 204 PATCH /vm '{"state": "Paused"}'
expect gs resume 204 PATCH /vm '{"state": "Resumed"}'
api gs GET /; s2=$(jq -r .state <<<"$BODY"); sleep 1; i3=$(instr)
st=1; [ "$s1" = Paused ] && [ "$ls" = paused ] && [ "$s2" = Running ] && [ -n "$i1" ] && [ "$i1" = "$i2" ] \
    && [ "$i3" -gt "$i2" ] && st=0
check pause-resume $st "states $s1/$ls/$s2, instructions $i1 $i2 $i3"

# SendCtrlAltDel: the guest powers itself off, the process ends with status 0, the exit file says so, and
# the disk holds what the guest wrote.
api gs PUT /actions '{"action_type": "SendCtrlAltDel"}'
if [ "$CODE" = 204 ] && grep -aq "input: Lodge power button" "$OUT/gs.console"; then
    wait_exit "$GS_PID" "$BOOT_TIMEOUT"
    got=$(debugfs -R "cat /typed.txt" "$OUT/rootfs.ext4" 2>/dev/null)
    st=1; [ "$RC" = 0 ] && jq -e '.exit == "poweroff" and .fail_code == 0' "$OUT/gs.exit" >/dev/null \
        && [ ! -e "$API_SOCKET" ] && [ ! -e "$SOCK/gs.console" ] && [ "$got" = "$marker" ] && st=0
    check send-ctrl-alt-del $st "rc=$RC exit=$(cat "$OUT/gs.exit" 2>&1) disk='$got' sockets: $(ls "$SOCK")"
elif [ "$CODE" = 204 ] || grep -q "not available" <<<"$BODY"; then
    # The guest powers off on its power button only when its kernel has virtio-input (guests/kernel.config).
    why="the guest kernel has no virtio-input driver for the power button (rebuild it: make guest)"
    [ "$CODE" = 204 ] || why="lodge_machine_shutdown is not available in this build: $BODY"
    skp send-ctrl-alt-del "$why"
    kill -TERM "$GS_PID"; wait_exit "$GS_PID" 30
    got=$(debugfs -R "cat /typed.txt" "$OUT/rootfs.ext4" 2>/dev/null)
    st=1; [ "$RC" = 143 ] && jq -e '.exit == "stopped"' "$OUT/gs.exit" >/dev/null && [ "$got" = "$marker" ] && st=0
    check sigterm-running $st "rc=$RC exit=$(cat "$OUT/gs.exit" 2>&1) disk='$got'"
else
    bad send-ctrl-alt-del "$CODE $BODY"
fi
kill -0 "$W" 2>/dev/null && kill "$W"

# --config-file, through `lodge boot --api-sock`: boots without API calls, runs a command, powers off. With
# a tap (root and /dev/net/tun), the guest's interface has the guest_mac asked for.
TAP=lodgefc$$; TAP=${TAP:0:15}; NETS="[]"
if command -v ip >/dev/null && ip tuntap add "$TAP" mode tap 2>/dev/null; then
    TAPS+=("$TAP")
    NETS="[{\"iface_id\": \"net1\", \"guest_mac\": \"06:00:AC:10:00:02\", \"host_dev_name\": \"$TAP\"}]"
fi
cat >"$OUT/vm.json" <<EOF
{
  "boot-source": {"kernel_image_path": "$KERNEL", "initrd_path": "$(cd "$G" && pwd)/initramfs.cpio",
                  "boot_args": "console=ttyS0 quiet lodge_cmd=\"cat /sys/block/vda/ro; cat /sys/class/net/eth0/address; dd if=/dev/vda of=/dev/null bs=64k count=16 2>/dev/null; echo config-file-ok\""},
  "drives": [{"drive_id": "data", "path_on_host": "$OUT/rootfs2.ext4", "is_root_device": false, "is_read_only": true,
              "rate_limiter": {"bandwidth": {"size": 65536, "refill_time": 100}}}],
  "metrics": {"metrics_path": "$OUT/cf.metrics"},
  "machine-config": {"vcpu_count": 1, "mem_size_mib": 128},
  "network-interfaces": $NETS,
  "balloon": null
}
EOF
timeout "$BOOT_TIMEOUT" "$BUILD/lodge" boot --api-sock "$SOCK/cf.sock" --config-file "$OUT/vm.json" \
    --console-log "$OUT/cf.console" --exit-file "$OUT/cf.exit" >"$OUT/cf.out" 2>&1; r=$?
st=1; [ $r = 0 ] && grep -q "config-file-ok" "$OUT/cf.console" && tr -d '\r' <"$OUT/cf.console" | grep -qx 1 \
    && jq -e '.exit == "poweroff"' "$OUT/cf.exit" >/dev/null && [ ! -e "$SOCK/cf.sock" ] && st=0
check config-file $st "rc=$r: $(tail -c 300 "$OUT/cf.console" 2>&1) $(cat "$OUT/cf.out")"
# The drive's rate limiter (64 KiB per 100 ms) made the guest's 1 MiB read wait (the metrics line at exit).
jq -e '.lodge.rate_limited > 0 and .lodge.disk_read_bytes >= 1048576' "$OUT/cf.metrics" >/dev/null 2>&1 \
    && ok drive-rate-limit-holds || bad drive-rate-limit-holds "$(tail -1 "$OUT/cf.metrics" 2>&1)"
if [ "$NETS" = "[]" ]; then
    skp guest-mac "cannot create a tap here (needs root and /dev/net/tun)"
else
    tr -d '\r' <"$OUT/cf.console" | grep -qx "06:00:ac:10:00:02" && ok guest-mac \
        || bad guest-mac "$(grep -a -A1 '/ro' "$OUT/cf.console" | head -3)"
fi

# Lodge's Stop action on a paused machine: the run ends at once, status 130, the exit file says "stopped".
start p --exit-file "$OUT/p.exit" --console-log "$OUT/p.console"
api p PUT /boot-source "{\"kernel_image_path\": \"$KERNEL\", \"initrd_path\": \"$(cd "$G" && pwd)/initramfs.cpio\"}"
api p PUT /actions '{"action_type": "InstanceStart"}'
if wait_for "$OUT/p.console" "lodge-guest: ready" "$BOOT_TIMEOUT"; then
    expect p pause-for-stop 204 PATCH /vm '{"state": "Paused"}'
    expect p lodge-stop 204 PUT /lodge/actions '{"action_type": "Stop"}'
    wait_exit "$PID" 30
    st=1; [ "$RC" = 130 ] && jq -e '.exit == "stopped"' "$OUT/p.exit" >/dev/null && [ ! -e "$SOCK/p.sock" ] && st=0
    check lodge-stop-paused $st "rc=$RC exit=$(cat "$OUT/p.exit" 2>&1)"
else
    bad lodge-stop-paused "the guest did not boot: $(tail -c 300 "$OUT/p.console")"
fi

# SIGKILL: nothing of the guest survives the process (no thread of it keeps its disk open or writes output).
start k --console-log "$OUT/k.console"
api k PUT /boot-source "{\"kernel_image_path\": \"$KERNEL\"}"
api k PUT /drives/rootfs "{\"drive_id\": \"rootfs\", \"path_on_host\": \"$OUT/rootfs2.ext4\", \"is_root_device\": true, \"is_read_only\": false}"
api k PUT /actions '{"action_type": "InstanceStart"}'
if wait_for "$OUT/k.console" "$PROMPT" "$BOOT_TIMEOUT"; then
    { kill -KILL "$PID"; wait_exit "$PID" 10; } 2>/dev/null   # (without bash's "Killed" notice)
    sleep 0.5; size1=$(stat -c %s "$OUT/k.console"); sleep 1; size2=$(stat -c %s "$OUT/k.console")
    holders=$(for f in /proc/[0-9]*/fd/*; do [ "$(readlink "$f" 2>/dev/null)" = "$OUT/rootfs2.ext4" ] && echo "$f"; done)
    st=1; [ "$RC" = 137 ] && [ -z "$holders" ] && [ "$size1" = "$size2" ] && st=0
    check sigkill $st "rc=$RC holders='$holders' console $size1 -> $size2"
else
    bad sigkill "the guest did not boot: $(tail -c 300 "$OUT/k.console")"
fi

finish
