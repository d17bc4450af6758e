/* CPU-bound scaling benchmark: N threads (argv[1], default 1) each run the same fixed
 * amount of integer work (argv[2] times WORK iterations, default 1); the wall time of N=1
 * vs N=2 shows how guest threads scale (scripts/bench-threads.sh). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>

#define WORK 4000000u

static uint64_t iters = WORK;

static void *work(void *arg) {
    uint64_t x = (uint64_t)(uintptr_t)arg + 1, s = 0;
    for (uint64_t i = 0; i < iters; i++) {
        x = x * 6364136223846793005u + 1442695040888963407u;
        s += x >> 33;
    }
    return (void *)(uintptr_t)s;
}

int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 1;
    if (n < 1 || n > 64)
        n = 1;
    if (argc > 2 && atoi(argv[2]) > 0)
        iters = (uint64_t)WORK * (uint64_t)atoi(argv[2]);
    pthread_t t[64];
    for (int i = 0; i < n; i++)
        pthread_create(&t[i], NULL, work, (void *)(uintptr_t)i);
    uint64_t sum = 0;
    for (int i = 0; i < n; i++) {
        void *r;
        pthread_join(t[i], &r);
        sum += (uint64_t)(uintptr_t)r;
    }
    printf("threads %d checksum %llx\n", n, (unsigned long long)sum);
    return 0;
}
