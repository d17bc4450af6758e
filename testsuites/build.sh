#!/usr/bin/env bash
# Build the riscv64 Linux guest test programs and the bad-input fixtures.
#
#   testsuites/build.sh            rebuild into testsuites/linux/{bin,bad}
#   testsuites/build.sh OUTDIR     build into OUTDIR/{bin,bad} (used by .ci/run to
#                                  check that the committed ELFs are reproducible)
#
# Needs riscv64-linux-gnu-gcc and -g++ (Debian: gcc-riscv64-linux-gnu, g++-riscv64-linux-gnu,
# libc6-dev-riscv64-cross).
# The 32-bit RISC-V fixture needs riscv64-unknown-elf-gcc, the x86-64 fixture gcc
# on an x86-64 host, the aarch64 fixture aarch64-linux-gnu-gcc; each is skipped
# (keeping the committed file) when its compiler is missing.
#
# Reproducibility: no timestamps or paths end up in the output (-ffile-prefix-map,
# --build-id=none, stripped, sources compiled by relative name), so the same
# toolchain versions give bit-identical files.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SRC="$HERE/linux/src"
OUT="${1:-$HERE/linux}"
mkdir -p "$OUT/bin" "$OUT/bad"
OUT="$(cd "$OUT" && pwd)"
BIN="$OUT/bin"
BAD="$OUT/bad"

CC=riscv64-linux-gnu-gcc
STRIP=riscv64-linux-gnu-strip
SYSROOT=/usr/riscv64-linux-gnu
export LC_ALL=C SOURCE_DATE_EPOCH=0

COMMON=(-O2 -D_GNU_SOURCE -march=rv64gc -mabi=lp64d -Wall -Wextra -Werror
        "-ffile-prefix-map=$HERE=." -fno-ident -Wl,--build-id=none)

cd "$SRC"

# The toolchain that produced the files: bit-identical output is only expected from
# the same versions, so .ci/run compares this first.
{
    echo "riscv64-linux-gnu-gcc: $("$CC" --version | head -n1)"
    echo "riscv64-linux-gnu-ld: $(riscv64-linux-gnu-ld --version | head -n1)"
    echo "libc6-dev-riscv64-cross: $(dpkg-query -W -f='${Version}' libc6-dev-riscv64-cross 2>/dev/null || echo unknown)"
    if command -v riscv64-unknown-elf-gcc >/dev/null; then
        echo "riscv64-unknown-elf-gcc: $(riscv64-unknown-elf-gcc --version | head -n1)"
    fi
    if command -v gcc >/dev/null; then
        echo "gcc: $(gcc --version | head -n1)"
    fi
} > "$OUT/TOOLCHAIN"

# tool NAME SOURCE   freestanding C program for the debugging tools: keeps its symbol table
tool() {
    local name="$1" src="$2"
    echo "  CC    $name"
    "$CC" "${COMMON[@]}" -nostdlib -static -ffreestanding -fno-stack-protector -o "$BIN/$name" "$src"
}

# debug NAME SOURCE   like tool, unoptimized and with DWARF line and variable info (gdb test)
debug() {
    local name="$1" src="$2"
    echo "  CC    $name"
    "$CC" "${COMMON[@]}" -O0 -g -nostdlib -static -ffreestanding -fno-stack-protector -o "$BIN/$name" "$src"
}

# c NAME SOURCE [EXTRA FLAGS...]   static glibc C program unless EXTRA says otherwise
c() {
    local name="$1" src="$2"
    shift 2
    echo "  CC    $name"
    "$CC" "${COMMON[@]}" -o "$BIN/$name" "$src" "$@"
    "$STRIP" "$BIN/$name"
}

# cxx NAME SOURCE [EXTRA FLAGS...]   static C++ program (riscv64-linux-gnu-g++)
cxx() {
    local name="$1" src="$2"
    shift 2
    echo "  CXX   $name"
    riscv64-linux-gnu-g++ "${COMMON[@]}" -o "$BIN/$name" "$src" "$@"
    "$STRIP" "$BIN/$name"
}

# asm NAME SOURCE [EXTRA FLAGS...]   freestanding assembly program
asm() {
    local name="$1" src="$2"
    shift 2
    echo "  AS    $name"
    "$CC" "${COMMON[@]}" -nostdlib -static -o "$BIN/$name" "$src" "$@"
    "$STRIP" "$BIN/$name"
}

c   hello        hello.c      -static
c   hello_dyn    hello.c      -L "$SYSROOT/lib"

c   exitcode     exitcode.c   -static
c   auxv         auxv.c       -static
c   upcase       upcase.c     -static
c   hello_pie    hello_pie.c  -fPIE -nostdlib -Wl,-pie,--no-dynamic-linker,-z,text -ffreestanding -mno-relax \
                              -fno-tree-loop-distribute-patterns -fno-stack-protector
