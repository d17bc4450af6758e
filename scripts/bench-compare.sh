#!/usr/bin/env bash
# bench-compare.sh - run the shared benchmark kit (../shared/bench) under xlate's engines and
# qemu-riscv64, next to the native x86-64 builds, interleaved in one run, and print a table of
# ratios (config time / native time; lower is better).
#
#   scripts/bench-compare.sh                 # 3 rounds, every benchmark
#   ROUNDS=5 BENCHES=sieve,fib scripts/bench-compare.sh
#   ENGINES="interp" scripts/bench-compare.sh
#   KIT=/path/to/bench scripts/bench-compare.sh   # kit location (default ../shared/bench)
#
# The kit is copied to a scratch directory (it builds into its own folder) and built there with
# its Makefile (needs gcc, gcc-riscv64-linux-gnu, libc6-dev-riscv64-cross, qemu-user).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
kit=${KIT:-$top/../shared/bench}
work=${WORK:-/tmp/xlate-bench}
rounds=${ROUNDS:-3}
benches=${BENCHES:-sieve,interp,qsort,hash,nbody,modexp,lzcrc,fib,syscall}
engines=${ENGINES:-jit interp}

cargo build --release --manifest-path "$top/Cargo.toml" --quiet
xlate=$top/target/release/xlate

if [ ! -x "$work/build/riscv64/hello" ] || [ ! -x "$work/build/x86_64/hello" ]; then
    rm -rf "$work"
    cp -r "$kit" "$work"
    make -C "$work" -s -j2 native riscv64
fi

configs=(-c "native:x86_64:" -c "qemu-riscv64:riscv64:qemu-riscv64")
for e in $engines; do
    configs+=(-c "xlate-$e:riscv64:$xlate run --engine $e")
done
cd "$work"
python3 ./measure.py -r "$rounds" -b "$benches" "${configs[@]}" ${STARTUP:+--startup "$STARTUP"} \
    --json "$work/results.json"
