#!/usr/bin/env bash
# Instruction-level tests of the RV64GC hart: each tests/sysvm-cpu/*.S is assembled with Debian's cross
# toolchain into a flat binary (in $BUILD/sysvm-cpu/) and run on the bare-metal harness. A test passes when it
# writes "pass" to the harness's finisher. Options for a test go on a line "# harness: ARGS" in its source.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
H=$BUILD/sysvm-cpu-harness
OUT=$BUILD/sysvm-cpu
CC=${RISCV_CC:-riscv64-linux-gnu-gcc}
OBJCOPY=${RISCV_OBJCOPY:-riscv64-linux-gnu-objcopy}
pass=0; fail=0; skip=0
tests=$(ls tests/sysvm-cpu/*.S | sort)
if [ ! -x "$H" ]; then
    make -s "BUILD=$BUILD" "$H" >/dev/null || { echo "cannot build $H"; echo "0 passed, 1 failed"; exit 1; }
fi
if ! command -v "$CC" >/dev/null || ! command -v "$OBJCOPY" >/dev/null; then
    for t in $tests; do echo "SKIP $(basename "$t" .S): $CC not installed (Debian gcc-riscv64-linux-gnu)"; skip=$((skip+1)); done
    echo "0 passed, 0 failed, $skip skipped"
    exit 0
fi
mkdir -p "$OUT"
for t in $tests; do
    name=$(basename "$t" .S)
    args=$(sed -n 's/^# harness: //p' "$t")
    if ! "$CC" -march=rv64gc_zicsr_zifencei -mabi=lp64d -nostdlib -nostartfiles -static -fno-pic -fno-pie -no-pie \
            -Wl,--build-id=none -Wl,--no-relax -T tests/sysvm-cpu/link.ld -Itests/sysvm-cpu -o "$OUT/$name.elf" "$t" \
            2>"$OUT/$name.log" || ! "$OBJCOPY" -O binary "$OUT/$name.elf" "$OUT/$name.bin" 2>>"$OUT/$name.log"; then
        echo "FAIL $name (does not assemble):"; sed 's/^/    /' "$OUT/$name.log" | head -20
        fail=$((fail+1)); continue
    fi
    # shellcheck disable=SC2086
    if timeout 60 "$H" $args "$OUT/$name.bin" >"$OUT/$name.out" 2>&1; then
        echo "PASS $name"; pass=$((pass+1))
    else
        echo "FAIL $name:"; sed 's/^/    /' "$OUT/$name.out" | tail -5
        fail=$((fail+1))
    fi
done
# Single-stepping: hart_run(h, 1) must run exactly one instruction (or take one trap), all through a program.
if [ -f "$OUT/int.bin" ] && [ -f "$OUT/trap.bin" ]; then
    if timeout 120 "$H" --step "$OUT/int.bin" >"$OUT/step.out" 2>&1 &&
       timeout 120 "$H" --step "$OUT/trap.bin" >>"$OUT/step.out" 2>&1; then
        echo "PASS step (int and trap, one instruction per hart_run)"; pass=$((pass+1))
    else
        echo "FAIL step:"; tail -3 "$OUT/step.out" | sed 's/^/    /'; fail=$((fail+1))
    fi
fi

# Hostile code: pseudo-random bytes (fixed seeds) run as M-mode code, and as S-mode code over pseudo-random
# page tables, on one and two harts. Any ending is fine except a crash or a sanitizer report.
if command -v perl >/dev/null; then
    fz_bad=0; fz_n=0
    for stub in m s; do
        "$CC" -march=rv64gc_zicsr_zifencei -mabi=lp64d -nostdlib -nostartfiles -static -fno-pic -fno-pie -no-pie \
            -Wl,--build-id=none -T tests/sysvm-cpu/link.ld -o "$OUT/fuzz-$stub.elf" "tests/sysvm-cpu/fuzz/stub-$stub.S" &&
            "$OBJCOPY" -O binary "$OUT/fuzz-$stub.elf" "$OUT/fuzz-$stub.bin" || { fz_bad=$((fz_bad+1)); continue; }
        for seed in $(seq 1 16); do
            { cat "$OUT/fuzz-$stub.bin"; perl -e 'srand($ARGV[0]); print pack("C*", map { int(rand(256)) } 1..32768)' "$seed"; } \
                >"$OUT/fuzz.bin"
            timeout 60 "$H" --harts $((1 + seed % 2)) --max 300000 "$OUT/fuzz.bin" >"$OUT/fuzz.out" 2>&1
            rc=$?; fz_n=$((fz_n+1))
            if [ $rc -gt 2 ] || grep -q -E 'Sanitizer|runtime error' "$OUT/fuzz.out"; then
                fz_bad=$((fz_bad+1)); echo "    fuzz $stub seed $seed: rc $rc"; grep -m3 -E 'ERROR|runtime error' "$OUT/fuzz.out"
            fi
        done
    done
    if [ $fz_bad -eq 0 ]; then echo "PASS fuzz ($fz_n pseudo-random programs)"; pass=$((pass+1)); else echo "FAIL fuzz"; fail=$((fail+1)); fi
else
    echo "SKIP fuzz: perl not installed"; skip=$((skip+1))
fi

# The same programs on QEMU (Debian's qemu-system-riscv64 -M virt -bios none has the same test finisher):
# both must pass, which checks the tests' expected values against another implementation.
if command -v qemu-system-riscv64 >/dev/null; then
    q_bad=0; q_n=0
    for t in $tests; do
        name=$(basename "$t" .S)
        grep -q '^# qemu: no' "$t" && continue
        [ -f "$OUT/$name.elf" ] || continue
        timeout 60 qemu-system-riscv64 -M virt -bios none -m 64M -nographic -monitor none -serial none \
            -kernel "$OUT/$name.elf" >/dev/null 2>&1
        rc=$?; q_n=$((q_n+1))
        [ $rc -eq 0 ] || { q_bad=$((q_bad+1)); echo "    $name fails on qemu (status $rc: check number or timeout)"; }
    done
    if [ $q_bad -eq 0 ]; then echo "PASS qemu ($q_n programs pass on qemu-system-riscv64 too)"; pass=$((pass+1))
    else echo "FAIL qemu"; fail=$((fail+1)); fi
else
    echo "SKIP qemu: qemu-system-riscv64 not installed (Debian qemu-system-misc)"; skip=$((skip+1))
fi

# The disassembler against binutils: every 32-bit instruction of the programs above, objdump's text vs
# riscv_disasm's (spaces, CSR names, branch targets and rounding-mode suffixes aside).
if ls "$OUT"/*.elf >/dev/null 2>&1; then
    for e in "$OUT"/*.elf; do riscv64-linux-gnu-objdump -d -M no-aliases "$e"; done |
        awk -F'\t' '$2 ~ /^[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f] *$/ {gsub(/ /, "", $2); print $2 "\t" $3 "\t" $4}' | sort -u >"$OUT/objdump.txt"
    cut -f1 "$OUT/objdump.txt" | "$H" --disasm >"$OUT/ours.txt"
    bad=$(paste "$OUT/objdump.txt" "$OUT/ours.txt" | awk -F'\t' '
        { mn = $2; ops = $3; sub(/ *#.*/, "", ops); split($4, o, ": "); ours = o[2];
          n = index(ours, " "); omn = n ? substr(ours, 1, n - 1) : ours; oops = n ? substr(ours, n + 1) : "";
          gsub(/ /, "", oops); sub(/,(rne|rtz|rdn|rup|rmm|dyn)$/, "", ops);
          if (mn == ".word") next;                   # binutils has no name for it (reserved rm etc.)
          if (mn != omn) { print; next }
          if (mn ~ /^(b|jal$|csr|fence|sfence)/) next;
          if (ops != oops) print }')
    [ -s "$OUT/objdump.txt" ] || bad="objdump listed no instructions"
    if [ -z "$bad" ]; then
        echo "PASS disasm ($(wc -l <"$OUT/objdump.txt") distinct instructions agree with objdump)"; pass=$((pass+1))
    else
        echo "FAIL disasm:"; echo "$bad" | head -10 | sed 's/^/    /'; fail=$((fail+1))
    fi
fi
if [ $skip -gt 0 ]; then echo "$pass passed, $fail failed, $skip skipped"; else echo "$pass passed, $fail failed"; fi
[ $fail -eq 0 ]
