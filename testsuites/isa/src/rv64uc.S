/* rv64uc: every RV64C instruction ("C" Standard Extension, RV64 encodings; c.jal is
 * RV32-only -- its encoding is c.addiw on RV64). The compressed forms are written
 * with explicit c. mnemonics so the assembler cannot choose another encoding.
 * Registers of the 3-bit fields are x8-x15 (s0, s1, a0-a5) and fs0, fs1, fa0-fa5. */
#include "test.h"

    .option rvc
TEST_BEGIN
    /* stack-pointer based: point sp at a scratch buffer, restore at the end */
    mv s11, sp
    la sp, cbuf
    TEST_CASE(1,  a0, 16, c.addi4spn a0, sp, 16; sub a0, a0, sp)
    TEST_CASE(2,  a0, 1020, c.addi4spn a0, sp, 1020; sub a0, a0, sp)
    TEST_CASE(3,  a0, 496, mv a1, sp; c.addi16sp sp, 496; sub a0, sp, a1; mv sp, a1)
    TEST_CASE(4,  a0, -512, mv a1, sp; c.addi16sp sp, -512; sub a0, sp, a1; mv sp, a1)
    TEST_CASE(5,  a0, 0xffffffff80000001, li a1, 0xffffffff80000001; c.sdsp a1, 8(sp); c.lwsp a0, 8(sp))
    TEST_CASE(6,  a0, 0xffffffff80000001, c.ldsp a0, 8(sp))
    TEST_CASE(7,  a0, 0x1234567880000001, li a1, 0x12345678; c.swsp a1, 12(sp); c.ldsp a0, 8(sp))
    TEST_CASE(8,  a0, 0x400921fb54442d18, li a1, 0x400921fb54442d18; sd a1, 504(sp); c.fldsp fs1, 504(sp); c.fsdsp fs1, 16(sp); c.ldsp a0, 16(sp))
    mv sp, s11
    /* register based loads / stores */
    TEST_CASE(9,  a0, 0xffffffff89abcdef, la a1, cbuf; li a2, 0x0123456789abcdef; c.sd a2, 0(a1); c.lw a0, 0(a1))
    TEST_CASE(10, a0, 0x01234567, la a1, cbuf; c.lw a0, 4(a1))
    TEST_CASE(11, a0, 0x0123456789abcdef, la a1, cbuf; c.ld a0, 0(a1))
    TEST_CASE(12, a0, 0xfedcba9801234567, la a1, cbuf; li a2, 0xfedcba98; c.sw a2, 124(a1); li a2, 0x01234567; c.sw a2, 120(a1); c.ld a0, 120(a1))
    TEST_CASE(13, a0, 0x3ff0000000000000, la a1, cbuf; li a2, 0x3ff0000000000000; c.sd a2, 248(a1); c.fld fa5, 248(a1); c.fsd fa5, 32(a1); c.ld a0, 32(a1))
    /* constants */
    TEST_CASE(14, a0, -32, c.li a0, -32)
    TEST_CASE(15, a0, 31, c.li a0, 31)
    TEST_CASE(16, a0, 0x1000, c.lui a0, 1)
    TEST_CASE(17, a0, 0x1f000, c.lui a0, 31)
    TEST_CASE(18, a0, 0xfffffffffffff000, c.lui a0, 0xfffff)
    TEST_CASE(19, a0, 0xfffffffffffe0000, c.lui a0, 0xfffe0)
    /* arithmetic */
    TEST_CASE(20, a0, -27, c.li a0, 5; c.addi a0, -32)
    TEST_CASE(21, a0, 0x8000000000000000, li a0, 0x7fffffffffffffe1; c.addi a0, 31)
    TEST_CASE(22, a0, 0xffffffff80000000, li a0, 0x7fffffff; c.addiw a0, 1)
    TEST_CASE(23, a0, -1, li a0, 0x12345678ffffffff; c.addiw a0, 0)        /* sext.w */
    TEST_CASE(24, a0, 0xffffffffffffffe0, li a0, 0; c.addiw a0, -32)
    TEST_CASE(25, a0, 1, li a0, 0x8000000000000000; c.srli a0, 63)
    TEST_CASE(26, a0, 0xffffffff80000000, li a0, 0x8000000000000000; c.srai a0, 32)
    TEST_CASE(27, a0, 0x2000000000000000, li a0, 0x8000000000000000; c.srli a0, 2)
    TEST_CASE(28, a0, 0x8000000000000000, li a0, 1; c.slli a0, 63)
    TEST_CASE(29, a0, 0xff00000000, li a0, 0xff; c.slli a0, 32)
    TEST_CASE(30, a0, 0x1234567812345660, li a0, 0x123456781234567f; c.andi a0, -32)
    TEST_CASE(31, a0, 0x1f, li a0, -1; c.andi a0, 31)
    TEST_CASE(32, a0, 0x8000000000000000, li a0, 0; li a1, 0x8000000000000000; c.sub a0, a1)
    TEST_CASE(33, a0, 0x0ff00ff00ff00ff0, li a0, 0xff00ff00ff00ff00; li a1, 0xf0f0f0f0f0f0f0f0; c.xor a0, a1)
    TEST_CASE(34, a0, 0xfff0fff0fff0fff0, li a0, 0xff00ff00ff00ff00; li a1, 0xf0f0f0f0f0f0f0f0; c.or a0, a1)
    TEST_CASE(35, a0, 0xf000f000f000f000, li a0, 0xff00ff00ff00ff00; li a1, 0xf0f0f0f0f0f0f0f0; c.and a0, a1)
    TEST_CASE(36, a0, 0xffffffff80000000, li a0, 0x7fffffff; li a1, -1; c.subw a0, a1)
    TEST_CASE(37, a0, 0xffffffff80000000, li a0, 0x17fffffff; li a1, 1; c.addw a0, a1)
    TEST_CASE(38, a0, 0, li a0, 0xffffffff; li a1, 1; c.addw a0, a1)
    TEST_CASE(39, t1, 0x123456789, li t2, 0x123456789; c.mv t1, t2)
    TEST_CASE(40, t1, 0x8000000000000000, li t1, 0x7fffffffffffffff; li t2, 1; c.add t1, t2)
    TEST_CASE(41, a0, 7, li a0, 7; c.nop)
    /* control transfer */
    TEST_CASE(42, a0, 1, li a0, 1; c.j 1f; li a0, 2; 1:)
    TEST_CASE(43, a0, 3, li a0, 0; j 2f; 1: li a0, 3; j 3f; 2: c.j 1b; 3:)
    TEST_CASE(44, a0, 0, li a0, 0; c.beqz a0, 1f; li a0, 9; 1:)
    TEST_CASE(45, a0, 9, li a0, 5; c.beqz a0, 1f; li a0, 9; 1:)
    TEST_CASE(46, a0, 5, li a0, 5; c.bnez a0, 1f; li a0, 9; 1:)
    TEST_CASE(47, a0, 9, li a0, 0; c.bnez a0, 1f; li a0, 9; 1:)
    TEST_CASE(48, a0, 4, li a0, 4; j 2f; 1: j 3f; 2: c.bnez a0, 1b; li a0, 9; 3:)
    TEST_CASE(49, a0, 0, li a0, 0; la a1, 1f; c.jr a1; li a0, 9; 1:)
    TEST_CASE(50, a0, 2, la a1, 1f; 2: c.jalr a1; j test_fail; 1: la a2, 2b; sub a0, ra, a2)   /* link = pc + 2 */
    TEST_CASE(51, a0, 2, la t0, 1f; 2: c.jalr t0; j test_fail; 1: la a2, 2b; sub a0, ra, a2)
    /* a 4-byte instruction at a 2-byte aligned address */
    TEST_CASE(52, a0, 0x12345, .balign 4; c.nop; li a0, 0x12345)
    /* c.ebreak: breakpoint, mepc = its address; mtval may be 0 or the pc */
    TEST_TRAP(53, 3, 10: c.ebreak)
    TEST_TRAP_EPC(54, 10b)
    TEST_CASE(55, a0, 1, la t5, trap_save; ld t4, TS_TVAL(t5); la t6, 10b; seqz a0, t4; xor t4, t4, t6; seqz t4, t4; or a0, a0, t4)
    /* the all-zero halfword is a defined illegal instruction; mtval 0 either way */
    TEST_TRAP(56, 2, 11: .half 0)
    TEST_TRAP_EPC(57, 11b)
    TEST_TRAP_TVAL(58, 0)
    /* reserved: c.addi4spn with a zero immediate, c.lwsp with rd = x0, c.jr with rs1 = x0 */
    TEST_TRAP(59, 2, .half 0x0010)
    TEST_TRAP(60, 2, .half 0x4002)
    TEST_TRAP(61, 2, .half 0x8002)
    TEST_PASS

    .data
    .balign 64
cbuf: .skip 1024
