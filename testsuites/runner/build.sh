#!/usr/bin/env bash
# Builds the runner fixtures: src/NAME.S -> bin/NAME (riscv64-unknown-elf-gcc).
# bin/not-elf, bin/notes.txt and bin/*.reference_output are written by hand.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$HERE"
CC=riscv64-unknown-elf-gcc
COMMON=(-nostdlib -nostartfiles -static -march=rv64gc -mabi=lp64d -fno-ident
        -Wl,--build-id=none -Wl,--no-warn-rwx-segments "-ffile-prefix-map=$HERE=.")
for src in src/*.S; do
    name="$(basename "$src" .S)"
    case "$name" in
        linux-*) "$CC" "${COMMON[@]}" -o "bin/$name" "$src" ;;
        *)       "$CC" "${COMMON[@]}" -Isrc -Tsrc/link.ld -Wl,-n -o "bin/$name" "$src" ;;
    esac
    echo "  built bin/$name"
done
