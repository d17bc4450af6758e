#!/usr/bin/env bash
# Build the S-mode payloads `xlate boot` is tested with (tests/boot.rs), the Linux initramfs
# (tests/linux_boot.rs) and the virtio test's init (vda-init, tests/virtio.rs): init (src/init.c, static, freestanding) packed with /dev/console into a
# newc cpio by mkcpio.py (owners root, mtimes 0).
#
#   testsuites/boot/build.sh            rebuild into testsuites/boot/bin
#   testsuites/boot/build.sh OUTDIR     build into OUTDIR
#
# Needs riscv64-linux-gnu-gcc (Debian: gcc-riscv64-linux-gnu) and python3. Reproducible: no
# build id, no paths, stripped (except gdb-boot, whose symbols the gdb test breaks at).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUT="${1:-$HERE/bin}"
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
export LC_ALL=C SOURCE_DATE_EPOCH=0
cd "$HERE/src"
for s in *.S; do
    name="${s%.S}"
    riscv64-linux-gnu-gcc -nostdlib -nostartfiles -static -march=rv64gc -mabi=lp64d \
        -Wl,-Ttext=0x80200000 -Wl,--build-id=none -Wl,-N -Wl,--no-relax -Wl,--no-warn-rwx-segments \
        -o "$OUT/$name" "$s"
    if [ "$name" = gdb-boot ]; then
        riscv64-linux-gnu-strip --discard-all "$OUT/$name" # keeps the global symbols
    else
        riscv64-linux-gnu-strip "$OUT/$name"
    fi
done

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
riscv64-linux-gnu-gcc -Os -march=rv64gc -mabi=lp64d -nostdlib -nostartfiles -static -ffreestanding \
    -fno-stack-protector -fno-ident -Wall -Wextra -Werror -Wl,--build-id=none -o "$tmp/init" init.c
riscv64-linux-gnu-strip "$tmp/init"
# The virtio block test's init (tests/virtio.rs packs it with the kernel's modules at test time).
riscv64-linux-gnu-gcc -Os -march=rv64gc -mabi=lp64d -nostdlib -nostartfiles -static -ffreestanding \
    -fno-stack-protector -fno-ident -Wall -Wextra -Werror -Wl,--build-id=none -o "$OUT/vda-init" vda-init.c
riscv64-linux-gnu-strip "$OUT/vda-init"
python3 "$HERE/mkcpio.py" "$OUT/initramfs.cpio" dir:dev chr:dev/console=5,1 "file:init=$tmp/init"
