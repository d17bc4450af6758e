/* fork() from a multi-threaded guest, in a thread that is not the main one: only the calling
 * thread goes on in the child (which can start threads of its own and ends with its own
 * status); the parent's other threads are untouched. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile int stop;

static void *spinner(void *arg) {
    (void)arg;
    while (!__atomic_load_n(&stop, __ATOMIC_SEQ_CST))
        sched_yield();
    return (void *)7;
}

static void *child_thread(void *arg) {
    return (void *)((long)arg * 2);
}

static void *forker(void *arg) {
    (void)arg;
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        pthread_t t;
        void *r;
        pthread_create(&t, NULL, child_thread, (void *)21L);
        pthread_join(t, &r);
        printf("child: its own thread returned %ld\n", (long)r);
        fflush(stdout);
        exit(5);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    printf("parent: child exited %d with %d\n", WIFEXITED(st), WEXITSTATUS(st));
    return NULL;
}

int main(void) {
    pthread_t s, f;
    void *r;
    pthread_create(&s, NULL, spinner, NULL);
    pthread_create(&f, NULL, forker, NULL);
    pthread_join(f, NULL);
    __atomic_store_n(&stop, 1, __ATOMIC_SEQ_CST);
    pthread_join(s, &r);
    printf("spinner returned %ld\n", (long)r);
    return 0;
}
