/* bench_sieve: workload for the engine benchmarks (benches/engines.rs) and a test case.
 * Sieve of Eratosthenes over a byte array, repeated; integer ALU, byte loads and stores,
 * tight loops. Prints the prime count and a checksum. Optional argument: repetitions. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N 200000

static unsigned char flags[N + 1];

int main(int argc, char **argv) {
    int reps = argc > 1 ? atoi(argv[1]) : 20;
    unsigned long sum = 0;
    int count = 0;
    for (int r = 0; r < reps; r++) {
        memset(flags, 1, sizeof flags);
        flags[0] = flags[1] = 0;
        for (long i = 2; i * i <= N; i++)
            if (flags[i])
                for (long j = i * i; j <= N; j += i)
                    flags[j] = 0;
        count = 0;
        for (long i = 0; i <= N; i++)
            if (flags[i]) {
                count++;
                sum = sum * 31 + (unsigned long)i;
            }
    }
    printf("primes below %d: %d, checksum %016lx\n", N, count, sum);
    return 0;
}
