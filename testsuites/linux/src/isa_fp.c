/* isa_fp: F and D extension corner cases (RISC-V unprivileged spec, chapters
 * "F" and "D"). Every result is printed as a hex bit pattern together with the
 * accrued exception flags (fflags) raised by that single instruction.
 *  - the five static rounding modes and the dynamic mode (frm set by fesetround,
 *    and RMM written to frm directly since C has no name for it)
 *  - flags: NV DZ OF UF NX, tininess detected after rounding
 *  - NaN-boxing of single values in 64-bit registers
 *  - canonical NaN results (RISC-V never propagates NaN payloads)
 *  - fmin/fmax (IEEE 754-2019 minimumNumber/maximumNumber, spec >= 2.2) with
 *    sNaN/qNaN/-0/+0
 *  - fclass of every class
 *  - fcvt to integers: saturation and NV for NaN, +-inf and out of range,
 *    rounding in every mode, results sign-extended to 64 bits
 *  - fsqrt of negatives, fdiv by zero, fused multiply-add single rounding and
 *    the inf*0+qNaN invalid case, comparisons with quiet and signaling NaNs
 *  - C code: fesetround/fegetround/fetestexcept through glibc. */
#include <fenv.h>
#include <stdint.h>
#include <stdio.h>

typedef uint32_t u32;
typedef uint64_t u64;

static const char *fl(unsigned long f)
{
    static char buf[32];
    static const char *names[] = {"NX", "UF", "OF", "DZ", "NV"};
    char *p = buf;
    for (int i = 4; i >= 0; i--)
        if (f & (1u << i)) {
            for (const char *s = names[i]; *s; s++)
                *p++ = *s;
            *p++ = ' ';
        }
    if (p == buf)
        *p++ = '-';
    else
        p--;
    *p = 0;
    return buf;
}

/* Takes the accrued flags and clears them. */
static unsigned long take_flags(void)
{
    unsigned long f;
    asm volatile("csrrw %0, fflags, zero" : "=r"(f));
    return f;
}

static void ps(const char *op, const char *rm, u32 a, u32 b, u32 c, u32 r)
{
    unsigned long f = take_flags();
    printf("%-8s %-3s %08x %08x %08x -> %08x %s\n", op, rm, a, b, c, r, fl(f));
}
static void pd(const char *op, const char *rm, u64 a, u64 b, u64 c, u64 r)
{
    unsigned long f = take_flags();
    printf("%-8s %-3s %016llx %016llx %016llx -> %016llx %s\n", op, rm, (unsigned long long)a,
           (unsigned long long)b, (unsigned long long)c, (unsigned long long)r, fl(f));
}

/* ---- single precision instruction wrappers ---- */
#define S3(insn, rm, a, b, c)                                                            \
    ({                                                                                   \
        u64 r_;                                                                          \
        asm volatile("csrw fflags, zero\n fmv.w.x ft0, %1\n fmv.w.x ft1, %2\n"           \
                     " fmv.w.x ft2, %3\n " insn " ft3, ft0, ft1, ft2, " rm               \
                     "\n fmv.x.w %0, ft3"                                                \
                     : "=r"(r_)                                                          \
                     : "r"(a), "r"(b), "r"(c)                                            \
                     : "ft0", "ft1", "ft2", "ft3");                                      \
        ps(insn, rm, a, b, c, (u32)r_);                                                  \
    })
#define S2(insn, rm, a, b)                                                               \
    ({                                                                                   \
        u64 r_;                                                                          \
        asm volatile("csrw fflags, zero\n fmv.w.x ft0, %1\n fmv.w.x ft1, %2\n " insn     \
                     " ft3, ft0, ft1, " rm "\n fmv.x.w %0, ft3"                          \
                     : "=r"(r_)                                                          \
                     : "r"(a), "r"(b)                                                    \
                     : "ft0", "ft1", "ft3");                                             \
        ps(insn, rm, a, b, 0, (u32)r_);                                                  \
    })
/* two operands, no rounding mode (fmin, fmax, fsgnj*) */
#define S2N(insn, a, b)                                                                  \
    ({                                                                                   \
        u64 r_;                                                                          \
        asm volatile("csrw fflags, zero\n fmv.w.x ft0, %1\n fmv.w.x ft1, %2\n " insn     \
                     " ft3, ft0, ft1\n fmv.x.w %0, ft3"                                  \
                     : "=r"(r_)                                                          \
                     : "r"(a), "r"(b)                                                    \
                     : "ft0", "ft1", "ft3");                                             \
        ps(insn, "", a, b, 0, (u32)r_);                                                  \
    })
