/* A musl-linked program (built static and dynamic from this one source by
 * testsuites/musl/build.sh) exercising what musl does differently from glibc:
 * - startup: musl's _start_c/__init_libc read auxv itself (AT_PAGESZ, AT_HWCAP, AT_RANDOM for
 *   the stack canary, AT_SECURE, AT_PHDR for its static TLS and dl_iterate_phdr);
 * - TLS (__thread) set up by musl's __init_tls / the dynamic linker, per thread;
 * - pthreads: musl's clone flags, detached threads that unmap their own stack on exit
 *   (__unmapself), pthread_exit values, mutexes, condition variables, barriers, and
 *   cancellation (musl sends signal 33 and looks at the interrupted pc in the ucontext);
 * - signals: musl's sigaction (no SA_RESTORER on riscv64), SA_SIGINFO, sigsetjmp/siglongjmp
 *   out of a SIGSEGV handler (mask restored), sigprocmask/sigpending;
 * - stdio: stdout fully buffered on a pipe (a write(2) overtakes buffered text), setvbuf line
 *   buffering, fmemopen/open_memstream;
 * - libc without the network: environ/getenv/setenv, getopt, qsort, bsearch, strtod and printf
 *   of doubles and of 128-bit long doubles (libgcc's soft quad), time conversions;
 * - posix_spawn (musl: clone(CLONE_VM|CLONE_VFORK) on a stack of its own) of a host shell;
 * - exit statuses: atexit handlers in reverse order, exit(N) from an argument, abort().
 * Arguments: [-v] [-n COUNT] [-x STATUS] [-a] WORDS...  (-x exits with STATUS, -a aborts). */
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/wait.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

extern char **environ;

static __thread int tls_counter = 5;
static __thread char tls_name[16] = "main";

/* ---- startup and auxv ---- */
static int count_loads(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    int n = 0;
    for (int i = 0; i < info->dlpi_phnum; i++)
        n += info->dlpi_phdr[i].p_type == PT_LOAD;
    if (*(int *)data < 0) /* the first object is the program itself */
        *(int *)data = n;
    return 0;
}

static void startup(void)
{
    printf("auxv: AT_PAGESZ %lu sysconf %ld\n", getauxval(AT_PAGESZ), sysconf(_SC_PAGESIZE));
    unsigned long hw = getauxval(AT_HWCAP);
    printf("auxv: AT_HWCAP has");
    for (const char *c = "imafdc"; *c; c++)
        if (hw & (1UL << (*c - 'a')))
            printf(" %c", *c);
    printf("\n");
    const unsigned char *r = (const unsigned char *)getauxval(AT_RANDOM);
    int nonzero = 0;
    for (int i = 0; r && i < 16; i++)
        nonzero |= r[i];
    printf("auxv: AT_RANDOM %s\n", r && nonzero ? "16 bytes, not all zero" : "missing");
    printf("auxv: AT_SECURE %lu, uid==AT_UID %d, AT_PHNUM>0 %d\n", getauxval(AT_SECURE),
           getuid() == getauxval(AT_UID), getauxval(AT_PHNUM) > 0);
    errno = 0;
    unsigned long none = getauxval(12345);
    printf("auxv: unknown type -> %lu %s\n", none, errno == ENOENT ? "ENOENT" : "?");
    int loads = -1;
    dl_iterate_phdr(count_loads, &loads);
    printf("dl_iterate_phdr: the program has %s PT_LOAD\n", loads > 0 ? "some" : "no");
}

/* ---- TLS and threads ---- */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static pthread_barrier_t bar;
static int turn, total;

static void *worker(void *arg)
{
    int id = (int)(intptr_t)arg;
    snprintf(tls_name, sizeof tls_name, "t%d", id);
    tls_counter += id * 10; /* each thread starts from its own 5 */
    pthread_barrier_wait(&bar);
    /* take turns in id order through a condition variable */
    pthread_mutex_lock(&mu);
    while (turn != id)
        pthread_cond_wait(&cv, &mu);
    total += tls_counter;
    turn++;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
    if (id == 2)
        pthread_exit((void *)(intptr_t)(1000 + tls_counter));
    return (void *)(intptr_t)(strlen(tls_name) * 100 + tls_counter);
}

static volatile int detached_done;
static void *detached(void *arg)
{
    (void)arg;
    tls_counter = 99;
    __atomic_store_n(&detached_done, 1, __ATOMIC_SEQ_CST);
    return NULL; /* musl unmaps this thread's stack itself on the way out */
}

static void *cancel_me(void *arg)
{
    (void)arg;
    for (;;)
        pause(); /* a cancellation point: musl's signal 33 handler checks the pc */
    return NULL;
}

