#!/usr/bin/env bash
# Makes guests/cache/debian-root.ext4: a Debian riscv64 root file system (sid, minbase) made with debootstrap's
# first stage, as an ext4 image. Unconfigured, but its programs run: boot it with
#   lodge boot --disk guests/cache/debian-root.ext4 --mem 512M --append 'console=ttyS0 root=/dev/vda rw init=/bin/bash'
# Needs root (debootstrap creates device nodes and root-owned files) and the network; about a minute.
set -euo pipefail
cd "$(dirname "$0")"
CACHE=$PWD/cache
out=$CACHE/debian-root.ext4
[ -s "$out" ] && { echo "debootstrap: $out: cached"; exit 0; }
[ "$(id -u)" -eq 0 ] || { echo "debootstrap: needs root" >&2; exit 1; }
command -v debootstrap >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null
mkdir -p "$CACHE"
root=$CACHE/debian-root
rm -rf "$root"
debootstrap --foreign --arch=riscv64 --variant=minbase sid "$root" http://deb.debian.org/debian >"$CACHE/debootstrap.log" 2>&1 \
    || { tail -5 "$CACHE/debootstrap.log" >&2; exit 1; }
PATH=$PATH:/sbin:/usr/sbin mkfs.ext4 -q -F -L debian -d "$root" "$out.tmp" 1G >/dev/null
mv "$out.tmp" "$out"
rm -rf "$root"
echo "debootstrap: $out"
