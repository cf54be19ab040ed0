#!/usr/bin/env bash
# The system-VM machine suite: unit tests (virtqueue against hostile drivers, device tree, bus, devices,
# SBI), a short libFuzzer run of the virtqueue, device-tree and qcow2 code, then boot tests of the default guest
# (built and cached by guests/build.sh), storage among them (tests/sysvm/storage.sh). Boot tests named in
# tests/sysvm/skip.txt count as skipped when they fail, and fail when they pass.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
LODGE=${LODGE:-$BUILD/lodge}
FUZZ_SECONDS=${FUZZ_SECONDS:-10}
BOOT_TIMEOUT=${BOOT_TIMEOUT:-180}
OUT=$BUILD/sysvm-run
mkdir -p "$OUT"
pass=0; fail=0; skip=0
ok()   { echo "PASS $1"; pass=$((pass+1)); }
bad()  { echo "FAIL $1: $2"; fail=$((fail+1)); }
skp()  { echo "SKIP $1: $2"; skip=$((skip+1)); }

# ---- unit tests ----
if [ ! -x "$BUILD/sysvm-tests" ]; then
    make -s "BUILD=$BUILD" "$BUILD/sysvm-tests" >/dev/null 2>&1
fi
if [ -x "$BUILD/sysvm-tests" ]; then
    "$BUILD/sysvm-tests" > "$OUT/unit.log" 2>&1
    grep -E '^(PASS|FAIL) ' "$OUT/unit.log"
    pass=$((pass + $(grep -c '^PASS ' "$OUT/unit.log")))
    fail=$((fail + $(grep -c '^FAIL ' "$OUT/unit.log")))
    grep -q ' 0 failed' "$OUT/unit.log" || grep -q '^FAIL' "$OUT/unit.log" || bad unit "crashed: $(tail -3 "$OUT/unit.log")"
else
    bad unit "cannot build $BUILD/sysvm-tests"
fi

# ---- fuzzing ----
if ! command -v clang >/dev/null; then
    skp fuzz-virtq "clang not installed (Debian clang)"; skp fuzz-fdt "clang not installed (Debian clang)"
    skp fuzz-qcow2 "clang not installed (Debian clang)"
elif ! make -s sysvm-fuzz >"$OUT/fuzz-build.log" 2>&1; then
    bad fuzz-build "$(tail -5 "$OUT/fuzz-build.log")"
else
    # qcow2 images made by qemu-img seed the image fuzzer (512-byte clusters keep them small).
    mkdir -p "$OUT/corpus-qcow2"
    if command -v qemu-img >/dev/null && [ ! -e "$OUT/corpus-qcow2/v3.qcow2" ]; then
        ( cd "$OUT/corpus-qcow2" && qemu-img create -f qcow2 -o cluster_size=512 v3.qcow2 64K \
            && qemu-io -f qcow2 -c 'write -P 1 0 4k' -c 'write -z 8k 1k' v3.qcow2 \
            && qemu-img create -f qcow2 -o compat=0.10,cluster_size=512 v2.qcow2 64K \
            && qemu-img create -f qcow2 -o cluster_size=512,refcount_bits=1 -b v2.qcow2 -F qcow2 -u b.qcow2 64K
        ) >/dev/null 2>&1
    fi
    for t in virtq fdt qcow2; do
        corpus=$OUT/corpus-$t; mkdir -p "$corpus"
        if build-fuzz/sysvm-fuzz-$t -max_total_time="$FUZZ_SECONDS" -rss_limit_mb=1024 -timeout=10 \
                -artifact_prefix="$OUT/crash-$t-" "$corpus" >"$OUT/fuzz-$t.log" 2>&1; then
            ok "fuzz-$t ($(grep -o 'Done [0-9]* runs' "$OUT/fuzz-$t.log" | head -1) in ${FUZZ_SECONDS}s)"
        else
            bad "fuzz-$t" "$(grep -E 'ERROR|SUMMARY|Test unit written' "$OUT/fuzz-$t.log" | head -3)"
        fi
    done
