/* rv64uzba: Zba 1.0 (address generation): add.uw, sh[123]add, sh[123]add.uw, slli.uw. */
#include "test.h"
#define RR(n, op, a, b, res)   TEST_CASE(n, a0, res, li a1, a; li a2, b; op a0, a1, a2)
#define RI(n, op, a, imm, res) TEST_CASE(n, a0, res, li a1, a; op a0, a1, imm)
TEST_BEGIN
    RR(1,  add.uw, 0xffffffff80000000, 1, 0x80000001)
    RR(2,  add.uw, 0xffffffffffffffff, 0xffffffffffffffff, 0xfffffffe)
    RR(3,  add.uw, 0x123456789, 0, 0x23456789)
    RR(4,  sh1add, 0x8000000000000001, 1, 3)
    RR(5,  sh1add, -1, 0, -2)
    RR(6,  sh2add, 3, 1, 13)
    RR(7,  sh2add, 0x4000000000000000, 5, 5)
    RR(8,  sh3add, -1, 0, -8)
    RR(9,  sh3add, 0x1000, 0x7, 0x8007)
    RR(10, sh1add.uw, 0xffffffff80000000, 0, 0x100000000)
    RR(11, sh1add.uw, 0x1ffffffff, 1, 0x1ffffffff)
    RR(12, sh2add.uw, 0xffffffffffffffff, 1, 0x3fffffffd)
    RR(13, sh2add.uw, 0x100000000, 7, 7)
    RR(14, sh3add.uw, 0x123456789, 0, 0x11a2b3c48)
    RR(15, sh3add.uw, 0x80000000, 0xfffffffc00000000, 0)
    RI(16, slli.uw, 0xffffffff80000001, 4, 0x800000010)
    RI(17, slli.uw, 1, 63, 0x8000000000000000)
    RI(18, slli.uw, 0x100000000, 0, 0)
    RI(19, slli.uw, 0xffffffffffffffff, 32, 0xffffffff00000000)
    RI(20, slli.uw, 0xffffffffffffffff, 0, 0xffffffff)       /* zext.w */
    TEST_CASE(21, a0, 0xfffffffe, li a1, -2; zext.w a0, a1)
    TEST_PASS