static void threads(void)
{
    enum { N = 4 };
    pthread_t t[N];
    pthread_barrier_init(&bar, NULL, N);
    for (int i = 0; i < N; i++)
        pthread_create(&t[i], NULL, worker, (void *)(intptr_t)i);
    for (int i = 0; i < N; i++) {
        void *ret;
        pthread_join(t[i], &ret);
        printf("thread %d returned %ld\n", i, (long)(intptr_t)ret);
    }
    printf("threads: total %d, main's tls_counter %d name %s\n", total, tls_counter, tls_name);
    pthread_attr_t at;
    pthread_attr_init(&at);
    pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
    for (int i = 0; i < 3; i++) {
        pthread_t d;
        detached_done = 0;
        pthread_create(&d, &at, detached, NULL);
        while (!__atomic_load_n(&detached_done, __ATOMIC_SEQ_CST))
            sched_yield();
    }
    printf("detached threads ran; main's tls_counter still %d\n", tls_counter);
    pthread_t c;
    pthread_create(&c, NULL, cancel_me, NULL);
    struct timespec d = {0, 20000000};
    nanosleep(&d, NULL);
    pthread_cancel(c);
    void *ret;
    pthread_join(c, &ret);
    printf("cancelled thread: %s\n", ret == PTHREAD_CANCELED ? "PTHREAD_CANCELED" : "not cancelled");
}

/* ---- signals ---- */
static sigjmp_buf jb;
static volatile uintptr_t page0 = 16; /* an address no program maps */
static volatile int usr1_code, usr1_signo;

static void on_segv(int s, siginfo_t *si, void *uc)
{
    (void)uc;
    (void)si;
    siglongjmp(jb, s);
}

static void on_usr1(int s, siginfo_t *si, void *uc)
{
    (void)uc;
    usr1_signo = s;
    usr1_code = si->si_code;
}

static void signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_usr1;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGUSR1, &sa, NULL);
    raise(SIGUSR1);
    printf("signals: raise ran the handler: signo %d, si_code %s\n", usr1_signo,
           usr1_code == SI_TKILL ? "SI_TKILL" : usr1_code == SI_USER ? "SI_USER" : "other");
    sa.sa_sigaction = on_segv;
    sigaction(SIGSEGV, &sa, NULL);
    for (int i = 0; i < 2; i++) {
        int s = sigsetjmp(jb, 1);
        if (s == 0) {
            *(volatile int *)page0 = 1;
            printf("signals: store to page 0 did not fault\n");
        } else {
            sigset_t cur;
            sigprocmask(SIG_BLOCK, NULL, &cur);
            printf("signals: siglongjmp from SIGSEGV handler (%d), SIGSEGV blocked now: %d\n", s,
                   sigismember(&cur, SIGSEGV));
        }
    }
    sigset_t b, p;
    sigemptyset(&b);
    sigaddset(&b, SIGUSR1);
    sigprocmask(SIG_BLOCK, &b, NULL);
    usr1_signo = 0;
    kill(getpid(), SIGUSR1);
    sigpending(&p);
    printf("signals: blocked SIGUSR1 pending %d, handler ran %d\n", sigismember(&p, SIGUSR1),
           usr1_signo);
    sigprocmask(SIG_UNBLOCK, &b, NULL);
    printf("signals: unblocked, handler ran %d\n", usr1_signo);
}

/* ---- stdio ---- */
static void stdio(void)
{
    fflush(stdout);
    printf("stdio: this line was buffered before the write below\n");
    if (write(1, "stdio: write(2) overtakes the buffered line\n", 44) != 44)
        exit(20);
    fflush(stdout);
    char buf[64];
    FILE *m = fmemopen(buf, sizeof buf, "w");
    fprintf(m, "%s-%d", "fmem", 42);
    fclose(m);
    char *ms = NULL;
    size_t len = 0;
    FILE *o = open_memstream(&ms, &len);
    for (int i = 0; i < 5; i++)
        fprintf(o, "%d,", i * i);
    fclose(o);
    printf("stdio: fmemopen '%s', open_memstream '%s' (%zu bytes)\n", buf, ms, len);
    free(ms);
    fflush(stdout);
    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("stdio: line buffered ");
    if (write(1, "[direct] ", 9) != 9)
        exit(20);
    printf("now\n");
    if (write(1, "stdio: after the newline\n", 25) != 25)
        exit(20);
}

