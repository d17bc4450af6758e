/* 8 threads: C11 and __atomic atomics, a pthread mutex and a condition variable (a
 * barrier-like rendezvous and a producer/consumer queue). Every final count is exact. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdint.h>

#define THREADS 8
#define ITERS 20000

static atomic_long c11_count;
static long gnu_count;
static long locked_count;
static uint64_t lrsc_word;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static pthread_mutex_t qlock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t qcond = PTHREAD_COND_INITIALIZER;
static int queue[64];
static int qlen;
static long consumed_sum;
static int consumed_n;

static pthread_mutex_t block = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t bcond = PTHREAD_COND_INITIALIZER;
static int arrived;

/* A hand-written LR/SC increment (the loop glibc's atomics compile to with -mno-atomic...). */
static void lrsc_inc(uint64_t *p) {
    uint64_t tmp, ok;
    __asm__ volatile("1: lr.d %0, (%2)\n"
                     "   addi %0, %0, 1\n"
                     "   sc.d %1, %0, (%2)\n"
                     "   bnez %1, 1b\n"
                     : "=&r"(tmp), "=&r"(ok)
                     : "r"(p)
                     : "memory");
}

static void *worker(void *arg) {
    long id = (long)arg;
    /* rendezvous: everyone starts together */
    pthread_mutex_lock(&block);
    arrived++;
    if (arrived == THREADS)
        pthread_cond_broadcast(&bcond);
    while (arrived < THREADS)
        pthread_cond_wait(&bcond, &block);
    pthread_mutex_unlock(&block);

    for (int i = 0; i < ITERS; i++) {
        atomic_fetch_add(&c11_count, 1);
        __atomic_fetch_add(&gnu_count, 2, __ATOMIC_SEQ_CST);
        lrsc_inc(&lrsc_word);
        if (i % 8 == 0) {
            pthread_mutex_lock(&lock);
            locked_count += 3;
            pthread_mutex_unlock(&lock);
        }
    }
    /* producers: even threads put 100 items each; odd threads take 100 each */
    for (int i = 0; i < 100; i++) {
        pthread_mutex_lock(&qlock);
        if (id % 2 == 0) {
            while (qlen == 64)
                pthread_cond_wait(&qcond, &qlock);
            queue[qlen++] = (int)(id * 1000 + i);
        } else {
            while (qlen == 0)
                pthread_cond_wait(&qcond, &qlock);
            consumed_sum += queue[--qlen];
            consumed_n++;
        }
        pthread_cond_broadcast(&qcond);
        pthread_mutex_unlock(&qlock);
    }
    return (void *)(id * 10);
}

int main(void) {
    pthread_t t[THREADS];
    for (long i = 0; i < THREADS; i++)
        if (pthread_create(&t[i], NULL, worker, (void *)i) != 0) {
            printf("pthread_create failed\n");
            return 1;
        }
    long rets = 0;
    for (int i = 0; i < THREADS; i++) {
        void *r;
        pthread_join(t[i], &r);
        rets += (long)r;
    }
    printf("c11 %ld\n", (long)atomic_load(&c11_count));
    printf("gnu %ld\n", gnu_count);
    printf("lrsc %lu\n", (unsigned long)lrsc_word);
    printf("mutex %ld\n", locked_count);
    printf("queue %d items sum %ld left %d\n", consumed_n, consumed_sum, qlen);
    printf("joined %ld\n", rets);
    return 0;
}
