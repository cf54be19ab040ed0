#!/usr/bin/env bash
# bench/hyper/run.sh: machines and the daemon under load. Each part prints medians (p50) and p99, and a ratio
# against the peer named in issue 7 when that peer runs here. Parts (PARTS, default all):
#   machine   machine start-up through lodge.h (bench/hyper/mbench.c); whole-process start-up of `lodge boot`
#             vs qemu-system-riscv64 to the first guest instruction, and loading Linux (qemu -S, then quit)
#   daemon    machines and fresh instances through a real daemon on a temp socket (bench/hyper/dbench.c)
#   idle      N booted default guests at their prompt: host CPU over 10 s (IDLE_N, default 200)
#   neighbours  a well-behaved guest's p99 alone and beside hostile neighbours (bench/hyper/neighbours.sh)
# The default guest comes from LODGE_GUEST_DIR, else guests/cache (`make guest`). Needs `make bench-hyper`.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
PARTS=${PARTS:-machine daemon idle neighbours}
GUEST=${LODGE_GUEST_DIR:-$PWD/guests/cache}
RUNS=${RUNS:-20}
TMP=$(mktemp -d /tmp/lodge-bench.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
for f in "$BUILD/bench/hyper/mbench" "$BUILD/bench/hyper/dbench" "$BUILD/lodge" "$BUILD/lodged"; do
    [ -x "$f" ] || { echo "bench/hyper: $f is missing: run make bench-hyper BUILD=$BUILD" >&2; exit 1; }
done
have_guest=1
[ -f "$GUEST/Image" ] && [ -f "$GUEST/initramfs.cpio" ] || have_guest=0
echo "== $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); $(uname -r)"

# Times whole commands: RUNS pairs, A then B in turn (so drift hits both), after one warm-up each. Prints
# each one's median and p99 wall time and the median of the pairwise ratios A/B.
pair() {
    local name=$1 a=$2 b=$3 i ta tb
    : >"$TMP/a"; : >"$TMP/b"; : >"$TMP/r"
    bash -c "$a" >/dev/null 2>&1; bash -c "$b" >/dev/null 2>&1
    for ((i = 0; i < RUNS; i++)); do
        ta=$(date +%s%N); bash -c "$a" >/dev/null 2>&1; ta=$(( $(date +%s%N) - ta ))
        tb=$(date +%s%N); bash -c "$b" >/dev/null 2>&1; tb=$(( $(date +%s%N) - tb ))
        echo "$ta" >>"$TMP/a"; echo "$tb" >>"$TMP/b"
        awk -v a="$ta" -v b="$tb" 'BEGIN { printf "%.4f\n", a / b }' >>"$TMP/r"
    done
    q() { sort -n "$1" | awk -v p="$2" '{ v[NR] = $1 } END { i = int(NR * p) + 1; if (i > NR) i = NR; print v[i] }'; }
    printf '%-44s lodge p50 %7.2f ms p99 %7.2f ms | qemu p50 %7.2f ms p99 %7.2f ms | ratio lodge/qemu p50 %s (n=%d)\n' \
        "$name" "$(q "$TMP/a" 0.5 | awk '{print $1/1e6}')" "$(q "$TMP/a" 0.99 | awk '{print $1/1e6}')" \
        "$(q "$TMP/b" 0.5 | awk '{print $1/1e6}')" "$(q "$TMP/b" 0.99 | awk '{print $1/1e6}')" "$(q "$TMP/r" 0.5)" "$RUNS"
}

part_machine() {
    echo "== machine: start-up through lodge.h (64 MiB machines; CPU = the process's CPU time, wall = what the caller waited)"
    if [ $have_guest = 1 ]; then
        "$BUILD/bench/hyper/mbench" -n "${MACHINE_ITER:-300}" -k "${MACHINE_KEPT:-200}" "$GUEST/Image" "$GUEST/initramfs.cpio"
    else
        echo "SKIP machine start-up with Linux: no default guest in $GUEST (make guest)"
    fi
    "$BUILD/bench/hyper/mbench" -w "$TMP/poweroff.elf" || return
    echo "== machine: whole process, start to the first guest instruction (a guest that powers off at once)"
    local qemu
    qemu=$(command -v qemu-system-riscv64) || { echo "SKIP ratio against QEMU: qemu not installed (Debian qemu-system-misc)"; qemu=; }
    if [ -n "$qemu" ]; then
        pair "boot to first instruction, exit" \
            "$BUILD/lodge boot --kernel $TMP/poweroff.elf --mem 64M --console none" \
            "$qemu -M virt -m 64M -bios none -kernel $TMP/poweroff.elf -nographic -monitor none -serial none"
        [ $have_guest = 1 ] && pair "Linux Image+initrd loaded, not run, exit" \
            "$BUILD/lodge boot --kernel $GUEST/Image --initrd $GUEST/initramfs.cpio --mem 64M --disasm-at entry" \
            "sh -c 'echo quit | $qemu -M virt -m 64M -kernel $GUEST/Image -initrd $GUEST/initramfs.cpio -S -nographic -monitor stdio -serial none'"
    fi
}

for p in $PARTS; do
    case $p in
        machine) part_machine ;;
        daemon|idle|neighbours) [ -x "bench/hyper/$p.sh" ] && BUILD=$BUILD GUEST=$GUEST TMP=$TMP "bench/hyper/$p.sh" ;;
        *) echo "bench/hyper: unknown part '$p' (machine daemon idle neighbours)" >&2; exit 2 ;;
    esac
done
