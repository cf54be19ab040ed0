# Storage boot tests, sourced by tests/sysvm/run.sh (which defines run, has, last, boot_result, skp, $OUT, $G,
# $LODGE, $BUILD, $BOOT_TIMEOUT): qcow2 overlays over the default guest's disk, two machines sharing a base,
# a machine killed while it writes, the host size limit, a disk rate limit measured from inside the guest and
# lifted while it runs, and a network rate limit.
STORAGE_BOOT=$BUILD/sysvm-storage-boot
GD=${LODGE_GUEST_DIR:-$PWD/guests/cache}
BASE=$GD/disk.ext4
storage_skip=""
command -v qemu-img >/dev/null || storage_skip="qemu-img not installed (Debian qemu-utils)"
[ -s "$BASE" ] && [ -s "$GD/Image" ] || storage_skip="no default guest in $GD (guests/build.sh)"
[ -x "$STORAGE_BOOT" ] || make -s "BUILD=$BUILD" "$STORAGE_BOOT" >/dev/null 2>&1 || storage_skip="cannot build $STORAGE_BOOT"
if [ -n "$storage_skip" ]; then
    for t in boot-qcow2-overlay boot-qcow2-two-overlays boot-qcow2-sigkill-consistent boot-qcow2-size-limit \
             boot-disk-rate-limit boot-net-rate-limit; do
        skp "$t" "$storage_skip"
    done
else
base_sum=$(sha256sum <"$BASE")
# guest_file IMAGE PATH: a file's contents in the ext4 file system of a qcow2 image (read by qemu-img + debugfs).
guest_file() {
    rm -f "$OUT/conv.raw"
    qemu-img convert -O raw "$1" "$OUT/conv.raw" 2>/dev/null && debugfs -R "cat $2" "$OUT/conv.raw" 2>/dev/null
}

# A thin clone: the guest sees the base's files and writes its own; the base stays byte-identical.
rm -f "$OUT/ov.qcow2"
qemu-img create -f qcow2 -b "$BASE" -F raw "$OUT/ov.qcow2" >/dev/null
marker="overlay-$$"
run qcow2 "mount /dev/vda /mnt && cat /mnt/README && echo $marker > /mnt/data/ov.txt && dd if=/dev/urandom of=/mnt/data/big bs=64k count=32 2>/dev/null && sync && umount /mnt" --disk "$OUT/ov.qcow2"
got=$(guest_file "$OUT/ov.qcow2" /data/ov.txt)
st=1; [ $rc -eq 0 ] && has "made by guests/build.sh" qcow2 && [ "$got" = "$marker" ] \
    && qemu-img check "$OUT/ov.qcow2" >"$OUT/ov.check" 2>&1 && e2fsck -fn "$OUT/conv.raw" >/dev/null 2>&1 \
    && [ "$(sha256sum <"$BASE")" = "$base_sum" ] && st=0
boot_result boot-qcow2-overlay $st "rc=$rc got='$got' check: $(head -2 "$OUT/ov.check" | tr '\n' '|'): $(last qcow2)"
[ $st -eq 0 ] && echo "  overlay after the guest wrote 2 MiB: $(stat -c %s "$OUT/ov.qcow2") bytes; base unchanged"

# Two machines at once over one base: neither sees the other's writes.
for i in 1 2; do
    rm -f "$OUT/ov$i.qcow2"
    qemu-img create -f qcow2 -b "$BASE" -F raw "$OUT/ov$i.qcow2" >/dev/null
    timeout "$BOOT_TIMEOUT" "$LODGE" boot --disk "$OUT/ov$i.qcow2" \
        --append "console=ttyS0 quiet lodge_cmd=\"mount /dev/vda /mnt && echo machine-$i > /mnt/data/who.txt && ls /mnt/data && sync && umount /mnt\"" \
        </dev/null >"$OUT/two$i.out" 2>&1 &
    eval "pid$i=\$!"
done
wait "$pid1"; rc1=$?; wait "$pid2"; rc2=$?
w1=$(guest_file "$OUT/ov1.qcow2" /data/who.txt); w2=$(guest_file "$OUT/ov2.qcow2" /data/who.txt)
st=1; [ $rc1 -eq 0 ] && [ $rc2 -eq 0 ] && [ "$w1" = machine-1 ] && [ "$w2" = machine-2 ] \
    && ! grep -aq ov.txt "$OUT/two1.out" && qemu-img check "$OUT/ov1.qcow2" >/dev/null 2>&1 \
    && qemu-img check "$OUT/ov2.qcow2" >/dev/null 2>&1 && [ "$(sha256sum <"$BASE")" = "$base_sum" ] && st=0
boot_result boot-qcow2-two-overlays $st "rc=$rc1,$rc2 who='$w1','$w2': $(last two1)"

