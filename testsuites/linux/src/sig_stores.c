/* Stores that fault inside hot translated loops, caught by the guest's SIGSEGV handler, which
 * checks the precise guest state in the signal frame; and a hot loop that rewrites code it
 * then runs.
 *
 * Each walker is an endless loop of one basic block: it bumps a register (t1), stores the
 * running count (a2) at a0, adds it to a sum (a1), counts and steps a0. Run over pages
 * followed by a page it may not write, it faults at the store after thousands of
 * iterations. The handler reports the pc relative to the store's label, si_addr, si_code and
 * the registers (a0 = the faulting address, a1 = the sum of the stores done, a2 = their
 * number, t1 = 3 per iteration including the faulting one); main then checks that every
 * store before the fault reached memory and none after. Every store width, integer and FP,
 * and four kinds of page: unmapped (SEGV_MAPERR), PROT_NONE, read-only and execute-only
 * (SEGV_ACCERR).
 *
 * The last part stores into a page holding code that has run: a hot loop patches the
 * immediate of an `addi` in an executable buffer, runs it, and patches it again, with no
 * fence.i: xlate, like qemu and like x86 hardware, makes a store to code visible to the next
 * fetch (RISC-V hardware may need the fence.i; a program that leaves it out is relying on
 * exactly this), so every call must see the latest value. The store drops the translated
 * code: in translated code it faults on the page, which holds code and is host read-only.
 *
 * As in sig_loads, the PROT_EXEC lines are not qemu's (qemu-riscv64 lets the guest read an
 * execute-only page; the kernel maps PROT_EXEC alone execute-only). Stores fault on it
 * either way. */
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include "walk_fault.h"

#define W(name, store, step)                                                                 \
    __asm__(".text\n"                                                                        \
            ".globl " #name "\n"                                                             \
            ".globl " #name "_store\n" #name ":\n"                                           \
            "    li a1, 0\n"                                                                 \
            "    li a2, 0\n"                                                                 \
            "    li t1, 0\n"                                                                 \
            "1:  addi t1, t1, 3\n"                                                           \
            "    fmv.d.x ft0, a2\n"                                                          \
            "    fmv.w.x ft1, a2\n" #name "_store:\n"                                        \
            "    " store "\n"                                                                \
            "    add a1, a1, a2\n"                                                           \
            "    addi a2, a2, 1\n"                                                           \
            "    addi a0, a0, " #step "\n"                                                   \
            "    j 1b\n");                                                                   \
    extern void name(void *p);                                                               \
    extern char name##_store[];

W(walk_sb, "sb a2, 0(a0)", 1)
W(walk_sh, "sh a2, 0(a0)", 2)
W(walk_sw, "sw a2, 0(a0)", 4)
W(walk_sd, "sd a2, 0(a0)", 8)
W(walk_sd_off, "sd a2, 24(a0)", 8)
W(walk_fsw, "fsw ft1, 0(a0)", 4)
W(walk_fsd, "fsd ft0, 0(a0)", 8)

struct walker {
    const char *name;
    void (*fn)(void *);
    const char *store;
    int offset; /* the store's immediate: a0 runs that far behind the address */
    int width;
};

static const struct walker walkers[] = {
    {"sb", walk_sb, walk_sb_store, 0, 1},         {"sh", walk_sh, walk_sh_store, 0, 2},
    {"sw", walk_sw, walk_sw_store, 0, 4},         {"sd", walk_sd, walk_sd_store, 0, 8},
    {"sd+24", walk_sd_off, walk_sd_off_store, 24, 8}, {"fsw", walk_fsw, walk_fsw_store, 0, 4},
    {"fsd", walk_fsd, walk_fsd_store, 0, 8},
};

#define PAGES 4


/* Whether the stores of walker `wk` before the fault (n of them) are in memory as written
 * (the low `width` bytes of the count, as an integer or as the bits of an FP value), and the
 * bytes after them untouched (zero). */
static int memory_ok(const unsigned char *m, long len, const struct walker *wk, unsigned long n)
{
    for (unsigned long i = 0; i < n; i++) {
        uint64_t v = 0;
        memcpy(&v, m + i * wk->width, wk->width);
        uint64_t want = i;
        if (wk->fn == walk_fsw) {
            /* fmv.w.x takes the low 32 bits */
            want = (uint32_t)i;
        }
        if (wk->width < 8)
            want &= (1ull << (8 * wk->width)) - 1;
        if (v != want)
            return 0;
    }
    for (long i = n * wk->width; i < len; i++)
        if (m[i] != 0)
            return 0;
    return 1;
}

/* Code rewritten by a hot loop: `addi a0, a0, K; ret` in an executable buffer. */
static int smc(long pg)
{
    uint32_t *code =
        mmap(NULL, pg, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (code == MAP_FAILED)
        return 1;
    long (*f)(long) = (long (*)(long))code;
    long total = 0;
    /* The instructions are made beforehand and loaded in the loop, so that the store in
     * the loop stores a value it did not compute itself (translated code then checks it
     * with the host MMU right after its bound check, see jit::fault). */
    static uint32_t patches[2000];
    for (long i = 0; i < 2000; i++)
        patches[i] = 0x00050513 | (uint32_t)i << 20; /* addi a0, a0, i */
    code[1] = 0x00008067;                             /* ret */
    for (long k = 0; k < 3000; k++) {
        long imm = k % 2000;
        /* One store per iteration (two to the same base would be checked together). */
        code[0] = patches[imm];
        long r = f(1000);
        if (r != 1000 + imm) {
            printf("smc: call %ld returned %ld, expected %ld\n", k, r, 1000 + imm);
            return 1;
        }
        total += r;
    }
    printf("smc: 3000 rewrites, total %ld\n", total);
    return 0;
}

int main(void)
{
    if (catch_segv() != 0)
        return 1;
    long pg = sysconf(_SC_PAGESIZE);
    static const char *kinds[] = {"unmapped", "PROT_NONE", "PROT_READ", "PROT_EXEC"};
    static const int prots[] = {0, PROT_NONE, PROT_READ, PROT_EXEC};
    for (volatile int k = 0; k < 4; k++) {
        for (volatile unsigned w = 0; w < sizeof walkers / sizeof walkers[0]; w++) {
            const struct walker *volatile wk = &walkers[w];
            for (volatile int round = 0; round < 2; round++) {
                unsigned char *volatile m = mmap(NULL, (PAGES + 1) * pg, PROT_READ | PROT_WRITE,
                                                 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
                if (m == MAP_FAILED)
                    return 2;
                unsigned char *bad = m + PAGES * pg;
                int r = k == 0 ? munmap(bad, pg) : mprotect(bad, pg, prots[k]);
                if (r != 0)
                    return 3;
                if (sigsetjmp(env, 1) == 0) {
                    wk->fn(m - wk->offset);
                    no_fault();
                }
                printf("%-9s %-5s #%d: pc=store%+ld addr=bad%+ld code=%s a0=bad%+ld a1=%#lx "
                       "a2=%lu t1=%lu memory=%s\n",
                       kinds[k], wk->name, round, (long)(fault_pc - (uintptr_t)wk->store),
                       (long)(fault_addr - (uintptr_t)bad),
                       fault_code_name(),
                       (long)(reg_a0 - (uintptr_t)bad + wk->offset), reg_a1, reg_a2, reg_t1,
                       memory_ok(m, PAGES * pg, wk, reg_a2) ? "ok" : "WRONG");
                munmap(m, (PAGES + 1) * pg);
            }
        }
    }
    if (smc(pg) != 0)
        return 5;
    puts("done");
    return 0;
}
