/* Asynchronous signals: SIGALRM ticks from setitimer counted while the program spins in a
 * loop without any syscall (delivery at block boundaries, also in translated code), EINTR
 * and SA_RESTART for a blocking read, alarm(), and timer_create. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static volatile int ticks;
static int pipefd[2];

static void on_alarm(int sig)
{
    (void)sig;
    ticks++;
}

static void on_alarm_write(int sig)
{
    (void)sig;
    ticks++;
    if (write(pipefd[1], "x", 1) != 1)
        _exit(98);
}

static void on_timer(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    if (sig == SIGRTMIN && si->si_code == SI_TIMER && si->si_value.sival_int == 42)
        ticks++;
}

static void handler(int sig, void (*fn)(int), int flags)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = fn;
    sa.sa_flags = flags;
    sigemptyset(&sa.sa_mask);
    sigaction(sig, &sa, NULL);
}

int main(void)
{
    /* 1. A busy loop with no syscalls sees 5 ticks of a 5 ms interval timer. */
    handler(SIGALRM, on_alarm, 0);
    struct itimerval it = {{0, 5000}, {0, 5000}};
    struct itimerval off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &it, NULL);
    unsigned long spins = 0;
    while (ticks < 5)
        spins++;
    setitimer(ITIMER_REAL, &off, NULL);
    printf("busy loop: ticks>=5: %d spun=%d\n", ticks >= 5, spins > 0);

    /* 2. A blocking read interrupted by a handler without SA_RESTART: EINTR. */
    if (pipe(pipefd) != 0)
        return 1;
    ticks = 0;
    handler(SIGALRM, on_alarm, 0);
    /* (An interval timer: a tick that comes before read blocks is followed by another.) */
    struct itimerval every = {{0, 20000}, {0, 20000}};
    setitimer(ITIMER_REAL, &every, NULL);
    char c;
    ssize_t r = read(pipefd[0], &c, 1);
    setitimer(ITIMER_REAL, &off, NULL);
    printf("read without SA_RESTART: r=%zd errno=%s ticks>=1: %d\n", r,
           r < 0 && errno == EINTR ? "EINTR" : "other", ticks >= 1);

    /* 3. With SA_RESTART the read goes on and gets the byte the handler wrote. */
    ticks = 0;
    handler(SIGALRM, on_alarm_write, SA_RESTART);
    setitimer(ITIMER_REAL, &every, NULL);
    r = read(pipefd[0], &c, 1);
    setitimer(ITIMER_REAL, &off, NULL);
    printf("read with SA_RESTART: r=%zd c=%c ticks>=1: %d\n", r, r == 1 ? c : '?', ticks >= 1);
    while (ticks > 1 && read(pipefd[0], &c, 1) == 1) /* drop the bytes of later ticks */
        ticks--;

    /* 4. pause() until an interval timer ticks. */
    ticks = 0;
    handler(SIGALRM, on_alarm, 0);
    setitimer(ITIMER_REAL, &every, NULL);
    r = pause();
    setitimer(ITIMER_REAL, &off, NULL);
    printf("pause: r=%zd errno=%s ticks>=1: %d\n", r, errno == EINTR ? "EINTR" : "other",
           ticks >= 1);

    /* 5. A POSIX timer signalling SIGRTMIN with a value, in a busy loop. */
    ticks = 0;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_timer;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGRTMIN, &sa, NULL);
    struct sigevent sev;
    memset(&sev, 0, sizeof sev);
    sev.sigev_notify = SIGEV_SIGNAL;
    sev.sigev_signo = SIGRTMIN;
    sev.sigev_value.sival_int = 42;
    timer_t t;
    if (timer_create(CLOCK_MONOTONIC, &sev, &t) != 0) {
        perror("timer_create");
        return 1;
    }
    struct itimerspec its = {{0, 3000000}, {0, 3000000}};
    timer_settime(t, 0, &its, NULL);
    while (ticks < 3)
        spins++;
    timer_delete(t);
    printf("timer_create: ticks>=3: %d\n", ticks >= 3);

    /* 6. The default action of SIGALRM ends the process (status 142). */
    signal(SIGALRM, SIG_DFL);
    fflush(stdout);
    alarm(1);
    for (;;)
        spins++;
}
