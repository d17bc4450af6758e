/* rv64ud: every D instruction (double precision, "D" Standard Extension) plus the
 * conversions between single and double. Same rules as rv64uf: fflags cleared before
 * each case and compared exactly; canonical NaN 0x7ff8000000000000; tininess after
 * rounding; fcvt saturation with NV. */
#include "test.h"

#define ONE    0x3ff0000000000000
#define MONE   0xbff0000000000000
#define TWO    0x4000000000000000
#define THREE  0x4008000000000000
#define HALF   0x3fe0000000000000
#define PINF   0x7ff0000000000000
#define MINF   0xfff0000000000000
#define CNAN   0x7ff8000000000000
#define QNANP  0x7ff8000000012345
#define SNAN   0x7ff0000000000001
#define MAXD   0x7fefffffffffffff
#define MMAXD  0xffefffffffffffff
#define MINN   0x0010000000000000
#define MINS   0x0000000000000001
#define PZERO  0
#define MZERO  0x8000000000000000
#define ULP53  0x3ca0000000000000       /* 2^-53: half an ulp of 1.0 */
#define A26    0x3ff0000004000000       /* 1 + 2^-26 */
#define A27    0x3ff0000002000000       /* 1 + 2^-27 */

#define OP2(n, op, a, b, rm, res, fl)    TEST_FP_D(n, f0, res, fl, LD_D(f1, a); LD_D(f2, b); op f0, f1, f2, rm)
#define OP2N(n, op, a, b, res, fl)       TEST_FP_D(n, f0, res, fl, LD_D(f1, a); LD_D(f2, b); op f0, f1, f2)
#define OP1(n, op, a, rm, res, fl)       TEST_FP_D(n, f0, res, fl, LD_D(f1, a); op f0, f1, rm)
#define OP3(n, op, a, b, c, rm, res, fl) TEST_FP_D(n, f0, res, fl, LD_D(f1, a); LD_D(f2, b); LD_D(f3, c); op f0, f1, f2, f3, rm)
#define CMP(n, op, a, b, res, fl)        TEST_FP_INT(n, a0, res, fl, LD_D(f1, a); LD_D(f2, b); op a0, f1, f2)
#define CVTI(n, op, a, rm, res, fl)      TEST_FP_INT(n, a0, res, fl, LD_D(f1, a); op a0, f1, rm)
#define CVTF(n, op, a, rm, res, fl)      TEST_FP_D(n, f0, res, fl, li a1, a; op f0, a1, rm)
#define CLASS(n, a, res)                 TEST_FP_INT(n, a0, res, 0, LD_D(f1, a); fclass.d a0, f1)

