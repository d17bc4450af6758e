/* 64 threads execute and rewrite code at once: each thread has its own code buffer on pages
 * shared with the others, writes `li a0, K; ret` for a new K each round, flushes the
 * instruction cache (__builtin___clear_cache: fence.i / riscv_flush_icache) and calls it;
 * every call must return the K just written. Bounded: ROUNDS per thread. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#define THREADS 64
#define ROUNDS 4
#define SLOT 64

static uint8_t *code;
static long bad;
static long calls;

static void *worker(void *arg) {
    long id = (long)arg;
    uint32_t *slot = (uint32_t *)(code + id * SLOT);
    for (int r = 0; r < ROUNDS; r++) {
        int k = (int)((id * 37 + r) & 0x7ff);
        slot[0] = 0x00000513u | ((uint32_t)k << 20); /* addi a0, zero, k */
        slot[1] = 0x00008067u;                       /* ret */
        __builtin___clear_cache((char *)slot, (char *)(slot + 2));
        int (*f)(void) = (int (*)(void))(void *)slot;
        int got = f();
        if (got != k)
            __atomic_fetch_add(&bad, 1, __ATOMIC_SEQ_CST);
        __atomic_fetch_add(&calls, 1, __ATOMIC_SEQ_CST);
    }
    return NULL;
}

int main(void) {
    code = mmap(NULL, THREADS * SLOT, PROT_READ | PROT_WRITE | PROT_EXEC,
                MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (code == MAP_FAILED) {
        printf("mmap failed\n");
        return 1;
    }
    pthread_t t[THREADS];
    for (long i = 0; i < THREADS; i++)
        if (pthread_create(&t[i], NULL, worker, (void *)i) != 0) {
            printf("pthread_create %ld failed\n", i);
            return 1;
        }
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    printf("calls %ld wrong %ld\n", calls, bad);
    return bad != 0;
}
