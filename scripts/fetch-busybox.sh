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
mkdir -p "$OUT/apt/lists/partial" "$OUT/apt/cache/archives/partial" "$OUT/etc"
OUT="$(cd "$OUT" && pwd)"
cat > "$OUT/etc/sources.list" <<SRC
deb [arch=riscv64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie main
SRC
APT=(-o Dir::Etc::SourceList="$OUT/etc/sources.list" -o Dir::Etc::SourceParts=/dev/null
     -o Dir::State::Lists="$OUT/apt/lists" -o Dir::Cache="$OUT/apt/cache"
     -o APT::Architecture=riscv64 -o APT::Architectures::=riscv64
     -o Debug::NoLocking=1)
apt-get "${APT[@]}" update -qq
cd "$OUT"
rm -f busybox-static_*.deb
apt-get "${APT[@]}" download busybox-static:riscv64 2>&1 | grep -v "unsandboxed" || true
deb="$(ls -t "$OUT"/busybox-static_*_riscv64.deb | head -n1)"
rm -rf "$OUT/x" && mkdir "$OUT/x"
dpkg-deb -x "$deb" "$OUT/x"
cp "$OUT/x/usr/bin/busybox" "$OUT/busybox"
echo "busybox: $OUT/busybox ($(basename "$deb"))"
