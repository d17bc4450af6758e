/* rv64uf: every F instruction (single precision, "F" Standard Extension, IEEE 754-2008).
 * Each case clears fflags first and checks the result bits and fflags exactly.
 * Single results must be NaN-boxed (upper 32 bits all ones) -- TEST_FP_S checks it.
 * Spec points covered: the five static rounding modes and dyn (frm); canonical NaN
 * 0x7fc00000 for every NaN-producing arithmetic op; sNaN inputs raise NV;
 * non-NaN-boxed inputs read as the canonical NaN; fmin/fmax (IEEE 754-2019
 * minimumNumber/maximumNumber, -0 < +0); feq quiet, flt/fle signaling; fclass;
 * fcvt to integer saturation with NV; underflow = tiny after rounding and inexact;
 * overflow to inf or the largest finite value depending on the rounding mode;
 * fcsr reserved bits; reserved rounding modes are illegal instructions. */
#include "test.h"

#define ONE    0x3f800000
#define MONE   0xbf800000
#define TWO    0x40000000
#define THREE  0x40400000
#define HALF   0x3f000000
#define PINF   0x7f800000
#define MINF   0xff800000
#define CNAN   0x7fc00000
#define QNANP  0x7fc12345       /* quiet NaN with payload */
#define SNAN   0x7f800001
#define MAXF   0x7f7fffff
#define MMAXF  0xff7fffff
#define MINN   0x00800000       /* smallest normal 2^-126 */
#define MINS   0x00000001       /* smallest subnormal 2^-149 */
#define PZERO  0x00000000
#define MZERO  0x80000000
#define ULP24  0x33800000       /* 2^-24: half an ulp of 1.0 */

#define OP2(n, op, a, b, rm, res, fl)    TEST_FP_S(n, f0, res, fl, LD_S(f1, a); LD_S(f2, b); op f0, f1, f2, rm)
#define OP2N(n, op, a, b, res, fl)       TEST_FP_S(n, f0, res, fl, LD_S(f1, a); LD_S(f2, b); op f0, f1, f2)
#define OP1(n, op, a, rm, res, fl)       TEST_FP_S(n, f0, res, fl, LD_S(f1, a); op f0, f1, rm)
#define OP3(n, op, a, b, c, rm, res, fl) TEST_FP_S(n, f0, res, fl, LD_S(f1, a); LD_S(f2, b); LD_S(f3, c); op f0, f1, f2, f3, rm)
#define CMP(n, op, a, b, res, fl)        TEST_FP_INT(n, a0, res, fl, LD_S(f1, a); LD_S(f2, b); op a0, f1, f2)
#define CVTI(n, op, a, rm, res, fl)      TEST_FP_INT(n, a0, res, fl, LD_S(f1, a); op a0, f1, rm)
#define CVTF(n, op, a, rm, res, fl)      TEST_FP_S(n, f0, res, fl, li a1, a; op f0, a1, rm)
#define CLASS(n, a, res)                 TEST_FP_INT(n, a0, res, 0, LD_S(f1, a); fclass.s a0, f1)

