#!/usr/bin/env bash
# Builds Lodge's default RISC-V guest from Debian's packages and caches it under guests/cache/:
#   Image          Linux 6.1 (Debian's linux-source-6.1, gcc-riscv64-linux-gnu, guests/kernel.config)
#   initramfs.cpio busybox-static (Debian riscv64) + guests/init
#   disk.ext4      a small ext4 image made with mkfs.ext4 -d
#   debian-vmlinuz Debian's own riscv64 kernel (linux-binary-*-riscv64 from sid), unmodified, for the
#                  "boots Debian's kernel" test; a failed download only warns
# Usage: guests/build.sh [all|kernel|busybox|initramfs|disk|debian-kernel|deps]   (default: all). Each step is
# skipped when its output is newer than its inputs, so a second run is instant.
set -euo pipefail
cd "$(dirname "$0")"
GUESTS=$PWD
CACHE=$GUESTS/cache
JOBS=${JOBS:-$(nproc)}
mkdir -p "$CACHE"

log() { echo "guest-build: $*" >&2; }
have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'ok installed'; }

deps() {
    local need=()
    for p in gcc-riscv64-linux-gnu linux-source-6.1 make gcc bc flex bison cpio xz-utils e2fsprogs \
             libssl-dev libelf-dev; do
        have_pkg "$p" || need+=("$p")
    done
    [ ${#need[@]} -eq 0 ] && return 0
    log "installing ${need[*]}"
    local sudo=""; [ "$(id -u)" -ne 0 ] && sudo=sudo
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null \
        || { $sudo apt-get update -qq && $sudo env DEBIAN_FRONTEND=noninteractive \
             apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null; }
}

# newer OUT IN...: true when OUT exists and is newer than every IN.
newer() {
    local out=$1; shift
    [ -e "$out" ] || return 1
    for f in "$@"; do [ "$f" -nt "$out" ] && return 1; done
    return 0
}

kernel() {
    local tarball=/usr/src/linux-source-6.1.tar.xz src=$CACHE/linux-source-6.1 obj=$CACHE/kbuild
    if newer "$CACHE/Image" "$GUESTS/kernel.config" "$tarball"; then log "kernel: cached"; return 0; fi
    if [ ! -e "$src/.lodge-extracted" ] || [ "$tarball" -nt "$src/.lodge-extracted" ]; then
        log "kernel: extracting $tarball"
        rm -rf "$src"
        tar -C "$CACHE" -xf "$tarball"
        touch "$src/.lodge-extracted"
    fi
    mkdir -p "$obj"
    local mk=(make -s -C "$src" O="$obj" ARCH=riscv CROSS_COMPILE=riscv64-linux-gnu-)
    log "kernel: configuring (tinyconfig + kernel.config)"
    "${mk[@]}" tinyconfig >/dev/null
    "$src/scripts/kconfig/merge_config.sh" -m -O "$obj" "$obj/.config" "$GUESTS/kernel.config" >/dev/null
    "${mk[@]}" olddefconfig >/dev/null
    # Every line of the fragment must have survived: a silently dropped option gives a guest that
    # cannot see its disk, which is a much harder failure to read.
    local missing=0
    while IFS= read -r line; do
        case "$line" in CONFIG_*) grep -qx "$line" "$obj/.config" || { log "kernel: option lost: $line"; missing=1; } ;; esac
    done < "$GUESTS/kernel.config"
    [ $missing -eq 0 ] || { log "kernel: config fragment not applied"; return 1; }
    log "kernel: building with $JOBS jobs (a few minutes)"
    "${mk[@]}" -j"$JOBS" Image
    cp "$obj/arch/riscv/boot/Image" "$CACHE/Image.tmp" && mv "$CACHE/Image.tmp" "$CACHE/Image"
    log "kernel: $CACHE/Image ($(stat -c %s "$CACHE/Image") bytes)"
}

# busybox-static for riscv64 from Debian sid, through a private apt configuration (the host's apt
# configuration is not touched).
APT_OPTS=()
private_apt() {
    [ ${#APT_OPTS[@]} -gt 0 ] && return 0
    local aptd=$CACHE/apt
    mkdir -p "$aptd/lists/partial" "$aptd/cache/archives/partial" "$aptd/etc/sources.list.d" "$aptd/etc/preferences.d"
    : > "$aptd/status"
    echo "deb [arch=riscv64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian sid main" \
        > "$aptd/etc/sources.list"
    APT_OPTS=(-o Dir::Etc::sourcelist="$aptd/etc/sources.list" -o Dir::Etc::sourceparts="$aptd/etc/sources.list.d"
                -o Dir::Etc::preferencesparts="$aptd/etc/preferences.d"
                -o Dir::State::Lists="$aptd/lists" -o Dir::State::status="$aptd/status" -o Dir::Cache="$aptd/cache"
                -o APT::Architecture=riscv64 -o APT::Architectures::=riscv64 -o Debug::NoLocking=1
                -o APT::Sandbox::User=root)
    log "fetching the riscv64 package index of Debian sid"
    apt-get "${APT_OPTS[@]}" -qq update
}

busybox() {
    local bb=$CACHE/busybox
    if [ -x "$bb" ]; then return 0; fi
    private_apt
    local tmp=$CACHE/bbdeb
    rm -rf "$tmp" && mkdir -p "$tmp"
    (cd "$tmp" && apt-get "${APT_OPTS[@]}" -qq download busybox-static:riscv64)
    dpkg-deb -x "$tmp"/busybox-static_*.deb "$tmp/root"
    local f=$tmp/root/usr/bin/busybox
    [ -e "$f" ] || f=$tmp/root/bin/busybox
    cp "$f" "$bb.tmp" && mv "$bb.tmp" "$bb"
    log "busybox: $(ls "$tmp"/*.deb | xargs -n1 basename)"
}

# The cpio is written by the kernel's own gen_init_cpio (compiled for the host), so device nodes need no root.
initramfs() {
    busybox
    local out=$CACHE/initramfs.cpio src=$CACHE/linux-source-6.1
    if newer "$out" "$GUESTS/init" "$CACHE/busybox" "$GUESTS/build.sh"; then log "initramfs: cached"; return 0; fi
    if [ ! -x "$CACHE/gen_init_cpio" ]; then
        [ -e "$src/usr/gen_init_cpio.c" ] || tar -C "$CACHE" -xf /usr/src/linux-source-6.1.tar.xz linux-source-6.1/usr/gen_init_cpio.c
        cc -O2 -o "$CACHE/gen_init_cpio" "$src/usr/gen_init_cpio.c"
    fi
    local list=$CACHE/initramfs.list
    {
        for d in /bin /sbin /usr /usr/bin /usr/sbin /dev /proc /sys /tmp /mnt /root /etc; do echo "dir $d 0755 0 0"; done
        echo "nod /dev/console 0600 0 0 c 5 1"
        echo "nod /dev/null 0666 0 0 c 1 3"
        echo "file /bin/busybox $CACHE/busybox 0755 0 0"
        echo "file /init $GUESTS/init 0755 0 0"
        for a in sh ash mount umount echo cat ls mkdir rm cp mv ln poweroff reboot sync dd sha256sum md5sum \
                 grep sed awk tr wc head tail od hexdump cut sort uniq uname sleep nproc date hwclock dmesg \
                 ip ifconfig udhcpc ps kill seq env true false test printf expr stat find cmp time yes \
                 hostname cttyhack setsid mdev chmod touch df du free uptime vi less more which; do
            echo "slink /bin/$a busybox 0777 0 0"
        done
        echo 'file /etc/hostname /dev/null 0644 0 0'
    } > "$list"
    "$CACHE/gen_init_cpio" "$list" > "$out.tmp" && mv "$out.tmp" "$out"
    log "initramfs: $out ($(stat -c %s "$out") bytes)"
}

debian_kernel() {
    local out=$CACHE/debian-vmlinuz
    if [ -s "$out" ]; then log "debian kernel: cached"; return 0; fi
    private_apt
    local tmp=$CACHE/kdeb
    rm -rf "$tmp" && mkdir -p "$tmp"
    # linux-image-riscv64 depends on linux-image-VERSION-riscv64, whose kernel file is in linux-binary-VERSION.
    local img bin
    img=$(apt-cache "${APT_OPTS[@]}" depends linux-image-riscv64 2>/dev/null | sed -n 's/.*Depends: \(linux-image-[^ ]*-riscv64\)$/\1/p' | head -1)
    [ -n "$img" ] || { log "debian kernel: no linux-image-riscv64 in the index"; return 1; }
    bin=${img/linux-image-/linux-binary-}
    (cd "$tmp" && { apt-get "${APT_OPTS[@]}" -qq download "$bin" 2>/dev/null || apt-get "${APT_OPTS[@]}" -qq download "$img"; })
    for deb in "$tmp"/*.deb; do dpkg-deb -x "$deb" "$tmp/root"; done
    local f
    f=$(find "$tmp/root" -name 'vmlinu[xz]*' -type f | head -1)
    [ -n "$f" ] || { log "debian kernel: no vmlinuz in $(ls "$tmp")"; return 1; }
    cp "$f" "$out.tmp" && mv "$out.tmp" "$out"
    log "debian kernel: $(basename "$(ls "$tmp"/*.deb | head -1)")"
    rm -rf "$tmp"
}

disk() {
    local out=$CACHE/disk.ext4
    if newer "$out" "$GUESTS/build.sh"; then log "disk: cached"; return 0; fi
    local root=$CACHE/diskroot
    rm -rf "$root" && mkdir -p "$root/data"
    echo "This ext4 image was made by guests/build.sh with mkfs.ext4 -d." > "$root/README"
    PATH=$PATH:/sbin:/usr/sbin mkfs.ext4 -q -F -L lodge -d "$root" "$out.tmp" 32M >/dev/null
    mv "$out.tmp" "$out"
    log "disk: $out"
}

case "${1:-all}" in
    deps) deps ;;
    kernel) deps; kernel ;;
    busybox) busybox ;;
    initramfs) deps; initramfs ;;
    disk) deps; disk ;;
    debian-kernel) debian_kernel ;;
    all) deps; kernel; initramfs; disk; debian_kernel || log "warning: Debian's kernel not fetched (its test will skip)" ;;
    *) echo "usage: guests/build.sh [all|kernel|busybox|initramfs|disk|debian-kernel|deps]" >&2; exit 2 ;;
esac