c   isa_int      isa_int.c    -static
c   isa_zb       isa_zb.c     -static -march=rv64gc_zba_zbb_zbs
c   isa_fp       isa_fp.c     -static -lm
c   fileio       fileio.c     -static
c   memory       memory.c     -static
c   memfault     memfault.c   -static
c   syscalls     syscalls.c   -static
c   realistic    realistic.c  -static -lm
c   smc          smc.c        -static
c   jit_emit     jit_emit.c   -static
c   bench_sieve  bench_sieve.c -static
c   bench_fib    bench_fib.c  -static
c   bench_fp     bench_fp.c   -static -lm
c   sig_segv     sig_segv.c   -static
c   sig_loads    sig_loads.c  -static
c   sig_stores   sig_stores.c -static
c   sig_bus_file sig_bus_file.c -static
c   sig_pressure sig_pressure.c -static
c   sig_ill      sig_ill.c    -static
c   sig_alarm    sig_alarm.c  -static
c   sig_mask     sig_mask.c   -static
c   sig_die      sig_die.c    -static
c   sig_pwait    sig_pwait.c  -static
c   proc_fork    proc_fork.c  -static
c   proc_exec    proc_exec.c  -static
c   proc_pipeline proc_pipeline.c -static
c   proc_info    proc_info.c  -static
c   proc_heap    proc_heap.c  -static
c   thr_sync     thr_sync.c   -static -pthread
c   thr_signal   thr_signal.c -static -pthread
c   thr_smc      thr_smc.c    -static -pthread
c   thr_exit     thr_exit.c   -static -pthread
c   thr_fork     thr_fork.c   -static -pthread
c   bench_threads bench_threads.c -static -pthread
cxx thr_cxx      thr_cxx.cc   -static -pthread
asm jump_garbage jump_garbage.S
asm jump_unmapped jump_unmapped.S
asm sbx_spin     sbx_spin.S
asm verify_inject verify_inject.S
c   sbx_alloc    sbx_alloc.c  -static
c   sbx_mem      sbx_mem.c    -static
c   sbx_escape   sbx_escape.c -static
c   soak_fork    soak_fork.c  -static
c   soak_mmap    soak_mmap.c  -static
c   net_echo     net_echo.c   -static
tool tool_demo   tool_demo.c
debug gdb_demo   gdb_demo.c

# ---- bad-input fixtures (xlate must refuse these with one line on stderr) ----
echo "  GEN   bad/*"
printf 'this is a text file, not a program\n' > "$BAD/text.txt"
: > "$BAD/empty"
head -c 100 "$BIN/hello" > "$BAD/truncated"
# A valid ELF header (hello's) followed by four PT_LOAD program headers full of
# garbage: offsets past the end of the file, addresses in the kernel half,
# p_align not a power of two, p_filesz > p_memsz.
{
    head -c 32 "$BIN/hello"
    printf '\x40\0\0\0\0\0\0\0'          # e_phoff = 64
    head -c 56 "$BIN/hello" | tail -c 16 # e_shoff, e_flags, e_ehsize, e_phentsize
    printf '\x04\0'                      # e_phnum = 4
    printf '\0\0\0\0\0\0'                # e_shentsize, e_shnum, e_shstrndx = 0
    for _ in 1 2 3 4; do
        printf '\x01\0\0\0'              # p_type = PT_LOAD
        head -c 52 /dev/zero | tr '\0' '\245'
    done
} > "$BAD/garbage_phdrs"
# hello's ELF header alone, claiming its program headers are past the end of file.
head -c 64 "$BIN/hello" > "$BAD/phdrs_past_eof"
# hello_pie with e_machine changed to EM_AARCH64 (183): the wrong architecture.
{ head -c 18 "$BIN/hello_pie"; printf '\xb7\0'; tail -c +21 "$BIN/hello_pie"; } > "$BAD/wrong_machine"

if command -v gcc >/dev/null && [ "$(uname -m)" = x86_64 ]; then
    gcc -nostdlib -static -Wl,--build-id=none -o "$BAD/x86_64" bad/x86_64.S
    strip "$BAD/x86_64"
else
    echo "  skip  bad/x86_64 (no x86-64 gcc)"
fi
if command -v aarch64-linux-gnu-gcc >/dev/null; then
    aarch64-linux-gnu-gcc -nostdlib -static -Wl,--build-id=none -o "$BAD/aarch64" bad/aarch64.S
    aarch64-linux-gnu-strip "$BAD/aarch64"
else
    echo "  skip  bad/aarch64 (no aarch64-linux-gnu-gcc)"
fi
if command -v riscv64-unknown-elf-gcc >/dev/null; then
    riscv64-unknown-elf-gcc -march=rv32i -mabi=ilp32 -nostdlib -static -Wl,--build-id=none \
        -o "$BAD/rv32" bad/rv32.S
    riscv64-unknown-elf-strip "$BAD/rv32"
else
    echo "  skip  bad/rv32 (no riscv64-unknown-elf-gcc)"
fi
mkdir -p "$BAD/directory"
printf 'xlate must refuse to run a directory; this file only keeps it in git.\n' > "$BAD/directory/README"
