/* Loads that fault inside hot translated loops, caught by the guest's SIGSEGV handler, which
 * checks the precise guest state in the signal frame.
 *
 * Each walker below is an endless loop of one basic block: it bumps a register (t1), loads
 * from a0, adds the value to a sum (a1), counts (a2) and steps a0. Run over pages filled with
 * known data followed by a page that cannot be read, it faults at the load after thousands of
 * iterations (translated code by then). The handler reports where it faulted (pc relative to
 * the load's label, si_addr, si_code) and the registers: a0 must be the faulting address, a1
 * the sum of everything loaded before, a2 the iterations done, and t1 (written earlier in the
 * same block) 3 per iteration including the faulting one. Every load width, the integer and
 * FP loads, a load into x0, and three kinds of unreadable page: unmapped (SEGV_MAPERR),
 * PROT_NONE and execute-only (SEGV_ACCERR; riscv64 Linux maps PROT_EXEC alone execute-only).
 * Each case runs three times: the translated loop must be entered again after a fault.
 *
 * expected/sig_loads.stdout is not qemu's: qemu-riscv64 treats PROT_EXEC as readable, so
 * its walkers read through the execute-only page into the page after it. The riscv64 kernel
 * maps PROT_EXEC alone as execute-only (PAGE_EXEC has no _PAGE_READ), and RISC-V loads from a
 * page with X and not R fault (privileged spec, 4.3.1; MXR is off in user mode), so the
 * PROT_EXEC lines are those of the unreadable page, as for PROT_NONE. */
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include "walk_fault.h"

/* step: the load width (the walkers step by it, so every byte before the bad page is read). */
#define W(name, load, use, step)                                                             \
    __asm__(".text\n"                                                                        \
            ".globl " #name "\n"                                                             \
            ".globl " #name "_load\n" #name ":\n"                                            \
            "    li a1, 0\n"                                                                 \
            "    li a2, 0\n"                                                                 \
            "    li t1, 0\n"                                                                 \
            "1:  addi t1, t1, 3\n" #name "_load:\n"                                          \
            "    " load "\n"                                                                 \
            "    " use "\n"                                                                  \
            "    addi a2, a2, 1\n"                                                           \
            "    addi a0, a0, " #step "\n"                                                   \
            "    j 1b\n");                                                                   \
    extern void name(const void *p);                                                         \
    extern char name##_load[];

W(walk_lb, "lb t0, 0(a0)", "add a1, a1, t0", 1)
W(walk_lbu, "lbu t0, 0(a0)", "add a1, a1, t0", 1)
W(walk_lh, "lh t0, 0(a0)", "add a1, a1, t0", 2)
W(walk_lhu, "lhu t0, 0(a0)", "add a1, a1, t0", 2)
W(walk_lw, "lw t0, 0(a0)", "add a1, a1, t0", 4)
W(walk_lwu, "lwu t0, 0(a0)", "add a1, a1, t0", 4)
W(walk_ld, "ld t0, 0(a0)", "add a1, a1, t0", 8)
W(walk_ld_off, "ld t0, -16(a0)", "add a1, a1, t0", 8)
W(walk_flw, "flw ft0, 0(a0)", "fmv.x.w t0, ft0; add a1, a1, t0", 4)
W(walk_fld, "fld ft0, 0(a0)", "fmv.x.d t0, ft0; add a1, a1, t0", 8)
W(walk_x0, "lw zero, 0(a0)", "add a1, a1, a2", 4)

struct walker {
    const char *name;
    void (*fn)(const void *);
    const char *load;
    int offset; /* the load's immediate: a0 runs that far ahead of the address */
};

static const struct walker walkers[] = {
    {"lb", walk_lb, walk_lb_load, 0},       {"lbu", walk_lbu, walk_lbu_load, 0},
    {"lh", walk_lh, walk_lh_load, 0},       {"lhu", walk_lhu, walk_lhu_load, 0},
    {"lw", walk_lw, walk_lw_load, 0},       {"lwu", walk_lwu, walk_lwu_load, 0},
    {"ld", walk_ld, walk_ld_load, 0},       {"ld-16", walk_ld_off, walk_ld_off_load, -16},
    {"flw", walk_flw, walk_flw_load, 0},    {"fld", walk_fld, walk_fld_load, 0},
    {"lw x0", walk_x0, walk_x0_load, 0},
};

#define PAGES 4


int main(void)
{
    if (catch_segv() != 0)
        return 1;
    long pg = sysconf(_SC_PAGESIZE);
    static const char *kinds[] = {"unmapped", "PROT_NONE", "PROT_EXEC"};
    for (volatile int k = 0; k < 3; k++) {
        for (volatile unsigned w = 0; w < sizeof walkers / sizeof walkers[0]; w++) {
            const struct walker *volatile wk = &walkers[w];
            for (volatile int round = 0; round < 3; round++) {
                unsigned char *m = mmap(NULL, (PAGES + 1) * pg, PROT_READ | PROT_WRITE,
                                        MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
                if (m == MAP_FAILED)
                    return 2;
                for (long i = 0; i < PAGES * pg; i++)
                    m[i] = (unsigned char)(i * 7 + 1 + round);
                unsigned char *bad = m + PAGES * pg;
                int r = k == 0   ? munmap(bad, pg)
                        : k == 1 ? mprotect(bad, pg, PROT_NONE)
                                 : mprotect(bad, pg, PROT_EXEC);
                if (r != 0)
                    return 3;
                if (sigsetjmp(env, 1) == 0) {
                    wk->fn(m - wk->offset);
                    no_fault();
                }
                printf("%-9s %-5s #%d: pc=load%+ld addr=bad%+ld code=%s a0=bad%+ld a1=%#lx "
                       "a2=%lu t1=%lu\n",
                       kinds[k], wk->name, round, (long)(fault_pc - (uintptr_t)wk->load),
                       (long)(fault_addr - (uintptr_t)bad),
                       fault_code_name(),
                       (long)(reg_a0 - (uintptr_t)bad + wk->offset), reg_a1, reg_a2, reg_t1);
                munmap(m, (PAGES + 1) * pg);
            }
        }
    }
    puts("done");
    return 0;
}
