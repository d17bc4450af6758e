#!/usr/bin/env bash
# Fetch Debian 13 (trixie)'s statically linked riscv64 busybox (package busybox-static) with
# apt and a private configuration (this machine's apt sources are not touched), for the
# real-world tests in tests/busybox.rs. Nothing is committed: the binary lands in OUTDIR
# (default /tmp/xlate-busybox).
#
#   scripts/fetch-busybox.sh [OUTDIR]      -> OUTDIR/busybox
#   XLATE_BUSYBOX=OUTDIR/busybox cargo nextest run --release --test busybox
set -euo pipefail
OUT="${1:-/tmp/xlate-busybox}"
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
. "$(dirname "${BASH_SOURCE[0]}")/apt-riscv64.sh"
apt_riscv64_setup "$OUT"
cd "$OUT"
rm -f busybox-static_*.deb
apt-get "${APT[@]}" download busybox-static:riscv64 2>&1 | grep -v "unsandboxed" || true
deb="$(ls -t "$OUT"/busybox-static_*_riscv64.deb | head -n1)"
rm -rf "$OUT/x" && mkdir "$OUT/x"
dpkg-deb -x "$deb" "$OUT/x"
cp "$OUT/x/usr/bin/busybox" "$OUT/busybox"
echo "busybox: $OUT/busybox ($(basename "$deb"))"
