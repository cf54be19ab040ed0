#!/usr/bin/env bash
# The system VM side by side with Debian's qemu-system-riscv64 -M virt, on the same kernel, initramfs,
# memory and harts (the default guest from guests/build.sh), runs interleaved (Lodge, QEMU, Lodge, ...):
#   ready     seconds from start to the guest's "lodge-guest: ready" line
#   cpu       guest seconds (its /proc/uptime) of a CPU-bound command inside the guest (busybox awk + sha256sum)
#   peak RSS  of the whole process for a boot to ready, and Lodge's own memory beyond guest RAM (--trace)
# Prints medians and the ratios Lodge/QEMU. QEMU boots through its bundled OpenSBI; Lodge through its own SBI
# (BIOS=1 makes Lodge boot through Debian's OpenSBI too).
# Environment: BUILD=build RUNS=5 MEM=128M CPUS=1 QEMU=qemu-system-riscv64 BIOS=0
set -u
export LC_ALL=C
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
RUNS=${RUNS:-5}
MEM=${MEM:-128M}
CPUS=${CPUS:-1}
QEMU=${QEMU:-qemu-system-riscv64}
LODGE=${LODGE:-$BUILD/lodge}
FW=/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin
OUT=$BUILD/bench-sysvm
mkdir -p "$OUT"
G=guests/cache

[ -x "$LODGE" ] || { echo "bench-sysvm: $LODGE not built (run make)"; exit 2; }
guests/build.sh >"$OUT/guest-build.log" 2>&1 || { echo "bench-sysvm: guests/build.sh failed, see $OUT/guest-build.log"; exit 2; }
have_qemu=1
command -v "$QEMU" >/dev/null || { echo "skip qemu: $QEMU not installed (Debian qemu-system-misc)"; have_qemu=0; }
lodge_extra=()
[ "${BIOS:-0}" = 1 ] && lodge_extra=(--bios "$FW")

WORK="awk 'BEGIN{s=0; for(i=0;i<300000;i++) s+=i%7; print s}'; dd if=/dev/zero bs=64k count=96 2>/dev/null | sha256sum"
CPU_CMD="read a b </proc/uptime; $WORK; read c d </proc/uptime; echo lodge-bench: \$a \$c"

# boot ENGINE CMD: runs the guest with lodge_cmd=CMD; prints "READY_SECONDS PEAK_KIB" and keeps the output.
boot() {
    local engine=$1 cmd=$2 append
    append="console=ttyS0 quiet lodge_cmd=\"$cmd\""
    local t0=$EPOCHREALTIME
    if [ "$engine" = lodge ]; then
        /usr/bin/time -o "$OUT/time" -f "%M" "$LODGE" boot --kernel "$G/Image" --initrd "$G/initramfs.cpio" \
            --mem "$MEM" --cpus "$CPUS" --trace "${lodge_extra[@]}" --append "$append" </dev/null 2>&1
    else
        /usr/bin/time -o "$OUT/time" -f "%M" "$QEMU" -M virt -m "$MEM" -smp "$CPUS" -nographic -no-reboot \
            -kernel "$G/Image" -initrd "$G/initramfs.cpio" -append "$append" </dev/null 2>&1
    fi | while IFS= read -r line; do
        case $line in *"lodge-guest: ready"*) echo "READY $(awk -v a="$EPOCHREALTIME" -v b="$t0" 'BEGIN {printf "%.3f", a - b}')";; esac
        echo "$line"
    done >"$OUT/$engine.out"
    echo "$(sed -n 's/^READY //p' "$OUT/$engine.out" | head -1) $(cat "$OUT/time")"
}

median() { sort -g | awk '{a[NR]=$1} END {if (NR) print a[int((NR+1)/2)]; else print "nan"}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (b > 0 && a != "nan") printf "%.2f", a / b; else print "n/a"}'; }

engines=(lodge); [ $have_qemu = 1 ] && engines+=(qemu)
for e in "${engines[@]}"; do : >"$OUT/$e.ready"; : >"$OUT/$e.cpu"; : >"$OUT/$e.rss"; : >"$OUT/$e.own"; done
echo "bench-sysvm: $RUNS runs each, --mem $MEM, --cpus $CPUS (Lodge ${lodge_extra[*]:-built-in SBI}, QEMU -bios default)"
for r in $(seq 0 "$RUNS"); do          # run 0 warms the page cache and is not counted
    for e in "${engines[@]}"; do
        read -r ready rss < <(boot "$e" "true")
        [ -n "$ready" ] || { echo "bench-sysvm: $e did not reach the ready line:"; tail -5 "$OUT/$e.out"; exit 1; }
        [ "$e" = lodge ] && own=$(sed -n 's/.*+ Lodge \([0-9.]*\) MiB.*/\1/p' "$OUT/lodge.out")
        boot "$e" "$CPU_CMD" >/dev/null
        cpu=$(tr -d '\r' <"$OUT/$e.out" | awk '/^lodge-bench:/ {printf "%.2f", $3 - $2}')
        [ -n "$cpu" ] || { echo "bench-sysvm: $e did not finish the CPU-bound command:"; tail -5 "$OUT/$e.out"; exit 1; }
        [ "$r" -eq 0 ] && continue
        echo "$ready" >>"$OUT/$e.ready"; echo "$cpu" >>"$OUT/$e.cpu"; echo "$rss" >>"$OUT/$e.rss"
        [ "$e" = lodge ] && echo "$own" >>"$OUT/lodge.own"
    done
done
lr=$(median <"$OUT/lodge.ready"); lc=$(median <"$OUT/lodge.cpu"); lm=$(median <"$OUT/lodge.rss"); lo=$(median <"$OUT/lodge.own")
qr=nan; qc=nan; qm=nan
if [ $have_qemu = 1 ]; then qr=$(median <"$OUT/qemu.ready"); qc=$(median <"$OUT/qemu.cpu"); qm=$(median <"$OUT/qemu.rss"); fi
printf '\n%-34s %10s %10s %14s\n' "median of $RUNS" Lodge QEMU "Lodge/QEMU"
printf '%-34s %10s %10s %14s\n' "start to ready line (s)" "$lr" "$qr" "$(ratio "$lr" "$qr")"
printf '%-34s %10s %10s %14s\n' "CPU-bound command in guest (s)" "$lc" "$qc" "$(ratio "$lc" "$qc")"
printf '%-34s %10s %10s %14s\n' "peak RSS, boot to ready (MiB)" "$(awk -v k="$lm" 'BEGIN{printf "%.1f", k/1024}')" \
    "$(awk -v k="$qm" 'BEGIN{if (k == "nan") print k; else printf "%.1f", k/1024}')" "$(ratio "$lm" "$qm")"
printf '%-34s %10s\n' "Lodge's own memory, MiB" "$lo"
echo "speed: Lodge runs the guest's CPU-bound command at $(ratio "$qc" "$lc")x QEMU's speed (target >= 0.5);"
echo "boot: Lodge reaches the ready line in $(ratio "$lr" "$qr")x QEMU's time (target <= 2)."
