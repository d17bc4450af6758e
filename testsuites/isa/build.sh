#!/usr/bin/env bash
# Build the bare-metal ISA conformance tests: src/NAME.S -> bin/NAME
#
#   testsuites/isa/build.sh            rebuild into testsuites/isa/bin
#   testsuites/isa/build.sh OUTDIR     build into OUTDIR (reproducibility check)
#
# Needs riscv64-unknown-elf-gcc (Debian: gcc-riscv64-unknown-elf).
# Symbols are kept (the runner finds tohost/fromhost by symbol); debug info,
# build ID, .comment and .riscv.attributes are not emitted, so the same toolchain
# gives bit-identical files.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUT="${1:-$HERE/bin}"
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
CC=riscv64-unknown-elf-gcc
export LC_ALL=C SOURCE_DATE_EPOCH=0

cd "$HERE"
COMMON=(-nostdlib -nostartfiles -static -mcmodel=medany -mabi=lp64d
        -Ienv -Tenv/link.ld "-ffile-prefix-map=$HERE=." -fno-ident
        -Wl,--build-id=none -Wl,-n -Wl,--no-warn-rwx-segments)

echo "riscv64-unknown-elf-gcc: $("$CC" --version | head -n1)" > "$HERE/TOOLCHAIN"
echo "riscv64-unknown-elf-ld: $(riscv64-unknown-elf-ld --version | head -n1)" >> "$HERE/TOOLCHAIN"

# Objects get fixed relative names (gcc's temporary object names would end up in the
# symbol table as file symbols and make the output differ from build to build).
OBJ="$(mktemp -d)"
trap 'rm -rf "$OBJ"' EXIT
for src in src/*.S; do
    name="$(basename "$src" .S)"
    case "$name" in
        rv64uzb*) march=rv64gc_zba_zbb_zbs ;;
        *)        march=rv64gc ;;
    esac
    echo "  AS+LD $name ($march)"
    "$CC" "${COMMON[@]}" -march="$march" -c -o "$OBJ/crt.o" env/crt.S
    "$CC" "${COMMON[@]}" -march="$march" -c -o "$OBJ/$name.o" "$src"
    (cd "$OBJ" && "$CC" "${COMMON[@]/#-T*/-T$HERE/env/link.ld}" -march="$march" -o "$OUT/$name" crt.o "$name.o")
done
