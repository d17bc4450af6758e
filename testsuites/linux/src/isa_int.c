/* isa_int: RV64IMAC integer corner cases, every result printed as hex.
 *  - M: div/rem by zero and overflow (INT_MIN / -1), 32- and 64-bit, signed and
 *    unsigned (RISC-V spec, "M" chapter, table "Semantics for division by zero
 *    and division overflow"); mulh/mulhsu/mulhu; mulw.
 *  - W-ops: results sign-extended from bit 31, upper input bits ignored.
 *  - shift amounts masked to 6 bits (5 for W-ops), lui sign-extension, slt*.
 *  - sign/zero-extending loads and misaligned loads/stores (Linux user space
 *    supports misaligned scalar accesses, emulating them in the kernel if needed).
 *  - A: lr/sc (success, and failure without a reservation), all AMOs in both
 *    widths; .w results are sign-extended.
 *  - C: explicit compressed instructions, including ones whose immediates are
 *    sign-extended in unusual ways (c.lui, c.addiw, c.andi).
 * Every value is computed at run time from volatile inputs, so the compiler
 * cannot fold it. */
#include <stdint.h>
#include <stdio.h>

typedef uint64_t u64;
static volatile u64 V[] = {0, 1, 2, 3, 7, 0xffffffffffffffffULL, 0x8000000000000000ULL,
                           0x7fffffffffffffffULL, 0xffffffff80000000ULL, 0x80000000ULL,
                           0x7fffffffULL, 0xffffffffULL, 0x123456789abcdef0ULL,
                           0xfedcba9876543210ULL, 0xdeadbeef00000005ULL, 0x00000001fffffffbULL};
#define NV (sizeof V / sizeof V[0])

#define R2(insn, a, b)                                                                   \
    ({                                                                                   \
        u64 r_;                                                                          \
        asm volatile(insn " %0, %1, %2" : "=r"(r_) : "r"((u64)(a)), "r"((u64)(b)));    \
        r_;                                                                              \
    })
