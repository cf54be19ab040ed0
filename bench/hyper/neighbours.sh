#!/usr/bin/env bash
# bench/hyper/neighbours.sh: a well-behaved guest's latency alone, then beside hostile neighbours, through a
# real daemon: a Linux machine's console echo (a character typed, the guest's terminal echoing it) and a
# fresh hello instance's whole run (create to stopped). Neighbours: 4 infinite-loop instances, memory bombs
# and a trap storm created all along, and a Linux machine spinning in a shell loop under a 20% CPU cap,
# whose measured CPU share is the cap check. Settings: ECHO_N (default 300), LAT_N (default 200).
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
GUEST=${GUEST:-${LODGE_GUEST_DIR:-$PWD/guests/cache}}
ECHO_N=${ECHO_N:-300}
LAT_N=${LAT_N:-200}
HCON=$BUILD/tests/hostile/hconsole
DB=$BUILD/bench/hyper/dbench
if [ ! -f "$GUEST/Image" ] || [ ! -f "$GUEST/initramfs.cpio" ]; then
    echo "SKIP neighbours: no default guest in $GUEST (make guest)"; exit 0
fi
command -v wat2wasm >/dev/null || { echo "SKIP neighbours: wat2wasm missing (Debian wabt)"; exit 0; }
[ -x "$HCON" ] || make -s "BUILD=$BUILD" "$HCON" >/dev/null 2>&1 || { echo "bench/hyper: cannot build $HCON" >&2; exit 1; }
. bench/hyper/lib.sh
S() { curl -s --max-time 20 --unix-socket "$D/d.sock" "$@"; }

boot() {   # boot ID [limits JSON]: create, start, wait for the prompt (180 s at most)
    S http://lodge/v1/machines -o /dev/null -d "{\"id\": \"$1\", \"kernel\": \"$GUEST/Image\", \"initrd\": \"$GUEST/initramfs.cpio\",
        \"mem_bytes\": 134217728, \"start\": true${2:+, \"limits\": $2}}"
    for _ in $(seq 180); do S "http://lodge/v1/machines/$1/logs?tail=200" | grep -q '/ # ' && return 0; sleep 1; done
    echo "bench/hyper: machine $1 did not reach its prompt" >&2; return 1
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
p99of() { awk '{ for (i = 1; i < NF; i++) if ($i == "p99") print $(i + 1) }' "$1"; }

start_daemon "$D/state"
for m in loop:tests/workers/loop.wat bomb:tests/workers/bomb.wat divzero:tests/workers/divzero.wat; do
    wat2wasm "${m#*:}" -o "$D/${m%%:*}.wasm"
    S "http://lodge/v1/modules?id=${m%%:*}" --data-binary @"$D/${m%%:*}.wasm" -o /dev/null
done
boot calm || exit 1
echo "== neighbours: alone (one calm Linux machine, nothing else)"
"$HCON" "$D/d.sock" calm echo "$ECHO_N" | tee "$D/echo-alone"
"$DB" lat "$D/d.sock" hello "$LAT_N" | tee "$D/lat-alone"

boot spinner '{"cpu_max_percent": 20}' || exit 1
"$HCON" "$D/d.sock" spinner expect 'while :; do :; done &' '/ # ' 20 >/dev/null
for i in 1 2 3 4; do
    S http://lodge/v1/instances -o /dev/null -d "{\"id\": \"loop$i\", \"module\": \"loop\", \"start\": true}"
done
# Memory bombs and a trap storm all along the measurement.
( i=0; while [ ! -e "$D/stop" ]; do
      i=$((i + 1))
      S http://lodge/v1/instances -o /dev/null -d "{\"id\": \"trap$i\", \"module\": \"divzero\", \"start\": true}"
      [ $((i % 10)) = 0 ] && S http://lodge/v1/instances -o /dev/null \
          -d "{\"id\": \"bomb$i\", \"module\": \"bomb\", \"start\": true, \"max_memory_bytes\": 67108864}"
      sleep 0.02
  done ) &
STORM=$!
spid=$(S http://lodge/v1/machines/spinner | jq -r .pid)
sleep 2
c0=$(awk '{ print $14 + $15 }' "/proc/$spid/stat"); t0=$(date +%s%N)
echo "== neighbours: beside 4 infinite loops, a trap storm with memory bombs, a Linux guest spinning under a 20% cap"
"$HCON" "$D/d.sock" calm echo "$ECHO_N" | tee "$D/echo-busy"
"$DB" lat "$D/d.sock" hello "$LAT_N" | tee "$D/lat-busy"
c1=$(awk '{ print $14 + $15 }' "/proc/$spid/stat"); t1=$(date +%s%N)
touch "$D/stop"; wait "$STORM"
echo "console echo p99 beside neighbours / alone        $(ratio "$(p99of "$D/echo-busy")" "$(p99of "$D/echo-alone")") (target < 1.10)"
echo "fresh instance p99 beside neighbours / alone      $(ratio "$(p99of "$D/lat-busy")" "$(p99of "$D/lat-alone")") (target < 1.10)"
awk -v c="$((c1 - c0))" -v hz="$(getconf CLK_TCK)" -v ns="$((t1 - t0))" \
    'BEGIN { printf "spinning guest capped at 20%%: used %.1f%% of a core over %.1f s (target 15 to 25)\n", 100 * c / hz / (ns / 1e9), ns / 1e9 }'
stop_daemon
