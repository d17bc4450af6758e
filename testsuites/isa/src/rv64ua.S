/* rv64ua: LR/SC and every AMO, .w and .d ("A" Standard Extension).
 * LR/SC: only outcomes the spec guarantees are checked:
 *   - an SC with no reservation (none since reset, or after any SC) fails: rd != 0,
 *     memory unchanged;
 *   - a constrained LR/SC loop eventually succeeds (retried, an SC may fail
 *     spuriously), writes memory, and rd = 0 on the successful SC;
 *   - lr.w sign-extends the loaded word.
 * AMOs: rd receives the old memory value (.w: sign-extended), memory receives
 * op(old, rs2) (.w: the low 32 bits of rs2, the other word of the dword untouched). */
#include "test.h"

/* AMO_D(n, op, init, src, old, new): cases n (rd) and n+1 (memory) */
#define AMO_D(n, op, init, src, old, new) \
    TEST_CASE(n, a0, old, la a1, amo_buf; li a2, init; sd a2, 0(a1); li a3, src; op a0, a3, (a1)); \
    TEST_CASE((n)+1, a4, new, ld a4, 0(a1))
/* AMO_W: the word at amo_buf+4; the surrounding words hold 0x55555555 */
#define AMO_W(n, op, init, src, old, new) \
    TEST_CASE(n, a0, old, la a1, amo_buf; li a2, 0x55555555; sw a2, 0(a1); sw a2, 8(a1); \
              li a2, init; sw a2, 4(a1); li a3, src; addi a5, a1, 4; op a0, a3, (a5)); \
    TEST_CASE((n)+1, a4, (0x55555555 | ((new) << 32)), ld a4, 0(a1)); \
    TEST_CASE((n)+2, a4, 0x55555555, lwu a4, 8(a1))

