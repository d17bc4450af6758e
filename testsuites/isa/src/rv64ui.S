/* rv64ui: every RV64I instruction (unprivileged spec, chapters "RV32I" and "RV64I").
 * Results are checked against values derived from the spec text. */
#include "test.h"

#define RR(n, op, a, b, res)   TEST_CASE(n, a0, res, li a1, a; li a2, b; op a0, a1, a2)
#define RI(n, op, a, imm, res) TEST_CASE(n, a0, res, li a1, a; op a0, a1, imm)
/* branch forward: a0 = 5 when taken, 9 when not */
#define BR_F(n, op, a, b, taken) \
    TEST_CASE(n, a0, (9 - 4 * (taken)), li a0, 5; li a1, a; li a2, b; op a1, a2, 1f; li a0, 9; 1:)
/* branch backward: a0 = 7 when taken, 9 when not */
#define BR_B(n, op, a, b, taken) \
    TEST_CASE(n, a0, (9 - 2 * (taken)), li a0, 5; li a1, a; li a2, b; j 2f; 1: li a0, 7; j 3f; 2: op a1, a2, 1b; li a0, 9; 3:)

    .option norvc
TEST_BEGIN
    /* add / sub / addi: wraparound modulo 2^64 */
    RR(1,  add, 1, 2, 3)
    RR(2,  add, 0x7fffffffffffffff, 1, 0x8000000000000000)
    RR(3,  add, -1, 1, 0)
    RR(4,  add, 0x8000000000000000, 0x8000000000000000, 0)
    RR(5,  sub, 3, 5, 0xfffffffffffffffe)
    RR(6,  sub, 0x8000000000000000, 1, 0x7fffffffffffffff)
    RR(7,  sub, 0, 0x8000000000000000, 0x8000000000000000)
    RI(8,  addi, 0x7fffffffffffffff, 1, 0x8000000000000000)
    RI(9,  addi, 0, -2048, 0xfffffffffffff800)
    RI(10, addi, 1, 2047, 2048)
    /* slt / sltu / slti / sltiu: signedness */
    RR(11, slt, -1, 1, 1)
    RR(12, slt, 1, -1, 0)
    RR(13, slt, 5, 5, 0)
    RR(14, slt, 0x8000000000000000, 0x7fffffffffffffff, 1)
    RR(15, sltu, -1, 1, 0)
    RR(16, sltu, 1, -1, 1)
    RR(17, sltu, 0, 0, 0)
    RI(18, slti, -1, 0, 1)
    RI(19, slti, 0, -1, 0)
    RI(20, sltiu, 5, -1, 1)          /* imm sign-extends to 2^64-1, then unsigned */
    RI(21, sltiu, 0, 1, 1)           /* seqz */
    RI(22, sltiu, -1, -1, 0)
    /* logic */
    RR(23, and, 0xff00ff00ff00ff00, 0x0ff00ff00ff00ff0, 0x0f000f000f000f00)
    RR(24, or,  0xff00ff00ff00ff00, 0x0ff00ff00ff00ff0, 0xfff0fff0fff0fff0)
    RR(25, xor, 0xff00ff00ff00ff00, 0x0ff00ff00ff00ff0, 0xf0f0f0f0f0f0f0f0)
    RI(26, andi, 0x123456789abcdef7, -16, 0x123456789abcdef0)
    RI(27, andi, 0x123456789abcdef7, 0x7ff, 0x6f7)
    RI(28, ori,  0x1200, -2048, 0xfffffffffffffa00)
    RI(29, xori, 0x00ff00ff00ff00ff, -1, 0xff00ff00ff00ff00)
    RI(30, xori, 0x00ff00ff00ff00ff, 0x0f0, 0x00ff00ff00ff000f)
    /* shifts: 6-bit amounts, rs2 masked */
    RR(31, sll, 1, 63, 0x8000000000000000)
    RR(32, sll, 1, 68, 16)           /* 64 + 4 */
    RR(33, sll, 3, -1, 0x8000000000000000)
    RR(34, srl, 0x8000000000000000, 63, 1)
    RR(35, srl, 0x8000000000000000, 65, 0x4000000000000000)
    RR(36, sra, 0x8000000000000000, 63, -1)
    RR(37, sra, 0x8000000000000000, 65, 0xc000000000000000)
    RR(38, sra, 0x7fffffffffffffff, 62, 1)
    RI(39, slli, 0x00000000ffffffff, 32, 0xffffffff00000000)
    RI(40, slli, 5, 0, 5)
    RI(41, srli, 0xf000000000000000, 60, 0xf)
    RI(42, srai, 0xf000000000000000, 60, -1)
    RI(43, srai, 0x8000000000000000, 0, 0x8000000000000000)
    /* W forms: 32-bit operation, result sign-extended */
    RR(44, addw, 0x7fffffff, 1, 0xffffffff80000000)
    RR(45, addw, 0xffffffff, 1, 0)
    RR(46, addw, 0x1234567800000001, 0x0000000100000002, 3)
    RR(47, subw, 0, 0x80000000, 0xffffffff80000000)
    RR(48, subw, 1, 2, -1)
    RI(49, addiw, 0x7fffffff, 1, 0xffffffff80000000)
    RI(50, addiw, 0x00000000ffffffff, 0, -1)        /* sext.w */
    RI(51, addiw, 0x7fffffff00000000, -1, -1)
    RR(52, sllw, 1, 31, 0xffffffff80000000)
    RR(53, sllw, 1, 33, 2)                          /* amount masked to 5 bits */
    RR(54, srlw, 0xffffffff80000000, 31, 1)
    RR(55, srlw, 0x80000000, 0, 0xffffffff80000000)  /* srlw by 0 still sign-extends */
    RR(56, srlw, 0x80000000, 33, 0x40000000)
    RR(57, sraw, 0x80000000, 31, -1)
    RR(58, sraw, 0x80000000, 1, 0xffffffffc0000000)
    RR(59, sraw, 0xffffffff7fffffff, 33, 0x3fffffff)
    RI(60, slliw, 1, 31, 0xffffffff80000000)
    RI(61, slliw, 0xffffffff00000001, 0, 1)
    RI(62, srliw, -1, 1, 0x7fffffff)
    RI(63, srliw, 0x80000000, 0, 0xffffffff80000000)
    RI(64, sraiw, 0x80000000, 4, 0xfffffffff8000000)
    RI(65, sraiw, 0x123456787fffffff, 31, 0)
    /* lui / auipc */
    TEST_CASE(66, a0, 0xffffffff80000000, lui a0, 0x80000)
    TEST_CASE(67, a0, 0x7ffff000, lui a0, 0x7ffff)
    TEST_CASE(68, a0, 0xfffffffffffff000, lui a0, 0xfffff)
    TEST_CASE(69, a0, 0, 1: auipc a0, 0; la a1, 1b; sub a0, a0, a1)
    TEST_CASE(70, a0, 0x1000, 1: auipc a0, 1; la a1, 1b; sub a0, a0, a1)
    TEST_CASE(71, a0, 0xffffffff80000000, 1: auipc a0, 0x80000; la a1, 1b; sub a0, a0, a1)
    /* loads: every width, sign / zero extension */
    TEST_CASE(72, a0, 0xffffffffffffff88, la a1, ldata; lb a0, 0(a1))
    TEST_CASE(73, a0, 0x88,               la a1, ldata; lbu a0, 0(a1))
    TEST_CASE(74, a0, 0xffffffffffff8788, la a1, ldata; lh a0, 0(a1))
    TEST_CASE(75, a0, 0x8788,             la a1, ldata; lhu a0, 0(a1))
    TEST_CASE(76, a0, 0xffffffff85868788, la a1, ldata; lw a0, 0(a1))
    TEST_CASE(77, a0, 0x85868788,         la a1, ldata; lwu a0, 0(a1))
    TEST_CASE(78, a0, 0x8182838485868788, la a1, ldata; ld a0, 0(a1))
    TEST_CASE(79, a0, 0x77,               la a1, ldata; lb a0, 9(a1))
    TEST_CASE(80, a0, 0x7576,             la a1, ldata; lh a0, 10(a1))
    TEST_CASE(81, a0, 0x71727374,         la a1, ldata; lw a0, 12(a1))
    TEST_CASE(82, a0, 0xffffffffffffff81, la a1, ldata; lb a0, 7(a1))
    TEST_CASE(83, a0, 0xffffffff81828384, la a1, ldata+8; lw a0, -4(a1))
    TEST_CASE(84, a0, 0x8182838485868788, la a1, ldata+16; ld a0, -16(a1))
    TEST_CASE(85, a0, 0x8182,             la a1, ldata; lhu a0, 6(a1))
    TEST_CASE(86, a0, 0x81828384,         la a1, ldata; lwu a0, 4(a1))
    /* stores: only the addressed bytes change */
    TEST_CASE(87, a0, 0x000000000000ab00, la a1, sbuf; sd zero, 0(a1); li a2, 0x12345678abcdefab; sb a2, 1(a1); ld a0, 0(a1))
    TEST_CASE(88, a0, 0x0000efab0000ab00, la a1, sbuf; li a2, 0x12345678abcdefab; sh a2, 4(a1); ld a0, 0(a1))
    TEST_CASE(89, a0, 0xabcdefab0000ab00, la a1, sbuf; li a2, 0x12345678abcdefab; sw a2, 4(a1); ld a0, 0(a1))
    TEST_CASE(90, a0, 0x0123456789abcdef, la a1, sbuf; li a2, 0x0123456789abcdef; sd a2, 0(a1); ld a0, 0(a1))
    TEST_CASE(91, a0, 0x00000000000000ff, la a1, sbuf+8; sd zero, -8(a1); li a2, -1; sb a2, -8(a1); ld a0, -8(a1))
    TEST_CASE(92, a0, 0xffff0000000000ff, la a1, sbuf; li a2, -1; sh a2, 6(a1); ld a0, 0(a1))
    TEST_CASE(93, a0, 0xffff0000,        la a1, sbuf; lwu a0, 4(a1))
    /* branches: taken / not taken, forward / backward */
    BR_F(94,  beq, 3, 3, 1)
    BR_F(95,  beq, 3, 4, 0)
    BR_B(96,  beq, -1, -1, 1)
    BR_B(97,  beq, 0, 1, 0)
    BR_F(98,  bne, 3, 4, 1)
    BR_F(99,  bne, 3, 3, 0)
    BR_B(100, bne, 0, 0x8000000000000000, 1)
    BR_F(101, blt, -1, 1, 1)
    BR_F(102, blt, 1, -1, 0)
    BR_F(103, blt, 2, 2, 0)
    BR_B(104, blt, 0x8000000000000000, 0x7fffffffffffffff, 1)
    BR_F(105, bge, 2, 2, 1)
    BR_F(106, bge, -1, 1, 0)
    BR_B(107, bge, 1, -1, 1)
    BR_F(108, bltu, 1, -1, 1)
    BR_F(109, bltu, -1, 1, 0)
    BR_B(110, bltu, 0, 1, 1)
    BR_F(111, bltu, 5, 5, 0)
    BR_F(112, bgeu, -1, 1, 1)
    BR_F(113, bgeu, 1, -1, 0)
    BR_B(114, bgeu, 7, 7, 1)
    /* jal / jalr: link = pc + 4, jalr clears bit 0 of the target */
    TEST_CASE(115, a0, 0, jal ra, 1f; 2: j test_fail; 1: la a1, 2b; sub a0, ra, a1)
    TEST_CASE(116, a0, 0, jal t0, 1f; 2: j test_fail; 1: la a1, 2b; sub a0, t0, a1)
    TEST_CASE(117, a0, 0, la a1, 1f; jalr ra, 0(a1); 2: j test_fail; 1: la a1, 2b; sub a0, ra, a1)
    TEST_CASE(118, a0, 0, la a1, 1f; addi a1, a1, 1; jalr ra, 0(a1); 2: j test_fail; 1: la a1, 2b; sub a0, ra, a1)
    TEST_CASE(119, a0, 0, la a1, 1f; addi a1, a1, 12; jalr ra, -12(a1); 2: j test_fail; 1: la a1, 2b; sub a0, ra, a1)
    TEST_CASE(120, a0, 0, la a1, 1f; jalr a1, 0(a1); 2: j test_fail; 1: la a2, 2b; sub a0, a1, a2)   /* rd == rs1: old rs1 is the target */
    TEST_CASE(121, a0, 0, la a1, 1f; addi a1, a1, -3; jalr zero, 3(a1); j test_fail; 1: li a0, 0)
    TEST_CASE(122, a0, 0, li a0, 0; j 1f; li a0, 1; 1:)
    /* x0 is hard-wired to zero */
    TEST_CASE(123, a0, 0, li a0, 1; addi x0, x0, 5; lui x0, 0x12345; mv a0, x0)
    TEST_CASE(124, a0, 0, la a1, ldata; ld x0, 0(a1); add a0, x0, x0)
    /* fences execute as no-ops for a single hart */
    TEST_CASE(125, a0, 42, li a0, 42; fence; fence rw, rw; fence r, r; fence w, w; fence i, o; .word 0x8330000f /* fence.tso */)
    /* fence.i: self-modifying code in RAM */
    TEST_CASE(126, a0, 1, li a0, 0; la a1, smc_buf; jalr ra, 0(a1))
    TEST_CASE(127, a0, 3, la a1, smc_new; lw a2, 0(a1); la a1, smc_buf; sw a2, 0(a1); fence.i; li a0, 1; jalr ra, 0(a1))
    TEST_CASE(128, a0, 0x105, la a1, smc_new2; lw a2, 0(a1); la a1, smc_buf; sw a2, 0(a1); fence.i; li a0, 5; jalr ra, 0(a1))
    /* loop body modified between iterations of a hot loop */
    TEST_CASE(129, s1, 3*1 + 3*2, \
        li s1, 0; li s2, 0; \
        la a1, smc_buf; la a3, smc_orig; lw a2, 0(a3); sw a2, 0(a1); fence.i; \
        5: li a0, 0; la a1, smc_buf; jalr ra, 0(a1); add s1, s1, a0; addi s2, s2, 1; \
        li a4, 3; bne s2, a4, 6f; la a3, smc_new; lw a2, 0(a3); la a1, smc_buf; sw a2, 0(a1); fence.i; \
        6: li a4, 6; bne s2, a4, 5b)
    TEST_PASS

    /* templates for fence.i (never executed in place) */
    .balign 4
smc_orig: addi a0, a0, 1
smc_new:  addi a0, a0, 2
smc_new2: addi a0, a0, 0x100

    .data
    .balign 8
ldata:  .dword 0x8182838485868788
        .dword 0x7172737475767778
sbuf:   .dword 0, 0
    .balign 64
smc_buf:
    addi a0, a0, 1
    ret