# SIGKILL while the guest writes and syncs in a loop: the overlay is consistent (qemu-img check: no errors,
# at worst leaked clusters, status 3), and what the guest synced before the kill is there.
rm -f "$OUT/kill.qcow2"
qemu-img create -f qcow2 -b "$BASE" -F raw "$OUT/kill.qcow2" >/dev/null
"$LODGE" boot --disk "$OUT/kill.qcow2" \
    --append 'console=ttyS0 quiet lodge_cmd="mount /dev/vda /mnt && i=0 && while true; do dd if=/dev/urandom of=/mnt/data/f$i bs=64k count=8 2>/dev/null; echo synced-$i > /mnt/data/last; sync; echo wrote-$i; i=$((i+1)); done"' \
    </dev/null >"$OUT/kill.out" 2>&1 &
pid=$!
for _ in $(seq 1 $((BOOT_TIMEOUT * 5))); do grep -qa 'wrote-5' "$OUT/kill.out" 2>/dev/null && break; sleep 0.2; done
kill -KILL $pid 2>/dev/null
wait $pid 2>/dev/null
qemu-img check "$OUT/kill.qcow2" >"$OUT/kill.check" 2>&1
chk=$?
rm -f "$OUT/conv.raw"
qemu-img convert -O raw "$OUT/kill.qcow2" "$OUT/conv.raw" 2>/dev/null
e2fsck -fy "$OUT/conv.raw" >/dev/null 2>&1        # replays the journal, as a reboot would
last_synced=$(debugfs -R "cat /data/last" "$OUT/conv.raw" 2>/dev/null)
f5=$(debugfs -R "stat /data/f5" "$OUT/conv.raw" 2>/dev/null | grep -o 'Size: [0-9]*' | head -1)
st=1; has wrote-5 kill && { [ $chk -eq 0 ] || [ $chk -eq 3 ]; } && [ "$f5" = "Size: 524288" ] \
    && [ -n "$last_synced" ] && [ "$(sha256sum <"$BASE")" = "$base_sum" ] && st=0
boot_result boot-qcow2-sigkill-consistent $st "check status $chk (0 or 3 wanted) last='$last_synced' f5='$f5': $(grep -a -m2 -E 'ERROR|Leaked|leaked' "$OUT/kill.check" | tr '\n' '|')"
[ $st -eq 0 ] && echo "  after SIGKILL: qemu-img check status $chk ($(grep -ao '[0-9]* leaked clusters' "$OUT/kill.check" || echo 'no leaks')), guest's last synced: $last_synced"

# The size limit: the overlay may grow by 1 MiB; a 4 MiB write fails in the guest as an I/O error, counted.
rm -f "$OUT/lim.qcow2"
qemu-img create -f qcow2 -b "$BASE" -F raw "$OUT/lim.qcow2" >/dev/null
limit=$(( $(stat -c %s "$OUT/lim.qcow2") + 1048576 ))
LODGE_TEST_TIMEOUT=$BOOT_TIMEOUT "$STORAGE_BOOT" "$GD/Image" "$GD/initramfs.cpio" \
    'console=ttyS0 quiet lodge_cmd="dd if=/dev/urandom of=/dev/vda bs=64k count=64 seek=160 oflag=direct; echo dd-status=$?"' \
    "$OUT/lim.qcow2" "$limit" 0 >"$OUT/lim.out" 2>&1
rc=$?
refusals=$(grep -ao 'disk_limit_refusals=[0-9]*' "$OUT/lim.out" | cut -d= -f2)
size=$(stat -c %s "$OUT/lim.qcow2")
st=1; [ $rc -eq 0 ] && has "dd-status=1" lim && has "Input/output error" lim && [ "${refusals:-0}" -ge 1 ] \
    && [ "$size" -le "$limit" ] && qemu-img check "$OUT/lim.qcow2" >/dev/null 2>&1 \
    && [ "$(sha256sum <"$BASE")" = "$base_sum" ] && st=0
boot_result boot-qcow2-size-limit $st "rc=$rc refusals=$refusals size=$size limit=$limit: $(last lim)"

# 1 MiB/s on disk0: the guest reads 4 MiB of its disk and times it; then the host lifts the limit while the
# guest runs and the next 4 MiB go at full speed.
rm -f "$OUT/rate.qcow2"
qemu-img create -f qcow2 -b "$BASE" -F raw "$OUT/rate.qcow2" >/dev/null
# The machine's CPU time is measured too: a throttled guest waits asleep, so the process uses well under its
# wall time (a device spinning on its limiter would use all of it).
rate_wall0=$(date +%s.%N)
TIMEFORMAT='%U %S'
{ time LODGE_TEST_TIMEOUT=$BOOT_TIMEOUT "$STORAGE_BOOT" "$GD/Image" "$GD/initramfs.cpio" \
    'console=ttyS0 quiet lodge_cmd="echo t0 $(cat /proc/uptime); dd if=/dev/vda of=/dev/null bs=64k count=64 2>/dev/null; echo t1 $(cat /proc/uptime); echo lift-now; sleep 1; echo t2 $(cat /proc/uptime); dd if=/dev/vda of=/dev/null bs=64k count=64 skip=64 2>/dev/null; echo t3 $(cat /proc/uptime)"' \
    "$OUT/rate.qcow2" 0 1048576 lift-now 0 >"$OUT/rate.out" 2>&1; } 2>"$OUT/rate.time"