TEST_BEGIN
    /* fadd: a tie (1 + 2^-24) in every rounding mode, then dyn through frm */
    OP2(1,  fadd.s, ONE, ULP24, rne, ONE, NX)
    OP2(2,  fadd.s, ONE, ULP24, rtz, ONE, NX)
    OP2(3,  fadd.s, ONE, ULP24, rdn, ONE, NX)
    OP2(4,  fadd.s, ONE, ULP24, rup, 0x3f800001, NX)
    OP2(5,  fadd.s, ONE, ULP24, rmm, 0x3f800001, NX)
    OP2(6,  fadd.s, MONE, 0xb3800000, rne, MONE, NX)
    OP2(7,  fadd.s, MONE, 0xb3800000, rtz, MONE, NX)
    OP2(8,  fadd.s, MONE, 0xb3800000, rdn, 0xbf800001, NX)
    OP2(9,  fadd.s, MONE, 0xb3800000, rup, MONE, NX)
    OP2(10, fadd.s, MONE, 0xb3800000, rmm, 0xbf800001, NX)
    OP2(11, fadd.s, ONE, 0x33c00000, rne, 0x3f800001, NX)      /* 1 + 3/4 ulp */
    OP2(12, fadd.s, ONE, 0x33c00000, rtz, ONE, NX)
    TEST_FP_S(13, f0, 0x3f800001, NX, fsrmi 3; LD_S(f1, ONE); LD_S(f2, ULP24); fadd.s f0, f1, f2, dyn)
    TEST_FP_S(14, f0, ONE, NX, fsrmi 1; LD_S(f1, ONE); LD_S(f2, 0x33c00000); fadd.s f0, f1, f2, dyn; fsrmi 0)
    OP2(15, fadd.s, ONE, MONE, rne, PZERO, 0)                  /* x + -x = +0 ... */
    OP2(16, fadd.s, ONE, MONE, rdn, MZERO, 0)                  /* ... except -0 in RDN */
    OP2(17, fadd.s, MZERO, MZERO, rne, MZERO, 0)
    OP2(18, fadd.s, PINF, MINF, rne, CNAN, NV)
    OP2(19, fadd.s, SNAN, ONE, rne, CNAN, NV)
    OP2(20, fadd.s, QNANP, ONE, rne, CNAN, 0)                  /* canonical NaN, payload dropped */
    OP2(21, fadd.s, 0xffc00000, ONE, rne, CNAN, 0)
    OP2(22, fadd.s, MINS, MINS, rne, 0x00000002, 0)            /* subnormal + subnormal: exact */
    OP2(23, fadd.s, MAXF, 0x73800000, rne, PINF, OF|NX)        /* max + 2^104 (1 ulp) */
    /* fsub */
    OP2(24, fsub.s, ONE, ONE, rne, PZERO, 0)
    OP2(25, fsub.s, ONE, ONE, rdn, MZERO, 0)
    OP2(26, fsub.s, PINF, PINF, rne, CNAN, NV)
    OP2(27, fsub.s, THREE, HALF, rne, 0x40200000, 0)
    OP2(28, fsub.s, ONE, ULP24, rup, 0x3f7fffff, 0)                  /* 1 - 2^-24 exact below 1 */
    OP2(29, fsub.s, ONE, 0x33000000, rne, ONE, NX)             /* 1 - 2^-25: tie at 1-2^-24 | 1 -> even */
    /* fmul: (1+2^-23)^2 = 1 + 2^-22 + 2^-46; overflow in every mode */
    OP2(30, fmul.s, 0x3f800001, 0x3f800001, rne, 0x3f800002, NX)
    OP2(31, fmul.s, 0x3f800001, 0x3f800001, rup, 0x3f800003, NX)
    OP2(32, fmul.s, 0x3f800001, 0x3f800001, rtz, 0x3f800002, NX)
    OP2(33, fmul.s, MAXF, TWO, rne, PINF, OF|NX)
    OP2(34, fmul.s, MAXF, TWO, rtz, MAXF, OF|NX)
    OP2(35, fmul.s, MAXF, TWO, rdn, MAXF, OF|NX)
    OP2(36, fmul.s, MAXF, TWO, rup, PINF, OF|NX)
    OP2(37, fmul.s, MAXF, TWO, rmm, PINF, OF|NX)
    OP2(38, fmul.s, MMAXF, TWO, rne, MINF, OF|NX)
    OP2(39, fmul.s, MMAXF, TWO, rtz, MMAXF, OF|NX)
    OP2(40, fmul.s, MMAXF, TWO, rdn, MINF, OF|NX)
    OP2(41, fmul.s, MMAXF, TWO, rup, MMAXF, OF|NX)
    OP2(42, fmul.s, MMAXF, TWO, rmm, MINF, OF|NX)
    OP2(43, fmul.s, PINF, PZERO, rne, CNAN, NV)
    OP2(44, fmul.s, MZERO, THREE, rne, MZERO, 0)
    /* underflow: exact subnormal result raises nothing; 2^-150 is a tie between 0 and 2^-149 */
    OP2(45, fmul.s, MINN, HALF, rne, 0x00400000, 0)
    OP2(46, fmul.s, MINS, HALF, rne, PZERO, UF|NX)
    OP2(47, fmul.s, MINS, HALF, rtz, PZERO, UF|NX)
    OP2(48, fmul.s, MINS, HALF, rdn, PZERO, UF|NX)
    OP2(49, fmul.s, MINS, HALF, rup, MINS, UF|NX)
    OP2(50, fmul.s, MINS, HALF, rmm, MINS, UF|NX)
    OP2(51, fmul.s, 0x80000001, HALF, rdn, 0x80000001, UF|NX)
    /* tininess after rounding: 2^-126 * (1 - 2^-26) rounds (RNE) to 2^-126: not tiny,
     * no UF; in RTZ it stays below 2^-126: tiny and inexact, UF */
    OP2(52, fmul.s, 0x007ffc00, 0x3f800400, rne, MINN, NX)
    OP2(53, fmul.s, 0x007ffc00, 0x3f800400, rtz, 0x007fffff, UF|NX)
    /* fdiv: 1/3 in every mode; division by zero; 0/0 */
    OP2(54, fdiv.s, ONE, THREE, rne, 0x3eaaaaab, NX)
    OP2(55, fdiv.s, ONE, THREE, rtz, 0x3eaaaaaa, NX)
    OP2(56, fdiv.s, ONE, THREE, rdn, 0x3eaaaaaa, NX)
    OP2(57, fdiv.s, ONE, THREE, rup, 0x3eaaaaab, NX)
    OP2(58, fdiv.s, ONE, THREE, rmm, 0x3eaaaaab, NX)
    OP2(59, fdiv.s, MONE, THREE, rdn, 0xbeaaaaab, NX)
    OP2(60, fdiv.s, MONE, THREE, rup, 0xbeaaaaaa, NX)
    OP2(61, fdiv.s, ONE, PZERO, rne, PINF, DZ)
    OP2(62, fdiv.s, MONE, PZERO, rne, MINF, DZ)
    OP2(63, fdiv.s, ONE, MZERO, rne, MINF, DZ)
    OP2(64, fdiv.s, PZERO, PZERO, rne, CNAN, NV)
    OP2(65, fdiv.s, PINF, PINF, rne, CNAN, NV)
    OP2(66, fdiv.s, ONE, PINF, rne, PZERO, 0)
    TEST_FP_S(67, f0, 0x3eaaaaaa, NX, fsrmi 2; LD_S(f1, ONE); LD_S(f2, THREE); fdiv.s f0, f1, f2; fsrmi 0)
    /* fsqrt: sqrt(2) = 0x3fb504f3 + 0.2 ulp */
    OP1(68, fsqrt.s, 0x40800000, rne, TWO, 0)
    OP1(69, fsqrt.s, TWO, rne, 0x3fb504f3, NX)
    OP1(70, fsqrt.s, TWO, rtz, 0x3fb504f3, NX)
    OP1(71, fsqrt.s, TWO, rdn, 0x3fb504f3, NX)
    OP1(72, fsqrt.s, TWO, rup, 0x3fb504f4, NX)
    OP1(73, fsqrt.s, TWO, rmm, 0x3fb504f3, NX)
    OP1(74, fsqrt.s, MONE, rne, CNAN, NV)
    OP1(75, fsqrt.s, MZERO, rne, MZERO, 0)
    OP1(76, fsqrt.s, PINF, rne, PINF, 0)
    OP1(77, fsqrt.s, SNAN, rne, CNAN, NV)
    TEST_FP_S(78, f0, 0x3fb504f4, NX, fsrmi 3; LD_S(f1, TWO); fsqrt.s f0, f1; fsrmi 0)
    /* fused multiply-add: one rounding. (1+2^-12)^2 - 1 = 2^-11 + 2^-24 exactly
     * (a separate multiply would round to 2^-11) */
    OP3(79, fmadd.s,  0x3f800800, 0x3f800800, MONE, rne, 0x3a000400, 0)
    OP3(80, fmsub.s,  0x3f800800, 0x3f800800, ONE, rne, 0x3a000400, 0)
    OP3(81, fnmsub.s, 0x3f800800, 0x3f800800, ONE, rne, 0xba000400, 0)
    OP3(82, fnmadd.s, 0x3f800800, 0x3f800800, MONE, rne, 0xba000400, 0)
    OP3(83, fmadd.s,  0x3f800800, 0x3f800800, PZERO, rne, 0x3f801000, NX)   /* tie */
    OP3(84, fmadd.s,  0x3f800800, 0x3f800800, PZERO, rtz, 0x3f801000, NX)
    OP3(85, fmadd.s,  0x3f800800, 0x3f800800, PZERO, rdn, 0x3f801000, NX)
    OP3(86, fmadd.s,  0x3f800800, 0x3f800800, PZERO, rup, 0x3f801001, NX)
    OP3(87, fmadd.s,  0x3f800800, 0x3f800800, PZERO, rmm, 0x3f801001, NX)
    OP3(88, fnmadd.s, 0x3f800800, 0x3f800800, PZERO, rdn, 0xbf801001, NX)
    OP3(89, fnmadd.s, 0x3f800800, 0x3f800800, PZERO, rup, 0xbf801000, NX)
    OP3(90, fmsub.s,  0x3f800800, 0x3f800800, PZERO, rmm, 0x3f801001, NX)
    OP3(91, fnmsub.s, 0x3f800800, 0x3f800800, PZERO, rtz, 0xbf801000, NX)
    OP3(92, fmadd.s,  PINF, PZERO, CNAN, rne, CNAN, NV)       /* inf*0 + qNaN still NV */
    OP3(93, fmadd.s,  ONE, ONE, SNAN, rne, CNAN, NV)
    OP3(94, fmadd.s,  PINF, ONE, MINF, rne, CNAN, NV)
    OP3(95, fmadd.s,  ONE, MONE, ONE, rne, PZERO, 0)
    OP3(96, fmadd.s,  ONE, MONE, ONE, rdn, MZERO, 0)
    OP3(97, fmadd.s,  MAXF, TWO, MMAXF, rne, MAXF, 0)          /* no intermediate overflow */
    TEST_FP_S(98, f0, 0x3f801001, NX, fsrmi 4; LD_S(f1, 0x3f800800); LD_S(f3, PZERO); fmadd.s f0, f1, f1, f3; fsrmi 0)
    /* NaN-boxing: an f register whose upper 32 bits are not all ones reads as the canonical NaN */
    TEST_FP_S(99,  f0, CNAN, 0, li a1, ONE; fmv.d.x f1, a1; LD_S(f2, ONE); fadd.s f0, f1, f2)
    TEST_FP_S(100, f0, CNAN, 0, li a1, 0x7fffffff3f800000; fmv.d.x f1, a1; fmv.s f0, f1)
    TEST_FP_S(101, f0, 0xffc00000, 0, li a1, 0x3f800000; fmv.d.x f1, a1; fneg.s f0, f1)
    TEST_FP_INT(102, a0, 0, 0, li a1, ONE; fmv.d.x f1, a1; LD_S(f2, CNAN); feq.s a0, f1, f2)
    TEST_FP_INT(103, a0, 0, NV, li a1, ONE; fmv.d.x f1, a1; LD_S(f2, ONE); fle.s a0, f1, f2)
    TEST_FP_INT(104, a0, 512, 0, li a1, ONE; fmv.d.x f1, a1; fclass.s a0, f1)
    TEST_FP_INT(105, a0, 0x3f800000, 0, li a1, 0x123456783f800000; fmv.d.x f1, a1; fmv.x.w a0, f1)   /* fmv.x.w: raw low bits */
    TEST_FP_INT(106, a0, 0xffffffffbf800000, 0, li a1, 0xbf800000; fmv.d.x f1, a1; fmv.x.w a0, f1)   /* sign-extended */
    TEST_FP_S(107, f0, 0x7f800001, 0, li a1, 0x123456787f800001; fmv.w.x f0, a1)                     /* fmv.w.x boxes, keeps sNaN */
    TEST_FP_INT(108, a0, 0x3f800000, 0, la a2, fbuf; li a1, 0x000000003f800000; fmv.d.x f1, a1; fsw f1, 0(a2); lwu a0, 0(a2))  /* fsw: raw */
    TEST_FP_S(109, f0, SNAN, 0, la a2, fbuf; li a1, SNAN; sw a1, 0(a2); flw f0, 0(a2))                /* flw: boxes, keeps sNaN */
    TEST_FP_INT(110, a0, SNAN, 0, la a2, fbuf; flw f1, 0(a2); fsw f1, 4(a2); lwu a0, 4(a2))
    /* fmin / fmax */
    OP2N(111, fmin.s, MZERO, PZERO, MZERO, 0)
    OP2N(112, fmin.s, PZERO, MZERO, MZERO, 0)
    OP2N(113, fmax.s, MZERO, PZERO, PZERO, 0)
    OP2N(114, fmax.s, PZERO, MZERO, PZERO, 0)
    OP2N(115, fmin.s, CNAN, ONE, ONE, 0)
    OP2N(116, fmin.s, ONE, QNANP, ONE, 0)
    OP2N(117, fmax.s, SNAN, ONE, ONE, NV)
    OP2N(118, fmin.s, QNANP, CNAN, CNAN, 0)
    OP2N(119, fmax.s, SNAN, SNAN, CNAN, NV)
    OP2N(120, fmin.s, MINF, MAXF, MINF, 0)
    OP2N(121, fmax.s, MONE, 0xc0000000, MONE, 0)
    /* compares: feq is quiet (NV only for sNaN), flt/fle signal on any NaN */
    CMP(122, feq.s, ONE, ONE, 1, 0)
    CMP(123, feq.s, MZERO, PZERO, 1, 0)
    CMP(124, feq.s, CNAN, CNAN, 0, 0)
    CMP(125, feq.s, SNAN, ONE, 0, NV)
    CMP(126, flt.s, MZERO, PZERO, 0, 0)
    CMP(127, flt.s, MINF, PINF, 1, 0)
    CMP(128, flt.s, CNAN, ONE, 0, NV)
    CMP(129, flt.s, ONE, TWO, 1, 0)
    CMP(130, fle.s, MZERO, PZERO, 1, 0)
    CMP(131, fle.s, TWO, ONE, 0, 0)
    CMP(132, fle.s, ONE, QNANP, 0, NV)
    CMP(133, fle.s, SNAN, SNAN, 0, NV)
    /* fclass: all ten classes */
    CLASS(134, MINF, 1)
    CLASS(135, MONE, 2)
    CLASS(136, 0x807fffff, 4)
    CLASS(137, MZERO, 8)
    CLASS(138, PZERO, 16)
    CLASS(139, MINS, 32)
    CLASS(140, MINN, 64)
    CLASS(141, PINF, 128)
    CLASS(142, SNAN, 256)
    CLASS(143, CNAN, 512)
    CLASS(144, 0xffffffff, 512)
    /* fcvt to int: rounding, saturation, NV; 32-bit results sign-extended */
    CVTI(145, fcvt.w.s, 0x40200000, rne, 2, NX)
    CVTI(146, fcvt.w.s, 0x40200000, rmm, 3, NX)
    CVTI(147, fcvt.w.s, 0xc0200000, rdn, -3, NX)
    CVTI(148, fcvt.w.s, 0xc0200000, rup, -2, NX)
    CVTI(149, fcvt.w.s, 0xc0200000, rtz, -2, NX)
    CVTI(150, fcvt.w.s, 0xc0200000, rne, -2, NX)
    CVTI(151, fcvt.w.s, ONE, rne, 1, 0)
    CVTI(152, fcvt.w.s, CNAN, rne, 0x7fffffff, NV)
    CVTI(153, fcvt.w.s, PINF, rne, 0x7fffffff, NV)
    CVTI(154, fcvt.w.s, MINF, rne, 0xffffffff80000000, NV)
    CVTI(155, fcvt.w.s, 0x4f32d05e, rne, 0x7fffffff, NV)          /* 3e9 */
    CVTI(156, fcvt.w.s, 0xcf000000, rne, 0xffffffff80000000, 0)    /* -2^31 fits */
    CVTI(157, fcvt.w.s, 0x4f000000, rne, 0x7fffffff, NV)           /* 2^31 does not */
    CVTI(158, fcvt.wu.s, 0x4f32d05e, rne, 0xffffffffb2d05e00, 0)   /* 3e9, sign-extended */
    CVTI(159, fcvt.wu.s, MONE, rne, 0, NV)
    CVTI(160, fcvt.wu.s, 0xbf000000, rtz, 0, NX)                  /* -0.5 rounds to 0: in range */
    CVTI(161, fcvt.wu.s, CNAN, rne, -1, NV)
    CVTI(162, fcvt.wu.s, PINF, rne, -1, NV)
    CVTI(163, fcvt.wu.s, MINF, rne, 0, NV)
    CVTI(164, fcvt.l.s, 0x501502f9, rne, 10000000000, 0)          /* 1e10 = 2^10 * 5^10, exact */
    CVTI(165, fcvt.l.s, CNAN, rne, 0x7fffffffffffffff, NV)
    CVTI(166, fcvt.l.s, MINF, rne, 0x8000000000000000, NV)
    CVTI(167, fcvt.l.s, 0x5f000000, rne, 0x7fffffffffffffff, NV)  /* 2^63 */
    CVTI(168, fcvt.l.s, 0xdf000000, rne, 0x8000000000000000, 0)   /* -2^63 fits */
    CVTI(169, fcvt.l.s, 0xbfc00000, rmm, -2, NX)
    CVTI(170, fcvt.lu.s, 0x5f800000, rne, -1, NV)                 /* 2^64 */
    CVTI(171, fcvt.lu.s, 0x5f000000, rne, 0x8000000000000000, 0)
    CVTI(172, fcvt.lu.s, MONE, rne, 0, NV)
    CVTI(173, fcvt.lu.s, CNAN, rne, -1, NV)
    CVTI(174, fcvt.lu.s, 0x3fc00000, rup, 2, NX)
    TEST_FP_INT(175, a0, 2, NX, fsrmi 1; LD_S(f1, 0x40300000); fcvt.w.s a0, f1; fsrmi 0)   /* 2.75 rtz via frm */
    /* fcvt from int: rounding of large integers; only the low 32 bits of rs1 for .w/.wu */
    CVTF(176, fcvt.s.w, 0x7fffffff, rne, 0x4f000000, NX)
    CVTF(177, fcvt.s.w, 0x7fffffff, rtz, 0x4effffff, NX)
    CVTF(178, fcvt.s.w, 0x80000000, rne, 0xcf000000, 0)
    CVTF(179, fcvt.s.w, 0x100000001, rne, ONE, 0)
    CVTF(180, fcvt.s.w, 0, rne, PZERO, 0)
    CVTF(181, fcvt.s.wu, 0xffffffff, rne, 0x4f800000, NX)
    CVTF(182, fcvt.s.wu, 0xffffffff, rdn, 0x4f7fffff, NX)
    CVTF(183, fcvt.s.wu, 0xffffffff00000003, rne, 0x40400000, 0)
    CVTF(184, fcvt.s.l, 0x7fffffffffffffff, rne, 0x5f000000, NX)
    CVTF(185, fcvt.s.l, 0x8000000000000000, rne, 0xdf000000, 0)
    CVTF(186, fcvt.s.l, -3, rne, 0xc0400000, 0)
    CVTF(187, fcvt.s.lu, -1, rne, 0x5f800000, NX)
    CVTF(188, fcvt.s.lu, -1, rtz, 0x5f7fffff, NX)
    CVTF(189, fcvt.s.l, 0x1000001, rne, 0x4b800000, NX)            /* 2^24+1: tie to even */
    CVTF(190, fcvt.s.l, 0x1000001, rup, 0x4b800001, NX)
    /* sign injection: no flags, NaN payloads kept */
    OP2N(191, fsgnj.s,  ONE, MZERO, MONE, 0)
    OP2N(192, fsgnj.s,  MONE, PZERO, ONE, 0)
    OP2N(193, fsgnjn.s, ONE, MZERO, ONE, 0)
    OP2N(194, fsgnjn.s, SNAN, SNAN, 0xff800001, 0)
    OP2N(195, fsgnjx.s, MONE, MONE, ONE, 0)
    OP2N(196, fsgnjx.s, ONE, MONE, MONE, 0)
    OP2N(197, fsgnjx.s, QNANP, ONE, QNANP, 0)
    /* fcsr: fflags accumulate; frm; reserved bits read as zero */
    TEST_FP_INT(198, a0, NX|DZ, NX|DZ, LD_S(f1, ONE); LD_S(f2, THREE); LD_S(f3, PZERO); fdiv.s f0, f1, f2; fdiv.s f0, f1, f3; frflags a0)
    TEST_CASE(199, a0, 0xff, li a1, 0x3ff; fscsr a1; frcsr a0)
    TEST_CASE(200, a0, 7, frrm a0)
    TEST_CASE(201, a0, 0x1f, frflags a0)
    TEST_CASE(202, a0, 0xe0, li a1, 0xff; fscsr a0, a1; fsflagsi 0; frcsr a0)  /* fsflagsi 0 leaves frm */
    TEST_CASE(203, a0, 0x02, fsrmi a0, 2; csrr a0, frm)
    TEST_CASE(204, a0, 0x40, csrr a0, fcsr)
    TEST_CASE(205, a0, 0, fsrmi 0; csrwi fflags, 0x1f; csrwi fflags, 0; csrr a0, fcsr)
    /* reserved rounding modes: illegal instruction (mcause 2) */
    TEST_TRAP(206, 2, fsrmi 5; fadd.s f0, f1, f2, dyn)
    TEST_TRAP(207, 2, fsrmi 7; fmul.s f0, f1, f2, dyn)
    TEST_TRAP(208, 2, fsrmi 0; .word 0x00208053 | (5 << 12))   /* fadd.s f0, f1, f2 with rm = 5 */
    TEST_TRAP(209, 2, .word 0x00208053 | (6 << 12))            /* rm = 6 */
    TEST_CASE(210, a0, 0, csrr a0, frm)
    /* mstatus.FS = Off makes every F instruction illegal; FS becomes Dirty after a write */
    TEST_TRAP(211, 2, li a1, MSTATUS_FS; csrc mstatus, a1; fadd.s f0, f1, f2)
    TEST_TRAP(212, 2, frcsr a0)
    TEST_CASE(213, a0, 3 << 13, li a1, MSTATUS_FS_INITIAL; csrs mstatus, a1; fmv.w.x f0, zero; csrr a0, mstatus; li a1, MSTATUS_FS; and a0, a0, a1)
    TEST_CASE(214, a0, 1, csrr a0, mstatus; srli a0, a0, 63)   /* SD summarises FS = Dirty */
    TEST_PASS

    .data
    .balign 8
fbuf: .dword 0
