#!/usr/bin/env bash
# Fetch Debian 13 (trixie)'s riscv64 Linux kernel for `xlate boot` experiments, with apt and a
# private configuration (this machine's apt sources are not touched), and extract the flat
# Image. Nothing is committed: the kernel lands in OUTDIR (default /tmp/xlate-kernel).
#
#   scripts/fetch-kernel.sh [OUTDIR]      -> OUTDIR/Image, OUTDIR/linux-image-*.deb
set -euo pipefail
OUT="${1:-/tmp/xlate-kernel}"
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
. "$(dirname "${BASH_SOURCE[0]}")/apt-riscv64.sh"
apt_riscv64_setup "$OUT"
pkg="$(apt-cache "${APT[@]}" depends linux-image-riscv64 | awk '/Depends: linux-image-[0-9]/{print $2; exit}')"
echo "kernel package: $pkg"
cd "$OUT"
apt-get "${APT[@]}" download "$pkg:riscv64"
deb="$(ls -t "$OUT"/linux-image-*riscv64*.deb | head -n1)"
rm -rf "$OUT/x" && mkdir "$OUT/x"
dpkg-deb -x "$deb" "$OUT/x"
vmlinux="$(ls "$OUT"/x/boot/vmlinu*-* | head -n1)"
# Debian ships the riscv64 kernel as a (possibly compressed) flat Image.
if [ "$(head -c 2 "$vmlinux" | od -An -tx1 | tr -d ' ')" = 1f8b ]; then
    gzip -dc "$vmlinux" > "$OUT/Image"
else
    cp "$vmlinux" "$OUT/Image"
fi
echo "$OUT/Image"
