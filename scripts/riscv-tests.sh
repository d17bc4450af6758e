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
#   ENGINES (default: "interp jit jit1"), XLATE_TEST_ARGS (extra `xlate test` options,
#   e.g. "--misaligned trap", under which rv64ui-ma_data fails by design),
#   SKIP (tests not built: newer checkouts list tests of extensions outside RV64GC +
#   Zba/Zbb/Zbs in these suites, e.g. Zacas's amocas_* in rv64ua, which Debian's
#   binutils 2.40 cannot assemble either; default: the list below).
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
SKIP="${SKIP-rv64ua-amocas_w rv64ua-amocas_d rv64ua-amocas_q rv64ua-amoadd_b rv64ua-amoor_h rv64ua-zalasr}"

# As isa/Makefile: RISCV_GCC_OPTS, and the env include/link options per environment; the
# -v environment's ENTROPY (seed of its page allocator) is derived from the test name.
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
        *)        echo rv64g ;;  # rv64uc too: rvc.S turns RVC on itself (.option rvc)
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

# Tests built by an earlier run are replaced, never mixed with this run's.
find "$OUT" -maxdepth 1 -type f -name 'rv64*-[pv]-*' -delete
built=0; failed_builds=(); skipped=()
for suite in $SUITES; do
    names="$(tests_of "$suite")" || {
        echo "$suite: no $ISA/$suite/Makefrag"; failed_builds+=("$suite"); continue; }
    march="$(march_for "$suite")"
    for t in $names; do
        src="$ISA/$suite/$t.S"
        case " $SKIP " in *" $suite-$t "*) skipped+=("$suite-$t"); continue ;; esac
        entropy="-DENTROPY=0x$(echo "$suite-v-$t" | md5sum | cut -c 1-7)"
        if ! "$CC" -march="$march" -mabi=lp64 "${OPTS[@]}" \
                -I"$ENV/p" -I"$ISA/macros/scalar" -T"$ENV/p/link.ld" \
                "$src" -o "$OUT/$suite-p-$t" 2>"$OUT/.build.log"; then
            failed_builds+=("$suite-p-$t"); sed 's/^/    /' "$OUT/.build.log" | head -5
        else built=$((built + 1)); fi
        has_v "$suite" || continue
        if ! "$CC" -march="$march" -mabi=lp64 "${OPTS[@]}" "$entropy" "${VOPTS[@]}" -std=gnu99 -O2 \
                -I"$ENV/v" -I"$ISA/macros/scalar" -T"$ENV/v/link.ld" \
                "$ENV/v/entry.S" "$ENV"/v/*.c "$src" -o "$OUT/$suite-v-$t" 2>"$OUT/.build.log"; then
            failed_builds+=("$suite-v-$t"); sed 's/^/    /' "$OUT/.build.log" | head -5
        else built=$((built + 1)); fi
    done
done
rm -f "$OUT/.build.log"
echo "built $built tests into $OUT; ${#failed_builds[@]} failed to build${failed_builds[*]:+: ${failed_builds[*]}}"
[ ${#skipped[@]} -eq 0 ] || echo "not built (outside RV64GC + Zba/Zbb/Zbs, see SKIP): ${skipped[*]}"

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
