#!/usr/bin/env bash
# Build the public riscv-tests ISA suites from a user's checkout and run them under xlate.
#
#   scripts/riscv-tests.sh RISCV_TESTS_DIR [OUTDIR]
#
# RISCV_TESTS_DIR is a riscv-tests checkout with its env submodule
# (git clone --recursive https://github.com/riscv-software-src/riscv-tests).
# The rv64 suites below are built the way riscv-tests' isa/Makefile builds them, in the
# -p (physical, M-mode) and -v (virtual memory, user mode under a small kernel)
# environments, with Debian's riscv64-unknown-elf-gcc, into OUTDIR (default
# target/riscv-tests); then `xlate test OUTDIR` runs under the interpreter, the JIT,
# and the JIT translating every block at first execution (--jit-threshold 1).
#
# Environment: XLATE (default: target/release/xlate, built if missing),
#   SUITES (default: the list below), RISCV_PREFIX (default riscv64-unknown-elf-),
#   ENGINES (default: "interp jit jit1"), XLATE_TEST_ARGS (extra `xlate test` options).
# Exit status: 0 when every build succeeded and every run passed.
set -uo pipefail

die() { echo "riscv-tests.sh: $*" >&2; exit 2; }
[ $# -ge 1 ] && [ $# -le 2 ] || die "usage: scripts/riscv-tests.sh RISCV_TESTS_DIR [OUTDIR]"
SRC="$(cd "$1" 2>/dev/null && pwd)" || die "$1: no such directory"
ISA="$SRC/isa"
ENV="$SRC/env"
[ -f "$ISA/macros/scalar/test_macros.h" ] || die "$SRC: not a riscv-tests checkout (no isa/macros/scalar/test_macros.h)"
[ -f "$ENV/p/riscv_test.h" ] && [ -f "$ENV/v/vm.c" ] \
    || die "$SRC/env is empty: run 'git submodule update --init' in the checkout"

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${2:-$ROOT/target/riscv-tests}"
mkdir -p "$OUT" || die "cannot create $OUT"
OUT="$(cd "$OUT" && pwd)"
PREFIX="${RISCV_PREFIX:-riscv64-unknown-elf-}"
CC="${PREFIX}gcc"
command -v "$CC" >/dev/null || die "$CC not found (Debian: apt-get install gcc-riscv64-unknown-elf)"
SUITES="${SUITES:-rv64ui rv64um rv64ua rv64uc rv64uf rv64ud rv64mi rv64si rv64uzba rv64uzbb rv64uzbs}"
ENGINES="${ENGINES:-interp jit jit1}"

# As isa/Makefile: RISCV_GCC_OPTS, and the env include/link options per environment.
ENTROPY="-DENTROPY=$$"
OPTS=(-static -mcmodel=medany -fvisibility=hidden -nostdlib -nostartfiles)
# The -v environment's C code includes <stdint.h>/<string.h>: Debian's bare-metal gcc has
# no C library of its own; picolibc (picolibc-riscv64-unknown-elf) provides the headers.
VOPTS=()
if ! echo '#include <string.h>' | "$CC" -E -x c - >/dev/null 2>&1; then
    echo '#include <string.h>' | "$CC" --specs=picolibc.specs -E -x c - >/dev/null 2>&1 \
        || die "no C headers for $CC (Debian: apt-get install picolibc-riscv64-unknown-elf)"
    VOPTS=(--specs=picolibc.specs)
fi

march_for() {
    case "$1" in
        rv64uzba) echo rv64g_zba ;;
        rv64uzbb) echo rv64g_zbb ;;
        rv64uzbs) echo rv64g_zbs ;;
        rv64uc)   echo rv64g ;;  # rvc.S switches RVC on itself (.option rvc)
        *)        echo rv64g ;;
    esac
}

# The test names of a suite, from its Makefrag (<suite>_sc_tests), evaluated by make.
tests_of() {
    local frag="$ISA/$1/Makefrag"
    [ -f "$frag" ] || return 1
    printf 'include %s\nprint:\n\t@echo $(%s_sc_tests)\n' "$frag" "$1" \
        | make -s --no-print-directory -f - src_dir="$ISA" print
}
# Whether a suite has a -v environment variant (upstream: rv64u* suites do; mi/si do not).
has_v() { grep -q "^$1_v_tests" "$ISA/$1/Makefrag"; }

built=0; failed_builds=()
for suite in $SUITES; do
    names="$(tests_of "$suite")" || {
        echo "$suite: no $ISA/$suite/Makefrag"; failed_builds+=("$suite"); continue; }
    march="$(march_for "$suite")"
    for t in $names; do
        src="$ISA/$suite/$t.S"
        if ! "$CC" -march="$march" -mabi=lp64 "${OPTS[@]}" "$ENTROPY" \
                -I"$ENV/p" -I"$ISA/macros/scalar" -T"$ENV/p/link.ld" \
                "$src" -o "$OUT/$suite-p-$t" 2>"$OUT/.build.log"; then
            failed_builds+=("$suite-p-$t"); sed 's/^/    /' "$OUT/.build.log" | head -5
        else built=$((built + 1)); fi
        has_v "$suite" || continue
        if ! "$CC" -march="$march" -mabi=lp64 "${OPTS[@]}" "$ENTROPY" "${VOPTS[@]}" -std=gnu99 -O2 \
                -I"$ENV/v" -I"$ISA/macros/scalar" -T"$ENV/v/link.ld" \
                "$ENV/v/entry.S" "$ENV"/v/*.c "$src" -o "$OUT/$suite-v-$t" 2>"$OUT/.build.log"; then
            failed_builds+=("$suite-v-$t"); sed 's/^/    /' "$OUT/.build.log" | head -5
        else built=$((built + 1)); fi
    done
done
rm -f "$OUT/.build.log"
echo "built $built tests into $OUT; ${#failed_builds[@]} failed to build${failed_builds[*]:+: ${failed_builds[*]}}"

XLATE="${XLATE:-$ROOT/target/release/xlate}"
if [ ! -x "$XLATE" ]; then
    (cd "$ROOT" && cargo build --release --quiet) || die "cargo build failed"
fi
status=0
[ ${#failed_builds[@]} -eq 0 ] || status=1
for engine in $ENGINES; do
    case "$engine" in
        jit1) args=(--engine jit --jit-threshold 1) ;;
        *)    args=(--engine "$engine") ;;
    esac
    echo "== xlate test ${args[*]} $OUT"
    # shellcheck disable=SC2086
    "$XLATE" test "${args[@]}" ${XLATE_TEST_ARGS:-} "$OUT" || status=1
done
exit $status