#define RI(insn, a, imm)                                                                 \
    ({                                                                                   \
        u64 r_;                                                                          \
        asm volatile(insn " %0, %1, " #imm : "=r"(r_) : "r"((u64)(a)));                  \
        r_;                                                                              \
    })

static void p(const char *name, u64 a, u64 b, u64 r)
{
    printf("%-8s %016llx %016llx -> %016llx\n", name, (unsigned long long)a,
           (unsigned long long)b, (unsigned long long)r);
}

#define ALL_PAIRS(insn)                                                                  \
    for (unsigned i = 0; i < NV; i++)                                                    \
        for (unsigned j = 0; j < NV; j++) {                                              \
            u64 a = V[i], b = V[j];                                                      \
            p(insn, a, b, R2(insn, a, b));                                               \
        }

/* A small subset of pairs for the cheaper checks. */
static const unsigned SUB[] = {0, 1, 5, 6, 7, 8, 9, 12, 14};
#define SOME_PAIRS(insn)                                                                 \
    for (unsigned i = 0; i < sizeof SUB / sizeof SUB[0]; i++)                            \
        for (unsigned j = 0; j < sizeof SUB / sizeof SUB[0]; j++) {                      \
            u64 a = V[SUB[i]], b = V[SUB[j]];                                            \
            p(insn, a, b, R2(insn, a, b));                                               \
        }

static void muldiv(void)
{
    puts("== M extension");
    ALL_PAIRS("div");
    ALL_PAIRS("divu");
    ALL_PAIRS("rem");
    ALL_PAIRS("remu");
    ALL_PAIRS("divw");
    ALL_PAIRS("divuw");
    ALL_PAIRS("remw");
    ALL_PAIRS("remuw");
    ALL_PAIRS("mul");
    ALL_PAIRS("mulh");
    ALL_PAIRS("mulhsu");
    ALL_PAIRS("mulhu");
    ALL_PAIRS("mulw");
}

static void wops_shifts(void)
{
    puts("== W-ops and shifts");
    SOME_PAIRS("addw");
    SOME_PAIRS("subw");
    SOME_PAIRS("add");
    SOME_PAIRS("sub");
    SOME_PAIRS("slt");
    SOME_PAIRS("sltu");
    static const u64 sh[] = {0, 1, 31, 32, 33, 63, 64, 65, 0xffffffffffffffc1ULL, 127};
    static const u64 val[] = {0x8000000000000001ULL, 0x0000000080000001ULL,
                              0x123456789abcdef0ULL, 0xffffffffffffffffULL};
    for (unsigned i = 0; i < 4; i++)
        for (unsigned j = 0; j < sizeof sh / sizeof sh[0]; j++) {
            volatile u64 a = val[i], b = sh[j];
            p("sll", a, b, R2("sll", a, b));
            p("srl", a, b, R2("srl", a, b));
            p("sra", a, b, R2("sra", a, b));
            p("sllw", a, b, R2("sllw", a, b));
            p("srlw", a, b, R2("srlw", a, b));
            p("sraw", a, b, R2("sraw", a, b));
        }
    for (unsigned i = 0; i < 4; i++) {
        volatile u64 a = val[i];
        p("slli63", a, 0, RI("slli", a, 63));
        p("srli63", a, 0, RI("srli", a, 63));
        p("srai63", a, 0, RI("srai", a, 63));
        p("slliw31", a, 0, RI("slliw", a, 31));
        p("srliw0", a, 0, RI("srliw", a, 0));
        p("sraiw31", a, 0, RI("sraiw", a, 31));
        p("addiw0", a, 0, RI("addiw", a, 0));
        p("addiw-1", a, 0, RI("addiw", a, -1));
        p("addi-2048", a, 0, RI("addi", a, -2048));
        p("xori-1", a, 0, RI("xori", a, -1));
        p("andi-16", a, 0, RI("andi", a, -16));
        p("ori2047", a, 0, RI("ori", a, 2047));
        p("slti-1", a, 0, RI("slti", a, -1));
        p("sltiu-1", a, 0, RI("sltiu", a, -1));
        p("sltiu1", a, 0, RI("sltiu", a, 1));
    }
    u64 r;
    asm volatile("lui %0, 0x80000" : "=r"(r));
    p("lui80000", 0, 0, r);
    asm volatile("lui %0, 0xfffff" : "=r"(r));
    p("luifffff", 0, 0, r);
    asm volatile("lui %0, 0x7ffff" : "=r"(r));
    p("lui7ffff", 0, 0, r);
    /* x0 is hard-wired to zero, even as a destination. */
    asm volatile("li t0, 5\n addi x0, t0, 1\n mv %0, x0" : "=r"(r)::"t0");
    p("x0", 0, 0, r);
}

static void loads(void)
{
    puts("== loads and stores");
    static volatile unsigned char buf[32] __attribute__((aligned(16)));
    for (int i = 0; i < 32; i++)
        buf[i] = (unsigned char)(0x81 + i * 0x11);
    volatile unsigned char *b = buf;
    u64 r;
#define LD(insn, off)                                                                    \
    asm volatile(insn " %0, " #off "(%1)" : "=r"(r) : "r"(b) : "memory");              \
    p(insn " " #off, (u64)off, 0, r)
    LD("lb", 0);
    LD("lbu", 0);
    LD("lh", 0);
    LD("lhu", 0);
    LD("lw", 0);
    LD("lwu", 0);
    LD("ld", 0);
    LD("lh", 1); /* misaligned */
    LD("lw", 3);
    LD("lwu", 5);
    LD("ld", 7);
    LD("ld", 13);
    u64 v = 0x1122334455667788ULL;
    asm volatile("sd %0, 9(%1)" ::"r"(v), "r"(b) : "memory");
    asm volatile("sw %0, 20(%1)" ::"r"(v), "r"(b) : "memory");
    asm volatile("sh %0, 27(%1)" ::"r"(v), "r"(b) : "memory");
    asm volatile("sb %0, 31(%1)" ::"r"(v), "r"(b) : "memory");
    for (int i = 0; i < 32; i++)
        printf("%02x", buf[i]);
    putchar('\n');
}

static void atomics(void)
{
    puts("== A extension");
    static volatile u64 mem64 __attribute__((aligned(8)));
    static volatile uint32_t mem32[2] __attribute__((aligned(8)));
    u64 r, sc;
    /* lr/sc success */
    mem32[0] = 0x80000001u;
    asm volatile("lr.w %0, (%2)\n sc.w %1, %3, (%2)"
                 : "=&r"(r), "=&r"(sc)
                 : "r"(&mem32[0]), "r"(0x12345678ULL)
                 : "memory");
    p("lr.w/sc.w", r, sc, mem32[0]);
    /* sc with no reservation (the previous sc consumed it) must fail: rd != 0 and
     * memory unchanged (spec: "SC.W succeeds only if the reservation is still
     * valid"). */
    asm volatile("sc.w %0, %1, (%2)" : "=&r"(sc) : "r"(0x99ULL), "r"(&mem32[0]) : "memory");
    p("sc.w-nores", 0, sc != 0, mem32[0]);
    mem64 = 0x8000000000000000ULL;
    asm volatile("lr.d.aq %0, (%2)\n sc.d.rl %1, %3, (%2)"
                 : "=&r"(r), "=&r"(sc)
                 : "r"(&mem64), "r"(0xabcdULL)
                 : "memory");
    p("lr.d/sc.d", r, sc, mem64);
    asm volatile("sc.d %0, %1, (%2)" : "=&r"(sc) : "r"(0x99ULL), "r"(&mem64) : "memory");
    p("sc.d-nores", 0, sc != 0, mem64);
    /* A retry loop like the compiler's __atomic_fetch_add for w. */
    mem32[1] = 7;
    for (int k = 0; k < 10; k++) {
        u64 tmp;
        asm volatile("1: lr.w %0, (%2)\n addw %1, %0, 3\n sc.w %1, %1, (%2)\n bnez %1, 1b"
                     : "=&r"(r), "=&r"(tmp)
                     : "r"(&mem32[1])
                     : "memory");
    }
    p("lrsc-loop", 7, 10, mem32[1]);

#define AMOW(insn, init, src)                                                            \
    do {                                                                                 \
        mem32[0] = (uint32_t)(init);                                                     \
        asm volatile(insn " %0, %1, (%2)"                                                \
                     : "=r"(r)                                                           \
                     : "r"((u64)(src)), "r"(&mem32[0])                                   \
                     : "memory");                                                        \
        printf("%-12s %08llx %016llx -> old %016llx mem %08x\n", insn,                   \
               (unsigned long long)(uint32_t)(init), (unsigned long long)(src),          \
               (unsigned long long)r, mem32[0]);                                         \
    } while (0)
#define AMOD(insn, init, src)                                                            \
    do {                                                                                 \
        mem64 = (init);                                                                  \
        asm volatile(insn " %0, %1, (%2)" : "=r"(r) : "r"((u64)(src)), "r"(&mem64) : "memory"); \
        printf("%-12s %016llx %016llx -> old %016llx mem %016llx\n", insn,               \
               (unsigned long long)(init), (unsigned long long)(src),                    \
               (unsigned long long)r, (unsigned long long)mem64);                        \
    } while (0)
    static const u64 a_init[] = {0x80000000ULL, 0x7fffffffULL, 0xffffffff00000001ULL};
    static const u64 a_src[] = {1, 0xffffffffffffffffULL, 0x00000000fffffffeULL,
                                0x8000000000000000ULL};
    for (unsigned i = 0; i < 3; i++)
        for (unsigned j = 0; j < 4; j++) {
            u64 in = a_init[i], s = a_src[j];
            AMOW("amoswap.w", in, s);
            AMOW("amoadd.w", in, s);
            AMOW("amoand.w", in, s);
            AMOW("amoor.w", in, s);
            AMOW("amoxor.w", in, s);
            AMOW("amomax.w", in, s);
            AMOW("amomaxu.w", in, s);
            AMOW("amomin.w", in, s);
            AMOW("amominu.w", in, s);
            AMOD("amoswap.d", in, s);
            AMOD("amoadd.d", in, s);
            AMOD("amoand.d", in, s);
            AMOD("amoor.d", in, s);
            AMOD("amoxor.d", in, s);
            AMOD("amomax.d", in, s);
            AMOD("amomaxu.d", in, s);
            AMOD("amomin.d", in, s);
            AMOD("amominu.d.aqrl", in, s);
        }
    /* amo with rd = x0 still writes memory. */
    mem64 = 5;
    asm volatile("amoadd.d x0, %0, (%1)" ::"r"(10ULL), "r"(&mem64) : "memory");
    p("amoadd-x0", 5, 10, mem64);
}

static void compressed(void)
{
    puts("== C extension");
    register u64 a0 asm("a0");
    register u64 a1 asm("a1");
    volatile u64 in = 0x00000000ffff0010ULL;
#define C1(code, init)                                                                   \
    do {                                                                                 \
        a0 = (init);                                                                     \
        asm volatile(".option push\n.option rvc\n" code "\n.option pop" : "+r"(a0));     \
        p(code, (init), 0, a0);                                                          \
    } while (0)
#define C2(code, init, other)                                                            \
    do {                                                                                 \
        a0 = (init);                                                                     \
        a1 = (other);                                                                    \
        asm volatile(".option push\n.option rvc\n" code "\n.option pop"                  \
                     : "+r"(a0)                                                          \
                     : "r"(a1));                                                         \
        p(code, (init), (other), a0);                                                    \
    } while (0)
    C1("c.li a0, -32", in);
    C1("c.li a0, 31", in);
    C1("c.lui a0, 0xfffff", in); /* nzimm = -1 << 12 -> 0xfffffffffffff000 */
    C1("c.lui a0, 0x1f", in);
    C1("c.lui a0, 0xfffe0", in); /* nzimm bit 17 set: sign-extended */
    C1("c.addi a0, -32", in);
    C1("c.addiw a0, -1", in);   /* sign-extends the 32-bit sum */
    C1("c.addiw a0, 0", 0x17fffffffULL);  /* sext.w */
    C1("c.slli a0, 63", 3);
    C1("c.slli a0, 32", in);
    C1("c.srli a0, 1", 0x8000000000000000ULL);
    C1("c.srai a0, 63", 0x8000000000000000ULL);
    C1("c.srai a0, 32", 0x8000000000000000ULL);
    C1("c.andi a0, -2", 0xffULL);
    C1("c.andi a0, 31", 0xffULL);
    C2("c.add a0, a1", in, 0x8000000000000000ULL);
    C2("c.mv a0, a1", in, 0x5555ULL);
    C2("c.sub a0, a1", 0, 1);
    C2("c.xor a0, a1", in, 0xffffffffffffffffULL);
    C2("c.or a0, a1", in, 0x0f0fULL);
    C2("c.and a0, a1", in, 0x0f0fULL);
    C2("c.addw a0, a1", 0x7fffffffULL, 1);
    C2("c.subw a0, a1", 0x100000000ULL, 1);
    /* loads/stores through the compressed forms */
    static volatile u64 cm[4] = {0x1111111122222222ULL, 0x80000000f0000000ULL, 0, 0};
    u64 r;
    asm volatile("mv a1, %1\n.option push\n.option rvc\nc.lw a0, 12(a1)\n.option pop\nmv %0, a0"
                 : "=r"(r)
                 : "r"(cm)
                 : "a0", "a1", "memory");
    p("c.lw", 12, 0, r);
    asm volatile("mv a1, %1\n.option push\n.option rvc\n"
                 "c.ld a0, 8(a1)\nc.sd a0, 16(a1)\nc.sw a0, 24(a1)\n.option pop\nmv %0, a0"
                 : "=r"(r)
                 : "r"(cm)
                 : "a0", "a1", "memory");
    p("c.ld/sd/sw", cm[2], cm[3], r);
    /* control flow: c.beqz/c.bnez/c.j; a 4-byte instruction at a 2-byte boundary */
    asm volatile(".option push\n.option rvc\n"
                 "  li %0, 0\n"
                 "  c.nop\n"
                 "  addi %0, %0, 1\n" /* 4-byte, now misaligned to 2 mod 4 (or not) */
                 "  c.nop\n"
                 "  addi %0, %0, 2\n"
                 "  mv a0, zero\n"
                 "  c.beqz a0, 1f\n"
                 "  addi %0, %0, 100\n"
                 "1: c.bnez a0, 2f\n"
                 "  addi %0, %0, 4\n"
                 "  c.j 3f\n"
                 "2: addi %0, %0, 200\n"
                 "3: la a1, 4f\n"
                 "  c.jalr a1\n"
                 "  addi %0, %0, 16\n"
                 "  j 5f\n"
                 "4: addi %0, %0, 8\n"
                 "  c.jr ra\n"
                 "5:\n"
                 ".option pop"
                 : "=&r"(r)
                 :
                 : "a0", "a1", "ra");
    p("c.branch", 0, 0, r); /* 1+2+4+8+16 = 0x1f */
}

int main(void)
{
    muldiv();
    wops_shifts();
    loads();
    atomics();
    compressed();
    puts("done");
    return 0;
}