fi

# ---- boot tests ----
skip_reason() { sed -n "s/^$1: //p" tests/sysvm/skip.txt | head -1; }
# boot_result NAME STATUS DETAIL: STATUS 0 = passed.
boot_result() {
    local reason; reason=$(skip_reason "$1")
    if [ "$2" -eq 0 ]; then
        if [ -n "$reason" ]; then bad "$1" "unexpected pass: remove it from tests/sysvm/skip.txt"; else ok "$1"; fi
    elif [ -n "$reason" ]; then skp "$1" "$reason"
    else bad "$1" "$3"; fi
}

if [ ! -x "$LODGE" ]; then
    bad boot "no $LODGE"
    echo "$pass passed, $fail failed, $skip skipped"; exit 1
fi
echo "building the default guest (guests/build.sh, cached)"
if ! guests/build.sh >"$OUT/guest-build.log" 2>&1; then
    bad guest-build "guests/build.sh failed: $(tail -5 "$OUT/guest-build.log")"
    echo "$pass passed, $fail failed, $skip skipped"; exit 1
fi
G=guests/cache
export LODGE_GUEST_DIR=$PWD/$G
if grep -qv '^#' tests/sysvm/skip.txt 2>/dev/null; then
    echo "skip list (tests/sysvm/skip.txt):"; grep -v '^#' tests/sysvm/skip.txt | sed 's/^/  /'
else
    echo "skip list (tests/sysvm/skip.txt): empty"
fi

# run NAME CMDLINE [lodge options...]: boots the default guest with lodge_cmd=CMDLINE; output in $OUT/NAME.out,
# exit status in $rc, wall time in $secs.
run() {
    local name=$1 cmd=$2; shift 2
    local t0; t0=$(date +%s.%N)
    timeout "$BOOT_TIMEOUT" "$LODGE" boot --append "console=ttyS0 quiet lodge_cmd=\"$cmd\"" "$@" \
        </dev/null >"$OUT/$name.out" 2>&1
    rc=$?
    secs=$(echo "$(date +%s.%N) - $t0" | bc)
}
has() { grep -qa -- "$1" "$OUT/$2.out"; }
last() { tail -c 600 "$OUT/$1.out" | tr -d '\r' | tail -4 | tr '\n' '|'; }

run ready "true"
st=1; [ $rc -eq 0 ] && has "lodge-guest: ready" ready && st=0
boot_result boot-ready $st "rc=$rc: $(last ready)"
[ $st -eq 0 ] && echo "  boot to ready and power-off: ${secs}s"

run cpus2 "nproc; grep -c ^processor /proc/cpuinfo" --cpus 2
st=1; [ $rc -eq 0 ] && [ "$(grep -ac '^2' "$OUT/cpus2.out")" -ge 2 ] && has "ready (2 cpus" cpus2 && st=0
boot_result boot-cpus-2 $st "rc=$rc: $(last cpus2)"

run cpus4 "nproc" --cpus 4 --mem 128M
st=1; [ $rc -eq 0 ] && has "ready (4 cpus" cpus4 && st=0
boot_result boot-cpus-4 $st "rc=$rc: $(last cpus4)"

cp "$G/disk.ext4" "$OUT/disk.img"
marker="written-by-guest-$$"
run disk "mount /dev/vda /mnt && cat /mnt/README && echo $marker > /mnt/data/f.txt && dd if=/dev/zero of=/mnt/data/big bs=64k count=16 2>/dev/null && sync && umount /mnt" --disk "$OUT/disk.img"
got=$(debugfs -R "cat /data/f.txt" "$OUT/disk.img" 2>/dev/null)
big=$(debugfs -R "stat /data/big" "$OUT/disk.img" 2>/dev/null | grep -o 'Size: [0-9]*' | head -1)
st=1; [ $rc -eq 0 ] && [ "$got" = "$marker" ] && [ "$big" = "Size: 1048576" ] && has "made by guests/build.sh" disk \
    && e2fsck -fn "$OUT/disk.img" >/dev/null 2>&1 && st=0
