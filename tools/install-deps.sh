#!/usr/bin/env bash
# Installs, from Debian, what the build and the tests need, only when something is missing.
# Packages: wabt (wast2json for the spec tests), cJSON (spec runner), clang/lld/wasi-libc (bytecode
# examples and benchmarks), the cross toolchain and images for the system VM.
set -eu
need=()
have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'ok installed'; }
for p in $(grep -v '^#' "$(dirname "$0")/debian-packages.txt"); do
    have_pkg "$p" || need+=("$p")
done
[ ${#need[@]} -eq 0 ] && exit 0
echo "install-deps: installing ${need[*]}"
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
