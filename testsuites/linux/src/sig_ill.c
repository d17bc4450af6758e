/* SIGILL and SIGTRAP handlers that read and edit the saved context: the handler checks
 * si_addr == the faulting pc (uc_mcontext.__gregs[0]), reads a register the program set,
 * changes another (a0) and skips the instruction by advancing the saved pc. Also a
 * privileged instruction (csrr mstatus) from user mode raises SIGILL, and the saved
 * floating-point state round-trips. */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <ucontext.h>

static volatile int ill_count, trap_count, addr_ok, s1_seen;
static volatile int ill_code;

static void on_ill(int sig, siginfo_t *si, void *ctx)
{
    ucontext_t *uc = ctx;
    unsigned long pc = uc->uc_mcontext.__gregs[0];
    ill_count++;
    ill_code = si->si_code;
    addr_ok += (uintptr_t)si->si_addr == pc;
    s1_seen = (int)uc->uc_mcontext.__gregs[9]; /* s1 */
    uc->uc_mcontext.__gregs[10] = 1000 + sig; /* a0 */
    /* Change a floating-point register too: ft0 (f0) gets 2.5. */
    double d = 2.5;
    memcpy(&uc->uc_mcontext.__fpregs.__d.__f[0], &d, 8);
    uc->uc_mcontext.__gregs[0] = pc + 4; /* skip the 4-byte illegal instruction */
}

static void on_trap(int sig, siginfo_t *si, void *ctx)
{
    ucontext_t *uc = ctx;
    (void)sig;
    trap_count++;
    addr_ok += (uintptr_t)si->si_addr == uc->uc_mcontext.__gregs[0];
    printf("SIGTRAP si_code=%s\n", si->si_code == TRAP_BRKPT ? "TRAP_BRKPT" : "other");
    uc->uc_mcontext.__gregs[0] += 4;
}

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_ill;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGILL, &sa, NULL);
    sa.sa_sigaction = on_trap;
    sigaction(SIGTRAP, &sa, NULL);

    for (int i = 0; i < 3; i++) {
        register long a0 asm("a0") = 5;
        register long s1 asm("s1") = 77 + i;
        asm volatile(".4byte 0x00000000" : "+r"(a0) : "r"(s1) : "memory"); /* illegal */
        printf("after illegal #%d: a0=%ld s1 seen by handler=%d\n", i, a0, s1_seen);
    }
    printf("si_code=%s\n", ill_code == ILL_ILLOPC ? "ILL_ILLOPC" : "other");

    /* A privileged CSR from user mode. */
    {
        register long a0 asm("a0") = 1;
        asm volatile("csrr a0, mstatus" : "+r"(a0) : : "memory");
        printf("after csrr mstatus: a0=%ld\n", a0);
    }

    /* Floating-point state restored from the frame. */
    {
        register double f0 asm("ft0") = 1.0;
        asm volatile(".4byte 0x00000000" : "+f"(f0) : : "memory", "a0");
        printf("ft0 after handler: %.2f\n", f0);
    }

    /* ebreak, 4-byte form. */
    asm volatile(".option push\n.option norvc\nebreak\n.option pop" ::: "memory");
    printf("ill=%d trap=%d addr_ok=%d\n", ill_count, trap_count, addr_ok);

    /* Many times in a hot loop (translated by the JIT). */
    long sum = 0;
    for (int i = 0; i < 3000; i++) {
        register long a0 asm("a0") = i;
        asm volatile(".4byte 0x00000000" : "+r"(a0) : : "memory");
        sum += a0;
    }
    printf("loop: ill=%d sum=%ld\n", ill_count, sum);
    return 0;
}
