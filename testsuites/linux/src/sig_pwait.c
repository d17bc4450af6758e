/* The signal masks of ppoll, pselect6 and epoll_pwait (man 2 ppoll, pselect, epoll_pwait):
 * the mask passed is installed for the wait and the old one is back afterwards, so SIGUSR1,
 * blocked outside, interrupts a wait whose mask unblocks it: the call returns EINTR (even with
 * SA_RESTART: these calls are never restarted after a handler), the handler runs once, and its
 * frame carries the mask from before the call. Each wait is tried with SIGUSR1 already pending
 * when it starts, and with a child sending it while the parent waits. A wait whose mask keeps
 * SIGUSR1 blocked (or a NULL mask) times out with the signal still pending; a descriptor that
 * is ready wins over a pending signal (the handler does not run, the signal stays pending); a
 * sigsetsize other than 8 is EINVAL. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

static volatile sig_atomic_t hits, frame_blocked;

static void on_usr1(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)si;
    hits++;
    frame_blocked = sigismember(&((ucontext_t *)uc)->uc_sigmask, SIGUSR1);
}

static int pfd[2], epfd;

/* kind 0: ppoll, 1: pselect, 2: epoll_pwait; `mask` NULL or the mask for the wait. */
static int wait_on(int kind, const sigset_t *mask, int ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    if (kind == 0) {
        struct pollfd p = {pfd[0], POLLIN, 0};
        return ppoll(&p, 1, &ts, mask);
    }
    if (kind == 1) {
        fd_set r;
        FD_ZERO(&r);
        FD_SET(pfd[0], &r);
        return pselect(pfd[0] + 1, &r, NULL, NULL, &ts, mask);
    }
    struct epoll_event ev;
    return epoll_pwait(epfd, &ev, 1, ms, mask);
}

static const char *names[] = {"ppoll", "pselect", "epoll_pwait"};

static int usr1_blocked(void)
{
    sigset_t cur;
    sigprocmask(SIG_BLOCK, NULL, &cur);
    return sigismember(&cur, SIGUSR1);
}

static int usr1_pending(void)
{
    sigset_t p;
    sigpending(&p);
    return sigismember(&p, SIGUSR1);
}

/* Takes a pending SIGUSR1 without running the handler. */
static void drain(void)
{
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGUSR1);
    struct timespec zero = {0, 0};
    sigtimedwait(&s, NULL, &zero);
}

static void report(const char *what, int kind, int r, int e)
{
    printf("%-12s %-20s ret=%d%s hits=%d frame_blocked=%d blocked_after=%d pending_after=%d\n",
           names[kind], what, r, r < 0 ? (e == EINTR ? " EINTR" : " E?") : "", (int)hits,
           (int)frame_blocked, usr1_blocked(), usr1_pending());
    hits = 0;
    frame_blocked = -1;
}

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_usr1;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigaction(SIGUSR1, &sa, NULL);
    sigset_t usr1, empty;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    sigemptyset(&empty);
    sigprocmask(SIG_BLOCK, &usr1, NULL);
    if (pipe(pfd) != 0)
        return 1;
    epfd = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 7};
    epoll_ctl(epfd, EPOLL_CTL_ADD, pfd[0], &ev);
    frame_blocked = -1;

    for (int kind = 0; kind < 3; kind++) {
        /* Pending before the wait, unblocked by its mask. */
        raise(SIGUSR1);
        int r = wait_on(kind, &empty, 5000);
        report("pending", kind, r, errno);

        /* Sent by a child while the parent waits. */
        pid_t c = fork();
        if (c == 0) {
            struct timespec d = {0, 50000000};
            nanosleep(&d, NULL);
            kill(getppid(), SIGUSR1);
            _exit(0);
        }
        r = wait_on(kind, &empty, 5000);
        report("during", kind, r, errno);
        waitpid(c, NULL, 0);

        /* The mask of the wait keeps it blocked: a timeout, the signal still pending. */
        raise(SIGUSR1);
        r = wait_on(kind, &usr1, 50);
        report("blocked by mask", kind, r, errno);
        r = wait_on(kind, NULL, 50);
        report("NULL mask", kind, r, errno);
        drain();

        /* A ready descriptor wins: the handler does not run, the signal stays pending. */
        if (write(pfd[1], "x", 1) != 1)
            return 1;
        raise(SIGUSR1);
        r = wait_on(kind, &empty, 5000);
        report("ready fd", kind, r, errno);
        char b;
        if (read(pfd[0], &b, 1) != 1)
            return 1;
        drain();
    }

    /* sigsetsize must be sizeof the kernel's sigset (8). */
    struct pollfd p = {pfd[0], POLLIN, 0};
    struct timespec ts = {0, 0};
    long r = syscall(SYS_ppoll, &p, 1, &ts, &empty, 4);
    printf("ppoll sigsetsize 4: %ld %s\n", r, r < 0 && errno == EINVAL ? "EINVAL" : "?");
    struct epoll_event out;
    r = syscall(SYS_epoll_pwait, epfd, &out, 1, 0, &empty, 16);
    printf("epoll_pwait sigsetsize 16: %ld %s\n", r, r < 0 && errno == EINVAL ? "EINVAL" : "?");
    r = syscall(SYS_ppoll, &p, 1, &ts, NULL, 4);
    printf("ppoll NULL mask, sigsetsize 4: %ld\n", r);
    return 0;
}