/* comparisons: integer result */
#define SCMP(insn, a, b)                                                                 \
    ({                                                                                   \
        u64 r_;                                                                          \
        asm volatile("csrw fflags, zero\n fmv.w.x ft0, %1\n fmv.w.x ft1, %2\n " insn     \
                     " %0, ft0, ft1"                                                     \
                     : "=r"(r_)                                                          \
                     : "r"(a), "r"(b)                                                    \
                     : "ft0", "ft1");                                                    \
        ps(insn, "", a, b, 0, (u32)r_);                                                  \
    })
#define S1(insn, rm, a)                                                                  \
    ({                                                                                   \
        u64 r_;                                                                          \
        asm volatile("csrw fflags, zero\n fmv.w.x ft0, %1\n " insn " ft3, ft0, " rm      \
                     "\n fmv.x.w %0, ft3"                                                \
                     : "=r"(r_)                                                          \
                     : "r"(a)                                                            \
                     : "ft0", "ft3");                                                    \
        ps(insn, rm, a, 0, 0, (u32)r_);                                                  \
    })
/* float -> integer register (64-bit result shown in full) */
#define SX(insn, rm, a)                                                                  \
    ({                                                                                   \
        u64 r_;                                                                          \
        asm volatile("csrw fflags, zero\n fmv.w.x ft0, %1\n " insn " %0, ft0, " rm       \
                     : "=r"(r_)                                                          \
                     : "r"(a)                                                            \
                     : "ft0");                                                           \
        pd(insn, rm, a, 0, 0, r_);                                                       \
    })

/* ---- double precision ---- */
#define D3(insn, rm, a, b, c)                                                            \
    ({                                                                                   \
        u64 r_;                                                                          \
        asm volatile("csrw fflags, zero\n fmv.d.x ft0, %1\n fmv.d.x ft1, %2\n"           \
                     " fmv.d.x ft2, %3\n " insn " ft3, ft0, ft1, ft2, " rm               \
                     "\n fmv.x.d %0, ft3"                                                \
                     : "=r"(r_)                                                          \
                     : "r"(a), "r"(b), "r"(c)                                            \
                     : "ft0", "ft1", "ft2", "ft3");                                      \
        pd(insn, rm, a, b, c, r_);                                                       \
    })
#define D2(insn, rm, a, b)                                                               \
    ({                                                                                   \
        u64 r_;                                                                          \
        asm volatile("csrw fflags, zero\n fmv.d.x ft0, %1\n fmv.d.x ft1, %2\n " insn     \
                     " ft3, ft0, ft1, " rm "\n fmv.x.d %0, ft3"                          \
                     : "=r"(r_)                                                          \
                     : "r"(a), "r"(b)                                                    \
                     : "ft0", "ft1", "ft3");                                             \
        pd(insn, rm, a, b, 0, r_);                                                       \
    })
#define D2N(insn, a, b)                                                                  \
    ({                                                                                   \
        u64 r_;                                                                          \
        asm volatile("csrw fflags, zero\n fmv.d.x ft0, %1\n fmv.d.x ft1, %2\n " insn     \
                     " ft3, ft0, ft1\n fmv.x.d %0, ft3"                                  \
                     : "=r"(r_)                                                          \
                     : "r"(a), "r"(b)                                                    \
                     : "ft0", "ft1", "ft3");                                             \
        pd(insn, "", a, b, 0, r_);                                                       \
    })
#define DCMP(insn, a, b)                                                                 \
    ({                                                                                   \
        u64 r_;                                                                          \
        asm volatile("csrw fflags, zero\n fmv.d.x ft0, %1\n fmv.d.x ft1, %2\n " insn     \
                     " %0, ft0, ft1"                                                     \
                     : "=r"(r_)                                                          \
                     : "r"(a), "r"(b)                                                    \
                     : "ft0", "ft1");                                                    \
        pd(insn, "", a, b, 0, r_);                                                       \
    })
#define D1(insn, rm, a)                                                                  \
    ({                                                                                   \
        u64 r_;                                                                          \
        asm volatile("csrw fflags, zero\n fmv.d.x ft0, %1\n " insn " ft3, ft0, " rm      \
                     "\n fmv.x.d %0, ft3"                                                \
                     : "=r"(r_)                                                          \
                     : "r"(a)                                                            \
                     : "ft0", "ft3");                                                    \
        pd(insn, rm, a, 0, 0, r_);                                                       \
    })
#define DX(insn, rm, a)                                                                  \
    ({                                                                                   \
        u64 r_;                                                                          \
        asm volatile("csrw fflags, zero\n fmv.d.x ft0, %1\n " insn " %0, ft0, " rm       \
                     : "=r"(r_)                                                          \
                     : "r"(a)                                                            \
                     : "ft0");                                                           \
        pd(insn, rm, a, 0, 0, r_);                                                       \
    })