/* ---- libc ---- */
static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void numbers(void)
{
    const char *in[] = {"3.14159265358979", "0x1.8p3", "1e-310", "-0.0", "inf", "nan", "2.5e+300",
                        "1e400", "12abc"};
    for (size_t i = 0; i < sizeof in / sizeof *in; i++) {
        char *end;
        errno = 0;
        double d = strtod(in[i], &end);
        printf("strtod %-18s -> %.17g %a rest '%s'%s\n", in[i], d, d, end,
               errno == ERANGE ? " ERANGE" : "");
    }
    printf("printf: %e %f %g %.3f %10.4e|%-8.2f|\n", 1234.5678, -0.5, 1e-5, 2.0 / 3, 6.02214076e23,
           3.14159);
    long double q = 1.0L / 3;
    long double big = strtold("1.189731495357231765085759326628007e4932", NULL);
    printf("long double: %.30Lf %Lg %.6Le\n", q, big, q * q * 1e100L);
    int v[] = {42, -7, 19, 0, 3, 1000, -300, 19};
    qsort(v, 8, sizeof *v, cmp_int);
    printf("qsort ints:");
    for (int i = 0; i < 8; i++)
        printf(" %d", v[i]);
    int key = 19;
    int *hit = bsearch(&key, v, 8, sizeof *v, cmp_int);
    printf("; bsearch 19 at %ld\n", hit ? (long)(hit - v) : -1L);
    const char *w[] = {"pear", "apple", "fig", "banana", "cherry"};
    qsort(w, 5, sizeof *w, cmp_str);
    printf("qsort strings: %s %s %s %s %s\n", w[0], w[1], w[2], w[3], w[4]);
}

static void timefns(void)
{
    time_t t = 1234567890;
    struct tm tm;
    gmtime_r(&t, &tm);
    char b[64];
    strftime(b, sizeof b, "%Y-%m-%d %H:%M:%S %A %j", &tm);
    printf("time: gmtime %s\n", b);
    setenv("TZ", "EST5EDT,M3.2.0,M11.1.0", 1);
    tzset();
    localtime_r(&t, &tm);
    strftime(b, sizeof b, "%Y-%m-%d %H:%M:%S %Z", &tm);
    printf("time: localtime with TZ %s: %s\n", getenv("TZ"), b);
    struct tm in = {.tm_year = 100, .tm_mon = 1, .tm_mday = 29, .tm_hour = 12};
    printf("time: mktime 2000-02-29 12:00 EST -> %lld\n", (long long)mktime(&in));
    struct timespec a, z;
    clock_gettime(CLOCK_MONOTONIC, &a);
    clock_gettime(CLOCK_MONOTONIC, &z);
    printf("time: monotonic does not go back %d, realtime after 2020 %d\n",
           z.tv_sec > a.tv_sec || (z.tv_sec == a.tv_sec && z.tv_nsec >= a.tv_nsec),
           time(NULL) > 1577836800);
}

static void env(void)
{
    int n = 0;
    for (char **e = environ; *e; e++)
        n += strncmp(*e, "MUSL_TEST_", 10) == 0;
    printf("environ: %d MUSL_TEST_ variables, MUSL_TEST_A=%s\n", n, getenv("MUSL_TEST_A"));
    setenv("MUSL_TEST_B", "set", 1);
    unsetenv("MUSL_TEST_A");
    printf("environ: after setenv/unsetenv: A=%s B=%s\n", getenv("MUSL_TEST_A") ? "still" : "(null)",
           getenv("MUSL_TEST_B"));
}

static void spawn(void)
{
    pid_t pid;
    char *argv[] = {"sh", "-c", "exit 5", NULL};
    int r = posix_spawn(&pid, "/bin/sh", NULL, NULL, argv, environ);
    int st = 0;
    if (r == 0)
        waitpid(pid, &st, 0);
    printf("posix_spawn /bin/sh -c 'exit 5': %s, exit status %d\n", r == 0 ? "ok" : strerror(r),
           WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    pid = fork();
    if (pid == 0)
        _exit(tls_counter + 2);
    waitpid(pid, &st, 0);
    printf("fork: child's exit status %d\n", WEXITSTATUS(st));
}

static void bye1(void) { printf("atexit: registered first, runs last\n"); }
static void bye2(void) { printf("atexit: registered second, runs first\n"); }

int main(int argc, char **argv)
{
    int verbose = 0, count = 1, status = 0, do_abort = 0, c;
    while ((c = getopt(argc, argv, "vn:x:a")) != -1) {
        switch (c) {
        case 'v': verbose = 1; break;
        case 'n': count = atoi(optarg); break;
        case 'x': status = atoi(optarg); break;
        case 'a': do_abort = 1; break;
        default: return 64;
        }
    }
    printf("getopt: verbose %d count %d status %d, %d operands:", verbose, count, status,
           argc - optind);
    for (int i = optind; i < argc; i++)
        printf(" '%s'", argv[i]);
    printf("\n");
    atexit(bye1);
    atexit(bye2);
    if (do_abort) {
        printf("aborting\n");
        fflush(stdout);
        abort();
    }
    if (status != 0) {
        printf("exiting with %d\n", status);
        exit(status); /* atexit handlers run and stdout is flushed */
    }
    startup();
    env();
    numbers();
    timefns();
    signals();
    threads();
    spawn();
    stdio();
    return 0;
}