rc=$?
unset TIMEFORMAT
rate_wall=$(echo "$(date +%s.%N) - $rate_wall0" | bc)
rate_cpu=$(awk '{print $1 + $2}' "$OUT/rate.time" 2>/dev/null)
tv() { tr -d '\r' <"$OUT/rate.out" | sed -n "s/^$1 \([0-9.]*\) .*/\1/p" | head -1; }
t0=$(tv t0); t1=$(tv t1); t2=$(tv t2); t3=$(tv t3)
limited=$(echo "scale=3; 4 / ($t1 - $t0)" | bc 2>/dev/null)
lifted=$(echo "scale=3; 4 / ($t3 - $t2 + 0.01)" | bc 2>/dev/null)
st=1; [ $rc -eq 0 ] && [ -n "$limited" ] && [ -n "$lifted" ] && has "limit changed to 0" rate \
    && [ "$(echo "$limited >= 0.75 && $limited <= 1.25 && $lifted >= 3 * $limited" | bc)" = 1 ] \
    && [ -n "$rate_cpu" ] && [ "$(echo "$rate_cpu + 2.5 < $rate_wall" | bc)" = 1 ] && st=0
boot_result boot-disk-rate-limit $st "rc=$rc t=$t0,$t1,$t2,$t3 limited=${limited} MiB/s lifted=${lifted} MiB/s cpu=${rate_cpu}s wall=${rate_wall}s: $(last rate)"
echo "  disk read at a 1 MiB/s limit: ${limited} MiB/s; after lifting it while running: ${lifted} MiB/s;" \
     "the machine used ${rate_cpu} s of CPU in ${rate_wall} s"

# The network's transmit side at 4 frames a second: 8 pings one after the other (each waits for its reply)
# take 2 to 3 s (ARP and other frames share the budget), against about 0.9 s unlimited.
ntap=lodges$$
if ip tuntap add dev "$ntap" mode tap 2>/dev/null; then
    nnet=10.79.$((RANDOM % 200)).
    ip addr add "${nnet}1/24" dev "$ntap" && ip link set "$ntap" up
    rm -f "$OUT/net.qcow2"
    qemu-img create -f qcow2 -b "$BASE" -F raw "$OUT/net.qcow2" >/dev/null
    LODGE_TEST_TAP=$ntap LODGE_TEST_NET_TX_FPS=4 LODGE_TEST_TIMEOUT=$BOOT_TIMEOUT "$STORAGE_BOOT" "$GD/Image" \
        "$GD/initramfs.cpio" "console=ttyS0 quiet lodge_cmd=\"ip link set eth0 up && ip addr add ${nnet}2/24 dev eth0 && ping -c 1 -W 5 ${nnet}1 >/dev/null; echo t0 \$(cat /proc/uptime); for i in 1 2 3 4 5 6 7 8; do ping -c 1 -W 3 ${nnet}1 >/dev/null && echo pong-\$i; done; echo t1 \$(cat /proc/uptime)\"" \
        "$OUT/net.qcow2" 0 0 >"$OUT/netrl.out" 2>&1
    rc=$?
    ip link del "$ntap" 2>/dev/null
    n0=$(tr -d '\r' <"$OUT/netrl.out" | sed -n 's/^t0 \([0-9.]*\) .*/\1/p'); n1=$(tr -d '\r' <"$OUT/netrl.out" | sed -n 's/^t1 \([0-9.]*\) .*/\1/p')
    took=$(echo "$n1 - $n0" | bc 2>/dev/null)
    limited_n=$(grep -ao 'rate_limited=[0-9]*' "$OUT/netrl.out" | cut -d= -f2)
    st=1; [ $rc -eq 0 ] && has "pong-8" netrl && [ -n "$took" ] \
        && [ "$(echo "$took >= 1.5 && $took <= 4" | bc)" = 1 ] && [ "${limited_n:-0}" -ge 6 ] && st=0
    boot_result boot-net-rate-limit $st "rc=$rc took=${took}s rate_limited=$limited_n: $(last netrl)"
    echo "  8 pings in a row at 4 frames/s: ${took} s (${limited_n} frames held back)"
else
    skp boot-net-rate-limit "cannot create a tap device here (needs root or CAP_NET_ADMIN and /dev/net/tun)"
fi
fi