/* integer -> float */
#define XD(insn, rm, a)                                                                  \
    ({                                                                                   \
        u64 r_;                                                                          \
        asm volatile("csrw fflags, zero\n " insn " ft3, %1, " rm "\n fmv.x.d %0, ft3"    \
                     : "=r"(r_)                                                          \
                     : "r"(a)                                                            \
                     : "ft3");                                                           \
        pd(insn, rm, a, 0, 0, r_);                                                       \
    })
#define XDN(insn, a)                                                                     \
    ({                                                                                   \
        u64 r_;                                                                          \
        asm volatile("csrw fflags, zero\n " insn " ft3, %1\n fmv.x.d %0, ft3"            \
                     : "=r"(r_)                                                          \
                     : "r"(a)                                                            \
                     : "ft3");                                                           \
        pd(insn, "", a, 0, 0, r_);                                                       \
    })
#define XS(insn, rm, a)                                                                  \
    ({                                                                                   \
        u64 r_;                                                                          \
        asm volatile("csrw fflags, zero\n " insn " ft3, %1, " rm "\n fmv.x.w %0, ft3"    \
                     : "=r"(r_)                                                          \
                     : "r"(a)                                                            \
                     : "ft3");                                                           \
        pd(insn, rm, a, 0, 0, (u32)r_);                                                  \
    })

#define ALLRM(M, insn, ...)                                                              \
    do {                                                                                 \
        M(insn, "rne", __VA_ARGS__);                                                     \
        M(insn, "rtz", __VA_ARGS__);                                                     \
        M(insn, "rdn", __VA_ARGS__);                                                     \
        M(insn, "rup", __VA_ARGS__);                                                     \
        M(insn, "rmm", __VA_ARGS__);                                                     \
    } while (0)

/* interesting single values */
#define S_ONE 0x3f800000u
#define S_MONE 0xbf800000u
#define S_TWO 0x40000000u
#define S_THREE 0x40400000u
#define S_ULP 0x33800000u    /* 2^-24: 1 + this is a tie */
#define S_3ULP 0x34400000u   /* 3 * 2^-24 */
#define S_MAX 0x7f7fffffu
#define S_MIN 0x00800000u    /* smallest normal */
#define S_SUB 0x00000001u    /* smallest subnormal */
#define S_INF 0x7f800000u
#define S_MINF 0xff800000u
#define S_QNAN 0x7fc00000u
#define S_QNANP 0xffc12345u  /* negative quiet NaN with payload */
#define S_SNAN 0x7f800001u
#define S_SNANP 0xffa00042u
#define S_PZ 0x00000000u
#define S_NZ 0x80000000u

#define D_ONE 0x3ff0000000000000ULL
#define D_MONE 0xbff0000000000000ULL
#define D_TWO 0x4000000000000000ULL
#define D_THREE 0x4008000000000000ULL
#define D_ULP 0x3ca0000000000000ULL  /* 2^-53 */
#define D_3ULP 0x3cb8000000000000ULL /* 3 * 2^-53 */
#define D_MAX 0x7fefffffffffffffULL
#define D_MIN 0x0010000000000000ULL
#define D_SUB 0x0000000000000001ULL
#define D_INF 0x7ff0000000000000ULL
#define D_MINF 0xfff0000000000000ULL
#define D_QNAN 0x7ff8000000000000ULL
#define D_QNANP 0xfff8000000012345ULL
#define D_SNAN 0x7ff0000000000001ULL
#define D_SNANP 0xfff4000000000042ULL
#define D_PZ 0x0000000000000000ULL
#define D_NZ 0x8000000000000000ULL

