/* syscalls: assorted process and system information calls: uname (machine
 * riscv64), getpid/gettid/getppid, clock_gettime/clock_getres/gettimeofday,
 * nanosleep 10 ms (checked against CLOCK_MONOTONIC), getrandom, sysinfo,
 * prlimit64/getrlimit/setrlimit, sched_getaffinity, umask, prctl name,
 * rt_sigprocmask, kill(0), and an unknown syscall number -> ENOSYS. Only
 * properties are printed, never the varying values themselves. */
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/time.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "errname.h"

static void say(const char *what, long ok)
{
    printf("%-56s %s\n", what, ok ? "ok" : "FAIL");
}

static long long ns(struct timespec t) { return t.tv_sec * 1000000000LL + t.tv_nsec; }

int main(void)
{
    struct utsname u;
    say("uname", uname(&u) == 0);
    printf("sysname=%s machine=%s\n", u.sysname, u.machine);

    pid_t pid = getpid();
    say("getpid == gettid in the main thread", pid == (pid_t)syscall(SYS_gettid));
    say("getpid > 0, getppid > 0, different", pid > 0 && getppid() > 0 && getppid() != pid);
    say("kill(getpid(), 0)", kill(pid, 0) == 0);

    struct timespec t1, t2, res;
    say("clock_gettime MONOTONIC", clock_gettime(CLOCK_MONOTONIC, &t1) == 0);
    say("clock_getres MONOTONIC <= 1ms", clock_getres(CLOCK_MONOTONIC, &res) == 0 && res.tv_sec == 0 &&
                                              res.tv_nsec > 0 && res.tv_nsec <= 1000000);
    struct timespec req = {0, 10 * 1000 * 1000};
    say("nanosleep 10ms", nanosleep(&req, NULL) == 0);
    clock_gettime(CLOCK_MONOTONIC, &t2);
    long long d = ns(t2) - ns(t1);
    say("monotonic advanced by >= 10ms and < 10s", d >= 10000000LL && d < 10000000000LL);
    struct timespec t3;
    clock_gettime(CLOCK_MONOTONIC, &t3);
    say("monotonic never goes back", ns(t3) >= ns(t2));
    struct timespec rt;
    clock_gettime(CLOCK_REALTIME, &rt);
    say("realtime after 2020", rt.tv_sec > 1577836800);
    struct timeval tv;
    gettimeofday(&tv, NULL);
    say("gettimeofday close to CLOCK_REALTIME", tv.tv_sec - rt.tv_sec >= 0 && tv.tv_sec - rt.tv_sec < 5);
    say("time() close to CLOCK_REALTIME", time(NULL) - rt.tv_sec < 5);
    struct timespec cpu;
    say("clock_gettime PROCESS_CPUTIME_ID", clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu) == 0);

    unsigned char rnd[16] = {0}, rnd2[16] = {0};
    say("getrandom 16 bytes", getrandom(rnd, 16, 0) == 16);
    int nz = 0;
    for (int i = 0; i < 16; i++)
        nz |= rnd[i];
    say("random bytes not all zero", nz);
    getrandom(rnd2, 16, GRND_NONBLOCK);
    say("two draws differ", memcmp(rnd, rnd2, 16) != 0);

    struct sysinfo si;
    say("sysinfo", sysinfo(&si) == 0);
    say("sysinfo totalram > 0, mem_unit >= 1, procs > 0", si.totalram > 0 && si.mem_unit >= 1 && si.procs > 0);

    struct rlimit rl, old;
    say("prlimit64 RLIMIT_STACK get", prlimit(0, RLIMIT_STACK, NULL, &old) == 0);
    say("stack limit > 64 KiB", old.rlim_cur > 65536);
    say("getrlimit RLIMIT_NOFILE", getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur >= 64);
    struct rlimit lower = {32, rl.rlim_max};
    say("setrlimit RLIMIT_NOFILE soft=32", setrlimit(RLIMIT_NOFILE, &lower) == 0);
    getrlimit(RLIMIT_NOFILE, &rl);
    say("reads back 32", rl.rlim_cur == 32);

    cpu_set_t set;
    CPU_ZERO(&set);
    long n = syscall(SYS_sched_getaffinity, 0, sizeof set, &set);
    say("sched_getaffinity returns a positive byte count", n > 0 && n <= (long)sizeof set);
    say("at least one CPU", CPU_COUNT(&set) >= 1);
    say("sched_yield", sched_yield() == 0);

    umask(022);
    say("umask returns the previous mask", umask(077) == 022 && umask(022) == 077);

    char name[17] = {0};
    say("prctl PR_SET_NAME", prctl(PR_SET_NAME, "xlate-guest") == 0);
    prctl(PR_GET_NAME, name);
    printf("PR_GET_NAME=%s\n", name);

    sigset_t s, o;
    sigemptyset(&s);
    sigaddset(&s, SIGUSR1);
    say("sigprocmask block SIGUSR1", sigprocmask(SIG_BLOCK, &s, NULL) == 0);
    sigprocmask(SIG_BLOCK, NULL, &o);
    say("SIGUSR1 is blocked", sigismember(&o, SIGUSR1) == 1 && sigismember(&o, SIGUSR2) == 0);

    errno = 0;
    long r = syscall(999, 1, 2, 3);
    printf("syscall(999) = %ld errno=%s\n", r, errname(errno));
    errno = 0;
    r = syscall(244 + 15, 0, 0, 0); /* 259 = riscv_flush_icache(0, 0, 0): valid */
    printf("riscv_flush_icache = %ld errno=%s\n", r, errname(errno));
    errno = 0;
    r = syscall(SYS_close, 12345);
    printf("close(12345) = %ld errno=%s\n", r, errname(errno));
    errno = 0;
    r = syscall(SYS_write, 1, (void *)8, 10);
    printf("write from a bad pointer = %ld errno=%s\n", r, errname(errno));
    return 0;
}
