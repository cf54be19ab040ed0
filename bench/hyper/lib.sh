# bench/hyper/lib.sh: a real daemon on a temporary socket for the parts of bench/hyper/run.sh (sourced).
# Sets D (this run's directory), STATE (the daemon's state directory while one runs), DPID.
OWN_TMP=
if [ -z "${TMP:-}" ]; then TMP=$(mktemp -d /tmp/lodge-bench.XXXXXX); OWN_TMP=1; fi
D=$(mktemp -d "$TMP/daemon.XXXXXX") && [ -d "$D" ] || { echo "bench/hyper: no temporary directory" >&2; exit 1; }
DPID=
STATE=
# Machines and workers outlive a daemon by design: the processes of this run are those whose command line
# names its directories. Never an empty pattern: only D, and STATE while a daemon runs.
server_pids() {
    local pats=(-e "$D/")
    [ -n "$STATE" ] && pats+=(-e "$STATE/")
    for p in /proc/[0-9]*; do
        [ "${p#/proc/}" = $$ ] && continue
        grep -qaF "${pats[@]}" "$p/cmdline" 2>/dev/null && echo "${p#/proc/}"
    done
}
kill_servers() { for p in $(server_pids); do kill -9 "$p" 2>/dev/null; done; }
cleanup() {
    [ -n "$DPID" ] && kill "$DPID" 2>/dev/null
    kill_servers
    [ -n "$STATE" ] && rm -rf "$STATE"
    [ -n "$OWN_TMP" ] && rm -rf "$TMP"
    rm -rf "$D"
}
trap cleanup EXIT
start_daemon() {   # start_daemon STATE_DIR [daemon options...]: also uploads bench/hyper/hello.wat as "hello"
    kill_servers
    STATE=$1; shift
    "$BUILD/lodged" daemon --socket "$D/d.sock" --state-dir "$STATE" "$@" >"$D/daemon.out" 2>&1 &
    DPID=$!
    for _ in $(seq 100); do grep -q listening "$D/daemon.out" 2>/dev/null && break; sleep 0.05; done
    [ -f "$D/hello.wasm" ] || wat2wasm bench/hyper/hello.wat -o "$D/hello.wasm" || exit 1
    curl -s --max-time 10 --unix-socket "$D/d.sock" 'http://lodge/v1/modules?id=hello' --data-binary @"$D/hello.wasm" \
        -o /dev/null -w '%{http_code}' | grep -q '^20' || { echo "bench/hyper: the daemon did not start" >&2; exit 1; }
}
stop_daemon() { kill "$DPID" 2>/dev/null; wait "$DPID" 2>/dev/null; DPID=; kill_servers; rm -rf "$STATE"; STATE=; }
