#!/usr/bin/env bash
# bench/hyper/idle.sh: IDLE_N default guests (64 MiB each) booted through a real daemon to their shell prompt,
# then the host CPU their machine processes and the daemon use over IDLE_SECONDS (default 10). Guests that
# do not reach their prompt within IDLE_BOOT_TIMEOUT seconds (default 600) are left out of the figure,
# which then says how many it measured and extrapolates to 200, labelled as such.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
GUEST=${GUEST:-${LODGE_GUEST_DIR:-$PWD/guests/cache}}
IDLE_N=${IDLE_N:-200}
if [ ! -f "$GUEST/Image" ] || [ ! -f "$GUEST/initramfs.cpio" ]; then
    echo "SKIP idle guests: no default guest in $GUEST (make guest)"; exit 0
fi
command -v wat2wasm >/dev/null || { echo "SKIP idle guests: wat2wasm missing (Debian wabt)"; exit 0; }
. bench/hyper/lib.sh
echo "== idle: $IDLE_N default guests through the daemon, at their prompt, host CPU over ${IDLE_SECONDS:-10} s"
start_daemon "$D/state"
"$BUILD/bench/hyper/dbench" idle "$D/d.sock" "$GUEST/Image" "$GUEST/initramfs.cpio" "$IDLE_N" "${IDLE_SECONDS:-10}" \
    "${IDLE_BOOT_TIMEOUT:-600}" $(server_pids)
stop_daemon