static void rounding(void)
{
    puts("== static rounding modes");
    ALLRM(S2, "fadd.s", S_ONE, S_ULP);          /* tie: rne/rdn/rtz -> 1, rup/rmm -> 1+ulp */
    ALLRM(S2, "fadd.s", S_ONE, S_3ULP);         /* tie between odd and even */
    ALLRM(S2, "fadd.s", S_MONE, S_ULP | S_NZ);  /* negative tie */
    ALLRM(S2, "fsub.s", S_ONE, S_ONE);          /* exact zero: -0 only in rdn */
    ALLRM(S2, "fdiv.s", S_ONE, S_THREE);
    ALLRM(S2, "fdiv.s", S_MONE, S_THREE);
    ALLRM(S2, "fmul.s", S_MAX, S_TWO);          /* overflow: rtz/rdn -> MAX */
    ALLRM(S2, "fmul.s", S_MAX | S_NZ, S_TWO);
    ALLRM(S2, "fmul.s", S_MIN, 0x3f000000u);    /* 2^-127: exact subnormal, no UF */
    ALLRM(S2, "fmul.s", S_SUB, 0x3f000000u);    /* 2^-150: tie to 0 or min subnormal */
    ALLRM(S2, "fmul.s", 0x00800001u, 0x3f7ffffeu); /* rounds to MIN: tiny only before rounding */
    ALLRM(S1, "fsqrt.s", S_TWO);
    ALLRM(D2, "fadd.d", D_ONE, D_ULP);
    ALLRM(D2, "fadd.d", D_ONE, D_3ULP);
    ALLRM(D2, "fadd.d", D_MONE, D_ULP | D_NZ);
    ALLRM(D2, "fsub.d", D_ONE, D_ONE);
    ALLRM(D2, "fdiv.d", D_ONE, D_THREE);
    ALLRM(D2, "fdiv.d", D_MONE, D_THREE);
    ALLRM(D2, "fmul.d", D_MAX, D_TWO);
    ALLRM(D2, "fmul.d", D_MAX | D_NZ, D_TWO);
    ALLRM(D2, "fmul.d", D_SUB, 0x3fe0000000000000ULL);
    ALLRM(D2, "fmul.d", 0x0010000000000001ULL, 0x3fefffffffffffffULL);
    ALLRM(D1, "fsqrt.d", D_TWO);
    ALLRM(D1, "fcvt.s.d", 0x3ff0000010000000ULL); /* 1 + 2^-24 exactly: a tie in single */
    ALLRM(D1, "fcvt.s.d", 0x47efffffffffffffULL); /* just above FLT_MAX */
    ALLRM(D1, "fcvt.s.d", 0x36a0000000000000ULL); /* 2^-149 min subnormal: exact */
    ALLRM(D1, "fcvt.s.d", 0x3690000000000000ULL); /* 2^-150: half the min subnormal */
}

static void dynamic_rounding(void)
{
    puts("== dynamic rounding (frm)");
    static const int modes[] = {FE_TONEAREST, FE_TOWARDZERO, FE_DOWNWARD, FE_UPWARD};
    static const char *names[] = {"FE_TONEAREST", "FE_TOWARDZERO", "FE_DOWNWARD", "FE_UPWARD"};
    for (int i = 0; i < 4; i++) {
        int rc = fesetround(modes[i]);
        unsigned long frm;
        asm volatile("frrm %0" : "=r"(frm));
        printf("%s: fesetround=%d fegetround_ok=%d frm=%lu\n", names[i], rc,
               fegetround() == modes[i], frm);
        S2("fadd.s", "dyn", S_ONE, S_ULP);
        S2("fdiv.s", "dyn", S_MONE, S_THREE);
        D2("fadd.d", "dyn", D_MONE, D_ULP | D_NZ);
        D2("fdiv.d", "dyn", D_ONE, D_THREE);
        DX("fcvt.l.d", "dyn", 0xc004000000000000ULL); /* -2.5 */
        /* C arithmetic follows frm as well */
        volatile double one = 1.0, three = 3.0;
        volatile double q = one / three;
        union { double d; u64 u; } cv = {q};
        printf("C 1.0/3.0 = %016llx\n", (unsigned long long)cv.u);
    }
    /* RMM has no C name: write frm directly (csrwi frm, 4), then read fcsr. */
    unsigned long fcsr;
    asm volatile("csrwi frm, 4\n csrw fflags, zero\n frcsr %0" : "=r"(fcsr));
    printf("frm=4: fcsr=%02lx\n", fcsr);
    S2("fadd.s", "dyn", S_ONE, S_ULP);
    D2("fadd.d", "dyn", D_MONE, D_ULP | D_NZ);
    DX("fcvt.w.d", "dyn", 0xc004000000000000ULL); /* -2.5 -> -3 */
    /* fcsr packs frm (bits 7:5) and fflags (4:0); writing fcsr writes both. */
    asm volatile("li t0, 0x5f\n fscsr t0\n frrm %0" : "=r"(fcsr) : : "t0");
    printf("fscsr 0x5f: frm=%lu fflags=%s\n", fcsr, fl(take_flags()));
    asm volatile("fsrmi 0\n frcsr %0" : "=r"(fcsr));
    printf("restored: fcsr=%02lx\n", fcsr);
    fesetround(FE_TONEAREST);
}

