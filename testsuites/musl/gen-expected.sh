#!/usr/bin/env bash
# Regenerate expected/NAME.stdout and expected/NAME.status of the musl cases by running them
# under qemu-riscv64 (the reference); review the diff by hand. Same case files as
# testsuites/linux/gen-expected.sh (NAME.args, NAME.env, NAME.bin, NAME.dynamic); dynamic cases
# run with -L MUSL_SYSROOT (default /tmp/xlate-musl/sysroot, from scripts/build-musl.sh).
#
#   testsuites/musl/gen-expected.sh [NAME...]
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
EXP="$HERE/expected"
SYSROOT="${MUSL_SYSROOT:-/tmp/xlate-musl/sysroot}"
if [ $# -eq 0 ]; then
    for f in "$EXP"/*.status; do set -- "$@" "$(basename "$f" .status)"; done
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
    ldflag=()
    [ -f "$EXP/$name.dynamic" ] && ldflag=(-L "$SYSROOT")
    set +e
    (cd "$work" && env -u QEMU_LD_PREFIX ${envs[@]+"${envs[@]}"} \
        qemu-riscv64 ${ldflag[@]+"${ldflag[@]}"} "$HERE/bin/$prog" ${args[@]+"${args[@]}"} \
        < /dev/null > "$EXP/$name.stdout" 2> "$work/$name.stderr")
    status=$?
    set -e
    echo "$status" > "$EXP/$name.status"
    printf '%-20s status %3d, %6d bytes of stdout\n' "$name" "$status" "$(wc -c < "$EXP/$name.stdout")"
done