TEST_BEGIN
    /* SC without any reservation since reset must fail */
    TEST_CASE(1, a0, 1, la a1, lr_buf; li a2, 0x1111; sd a2, 0(a1); li a3, 0x2222; sc.d a0, a3, (a1); snez a0, a0)
    TEST_CASE(2, a4, 0x1111, ld a4, 0(a1))
    /* LR returns the value, an LR/SC loop succeeds */
    TEST_CASE(3, a0, 0x1111, la a1, lr_buf; lr.d a0, (a1))
    TEST_CASE(4, a4, 0x1112, \
        la a1, lr_buf; li s1, 1000; \
        1: lr.d a0, (a1); addi a0, a0, 1; sc.d a2, a0, (a1); beqz a2, 2f; addi s1, s1, -1; bnez s1, 1b; j test_fail; \
        2: ld a4, 0(a1))
    /* after an SC (successful) the reservation is gone: another SC fails */
    TEST_CASE(5, a0, 1, la a1, lr_buf; li a3, 0x3333; sc.d a0, a3, (a1); snez a0, a0)
    TEST_CASE(6, a4, 0x1112, ld a4, 0(a1))
    /* ...and after a failed SC too */
    TEST_CASE(7, a0, 1, la a1, lr_buf; li a3, 0x4444; lr.d a2, (a1); sc.d x0, a2, (a1); sc.d a0, a3, (a1); snez a0, a0)
    /* lr.w / sc.w: sign extension, word-sized write */
    TEST_CASE(8, a0, 0xffffffff80000001, la a1, lr_buf; li a2, 0x0123456780000001; sd a2, 0(a1); lr.w a0, (a1))
    TEST_CASE(9, a4, 0x0123456780000002, \
        la a1, lr_buf; li s1, 1000; \
        1: lr.w a0, (a1); addi a0, a0, 1; sc.w a2, a0, (a1); beqz a2, 2f; addi s1, s1, -1; bnez s1, 1b; j test_fail; \
        2: ld a4, 0(a1))
    TEST_CASE(10, a0, 1, la a1, lr_buf; li a3, 7; sc.w a0, a3, (a1); snez a0, a0)
    TEST_CASE(11, a4, 0x0123456780000002, ld a4, 0(a1))
    /* aq/rl encodings */
    TEST_CASE(12, a4, 0x0123456780000003, \
        la a1, lr_buf; li s1, 1000; \
        1: lr.w.aq a0, (a1); addi a0, a0, 1; sc.w.rl a2, a0, (a1); beqz a2, 2f; addi s1, s1, -1; bnez s1, 1b; j test_fail; \
        2: ld a4, 0(a1))
    TEST_CASE(13, a4, 0x5, \
        la a1, lr_buf; sd zero, 0(a1); li s1, 1000; \
        1: lr.d.aqrl a0, (a1); addi a0, a0, 5; sc.d.aqrl a2, a0, (a1); beqz a2, 2f; addi s1, s1, -1; bnez s1, 1b; j test_fail; \
        2: ld a4, 0(a1))

    /* AMO .d */
    AMO_D(20, amoswap.d, 0x1234, 0x8000000000000000, 0x1234, 0x8000000000000000)
    AMO_D(22, amoadd.d,  0x7fffffffffffffff, 1, 0x7fffffffffffffff, 0x8000000000000000)
    AMO_D(24, amoxor.d,  0xff00ff00ff00ff00, 0x0ff00ff00ff00ff0, 0xff00ff00ff00ff00, 0xf0f0f0f0f0f0f0f0)
    AMO_D(26, amoand.d,  0xff00ff00ff00ff00, 0x0ff00ff00ff00ff0, 0xff00ff00ff00ff00, 0x0f000f000f000f00)
    AMO_D(28, amoor.d,   0xff00ff00ff00ff00, 0x0ff00ff00ff00ff0, 0xff00ff00ff00ff00, 0xfff0fff0fff0fff0)
    AMO_D(30, amomin.d,  -5, 3, -5, -5)
    AMO_D(32, amomin.d,  3, -5, 3, -5)
    AMO_D(34, amomax.d,  -5, 3, -5, 3)
    AMO_D(36, amomax.d,  0x8000000000000000, 0x7fffffffffffffff, 0x8000000000000000, 0x7fffffffffffffff)
    AMO_D(38, amominu.d, -5, 3, -5, 3)
    AMO_D(40, amominu.d, 3, -5, 3, 3)
    AMO_D(42, amomaxu.d, -5, 3, -5, -5)
    AMO_D(44, amomaxu.d, 0x7fffffffffffffff, 0x8000000000000000, 0x7fffffffffffffff, 0x8000000000000000)
    AMO_D(46, amoadd.d.aqrl, 10, -3, 10, 7)
    AMO_D(48, amoswap.d.aq, 5, 6, 5, 6)
    /* AMO .w: old value sign-extended, low word of rs2 used */
    AMO_W(60,  amoswap.w, 0x80000000, 0x1234567800000001, 0xffffffff80000000, 0x00000001)
    AMO_W(63,  amoadd.w,  0x7fffffff, 0x100000001, 0x7fffffff, 0x80000000)
    AMO_W(66,  amoadd.w,  0xffffffff, 1, -1, 0)
    AMO_W(69,  amoxor.w,  0xff00ff00, 0x0ff00ff0, 0xffffffffff00ff00, 0xf0f0f0f0)
    AMO_W(72,  amoand.w,  0xff00ff00, 0x0ff00ff0, 0xffffffffff00ff00, 0x0f000f00)
    AMO_W(75,  amoor.w,   0x0f00ff00, 0x00f00ff0, 0x0f00ff00, 0x0ff0fff0)
    AMO_W(78,  amomin.w,  0x80000000, 1, 0xffffffff80000000, 0x80000000)
    AMO_W(81,  amomin.w,  1, 0xffffffff, 1, 0xffffffff)        /* rs2 low word = -1 */
    AMO_W(84,  amomax.w,  0xffffffff, 0, -1, 0)
    AMO_W(87,  amomax.w,  0x7fffffff, 0x80000000, 0x7fffffff, 0x7fffffff)
    AMO_W(90,  amominu.w, 0x80000000, 1, 0xffffffff80000000, 1)
    AMO_W(93,  amominu.w, 5, 0x100000007, 5, 5)                 /* 7, not 2^32+7 */
    AMO_W(96,  amomaxu.w, 0xffffffff, 0, -1, 0xffffffff)
    AMO_W(99,  amomaxu.w, 1, 0xfffffffe00000002, 1, 2)
    AMO_W(102, amomin.w.aqrl, 7, 0xffff0000fffffff9, 7, 0xfffffff9)
    /* rd == x0: memory still updated */
    TEST_CASE(110, a4, 9, la a1, amo_buf; li a2, 4; sd a2, 0(a1); li a3, 5; amoadd.d x0, a3, (a1); ld a4, 0(a1))
    /* rd == rs2 */
    TEST_CASE(111, a3, 4, la a1, amo_buf; li a2, 4; sd a2, 0(a1); li a3, 5; amoswap.d a3, a3, (a1))
    TEST_CASE(112, a4, 5, ld a4, 0(a1))
    TEST_PASS

    .data
    .balign 64
lr_buf:  .dword 0, 0
amo_buf: .dword 0, 0