static void flags_and_special(void)
{
    puts("== special values and flags");
    S2("fdiv.s", "rne", S_ONE, S_PZ);
    S2("fdiv.s", "rne", S_ONE, S_NZ);
    S2("fdiv.s", "rne", S_PZ, S_PZ);
    S2("fdiv.s", "rne", S_INF, S_INF);
    S2("fdiv.s", "rne", S_INF, S_PZ);   /* inf / 0 = inf, no DZ */
    S2("fsub.s", "rne", S_INF, S_INF);
    S2("fadd.s", "rne", S_MINF, S_INF);
    S2("fmul.s", "rne", S_INF, S_PZ);
    S2("fmul.s", "rne", S_MIN, S_MIN);
    S2("fadd.s", "rne", S_SNAN, S_ONE);  /* canonical NaN, NV */
    S2("fadd.s", "rne", S_QNANP, S_ONE); /* canonical NaN, no flag, payload dropped */
    S2("fmul.s", "rne", S_ONE, S_SNANP);
    S1("fsqrt.s", "rne", S_MONE);
    S1("fsqrt.s", "rne", S_NZ);          /* sqrt(-0) = -0 */
    S1("fsqrt.s", "rne", S_MINF);
    S1("fsqrt.s", "rne", S_INF);
    S1("fsqrt.s", "rne", S_SNAN);
    S1("fsqrt.s", "rne", S_SUB);
    D2("fdiv.d", "rne", D_ONE, D_PZ);
    D2("fdiv.d", "rne", D_MONE, D_PZ);
    D2("fdiv.d", "rne", D_PZ, D_NZ);
    D2("fsub.d", "rne", D_MINF, D_MINF);
    D2("fmul.d", "rne", D_MIN, D_MIN);
    D2("fadd.d", "rne", D_SNAN, D_ONE);
    D2("fadd.d", "rne", D_QNANP, D_QNANP);
    D1("fsqrt.d", "rne", D_MONE);
    D1("fsqrt.d", "rne", D_NZ);
    D1("fsqrt.d", "rne", D_QNANP);
    D1("fcvt.s.d", "rne", D_QNANP);  /* canonical */
    D1("fcvt.s.d", "rne", D_SNAN);   /* canonical, NV */
    D1("fcvt.s.d", "rne", D_MAX);    /* OF NX */
    D1("fcvt.s.d", "rne", D_MIN);    /* underflow to 0 */
    /* fcvt.d.s: widen (the single input given boxed via fmv.w.x) */
    {
        static const u32 in[] = {S_SNANP, S_QNANP, S_SUB, S_NZ, S_MINF, S_MAX};
        for (int i = 0; i < 6; i++) {
            u64 r_;
            asm volatile("csrw fflags, zero\n fmv.w.x ft0, %1\n fcvt.d.s ft3, ft0\n fmv.x.d %0, ft3"
                         : "=r"(r_)
                         : "r"(in[i])
                         : "ft0", "ft3");
            pd("fcvt.d.s", "", in[i], 0, 0, r_);
        }
    }
}

static void minmax_cmp(void)
{
    puts("== fmin/fmax/fsgnj/compare");
    static const u32 s[] = {S_SNAN, S_QNAN, S_QNANP, S_PZ, S_NZ, S_ONE, S_MINF};
    for (int i = 0; i < 7; i++)
        for (int j = 0; j < 7; j++) {
            S2N("fmin.s", s[i], s[j]);
            S2N("fmax.s", s[i], s[j]);
            SCMP("feq.s", s[i], s[j]);
            SCMP("flt.s", s[i], s[j]);
            SCMP("fle.s", s[i], s[j]);
        }
    static const u64 d[] = {D_SNAN, D_QNAN, D_QNANP, D_PZ, D_NZ, D_ONE, D_MINF};
    for (int i = 0; i < 7; i++)
        for (int j = 0; j < 7; j++) {
            D2N("fmin.d", d[i], d[j]);
            D2N("fmax.d", d[i], d[j]);
            DCMP("feq.d", d[i], d[j]);
            DCMP("flt.d", d[i], d[j]);
            DCMP("fle.d", d[i], d[j]);
        }
    /* sign injection copies NaN payloads untouched and raises nothing */
    S2N("fsgnj.s", S_SNANP, S_ONE);
    S2N("fsgnjn.s", S_SNANP, S_ONE);
    S2N("fsgnjx.s", S_SNANP, S_MONE);
    S2N("fsgnj.s", S_ONE, S_MINF);
    S2N("fsgnjn.s", S_MONE, S_MONE); /* fneg */
    S2N("fsgnjx.s", S_MONE, S_MONE); /* fabs */
    D2N("fsgnj.d", D_SNANP, D_ONE);
    D2N("fsgnjn.d", D_QNANP, D_MONE);
    D2N("fsgnjx.d", D_MINF, D_MONE);
}

