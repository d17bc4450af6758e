#!/usr/bin/env bash
# Thread scaling of a CPU-bound guest: testsuites/linux/bin/bench_threads runs the same fixed
# work on each of N threads; this times N=1 and N=2 under `xlate run` (best of REPEAT runs)
# and prints the speedup 2*T1/T2 (2.0 = perfect scaling on two free cores).
#
#   scripts/bench-threads.sh [ENGINE] [REPEAT]     ENGINE: jit (default) or interp
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ENGINE="${1:-jit}"
REPEAT="${2:-3}"
SCALE="${SCALE:-50}"   # WORK multiplier: 50 x 4M iterations per thread
XLATE="${XLATE:-$ROOT/target/release/xlate}"
BIN="$ROOT/testsuites/linux/bin/bench_threads"
[ -x "$XLATE" ] || { echo "build xlate first: cargo build --release" >&2; exit 2; }

best() {
    local n="$1" b=""
    for _ in $(seq "$REPEAT"); do
        local s e t
        s=$(date +%s.%N)
        "$XLATE" run --engine "$ENGINE" "$BIN" "$n" "$SCALE" >/dev/null
        e=$(date +%s.%N)
        t=$(echo "$e - $s" | bc -l)
        if [ -z "$b" ] || [ "$(echo "$t < $b" | bc -l)" = 1 ]; then b=$t; fi
    done
    echo "$b"
}

t1=$(best 1)
t2=$(best 2)
printf 'engine %s: 1 thread %.3f s, 2 threads (twice the work) %.3f s, speedup %.2fx\n' \
    "$ENGINE" "$t1" "$t2" "$(echo "2 * $t1 / $t2" | bc -l)"
