/* SIGSEGV with the guest's own handler: siginfo (si_addr, si_code SEGV_MAPERR for an unmapped
 * page, SEGV_ACCERR for a write to a read-only page), leaving the handler with siglongjmp,
 * the handler running on an alternate signal stack (SA_ONSTACK), and the signal mask restored
 * by siglongjmp. */
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static sigjmp_buf env;
static volatile int hits;
static volatile uintptr_t fault_addr;
static volatile int fault_code;
static volatile int on_alt;
static char altstack[65536];

static void on_segv(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    int local;
    hits++;
    fault_addr = (uintptr_t)si->si_addr;
    fault_code = si->si_code;
    on_alt = (char *)&local >= altstack && (char *)&local < altstack + sizeof altstack;
    if (sig != SIGSEGV || si->si_signo != SIGSEGV)
        _exit(99);
    siglongjmp(env, 1);
}

static void blocked_check(const char *what)
{
    sigset_t cur;
    sigprocmask(SIG_BLOCK, NULL, &cur);
    printf("%s: SIGSEGV blocked after longjmp: %d\n", what, sigismember(&cur, SIGSEGV));
}

int main(void)
{
    stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 0};
    if (sigaltstack(&ss, NULL) != 0) {
        perror("sigaltstack");
        return 1;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGSEGV, &sa, NULL) != 0) {
        perror("sigaction");
        return 1;
    }

    /* An unmapped address. */
    volatile int *bad = (volatile int *)0x1000;
    if (sigsetjmp(env, 1) == 0) {
        *bad = 1;
        puts("no fault?");
    } else {
        printf("unmapped: hits=%d addr=%#lx code=%s onstack=%d\n", hits,
               (unsigned long)fault_addr, fault_code == SEGV_MAPERR ? "SEGV_MAPERR" : "other",
               on_alt);
    }
    blocked_check("unmapped");

    /* A write to a read-only page. */
    long pg = sysconf(_SC_PAGESIZE);
    char *ro = mmap(NULL, pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (ro == MAP_FAILED)
        return 1;
    if (sigsetjmp(env, 1) == 0) {
        ((volatile char *)ro)[123] = 7;
        puts("no fault?");
    } else {
        printf("read-only: hits=%d addr_ok=%d code=%s\n", hits,
               fault_addr == (uintptr_t)(ro + 123),
               fault_code == SEGV_ACCERR ? "SEGV_ACCERR" : "other");
    }

    /* A read of a PROT_NONE page, many times in a loop (the JIT translates it). */
    mprotect(ro, pg, PROT_NONE);
    static volatile int n = 0;
    for (int i = 0; i < 2000; i++) {
        if (sigsetjmp(env, 1) == 0) {
            n += ((volatile char *)ro)[i];
        }
    }
    printf("loop: hits=%d code=%s\n", hits, fault_code == SEGV_ACCERR ? "SEGV_ACCERR" : "other");

    /* Without SA_ONSTACK the handler runs on the normal stack. */
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGSEGV, &sa, NULL);
    if (sigsetjmp(env, 1) == 0)
        *bad = 2;
    printf("normal stack: onstack=%d\n", on_alt);

    /* Back to the default action: the process dies with SIGSEGV (status 139). */
    signal(SIGSEGV, SIG_DFL);
    fflush(stdout);
    *bad = 3;
    puts("still alive?");
    return n;
}