static void classify(void)
{
    puts("== fclass");
    static const u32 s[] = {S_MINF, S_MONE, S_SUB | S_NZ, S_NZ, S_PZ, S_SUB, S_ONE, S_INF,
                            S_SNAN, S_QNAN, S_SNANP, S_QNANP, S_MAX, 0x807fffffu};
    for (unsigned i = 0; i < sizeof s / sizeof s[0]; i++) {
        u64 r;
        asm volatile("fmv.w.x ft0, %1\n fclass.s %0, ft0" : "=r"(r) : "r"(s[i]) : "ft0");
        printf("fclass.s %08x -> %03llx\n", s[i], (unsigned long long)r);
    }
    static const u64 d[] = {D_MINF, D_MONE, D_SUB | D_NZ, D_NZ, D_PZ, D_SUB, D_ONE, D_INF,
                            D_SNAN, D_QNAN, D_SNANP, D_QNANP, D_MAX, 0x800fffffffffffffULL};
    for (unsigned i = 0; i < sizeof d / sizeof d[0]; i++) {
        u64 r;
        asm volatile("fmv.d.x ft0, %1\n fclass.d %0, ft0" : "=r"(r) : "r"(d[i]) : "ft0");
        printf("fclass.d %016llx -> %03llx\n", (unsigned long long)d[i], (unsigned long long)r);
    }
    printf("flags after fclass: %s\n", fl(take_flags()));
}

static void conversions(void)
{
    puts("== fcvt to integer: saturation and flags");
    static const u32 s[] = {S_QNAN, S_SNANP, S_QNANP, S_INF, S_MINF, 0x4f000000u /* 2^31 */,
                            0xcf000000u /* -2^31 */, 0xcf000001u, 0x4f800000u /* 2^32 */,
                            0x5f000000u /* 2^63 */, 0xdf000000u /* -2^63 */, 0x5f800000u,
                            S_MONE, 0xbf000000u /* -0.5 */, S_NZ, 0x3fc00000u /* 1.5 */,
                            0x40200000u /* 2.5 */, 0xc0200000u /* -2.5 */};
    for (unsigned i = 0; i < sizeof s / sizeof s[0]; i++) {
        SX("fcvt.w.s", "rtz", s[i]);
        SX("fcvt.wu.s", "rtz", s[i]);
        SX("fcvt.l.s", "rtz", s[i]);
        SX("fcvt.lu.s", "rtz", s[i]);
    }
    static const u64 d[] = {D_QNAN, D_SNANP, D_INF, D_MINF, 0x41dfffffffc00000ULL /* 2^31-1 */,
                            0x41e0000000000000ULL /* 2^31 */, 0xc1e0000000000000ULL /* -2^31 */,
                            0xc1e0000000200000ULL /* -2^31-1 */, 0x41efffffffe00000ULL /* 2^32-1 */,
                            0x41f0000000000000ULL /* 2^32 */, 0x43e0000000000000ULL /* 2^63 */,
                            0xc3e0000000000000ULL /* -2^63 */, 0xc3e0000000000001ULL,
                            0x43f0000000000000ULL /* 2^64 */, D_MONE, 0xbfe0000000000000ULL,
                            0x41dfffffffe00000ULL /* 2^31 - 0.5 */};
    for (unsigned i = 0; i < sizeof d / sizeof d[0]; i++) {
        DX("fcvt.w.d", "rtz", d[i]);
        DX("fcvt.wu.d", "rtz", d[i]);
        DX("fcvt.l.d", "rtz", d[i]);
        DX("fcvt.lu.d", "rtz", d[i]);
    }
    puts("== fcvt rounding");
    static const u64 r[] = {0x3fe0000000000000ULL /* 0.5 */, 0xbfe0000000000000ULL,
                            0x3ff8000000000000ULL /* 1.5 */, 0x4004000000000000ULL /* 2.5 */,
                            0xc004000000000000ULL /* -2.5 */, 0x3ff7ffffffffffffULL,
                            0x41dfffffffe00000ULL /* 2^31 - 0.5 */};
    for (unsigned i = 0; i < sizeof r / sizeof r[0]; i++) {
        ALLRM(DX, "fcvt.w.d", r[i]);
        ALLRM(DX, "fcvt.wu.d", r[i]);
        ALLRM(DX, "fcvt.l.d", r[i]);
    }
    ALLRM(SX, "fcvt.w.s", 0x40200000u);
    ALLRM(SX, "fcvt.lu.s", 0x3fc00000u);
    puts("== integer to float");
    static const u64 iv[] = {0x7fffffffffffffffULL, 0x8000000000000000ULL, 0x0020000000000001ULL,
                             0xffffffffffffffffULL, 0x0000000001000001ULL, 0x00000000ffffffffULL,
                             0x00000000800000001ULL};
    for (unsigned i = 0; i < sizeof iv / sizeof iv[0]; i++) {
        ALLRM(XD, "fcvt.d.l", iv[i]);
        XD("fcvt.d.lu", "rne", iv[i]);
        XDN("fcvt.d.w", iv[i]); /* exact; uses the low 32 bits only */
        XDN("fcvt.d.wu", iv[i]);
        ALLRM(XS, "fcvt.s.l", iv[i]);
        XS("fcvt.s.lu", "rne", iv[i]);
        ALLRM(XS, "fcvt.s.w", iv[i]);
        XS("fcvt.s.wu", "rne", iv[i]);
    }
}

