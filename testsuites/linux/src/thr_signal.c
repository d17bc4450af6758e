/* Signals between threads: pthread_kill(SIGUSR1) to a thread runs the handler on that
 * thread; a process-directed kill() goes to the one thread that does not block it; gettid
 * differs between threads and getpid does not. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>

static volatile pid_t handled_on[4];
static volatile int nhandled, nslots;
static pid_t worker_tid;
static volatile int worker_ready, stop;

static void handler(int s, siginfo_t *si, void *uc) {
    (void)si; (void)uc;
    pid_t me = (pid_t)syscall(SYS_gettid);
    int i = __atomic_fetch_add(&nslots, 1, __ATOMIC_SEQ_CST);
    if (i < 4)
        handled_on[i] = me;
    __atomic_fetch_add(&nhandled, 1, __ATOMIC_SEQ_CST);
    const char msg[] = "handler ran\n";
    if (s == SIGUSR1 || s == SIGUSR2)
        write(1, msg, sizeof msg - 1);
}

static void *worker(void *arg) {
    (void)arg;
    worker_tid = (pid_t)syscall(SYS_gettid);
    sigset_t none;
    sigemptyset(&none);
    pthread_sigmask(SIG_SETMASK, &none, NULL);
    __atomic_store_n(&worker_ready, 1, __ATOMIC_SEQ_CST);
    while (!__atomic_load_n(&stop, __ATOMIC_SEQ_CST))
        ; /* spin: the signal must arrive without syscalls */
    return NULL;
}

int main(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = handler;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGUSR1, &sa, NULL);
    sigaction(SIGUSR2, &sa, NULL);
    pthread_t t;
    pthread_create(&t, NULL, worker, NULL);
    while (!__atomic_load_n(&worker_ready, __ATOMIC_SEQ_CST))
        sched_yield();
    pid_t me = (pid_t)syscall(SYS_gettid);
    printf("tids differ: %d\n", me != worker_tid);
    printf("main is the process: %d\n", me == getpid());

    pthread_kill(t, SIGUSR1);
    while (__atomic_load_n(&nhandled, __ATOMIC_SEQ_CST) < 1)
        sched_yield();
    printf("SIGUSR1 handled on the worker: %d\n", handled_on[0] == worker_tid);

    /* The main thread blocks SIGUSR2: a process-directed SIGUSR2 goes to the worker. */
    sigset_t b;
    sigemptyset(&b);
    sigaddset(&b, SIGUSR2);
    pthread_sigmask(SIG_BLOCK, &b, NULL);
    kill(getpid(), SIGUSR2);
    while (__atomic_load_n(&nhandled, __ATOMIC_SEQ_CST) < 2)
        sched_yield();
    printf("SIGUSR2 handled on the worker: %d\n", handled_on[1] == worker_tid);

    /* A signal to the main thread itself, unblocked again. */
    pthread_sigmask(SIG_UNBLOCK, &b, NULL);
    pthread_kill(pthread_self(), SIGUSR2);
    while (__atomic_load_n(&nhandled, __ATOMIC_SEQ_CST) < 3)
        sched_yield();
    printf("SIGUSR2 handled on main: %d\n", handled_on[2] == me);

    __atomic_store_n(&stop, 1, __ATOMIC_SEQ_CST);
    pthread_join(t, NULL);
    printf("handled %d\n", nhandled);
    return 0;
}