TEST_BEGIN
    /* fadd: tie 1 + 2^-53 in every mode, dyn */
    OP2(1,  fadd.d, ONE, ULP53, rne, ONE, NX)
    OP2(2,  fadd.d, ONE, ULP53, rtz, ONE, NX)
    OP2(3,  fadd.d, ONE, ULP53, rdn, ONE, NX)
    OP2(4,  fadd.d, ONE, ULP53, rup, 0x3ff0000000000001, NX)
    OP2(5,  fadd.d, ONE, ULP53, rmm, 0x3ff0000000000001, NX)
    OP2(6,  fadd.d, MONE, 0xbca0000000000000, rne, MONE, NX)
    OP2(7,  fadd.d, MONE, 0xbca0000000000000, rtz, MONE, NX)
    OP2(8,  fadd.d, MONE, 0xbca0000000000000, rdn, 0xbff0000000000001, NX)
    OP2(9,  fadd.d, MONE, 0xbca0000000000000, rup, MONE, NX)
    OP2(10, fadd.d, MONE, 0xbca0000000000000, rmm, 0xbff0000000000001, NX)
    OP2(11, fadd.d, ONE, 0x3ca8000000000000, rne, 0x3ff0000000000001, NX)
    TEST_FP_D(12, f0, 0x3ff0000000000001, NX, fsrmi 3; LD_D(f1, ONE); LD_D(f2, ULP53); fadd.d f0, f1, f2; fsrmi 0)
    OP2(13, fadd.d, ONE, MONE, rne, PZERO, 0)
    OP2(14, fadd.d, ONE, MONE, rdn, MZERO, 0)
    OP2(15, fadd.d, PINF, MINF, rne, CNAN, NV)
    OP2(16, fadd.d, SNAN, ONE, rne, CNAN, NV)
    OP2(17, fadd.d, QNANP, ONE, rne, CNAN, 0)
    OP2(18, fadd.d, MINS, MINS, rne, 2, 0)
    OP2(19, fadd.d, MAXD, 0x7ca0000000000000, rne, PINF, OF|NX)     /* max + 1 ulp */
    TEST_FP_D(20, f0, CNAN, 0, LD_S(f1, 0x3f800000); fadd.d f0, f1, f1)   /* a boxed single is a qNaN as double */
    /* fsub */
    OP2(21, fsub.d, ONE, ONE, rne, PZERO, 0)
    OP2(22, fsub.d, ONE, ONE, rdn, MZERO, 0)
    OP2(23, fsub.d, PINF, PINF, rne, CNAN, NV)
    OP2(24, fsub.d, THREE, HALF, rne, 0x4004000000000000, 0)
    /* fmul */
    OP2(25, fmul.d, 0x3ff0000000000001, 0x3ff0000000000001, rne, 0x3ff0000000000002, NX)
    OP2(26, fmul.d, 0x3ff0000000000001, 0x3ff0000000000001, rup, 0x3ff0000000000003, NX)
    OP2(27, fmul.d, A26, A27, rne, 0x3ff0000006000000, NX)         /* tie, to even */
    OP2(28, fmul.d, A26, A27, rmm, 0x3ff0000006000001, NX)
    OP2(29, fmul.d, MAXD, TWO, rne, PINF, OF|NX)
    OP2(30, fmul.d, MAXD, TWO, rtz, MAXD, OF|NX)
    OP2(31, fmul.d, MAXD, TWO, rdn, MAXD, OF|NX)
    OP2(32, fmul.d, MAXD, TWO, rup, PINF, OF|NX)
    OP2(33, fmul.d, MAXD, TWO, rmm, PINF, OF|NX)
    OP2(34, fmul.d, MMAXD, TWO, rne, MINF, OF|NX)
    OP2(35, fmul.d, MMAXD, TWO, rtz, MMAXD, OF|NX)
    OP2(36, fmul.d, MMAXD, TWO, rdn, MINF, OF|NX)
    OP2(37, fmul.d, MMAXD, TWO, rup, MMAXD, OF|NX)
    OP2(38, fmul.d, MMAXD, TWO, rmm, MINF, OF|NX)
    OP2(39, fmul.d, PINF, MZERO, rne, CNAN, NV)
    /* underflow */
    OP2(40, fmul.d, MINN, HALF, rne, 0x0008000000000000, 0)
    OP2(41, fmul.d, MINS, HALF, rne, PZERO, UF|NX)
    OP2(42, fmul.d, MINS, HALF, rtz, PZERO, UF|NX)
    OP2(43, fmul.d, MINS, HALF, rdn, PZERO, UF|NX)
    OP2(44, fmul.d, MINS, HALF, rup, MINS, UF|NX)
    OP2(45, fmul.d, MINS, HALF, rmm, MINS, UF|NX)
    OP2(46, fmul.d, 0x8000000000000001, HALF, rdn, 0x8000000000000001, UF|NX)
    OP2(47, fmul.d, 0x000ffffffe000000, A27, rne, MINN, NX)                 /* not tiny after rounding */
    OP2(48, fmul.d, 0x000ffffffe000000, A27, rtz, 0x000fffffffffffff, UF|NX)
    /* fdiv */
    OP2(49, fdiv.d, ONE, THREE, rne, 0x3fd5555555555555, NX)
    OP2(50, fdiv.d, ONE, THREE, rtz, 0x3fd5555555555555, NX)
    OP2(51, fdiv.d, ONE, THREE, rdn, 0x3fd5555555555555, NX)
    OP2(52, fdiv.d, ONE, THREE, rup, 0x3fd5555555555556, NX)
    OP2(53, fdiv.d, ONE, THREE, rmm, 0x3fd5555555555555, NX)
    OP2(54, fdiv.d, MONE, THREE, rdn, 0xbfd5555555555556, NX)
    OP2(55, fdiv.d, MONE, THREE, rup, 0xbfd5555555555555, NX)
    OP2(56, fdiv.d, ONE, PZERO, rne, PINF, DZ)
    OP2(57, fdiv.d, ONE, MZERO, rne, MINF, DZ)
    OP2(58, fdiv.d, PZERO, PZERO, rne, CNAN, NV)
    OP2(59, fdiv.d, MINF, PINF, rne, CNAN, NV)
    TEST_FP_D(60, f0, 0x3fd5555555555556, NX, fsrmi 3; LD_D(f1, ONE); LD_D(f2, THREE); fdiv.d f0, f1, f2; fsrmi 0)
    /* fsqrt: sqrt(2) = 0x3ff6a09e667f3bcd - 0.44 ulp */
    OP1(61, fsqrt.d, 0x4010000000000000, rne, TWO, 0)
    OP1(62, fsqrt.d, TWO, rne, 0x3ff6a09e667f3bcd, NX)
    OP1(63, fsqrt.d, TWO, rtz, 0x3ff6a09e667f3bcc, NX)
    OP1(64, fsqrt.d, TWO, rdn, 0x3ff6a09e667f3bcc, NX)
    OP1(65, fsqrt.d, TWO, rup, 0x3ff6a09e667f3bcd, NX)
    OP1(66, fsqrt.d, TWO, rmm, 0x3ff6a09e667f3bcd, NX)
    OP1(67, fsqrt.d, MONE, rne, CNAN, NV)
    OP1(68, fsqrt.d, MZERO, rne, MZERO, 0)
    OP1(69, fsqrt.d, SNAN, rne, CNAN, NV)
    TEST_FP_D(70, f0, 0x3ff6a09e667f3bcc, NX, fsrmi 2; LD_D(f1, TWO); fsqrt.d f0, f1; fsrmi 0)
    /* fused multiply-add: (1+2^-26)(1+2^-27) - 1 = 3*2^-27 + 2^-53 exactly */
    OP3(71, fmadd.d,  A26, A27, MONE, rne, 0x3e58000002000000, 0)
    OP3(72, fmsub.d,  A26, A27, ONE, rne, 0x3e58000002000000, 0)
    OP3(73, fnmsub.d, A26, A27, ONE, rne, 0xbe58000002000000, 0)
    OP3(74, fnmadd.d, A26, A27, MONE, rne, 0xbe58000002000000, 0)
    OP3(75, fmadd.d,  A26, A27, PZERO, rne, 0x3ff0000006000000, NX)
    OP3(76, fmadd.d,  A26, A27, PZERO, rtz, 0x3ff0000006000000, NX)
    OP3(77, fmadd.d,  A26, A27, PZERO, rdn, 0x3ff0000006000000, NX)
    OP3(78, fmadd.d,  A26, A27, PZERO, rup, 0x3ff0000006000001, NX)
    OP3(79, fmadd.d,  A26, A27, PZERO, rmm, 0x3ff0000006000001, NX)
    OP3(80, fnmadd.d, A26, A27, PZERO, rdn, 0xbff0000006000001, NX)
    OP3(81, fnmsub.d, A26, A27, PZERO, rup, 0xbff0000006000000, NX)
    OP3(82, fmadd.d,  PINF, PZERO, CNAN, rne, CNAN, NV)
    OP3(83, fmadd.d,  ONE, ONE, SNAN, rne, CNAN, NV)
    OP3(84, fmsub.d,  PINF, ONE, PINF, rne, CNAN, NV)
    OP3(85, fmadd.d,  ONE, MONE, ONE, rdn, MZERO, 0)
    OP3(86, fmadd.d,  MAXD, TWO, MMAXD, rne, MAXD, 0)
    TEST_FP_D(87, f0, 0x3ff0000006000001, NX, fsrmi 4; LD_D(f1, A26); LD_D(f2, A27); LD_D(f3, PZERO); fmadd.d f0, f1, f2, f3; fsrmi 0)
    /* fmin / fmax / compares */
    OP2N(88, fmin.d, MZERO, PZERO, MZERO, 0)
    OP2N(89, fmin.d, PZERO, MZERO, MZERO, 0)
    OP2N(90, fmax.d, MZERO, PZERO, PZERO, 0)
    OP2N(91, fmax.d, PZERO, MZERO, PZERO, 0)
    OP2N(92, fmin.d, CNAN, ONE, ONE, 0)
    OP2N(93, fmax.d, ONE, SNAN, ONE, NV)
    OP2N(94, fmin.d, QNANP, QNANP, CNAN, 0)
    OP2N(95, fmax.d, SNAN, QNANP, CNAN, NV)
    OP2N(96, fmax.d, MINF, MMAXD, MMAXD, 0)
    CMP(97,  feq.d, ONE, ONE, 1, 0)
    CMP(98,  feq.d, MZERO, PZERO, 1, 0)
    CMP(99,  feq.d, QNANP, QNANP, 0, 0)
    CMP(100, feq.d, ONE, SNAN, 0, NV)
    CMP(101, flt.d, MZERO, PZERO, 0, 0)
    CMP(102, flt.d, MINF, MMAXD, 1, 0)
    CMP(103, flt.d, CNAN, ONE, 0, NV)
    CMP(104, fle.d, PZERO, MZERO, 1, 0)
    CMP(105, fle.d, TWO, ONE, 0, 0)
    CMP(106, fle.d, ONE, CNAN, 0, NV)
    /* fclass */
    CLASS(107, MINF, 1)
    CLASS(108, MONE, 2)
    CLASS(109, 0x800fffffffffffff, 4)
    CLASS(110, MZERO, 8)
    CLASS(111, PZERO, 16)
    CLASS(112, MINS, 32)
    CLASS(113, MINN, 64)
    CLASS(114, PINF, 128)
    CLASS(115, SNAN, 256)
    CLASS(116, CNAN, 512)
    /* fcvt to int */
    CVTI(117, fcvt.w.d, 0x41dfffffffc00000, rne, 0x7fffffff, 0)              /* 2^31-1 */
    CVTI(118, fcvt.w.d, 0x41dfffffffe00000, rne, 0x7fffffff, NV)             /* 2^31-0.5 rounds out of range */
    CVTI(119, fcvt.w.d, 0x41dfffffffe00000, rtz, 0x7fffffff, NX)
    CVTI(120, fcvt.w.d, 0xc1e0000000100000, rtz, 0xffffffff80000000, NX)     /* -2^31-0.5 */
    CVTI(121, fcvt.w.d, 0xc1e0000000100000, rne, 0xffffffff80000000, NX)
    CVTI(122, fcvt.w.d, 0xc1e0000000100000, rdn, 0xffffffff80000000, NV)
    CVTI(123, fcvt.w.d, CNAN, rne, 0x7fffffff, NV)
    CVTI(124, fcvt.w.d, MINF, rne, 0xffffffff80000000, NV)
    CVTI(125, fcvt.w.d, 0xc004000000000000, rmm, -3, NX)                     /* -2.5 */
    CVTI(126, fcvt.wu.d, 0x41efffffffe00000, rne, -1, 0)                     /* 2^32-1, sign-extended */
    CVTI(127, fcvt.wu.d, 0x41f0000000000000, rne, -1, NV)                    /* 2^32 */
    CVTI(128, fcvt.wu.d, MONE, rne, 0, NV)
    CVTI(129, fcvt.wu.d, 0xbfe0000000000000, rtz, 0, NX)                     /* -0.5 -> 0 */
    CVTI(130, fcvt.wu.d, SNAN, rne, -1, NV)
    CVTI(131, fcvt.l.d, 0x43e0000000000000, rne, 0x7fffffffffffffff, NV)     /* 2^63 */
    CVTI(132, fcvt.l.d, 0xc3e0000000000000, rne, 0x8000000000000000, 0)
    CVTI(133, fcvt.l.d, CNAN, rne, 0x7fffffffffffffff, NV)
    CVTI(134, fcvt.l.d, MINF, rne, 0x8000000000000000, NV)
    CVTI(135, fcvt.l.d, PINF, rne, 0x7fffffffffffffff, NV)
    CVTI(136, fcvt.l.d, 0x4004000000000000, rne, 2, NX)
    CVTI(137, fcvt.l.d, 0x4004000000000000, rup, 3, NX)
    CVTI(138, fcvt.lu.d, 0x43f0000000000000, rne, -1, NV)                    /* 2^64 */
    CVTI(139, fcvt.lu.d, 0x43efffffffffffff, rne, 0xfffffffffffff800, 0)
    CVTI(140, fcvt.lu.d, MONE, rne, 0, NV)
    CVTI(141, fcvt.lu.d, CNAN, rne, -1, NV)
    CVTI(142, fcvt.lu.d, 0xbfe0000000000000, rup, 0, NX)                     /* -0.5 -> -0 */
    /* fcvt from int */
    CVTF(143, fcvt.d.l, 0x7fffffffffffffff, rne, 0x43e0000000000000, NX)
    CVTF(144, fcvt.d.l, 0x7fffffffffffffff, rtz, 0x43dfffffffffffff, NX)
    CVTF(145, fcvt.d.l, 0x8000000000000000, rne, 0xc3e0000000000000, 0)
    CVTF(146, fcvt.d.l, 0x20000000000001, rne, 0x4340000000000000, NX)        /* 2^53+1: tie to even */
    CVTF(147, fcvt.d.l, 0x20000000000001, rup, 0x4340000000000001, NX)
    CVTF(148, fcvt.d.lu, -1, rne, 0x43f0000000000000, NX)
    CVTF(149, fcvt.d.lu, -1, rdn, 0x43efffffffffffff, NX)
    TEST_FP_D(150, f0, 0xc1e0000000000000, 0, li a1, 0x80000000; fcvt.d.w f0, a1)
    TEST_FP_D(151, f0, 0x4008000000000000, 0, li a1, 0x100000003; fcvt.d.w f0, a1)
    TEST_FP_D(152, f0, 0x41efffffffe00000, 0, li a1, 0xffffffff; fcvt.d.wu f0, a1)
    TEST_FP_D(153, f0, 0, 0, li a1, 0x7fffffff00000000; fcvt.d.wu f0, a1)
    /* fcvt.s.d / fcvt.d.s */
    TEST_FP_S(154, f0, 0x3eaaaaab, NX, LD_D(f1, 0x3fd5555555555555); fcvt.s.d f0, f1, rne)
    TEST_FP_S(155, f0, 0x3eaaaaaa, NX, LD_D(f1, 0x3fd5555555555555); fcvt.s.d f0, f1, rtz)
    TEST_FP_S(156, f0, 0x7f800000, OF|NX, LD_D(f1, MAXD); fcvt.s.d f0, f1, rne)
    TEST_FP_S(157, f0, 0x7f7fffff, OF|NX, LD_D(f1, MAXD); fcvt.s.d f0, f1, rtz)
    TEST_FP_S(158, f0, 0xff800000, OF|NX, LD_D(f1, MMAXD); fcvt.s.d f0, f1, rmm)
    TEST_FP_S(159, f0, 0x7fc00000, NV, LD_D(f1, SNAN); fcvt.s.d f0, f1)
    TEST_FP_S(160, f0, 0x7fc00000, 0, LD_D(f1, QNANP); fcvt.s.d f0, f1)
    TEST_FP_S(161, f0, 0x00000000, UF|NX, LD_D(f1, 0x3690000000000000); fcvt.s.d f0, f1, rne)   /* 2^-150 */
    TEST_FP_S(162, f0, 0x00000001, UF|NX, LD_D(f1, 0x3690000000000000); fcvt.s.d f0, f1, rup)
    TEST_FP_S(163, f0, 0x00400000, 0, LD_D(f1, 0x3800000000000000); fcvt.s.d f0, f1)            /* 2^-127 exact */
    TEST_FP_S(164, f0, 0x80000000, 0, LD_D(f1, MZERO); fcvt.s.d f0, f1)
    TEST_FP_D(165, f0, 0x36a0000000000000, 0, LD_S(f1, 0x00000001); fcvt.d.s f0, f1)           /* 2^-149 */
    TEST_FP_D(166, f0, CNAN, NV, LD_S(f1, 0x7f800001); fcvt.d.s f0, f1)
    TEST_FP_D(167, f0, CNAN, 0, LD_S(f1, 0x7fc12345); fcvt.d.s f0, f1)
    TEST_FP_D(168, f0, CNAN, 0, LD_D(f1, 0x000000003f800000); fcvt.d.s f0, f1)                /* not NaN-boxed */
    TEST_FP_D(169, f0, 0xbff8000000000000, 0, LD_S(f1, 0xbfc00000); fcvt.d.s f0, f1)
    TEST_FP_D(170, f0, MINF, 0, LD_S(f1, 0xff800000); fcvt.d.s f0, f1)
    /* sign injection, moves, loads/stores keep bits (sNaN included), no flags */
    OP2N(171, fsgnj.d,  ONE, MZERO, MONE, 0)
    OP2N(172, fsgnjn.d, ONE, MZERO, ONE, 0)
    OP2N(173, fsgnjn.d, SNAN, SNAN, 0xfff0000000000001, 0)
    OP2N(174, fsgnjx.d, MONE, MONE, ONE, 0)
    OP2N(175, fsgnjx.d, QNANP, MONE, 0xfff8000000012345, 0)
    TEST_FP_INT(176, a0, SNAN, 0, LD_D(f1, SNAN); fmv.x.d a0, f1)
    TEST_FP_D(177, f0, SNAN, 0, la a2, dbuf; li a1, SNAN; sd a1, 0(a2); fld f0, 0(a2))
    TEST_FP_INT(178, a0, 0xfff0000000000001, 0, la a2, dbuf; LD_D(f1, 0xfff0000000000001); fsd f1, 8(a2); ld a0, 8(a2))
    TEST_FP_INT(179, a0, 0xffffffff3f800000, 0, la a2, dbuf; LD_S(f1, 0x3f800000); fsd f1, 8(a2); ld a0, 8(a2))  /* the box is stored */
    TEST_FP_D(180, f0, 0x3f800000, 0, la a2, dbuf; li a1, 0x3f800000; sd a1, 0(a2); fld f0, 0(a2))          /* fld: no boxing */
    TEST_PASS

    .data
    .balign 8
dbuf: .dword 0, 0
