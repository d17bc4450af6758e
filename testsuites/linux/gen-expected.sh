#!/usr/bin/env bash
# Regenerate expected/NAME.stdout and expected/NAME.status by running every test
# case under qemu-riscv64 (the reference). Review the diff by hand afterwards:
# every expectation must also agree with the RISC-V spec and Linux, and where
# qemu is wrong the expected file is corrected by hand and the source says why.
#
#   testsuites/linux/gen-expected.sh [NAME...]
#
# A case NAME runs bin/NAME, or bin/$(cat expected/NAME.bin); its arguments are
# the lines of expected/NAME.args, stdin is expected/NAME.stdin (else /dev/null),
# extra environment variables are the lines of expected/NAME.env, and
# expected/NAME.dynamic marks a dynamically linked program (run with -L SYSROOT).
# The status is the exit code, or 128+N for a program killed by signal N.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
EXP="$HERE/expected"
SYSROOT="${SYSROOT:-/usr/riscv64-linux-gnu}"

if [ $# -eq 0 ]; then
    set --
    for b in "$HERE"/bin/*; do
        n="$(basename "$b")"
        [ "$n" = exitcode ] && continue # only run through the exit_* cases
        set -- "$@" "$n"
    done
    for f in "$EXP"/*.bin; do
        set -- "$@" "$(basename "$f" .bin)"
    done
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
for name in "$@"; do
    prog="$name"
    [ -f "$EXP/$name.bin" ] && prog="$(cat "$EXP/$name.bin")"
    args=()
    [ -f "$EXP/$name.args" ] && mapfile -t args < "$EXP/$name.args"
    envs=()
    [ -f "$EXP/$name.env" ] && mapfile -t envs < "$EXP/$name.env"
    stdin=/dev/null
    [ -f "$EXP/$name.stdin" ] && stdin="$EXP/$name.stdin"
    ldflag=()
    [ -f "$EXP/$name.dynamic" ] && ldflag=(-L "$SYSROOT")
    mkdir -p "$work/$name"
    set +e
    (cd "$work/$name" && env -u QEMU_LD_PREFIX ${envs[@]+"${envs[@]}"} \
        qemu-riscv64 ${ldflag[@]+"${ldflag[@]}"} "$HERE/bin/$prog" ${args[@]+"${args[@]}"} \
        < "$stdin" > "$EXP/$name.stdout" 2> "$work/$name.stderr")
    status=$?
    set -e
    echo "$status" > "$EXP/$name.status"
    printf '%-16s status %3d, %6d bytes of stdout\n' "$name" "$status" "$(wc -c < "$EXP/$name.stdout")"
    if [ -n "$(ls -A "$work/$name")" ]; then
        echo "  warning: $name left files behind: $(ls -A "$work/$name")" >&2
    fi
done
