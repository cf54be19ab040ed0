#!/usr/bin/env bash
# The public system-VM API suite: tests/machine-api/*.c boot the default guest (LODGE_GUEST_DIR, else
# guests/cache/ as built by `make guest`) through lodge_machine_*; without a guest, the boot tests are
# skipped with the reason printed.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
OUT=$BUILD/machine-api-run
mkdir -p "$OUT"
GUEST=${LODGE_GUEST_DIR:-$PWD/guests/cache}
if [ ! -x "$BUILD/machine-api-tests" ]; then
    make -s "BUILD=$BUILD" "$BUILD/machine-api-tests" >"$OUT/build.log" 2>&1 \
        || { echo "FAIL build: $(tail -5 "$OUT/build.log")"; echo "0 passed, 1 failed, 0 skipped"; exit 1; }
fi
# A tap for the network test, when this user may make one (root or CAP_NET_ADMIN).
tap=lodgeapi$$
if ip tuntap add dev "$tap" mode tap 2>/dev/null; then
    net=10.78.$((RANDOM % 200)).
    ip addr add "${net}1/24" dev "$tap" && ip link set "$tap" up
    export LODGE_TEST_TAP=$tap LODGE_TEST_NET=$net
    trap 'ip link del "$tap" 2>/dev/null' EXIT
fi
# The whole program is bounded too: every wait inside has its own timeout, this is the last resort.
timeout "${SUITE_TIMEOUT:-900}" "$BUILD/machine-api-tests" "$GUEST" "$OUT" >"$OUT/run.log" 2>&1
rc=$?
grep -v -E '^[0-9]+ passed, ' "$OUT/run.log"
line=$(grep -E '^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped' "$OUT/run.log" | tail -1)
if [ -z "$line" ]; then
    echo "FAIL machine-api-tests: ended without a summary (status $rc): $(tail -3 "$OUT/run.log" | tr '\n' '|')"
    p=$(grep -c '^PASS ' "$OUT/run.log"); f=$(grep -c '^FAIL ' "$OUT/run.log"); s=$(grep -c '^SKIP ' "$OUT/run.log")
    echo "$p passed, $((f+1)) failed, $s skipped"
    exit 1
fi
echo "$line"
[ $rc -eq 0 ]
