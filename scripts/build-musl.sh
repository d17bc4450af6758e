#!/usr/bin/env bash
# Build a riscv64 musl sysroot from Debian 12 (bookworm)'s musl source package (musl 1.2.3)
# with Debian's riscv64-linux-gnu-gcc, for the musl-linked guest programs of testsuites/musl
# and tests/musl.rs. The source comes through apt with a private configuration (a deb-src
# line in OUTDIR; this machine's apt sources are not touched), so apt checks it against
# Debian's signed Sources index. Nothing is committed; everything lands in OUTDIR
# (default /tmp/xlate-musl):
#
#   OUTDIR/sysroot                   musl installed with prefix /usr: usr/include, usr/lib
#                                    (crt*.o, libc.a, libc.so), and lib/ld-musl-riscv64.so.1
#                                    (a relative link to ../usr/lib/libc.so): pass it to
#                                    `xlate run -L` or `qemu-riscv64 -L`
#   OUTDIR/bin/riscv64-linux-musl-gcc   riscv64-linux-gnu-gcc with OUTDIR/musl-gcc.specs (as
#                                    musl's own musl-gcc wrapper: musl headers, crt files and
#                                    libc, gcc's libgcc; dynamic linker /lib/ld-musl-riscv64.so.1)
#
# The last line printed is the sysroot's path. A sysroot already built from the same source
# and compiler is reused. Takes about a minute on 2 cores.
#
#   scripts/build-musl.sh [OUTDIR]
#   XLATE_MUSL_SYSROOT=OUTDIR/sysroot cargo nextest run --release --test musl
set -euo pipefail
OUT="${1:-/tmp/xlate-musl}"
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
VERSION=1.2.3-1
CC=riscv64-linux-gnu-gcc
export LC_ALL=C SOURCE_DATE_EPOCH=0

stamp="musl $VERSION; $("$CC" --version | head -n1); $(riscv64-linux-gnu-ld --version | head -n1)"
if [ -f "$OUT/STAMP" ] && [ "$(cat "$OUT/STAMP")" = "$stamp" ] \
    && [ -e "$OUT/sysroot/lib/ld-musl-riscv64.so.1" ] && [ -x "$OUT/bin/riscv64-linux-musl-gcc" ]; then
    echo "musl sysroot up to date ($stamp)"
    echo "$OUT/sysroot"
    exit 0
fi
rm -f "$OUT/STAMP"

# The source package, through a private apt configuration.
mkdir -p "$OUT/apt/lists/partial" "$OUT/apt/cache/archives/partial" "$OUT/etc" "$OUT/dl"
cat > "$OUT/etc/sources.list" <<SRC
deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian bookworm main
SRC
APT=(-o Dir::Etc::SourceList="$OUT/etc/sources.list" -o Dir::Etc::SourceParts=/dev/null
     -o Dir::State::Lists="$OUT/apt/lists" -o Dir::Cache="$OUT/apt/cache"
     -o Debug::NoLocking=1)
if ! { apt-get "${APT[@]}" update -qq \
        && (cd "$OUT/dl" && apt-get "${APT[@]}" source --download-only "musl=$VERSION"); } \
        > "$OUT/apt.log" 2>&1; then
    cat "$OUT/apt.log" >&2
    echo "build-musl: cannot fetch Debian's musl $VERSION source package" >&2
    exit 1
fi
orig="$OUT/dl/musl_${VERSION%-*}.orig.tar.gz"
[ -f "$orig" ] || { echo "build-musl: $orig was not downloaded" >&2; exit 1; }

# Debian 12's package applies no patches to the upstream source (debian/patches is empty).
rm -rf "$OUT/src" "$OUT/sysroot" "$OUT/bin"
mkdir -p "$OUT/src"
tar -xzf "$orig" -C "$OUT/src" --strip-components=1
cd "$OUT/src"
./configure --target=riscv64-linux-gnu CROSS_COMPILE=riscv64-linux-gnu- CC="$CC" \
    --prefix=/usr --syslibdir=/lib >/dev/null
if ! { make -j"$(nproc)" && make install DESTDIR="$OUT/sysroot"; } > "$OUT/build.log" 2>&1; then
    tail -n 30 "$OUT/build.log" >&2
    echo "build-musl: building musl failed (log: $OUT/build.log)" >&2
    exit 1
fi
# musl installs an absolute link (to /usr/lib/libc.so, the host's file under -L): make it
# relative to the sysroot.
ln -sfn ../usr/lib/libc.so "$OUT/sysroot/lib/ld-musl-riscv64.so.1"

S="$OUT/sysroot"
cat > "$OUT/musl-gcc.specs" <<SPECS
%rename cpp_options old_cpp_options

*cpp_options:
-nostdinc -isystem $S/usr/include -isystem include%s %(old_cpp_options)

*cc1:
%(cc1_cpu) -nostdinc -isystem $S/usr/include -isystem include%s

*link_libgcc:
-L$S/usr/lib -L .%s

*libgcc:
libgcc.a%s %:if-exists(libgcc_eh.a%s)

*startfile:
%{!shared: $S/usr/lib/Scrt1.o} $S/usr/lib/crti.o crtbeginS.o%s

*endfile:
crtendS.o%s $S/usr/lib/crtn.o

*link:
-dynamic-linker /lib/ld-musl-riscv64.so.1 -nostdlib %{shared:-shared} %{static:-static} %{rdynamic:-export-dynamic}

*esp_link:


*esp_options:


*esp_cpp_options:


SPECS
mkdir -p "$OUT/bin"
cat > "$OUT/bin/riscv64-linux-musl-gcc" <<WRAP
#!/bin/sh
exec $CC "\$@" -specs "$OUT/musl-gcc.specs"
WRAP
chmod +x "$OUT/bin/riscv64-linux-musl-gcc"
echo "$stamp" > "$OUT/STAMP"
echo "musl sysroot built ($stamp)"
echo "$S"