static void fused(void)
{
    puts("== fused multiply-add");
    /* (1+2^-23)(1-2^-23) - 1 = -2^-46 exactly: only a fused op gets it */
    ALLRM(S3, "fmadd.s", 0x3f800001u, 0x3f7ffffeu, S_MONE);
    S3("fmsub.s", "rne", 0x3f800001u, 0x3f7ffffeu, S_ONE);
    S3("fnmadd.s", "rne", 0x3f800001u, 0x3f7ffffeu, S_MONE);
    S3("fnmsub.s", "rne", 0x3f800001u, 0x3f7ffffeu, S_ONE);
    /* inf * 0 + qNaN: the spec requires NV even though the addend is a quiet NaN */
    S3("fmadd.s", "rne", S_INF, S_PZ, S_QNAN);
    S3("fmadd.s", "rne", S_INF, S_PZ, S_ONE);
    S3("fmadd.s", "rne", S_ONE, S_ONE, S_SNAN);
    S3("fmadd.s", "rne", S_QNANP, S_ONE, S_ONE);
    S3("fmadd.s", "rne", S_INF, S_ONE, S_MINF);   /* inf - inf: NV */
    S3("fmadd.s", "rne", S_MAX, S_TWO, S_MINF);   /* exact -inf, no OF */
    S3("fmadd.s", "rne", S_MAX, S_TWO, S_MAX | S_NZ); /* OF */
    S3("fnmadd.s", "rne", S_PZ, S_ONE, S_PZ);     /* -(0*1) - 0 = -0 */
    S3("fmsub.s", "rne", S_PZ, S_ONE, S_PZ);      /* 0 - 0 = +0 */
    S3("fmsub.s", "rdn", S_PZ, S_ONE, S_PZ);      /* ... but -0 in rdn */
    S3("fmadd.s", "rne", S_MIN, 0x3f000000u, S_PZ);
    ALLRM(D3, "fmadd.d", 0x3ff0000000000001ULL, 0x3fefffffffffffffULL, D_MONE);
    D3("fmsub.d", "rne", 0x3ff0000000000001ULL, 0x3fefffffffffffffULL, D_ONE);
    D3("fnmadd.d", "rne", 0x3ff0000000000001ULL, 0x3fefffffffffffffULL, D_MONE);
    D3("fnmsub.d", "rne", 0x3ff0000000000001ULL, 0x3fefffffffffffffULL, D_ONE);
    D3("fmadd.d", "rne", D_PZ, D_INF, D_QNAN);
    D3("fmadd.d", "rne", D_SNAN, D_ONE, D_ONE);
    D3("fnmsub.d", "rne", D_MAX, D_MAX, D_MINF);
}

