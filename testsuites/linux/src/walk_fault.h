/* The SIGSEGV handler shared by sig_loads and sig_stores: records the fault (si_addr,
 * si_code, the pc and the walkers' registers t1, a0, a1, a2 from the signal frame) and
 * leaves with siglongjmp to `env`. */
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <ucontext.h>
#include <unistd.h>

static sigjmp_buf env;
static volatile uintptr_t fault_addr, fault_pc;
static volatile int fault_code;
static volatile unsigned long reg_a0, reg_a1, reg_a2, reg_t1;

static void on_segv(int sig, siginfo_t *si, void *ucv)
{
    ucontext_t *uc = ucv;
    if (sig != SIGSEGV)
        _exit(99);
    fault_addr = (uintptr_t)si->si_addr;
    fault_code = si->si_code;
    fault_pc = uc->uc_mcontext.__gregs[REG_PC];
    reg_t1 = uc->uc_mcontext.__gregs[6];
    reg_a0 = uc->uc_mcontext.__gregs[10];
    reg_a1 = uc->uc_mcontext.__gregs[11];
    reg_a2 = uc->uc_mcontext.__gregs[12];
    siglongjmp(env, 1);
}

/* Installs on_segv for SIGSEGV (SA_SIGINFO); 0 on success. */
static int catch_segv(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    return sigaction(SIGSEGV, &sa, NULL);
}

/* si_code of the last fault, by name. */
static const char *fault_code_name(void)
{
    return fault_code == SEGV_MAPERR ? "MAPERR" : fault_code == SEGV_ACCERR ? "ACCERR" : "other";
}

/* A walker returned: it never should. */
static void no_fault(void)
{
    puts("no fault?");
    fflush(stdout);
    _exit(4);
}
