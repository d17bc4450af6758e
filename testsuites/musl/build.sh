#!/usr/bin/env bash
# Build the musl-linked riscv64 guest programs of tests/musl.rs.
#
#   testsuites/musl/build.sh             rebuild into testsuites/musl/bin
#   testsuites/musl/build.sh OUTDIR      build into OUTDIR/bin (.ci/run checks that the
#                                        committed ELFs are reproducible)
#
# Needs the musl sysroot and compiler wrapper of scripts/build-musl.sh: MUSL_DIR (default
# /tmp/xlate-musl) is that script's OUTDIR; it is built there first when missing.
# Reproducibility: as testsuites/build.sh (no paths, no timestamps, no build id, stripped); the
# same riscv64-linux-gnu-gcc, binutils and musl source give bit-identical files.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUT="${1:-$HERE}"
mkdir -p "$OUT/bin"
OUT="$(cd "$OUT" && pwd)"
MUSL_DIR="${MUSL_DIR:-/tmp/xlate-musl}"
"$HERE/../../scripts/build-musl.sh" "$MUSL_DIR" >/dev/null
CC="$MUSL_DIR/bin/riscv64-linux-musl-gcc"
export LC_ALL=C SOURCE_DATE_EPOCH=0

COMMON=(-O2 -march=rv64gc -mabi=lp64d -Wall -Wextra -Werror "-ffile-prefix-map=$HERE=."
        -fno-ident -Wl,--build-id=none)

cat "$MUSL_DIR/STAMP" > "$OUT/TOOLCHAIN"

cd "$HERE/src"
# c NAME SOURCE [EXTRA FLAGS...]
c() {
    local name="$1" src="$2"
    shift 2
    echo "  CC    $name"
    "$CC" "${COMMON[@]}" -o "$OUT/bin/$name" "$src" "$@"
    riscv64-linux-gnu-strip "$OUT/bin/$name"
}

c musl_static musl_rt.c -static
c musl_dyn    musl_rt.c
