#!/usr/bin/env bash
# The hart's CPU-bound speed, side by side with QEMU: builds cpubench.c for the host (to get the checksum)
# and for riscv64 (Debian's cross gcc), runs it bare-metal on the test harness and, when installed, on
# `qemu-system-riscv64 -M virt -bios none` (Debian's qemu-system-misc), and prints the median CPU seconds
# (user + sys) of RUNS runs, Lodge's instructions per second and the speed ratio Lodge/QEMU.
set -eu
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
RUNS=${RUNS:-3}
SCALE=${SCALE:-4}
OUT=$BUILD/bench-sysvm-cpu
mkdir -p "$OUT"
make -s "BUILD=$BUILD" "$BUILD/sysvm-cpu-harness"
cc -O2 -DBENCH_HOST -DBENCH_SCALE="$SCALE" bench/sysvm-cpu/cpubench.c -o "$OUT/cpubench-host"
expect=$("$OUT/cpubench-host")
riscv64-linux-gnu-gcc -O2 -march=rv64gc -mabi=lp64d -mcmodel=medany -ffreestanding -nostdlib -nostartfiles \
    -static -fno-pic -fno-pie -no-pie -Wl,--build-id=none -T tests/sysvm-cpu/link.ld -DBENCH_SCALE="$SCALE" \
    -DBENCH_EXPECT="$expect" bench/sysvm-cpu/cpubench.c -o "$OUT/cpubench.elf"
riscv64-linux-gnu-objcopy -O binary "$OUT/cpubench.elf" "$OUT/cpubench.bin"

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
cpu_secs() {   # command... -> prints user+sys seconds; fails if the command fails
    /usr/bin/time -o "$OUT/time" -f "%U %S" "$@" >/dev/null 2>&1 || return 1
    awk '{print $1 + $2}' "$OUT/time"
}
lodge=(); qemu=()
for _ in $(seq "$RUNS"); do
    lodge+=("$(cpu_secs "$BUILD/sysvm-cpu-harness" --max 1000000000000 "$OUT/cpubench.bin")") ||
        { echo "cpubench failed on the harness"; exit 1; }
done
insns=$("$BUILD/sysvm-cpu-harness" --max 1000000000000 --bench "$OUT/cpubench.bin" 2>&1 | awk '/instructions in/ {print $1}')
lm=$(printf '%s\n' "${lodge[@]}" | median)
printf 'lodge hart:  %8.3f s cpu (median of %d)  %s instructions  %.0f M instructions/s\n' "$lm" "$RUNS" "$insns" \
    "$(awk -v n="$insns" -v t="$lm" 'BEGIN {print n / t / 1e6}')"
if command -v qemu-system-riscv64 >/dev/null; then
    for _ in $(seq "$RUNS"); do
        qemu+=("$(cpu_secs qemu-system-riscv64 -M virt -bios none -m 64M -smp 1 -nographic -monitor none \
                 -serial none -kernel "$OUT/cpubench.elf")") || { echo "cpubench failed on qemu"; exit 1; }
    done
    qm=$(printf '%s\n' "${qemu[@]}" | median)
    printf 'qemu (tcg):  %8.3f s cpu (median of %d)\n' "$qm" "$RUNS"
    printf 'speed ratio lodge/qemu: %.2f (target >= 0.5)\n' "$(awk -v a="$lm" -v b="$qm" 'BEGIN {print b / a}')"
else
    echo "qemu-system-riscv64 not installed (Debian qemu-system-misc): no comparison"
fi
