/* The SIGSEGV handler shared by sig_loads, sig_stores and sig_pressure: records the fault
 * (si_addr, si_code, the pc and every register x1-x31 from the signal frame; reg_t1, reg_a0,
 * reg_a1, reg_a2 name the walkers' registers) and leaves with siglongjmp to `env`. */
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
static volatile unsigned long regs[32];
#define reg_t1 regs[6]
#define reg_a0 regs[10]
#define reg_a1 regs[11]
#define reg_a2 regs[12]

static void on_segv(int sig, siginfo_t *si, void *ucv)
{
    ucontext_t *uc = ucv;
    if (sig != SIGSEGV)
        _exit(99);
    fault_addr = (uintptr_t)si->si_addr;
    fault_code = si->si_code;
    fault_pc = uc->uc_mcontext.__gregs[REG_PC];
    for (int i = 1; i < 32; i++)
        regs[i] = uc->uc_mcontext.__gregs[i];
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
