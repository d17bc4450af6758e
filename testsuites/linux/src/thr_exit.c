/* Thread exit vs exit_group. A thread that calls pthread_exit ends alone (its joiner
 * wakes through clear_child_tid); then, with two threads blocked for good (one in a futex
 * wait on a condition variable, one in read() of a pipe nobody writes), another thread
 * calls exit(7): the whole process ends with status 7 at once. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t c = PTHREAD_COND_INITIALIZER;
static int fds[2];
static volatile int blocked;

static void *alone(void *arg) {
    (void)arg;
    pthread_exit((void *)42);
}

static void *wait_cond(void *arg) {
    (void)arg;
    pthread_mutex_lock(&m);
    __atomic_fetch_add(&blocked, 1, __ATOMIC_SEQ_CST);
    for (;;)
        pthread_cond_wait(&c, &m);
    return NULL;
}

static void *wait_read(void *arg) {
    (void)arg;
    char b;
    __atomic_fetch_add(&blocked, 1, __ATOMIC_SEQ_CST);
    for (;;)
        read(fds[0], &b, 1);
    return NULL;
}

static void *ender(void *arg) {
    (void)arg;
    while (__atomic_load_n(&blocked, __ATOMIC_SEQ_CST) < 2)
        sched_yield();
    usleep(20000);
    printf("exiting from a thread\n");
    fflush(stdout);
    exit(7);
}

int main(void) {
    pthread_t t;
    void *r;
    pthread_create(&t, NULL, alone, NULL);
    pthread_join(t, &r);
    printf("joined %ld\n", (long)r);
    fflush(stdout);
    if (pipe(fds) != 0)
        return 1;
    pthread_t a, b, e;
    pthread_create(&a, NULL, wait_cond, NULL);
    pthread_create(&b, NULL, wait_read, NULL);
    pthread_create(&e, NULL, ender, NULL);
    pthread_join(a, NULL); /* never returns: the process ends first */
    printf("not reached\n");
    return 0;
}