boot_result boot-disk-write $st "rc=$rc got='$got' $big: $(last disk)"

run diskro "mount -o ro /dev/vda /mnt && cat /mnt/README && (echo x > /mnt/data/nope && echo WROTE || echo refused); cat /sys/block/vda/ro" --disk "$OUT/disk.img,ro"
st=1; [ $rc -eq 0 ] && has "refused" diskro && ! has "WROTE" diskro && tr -d '\r' <"$OUT/diskro.out" | grep -qx 1 && st=0
boot_result boot-disk-readonly $st "rc=$rc: $(last diskro)"

run missing "true" --disk "$OUT/no-such-disk.img"
st=1; [ $rc -eq 1 ] && has "no-such-disk.img" missing && st=0
boot_result boot-missing-disk $st "rc=$rc: $(last missing)"

run rng "cat /sys/class/misc/hw_random/rng_current; head -c 32 /dev/hwrng | od -An -tx1 | tr -d ' \n'; echo; head -c 32 /dev/hwrng | od -An -tx1 | tr -d ' \n'; echo"
a=$(grep -a -E '^[0-9a-f]{64}' "$OUT/rng.out" | sed -n 1p | tr -d '\r'); b=$(grep -a -E '^[0-9a-f]{64}' "$OUT/rng.out" | sed -n 2p | tr -d '\r')
st=1; [ $rc -eq 0 ] && has virtio_rng rng && [ -n "$a" ] && [ "$a" != "$b" ] && [ "$a" != "$(printf '0%.0s' $(seq 64))" ] && st=0
boot_result boot-entropy $st "rc=$rc a=$a b=$b: $(last rng)"

# The default guest's kernel has the SBI console as hvc0 and virtio-console as hvc1: write to both.
run hvc "echo via-virtio-console-\$((40+2)) > /dev/hvc1; echo via-sbi-console-\$((40+3)) > /dev/hvc0" --trace
st=1; [ $rc -eq 0 ] && has "via-virtio-console-42" hvc && has "via-sbi-console-43" hvc \
    && grep -aqE 'virtio-console: [0-9]+ notifies, [1-9][0-9]* requests' "$OUT/hvc.out" && grep -aqE 'legacy [1-9]' "$OUT/hvc.out" && st=0
boot_result boot-virtio-console $st "rc=$rc: $(last hvc)"

# The console in both directions: the shell reads commands typed on stdin, through the UART (receive
# interrupts) on ttyS0, through virtio-console on hvc1. Input is typed once the prompt shows: earlier bytes
# would meet the shell's terminal-size query.
typed() {   # typed NAME KERNEL-CONSOLE
    rm -f "$OUT/$1.fifo"; mkfifo "$OUT/$1.fifo"
    timeout "$BOOT_TIMEOUT" "$LODGE" boot --append "console=$2" <"$OUT/$1.fifo" >"$OUT/$1.out" 2>&1 &
    local pid=$!
    exec 7>"$OUT/$1.fifo"
    for _ in $(seq 1 $((BOOT_TIMEOUT * 5))); do grep -qa '/ # ' "$OUT/$1.out" 2>/dev/null && break; sleep 0.2; done
    sleep 0.3
    printf 'echo typed-$((6*7))-ok\n' >&7
    for _ in $(seq 1 50); do grep -qa 'typed-42-ok' "$OUT/$1.out" 2>/dev/null && break; sleep 0.2; done
    printf 'poweroff -f\n' >&7
    exec 7>&-
    wait $pid
    rc=$?
}
typed stdin ttyS0
st=1; [ $rc -eq 0 ] && has "typed-42-ok" stdin && st=0
boot_result boot-serial-input $st "rc=$rc: $(last stdin)"
typed hvcin hvc1
st=1; [ $rc -eq 0 ] && has "typed-42-ok" hvcin && st=0
boot_result boot-virtio-console-input $st "rc=$rc: $(last hvcin)"