static void nanboxing(void)
{
    puts("== NaN-boxing");
    u64 r, hi;
    /* A single-precision operand whose upper 32 bits are not all ones is read as
     * the canonical NaN (spec: "NaN Boxing of Narrower Values"). */
    asm volatile("csrw fflags, zero\n fmv.d.x ft0, %1\n fadd.s ft1, ft0, ft0\n fmv.x.w %0, ft1"
                 : "=r"(r)
                 : "r"(0x000000003f800000ULL)
                 : "ft0", "ft1");
    printf("fadd.s unboxed 1.0 -> %08x %s\n", (u32)r, fl(take_flags()));
    asm volatile("fmv.d.x ft0, %1\n fmv.w.x ft2, %2\n fadd.s ft1, ft2, ft0\n fmv.x.w %0, ft1"
                 : "=r"(r)
                 : "r"(0xfffffffe3f800000ULL), "r"(S_ONE)
                 : "ft0", "ft1", "ft2");
    printf("fadd.s 1.0 + almost-boxed -> %08x %s\n", (u32)r, fl(take_flags()));
    asm volatile("fmv.d.x ft0, %1\n fmv.w.x ft2, %2\n fsgnj.s ft1, ft2, ft0\n fmv.x.d %0, ft1"
                 : "=r"(r)
                 : "r"(0x00000000bf800000ULL), "r"(S_ONE)
                 : "ft0", "ft1", "ft2");
    printf("fsgnj.s 1.0, unboxed(-1.0) -> %016llx (sign of canonical NaN = +)\n",
           (unsigned long long)r);
    asm volatile("fmv.d.x ft0, %1\n fsgnjn.s ft1, ft0, ft0\n fmv.x.d %0, ft1"
                 : "=r"(r)
                 : "r"(0x1234567800000000ULL)
                 : "ft0", "ft1");
    printf("fsgnjn.s unboxed, unboxed -> %016llx\n", (unsigned long long)r);
    asm volatile("fmv.d.x ft0, %1\n fclass.s %0, ft0" : "=r"(r) : "r"(0x00000000ff800000ULL) : "ft0");
    printf("fclass.s unboxed(-inf) -> %03llx\n", (unsigned long long)r);
    /* fmv.x.w and fsw move the low 32 bits without looking at the box; fmv.x.w
     * sign-extends. */
    asm volatile("fmv.d.x ft0, %1\n fmv.x.w %0, ft0" : "=r"(r) : "r"(0x0000000080000001ULL) : "ft0");
    printf("fmv.x.w unboxed 80000001 -> %016llx\n", (unsigned long long)r);
    static volatile u32 m32;
    asm volatile("fmv.d.x ft0, %1\n fsw ft0, 0(%0)" ::"r"(&m32), "r"(0x00000000cafebabeULL) : "ft0", "memory");
    printf("fsw unboxed -> %08x\n", m32);
    /* Every single-precision write boxes: flw, fmv.w.x, arithmetic. */
    m32 = 0x40490fdb;
    asm volatile("flw ft0, 0(%1)\n fmv.x.d %0, ft0" : "=r"(r) : "r"(&m32) : "ft0", "memory");
    printf("flw -> %016llx\n", (unsigned long long)r);
    asm volatile("fmv.w.x ft0, %2\n fadd.s ft1, ft0, ft0\n fmv.x.d %0, ft1\n fcvt.s.d ft2, ft1\n"
                 " fmv.x.d %1, ft2"
                 : "=r"(r), "=r"(hi)
                 : "r"(S_ONE)
                 : "ft0", "ft1", "ft2");
    printf("fadd.s -> %016llx; fcvt.s.d of that boxed value as double -> %016llx\n",
           (unsigned long long)r, (unsigned long long)hi);
    printf("flags: %s\n", fl(take_flags()));
    /* fmv.w.x then fmv.x.d: boxed */
    asm volatile("fmv.w.x ft0, %1\n fmv.x.d %0, ft0" : "=r"(r) : "r"(0x7f800001ULL) : "ft0");
    printf("fmv.w.x sNaN -> %016llx (no canonicalisation)\n", (unsigned long long)r);
}

static void c_level(void)
{
    puts("== C with fenv");
    feclearexcept(FE_ALL_EXCEPT);
    volatile double z = 0.0, one = 1.0, big = 1e308, tiny = 1e-308;
    volatile double r = one / z;
    printf("1/0: inf=%d DZ=%d NV=%d\n", r > 1e308, !!fetestexcept(FE_DIVBYZERO),
           !!fetestexcept(FE_INVALID));
    feclearexcept(FE_ALL_EXCEPT);
    r = z / z;
    printf("0/0: nan=%d NV=%d\n", r != r, !!fetestexcept(FE_INVALID));
    feclearexcept(FE_ALL_EXCEPT);
    r = big * 10.0;
    printf("1e308*10: OF=%d NX=%d\n", !!fetestexcept(FE_OVERFLOW), !!fetestexcept(FE_INEXACT));
    feclearexcept(FE_ALL_EXCEPT);
    r = tiny * tiny;
    printf("1e-308^2: UF=%d NX=%d zero=%d\n", !!fetestexcept(FE_UNDERFLOW),
           !!fetestexcept(FE_INEXACT), r == 0.0);
    feclearexcept(FE_ALL_EXCEPT);
    r = one + one;
    printf("1+1: any=%d\n", !!fetestexcept(FE_ALL_EXCEPT));
    feraiseexcept(FE_INEXACT | FE_OVERFLOW);
    printf("raised: %s\n", fl(take_flags()));
    printf("%a %a %a\n", 1.0 / 3.0 * one, -0.0 * one, 0x1p-1074 * one);
}

int main(void)
{
    take_flags();
    rounding();
    dynamic_rounding();
    flags_and_special();
    minmax_cmp();
    classify();
    conversions();
    fused();
    nanboxing();
    c_level();
    puts("done");
    return 0;
}
