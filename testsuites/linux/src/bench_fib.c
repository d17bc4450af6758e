/* bench_fib: workload for the engine benchmarks (benches/engines.rs) and a test case.
 * Recursive calls and returns (deep and shallow), the shape of interpreters and parsers.
 * Optional argument: n. */
#include <stdio.h>
#include <stdlib.h>

static long fib(long n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

static long tak(long x, long y, long z) {
    return y < x ? tak(tak(x - 1, y, z), tak(y - 1, z, x), tak(z - 1, x, y)) : z;
}

int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 27;
    long f = fib(n);
    long t = tak(18, 12, 6);
    printf("fib(%ld) = %ld, tak(18,12,6) = %ld\n", n, f, t);
    return 0;
}