run confile "echo to-the-file-\$((2+3))" --console "$OUT/console.txt"
st=1; [ $rc -eq 0 ] && grep -aq "to-the-file-5" "$OUT/console.txt" && ! has "to-the-file" confile && st=0
boot_result boot-console-file $st "rc=$rc: $(tail -c 300 "$OUT/console.txt" | tr '\r\n' '||')"

run rtc "date +%Y"
st=1; [ $rc -eq 0 ] && grep -aq "^$(date -u +%Y)" "$OUT/rtc.out" && st=0
boot_result boot-rtc $st "rc=$rc: $(last rtc)"

run reboot "reboot -f"
st=1; [ $rc -eq 3 ] && st=0
boot_result boot-exit-reboot $st "rc=$rc (want 3): $(last reboot)"

# SIGTERM while the guest runs: a clean stop with status 143 and the disk flushed.
cp "$G/disk.ext4" "$OUT/disk2.img"
timeout "$BOOT_TIMEOUT" "$LODGE" boot --disk "$OUT/disk2.img" \
    --append 'console=ttyS0 quiet lodge_cmd="mount /dev/vda /mnt && echo before-term > /mnt/data/t.txt && sync && echo synced && sleep 1000"' \
    </dev/null >"$OUT/term.out" 2>&1 &
pid=$!
for _ in $(seq 1 $((BOOT_TIMEOUT * 5))); do grep -qa synced "$OUT/term.out" 2>/dev/null && break; sleep 0.2; done
kill -TERM $pid 2>/dev/null
wait $pid
rc=$?
got=$(debugfs -R "cat /data/t.txt" "$OUT/disk2.img" 2>/dev/null)
st=1; [ $rc -eq 143 ] && [ "$got" = "before-term" ] && st=0
boot_result boot-sigterm $st "rc=$rc (want 143) got='$got': $(last term)"

run trace "true" --trace
st=1; [ $rc -eq 0 ] && has "SBI calls: base" trace && has "interrupt S timer" trace && has "uart" trace && st=0
boot_result boot-trace $st "rc=$rc: $(last trace)"

"$LODGE" boot --disasm-at entry >"$OUT/disasm.out" 2>"$OUT/disasm.err"
rc=$?
st=1; [ $rc -eq 0 ] && [ "$(grep -c '^0000000080200000' "$OUT/disasm.out")" -eq 1 ] && [ "$(wc -l <"$OUT/disasm.out")" -eq 16 ] && st=0
boot_result boot-disasm $st "rc=$rc: $(head -3 "$OUT/disasm.out" | tr '\n' '|')"

# The device tree, read back by an independent tool (Debian's device-tree-compiler), with no warnings.
"$LODGE" boot --cpus 2 --disk "$G/disk.ext4,ro" --dump-dtb "$OUT/machine.dtb" >"$OUT/dtb.out" 2>&1
rc=$?
if ! command -v dtc >/dev/null; then
    skp boot-dtb-dtc "dtc not installed (Debian device-tree-compiler)"
else
    dtc -I dtb -O dts -o "$OUT/machine.dts" "$OUT/machine.dtb" >"$OUT/dtc.log" 2>&1
    st=1; [ $rc -eq 0 ] && [ ! -s "$OUT/dtc.log" ] && grep -q 'virtio_mmio@10001000' "$OUT/machine.dts" \
        && grep -q 'cpu@1' "$OUT/machine.dts" && st=0
    boot_result boot-dtb-dtc $st "rc=$rc: $(head -3 "$OUT/dtc.log" "$OUT/dtb.out" | tr '\n' '|')"
fi
# Seed the device-tree fuzzer with the real tree (first byte even: the checker path).
[ -s "$OUT/machine.dtb" ] && { printf '\0'; cat "$OUT/machine.dtb"; } >"$OUT/corpus-fdt/machine-dtb"

