/* Loads and stores that fault inside hot translated loops that keep almost every register
 * live, caught by the guest's SIGSEGV handler, which prints every register of the signal
 * frame (except ra, sp, gp and tp).
 *
 * Each walker is an endless loop of one basic block with 20 counters (s0-s11, t3-t6, a3-a6:
 * counter k adds k+1 per iteration, 6 of them before the access and 14 after), a bump (t1,
 * 3 per iteration, before the access), a destination or stored value written just before
 * the access (t0 = s1 + s2, t5 the stored byte), an address computed from a constant index
 * (t2 = a0 + a7, a7 = 16), a sum of the loaded values (a1) and an iteration count (a2). So
 * many live values cannot all stay in host registers: the translated loop reloads and spills
 * around its accesses, and the instructions the register allocator puts between an access's
 * bound check and the access itself are what a fault there must see through (see the JIT's
 * landing pads). At the fault every register must hold exactly what the guest program order
 * gives: the counters before the access one iteration ahead of those after it, t0 and t5 the
 * faulting iteration's values (a faulting load does not write its destination).
 *
 * After each fault the stores' page is summed: every store before the fault happened once,
 * the faulting one not at all. */
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "walk_fault.h"

#define COUNTERS_BEFORE                                                                      \
    "    addi s0, s0, 1\n"                                                                   \
    "    addi s1, s1, 2\n"                                                                   \
    "    addi s2, s2, 3\n"                                                                   \
    "    addi s3, s3, 4\n"                                                                   \
    "    addi s4, s4, 5\n"                                                                   \
    "    addi s5, s5, 6\n"
#define COUNTERS_AFTER                                                                       \
    "    addi s6, s6, 7\n"                                                                   \
    "    addi s7, s7, 8\n"                                                                   \
    "    addi s8, s8, 9\n"                                                                   \
    "    addi s9, s9, 10\n"                                                                  \
    "    addi s10, s10, 11\n"                                                                \
    "    addi s11, s11, 12\n"                                                                \
    "    addi t3, t3, 13\n"                                                                  \
    "    addi t4, t4, 14\n"                                                                  \
    "    addi t6, t6, 16\n"                                                                  \
    "    addi a3, a3, 17\n"                                                                  \
    "    addi a4, a4, 18\n"                                                                  \
    "    addi a5, a5, 19\n"                                                                  \
    "    addi a6, a6, 20\n"                                                                  \
    "    xor t5, t5, s8\n"

/* access: the load or store, at label NAME_access; use: what the loop does with t0 after. */
#define W(name, access, use, step)                                                           \
    __asm__(".text\n"                                                                        \
            ".globl " #name "\n"                                                             \
            ".globl " #name "_access\n" #name ":\n"                                          \
            "    li a1, 0\n"                                                                 \
            "    li a2, 0\n"                                                                 \
            "    li a7, 16\n"                                                                \
            "    li t1, 0\n"                                                                 \
            "    li t5, 0\n"                                                                 \
            "    li s0, 0\n    li s1, 0\n    li s2, 0\n    li s3, 0\n    li s4, 0\n"         \
            "    li s5, 0\n    li s6, 0\n    li s7, 0\n    li s8, 0\n    li s9, 0\n"         \
            "    li s10, 0\n   li s11, 0\n   li t3, 0\n    li t4, 0\n    li t6, 0\n"         \
            "    li a3, 0\n    li a4, 0\n    li a5, 0\n    li a6, 0\n"                       \
            "1:  addi t1, t1, 3\n" COUNTERS_BEFORE                                           \
            "    add t0, s1, s2\n"                                                           \
            "    addiw t5, t5, -1\n"                                                         \
            "    add t2, a0, a7\n" #name "_access:\n"                                        \
            "    " access "\n"                                                               \
            "    " use "\n" COUNTERS_AFTER                                                   \
            "    addi a2, a2, 1\n"                                                           \
            "    addi a0, a0, " #step "\n"                                                   \
            "    j 1b\n");                                                                   \
    extern void name(void *p);                                                               \
    extern char name##_access[];

W(walk_ld, "ld t0, -16(t2)", "add a1, a1, t0", 8)
W(walk_lbu, "lbu t0, 0(a0)", "add a1, a1, t0", 1)
W(walk_lw_idx, "lw t0, -16(t2)", "add a1, a1, t0", 4)
W(walk_sb, "sb t5, -16(t2)", "add a1, a1, t5", 1)
W(walk_sd, "sd t0, 0(a0)", "add a1, a1, t0", 8)
W(walk_sw_val, "sw t5, -16(t2)", "add a1, a1, t5", 4)

struct walker {
    const char *name;
    void (*fn)(void *);
    const char *access;
    int store;
};

static const struct walker walkers[] = {
    {"ld", walk_ld, walk_ld_access, 0},        {"lbu", walk_lbu, walk_lbu_access, 0},
    {"lw-idx", walk_lw_idx, walk_lw_idx_access, 0}, {"sb", walk_sb, walk_sb_access, 1},
    {"sd", walk_sd, walk_sd_access, 1},        {"sw-val", walk_sw_val, walk_sw_val_access, 1},
};

static const char *const names[32] = {
    "zero", "ra", "sp", "gp", "tp",  "t0",  "t1", "t2", "s0", "s1", "a0",
    "a1",   "a2", "a3", "a4", "a5",  "a6",  "a7", "s2", "s3", "s4", "s5",
    "s6",   "s7", "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6",
};

#define PAGES 3

int main(void)
{
    if (catch_segv() != 0)
        return 1;
    long pg = sysconf(_SC_PAGESIZE);
    static const char *kinds[] = {"unmapped", "read-only"};
    for (volatile int k = 0; k < 2; k++) {
        for (volatile unsigned w = 0; w < sizeof walkers / sizeof walkers[0]; w++) {
            const struct walker *volatile wk = &walkers[w];
            if (k == 1 && !wk->store)
                continue; /* a read-only page stops only stores */
            for (volatile int round = 0; round < 2; round++) {
                unsigned char *m = mmap(NULL, (PAGES + 1) * pg, PROT_READ | PROT_WRITE,
                                        MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
                if (m == MAP_FAILED)
                    return 2;
                for (long i = 0; i < PAGES * pg; i++)
                    m[i] = (unsigned char)(i * 13 + 5 + round);
                unsigned char *bad = m + PAGES * pg;
                int r = k == 0 ? munmap(bad, pg) : mprotect(bad, pg, PROT_READ);
                if (r != 0)
                    return 3;
                if (sigsetjmp(env, 1) == 0) {
                    wk->fn(m);
                    no_fault();
                }
                unsigned long sum = 0;
                for (long i = 0; i < PAGES * pg; i++)
                    sum = sum * 31 + m[i];
                printf("%s %s #%d: pc=access%+ld addr=bad%+ld code=%s a0=bad%+ld t2=bad%+ld "
                       "data=%#lx\n",
                       kinds[k], wk->name, round, (long)(fault_pc - (uintptr_t)wk->access),
                       (long)(fault_addr - (uintptr_t)bad), fault_code_name(),
                       (long)(regs[10] - (uintptr_t)bad), (long)(regs[7] - (uintptr_t)bad), sum);
                for (int i = 5; i < 32; i++) {
                    if (i == 7 || i == 10)
                        continue;
                    printf(" %s=%#lx", names[i], regs[i]);
                }
                putchar('\n');
                munmap(m, (PAGES + 1) * pg);
            }
        }
    }
    puts("done");
    return 0;
}