# Bad input: clear message, non-zero status.
"$LODGE" boot --kernel /etc/hostname >"$OUT/badk.out" 2>&1; r1=$?
"$LODGE" boot --mem 4M >"$OUT/badm.out" 2>&1; r2=$?
"$LODGE" boot --mem 16M --initrd "$G/disk.ext4" >"$OUT/badi.out" 2>&1; r3=$?
"$LODGE" boot --cpus 0 >"$OUT/badc.out" 2>&1; r4=$?
"$LODGE" boot --frobnicate >"$OUT/badf.out" 2>&1; r5=$?
st=1; [ $r1 -eq 1 ] && grep -q "not a RISC-V Linux Image" "$OUT/badk.out" && [ $r2 -eq 1 ] && grep -q "MiB" "$OUT/badm.out" \
    && [ $r3 -eq 1 ] && grep -q "not enough memory" "$OUT/badi.out" && [ $r4 -eq 2 ] && [ $r5 -eq 2 ] && st=0
boot_result boot-bad-input $st "statuses $r1 $r2 $r3 $r4 $r5"
# One size convention: `--mem 256` is refused (a bare number is bytes), binary suffixes in any case work.
"$LODGE" boot --mem 256 >"$OUT/bare.out" 2>&1; r1=$?
"$LODGE" boot --mem 256MB >"$OUT/mb.out" 2>&1; r2=$?
"$LODGE" boot --mem 128mib --dump-dtb "$OUT/mib.dtb" >"$OUT/mib.out" 2>&1; r3=$?
"$LODGE" boot --mem=134217728 --dump-dtb "$OUT/bytes.dtb" >"$OUT/bytes.out" 2>&1; r4=$?
st=1; [ $r1 -eq 2 ] && grep -q "a bare number is bytes.*write 256M" "$OUT/bare.out" && [ $r2 -eq 2 ] \
    && grep -q "ambiguous" "$OUT/mb.out" && [ $r3 -eq 0 ] && [ $r4 -eq 0 ] && st=0
# Both spellings give the guest 128 MiB (0x8000000) of RAM at 0x80000000 (dtc reads it back when installed).
if [ $st -eq 0 ] && command -v dtc >/dev/null; then
    for f in mib bytes; do
        dtc -I dtb -O dts "$OUT/$f.dtb" 2>/dev/null | grep -q 'reg = <0x00 0x80000000 0x00 0x8000000>' || st=1
    done
fi
boot_result boot-size-options $st "statuses $r1 $r2 $r3 $r4: $(head -2 "$OUT/bare.out" "$OUT/mib.out" | tr '\n' '|')"

# A hostile bare-metal guest lies to virtio-blk, pokes unmapped addresses and abuses the SBI from inside.
RVCC=${RISCV_CC:-riscv64-linux-gnu-gcc}
if command -v "$RVCC" >/dev/null; then
    if "$RVCC" -march=rv64gc -mabi=lp64d -mcmodel=medany -O2 -ffreestanding -nostdlib -nostartfiles -static \
            -fno-pic -fno-pie -no-pie -Wl,--build-id=none -T tests/sysvm/guest/link.ld -Wall -Wextra -Werror \
            -o "$OUT/hostile.elf" tests/sysvm/guest/start.S tests/sysvm/guest/hostile.c >"$OUT/hostile-build.log" 2>&1; then
        dd if=/dev/zero of="$OUT/hostile.img" bs=1k count=64 2>/dev/null
        timeout "$BOOT_TIMEOUT" "$LODGE" boot --kernel "$OUT/hostile.elf" --disk "$OUT/hostile.img" --no-rng \
            --no-vconsole </dev/null >"$OUT/hostile.out" 2>&1
        rc=$?
        st=1; [ $rc -eq 0 ] && has "all checks passed" hostile && has "refused the guest.s driver (9 times)" hostile && st=0
        boot_result boot-hostile-guest $st "rc=$rc: $(last hostile)"
    else
        bad boot-hostile-guest "does not compile: $(head -5 "$OUT/hostile-build.log")"
    fi
    for e in FAIL:4 HALT:5; do
        "$RVCC" -nostdlib -nostartfiles -static -Wl,--build-id=none -T tests/sysvm/guest/link.ld -DEXIT_${e%:*} \
            -o "$OUT/exit-${e%:*}.elf" tests/sysvm/guest/exits.S >"$OUT/exits-build.log" 2>&1
        timeout "$BOOT_TIMEOUT" "$LODGE" boot --kernel "$OUT/exit-${e%:*}.elf" </dev/null >"$OUT/exit-${e%:*}.out" 2>&1
        rc=$?
        st=1; [ $rc -eq "${e#*:}" ] && st=0
        [ "${e%:*}" = FAIL ] && ! has "code 7" "exit-FAIL" && st=1
        boot_result "boot-exit-$(echo "${e%:*}" | tr 'A-Z' 'a-z')" $st "rc=$rc (want ${e#*:}): $(last "exit-${e%:*}")"
    done
else
    skp boot-hostile-guest "$RVCC not installed (Debian gcc-riscv64-linux-gnu)"
fi

# virtio-net over a tap: needs CAP_NET_ADMIN to make one (CI containers often lack it).
tap=lodget$$
if ip tuntap add dev "$tap" mode tap 2>/dev/null; then
    net=10.77.$((RANDOM % 200)).
    ip addr add "${net}1/24" dev "$tap" && ip link set "$tap" up
    run net "ip link set eth0 up && ip addr add ${net}2/24 dev eth0 && ping -c 2 -W 5 ${net}1" --net "tap=$tap"
    ip link del "$tap" 2>/dev/null
    st=1; [ $rc -eq 0 ] && has "2 packets received" net && st=0
    boot_result boot-net-tap $st "rc=$rc: $(last net)"
else
    skp boot-net-tap "cannot create a tap device here (needs root or CAP_NET_ADMIN and /dev/net/tun)"
fi

# Debian's own riscv64 kernel, unmodified, with the default initramfs.
if [ -s "$G/debian-vmlinuz" ]; then
    run debkernel "uname -r" --kernel "$G/debian-vmlinuz" --initrd "$G/initramfs.cpio" --mem 512M
    st=1; [ $rc -eq 0 ] && has "lodge-guest: ready" debkernel && st=0
    boot_result boot-debian-kernel $st "rc=$rc: $(last debkernel)"
else
    skp boot-debian-kernel "Debian's kernel was not fetched (guests/build.sh debian-kernel needs the network)"
fi

# A Debian riscv64 root file system made with debootstrap (guests/debootstrap.sh, root only): Debian's own bash
# and coreutils run as init; when bash exits the kernel panics and, with panic=-1, reboots (status 3).
if [ -s "$G/debian-root.ext4" ]; then
    timeout "$BOOT_TIMEOUT" "$LODGE" boot --kernel "$G/Image" --disk "$G/debian-root.ext4,ro" --mem 512M \
        --append 'console=ttyS0 quiet panic=-1 root=/dev/vda ro init=/bin/bash -- -c "cat /etc/debian_version; uname -m; /usr/bin/ls --version"' \
        </dev/null >"$OUT/debroot.out" 2>&1
    rc=$?
    st=1; [ $rc -eq 3 ] && has "GNU coreutils" debroot && has "^riscv64" debroot && st=0
    boot_result boot-debootstrap-root $st "rc=$rc: $(grep -av '^\[' "$OUT/debroot.out" | tail -3 | tr '\n' '|')"
else
    skp boot-debootstrap-root "no guests/cache/debian-root.ext4 (made by guests/debootstrap.sh, which needs root)"
fi

FW=/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin
if [ -r "$FW" ]; then
    run bios "nproc" --bios "$FW" --cpus 2
    st=1; [ $rc -eq 0 ] && has "OpenSBI" bios && has "ready (2 cpus" bios && st=0
    boot_result boot-opensbi $st "rc=$rc: $(last bios)"
else
    skp boot-opensbi "$FW missing (Debian package opensbi)"
fi

# qcow2 overlays, the host size limit, disk rate limits (tests/sysvm/storage.sh).
. tests/sysvm/storage.sh

echo "$pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ]
