/* rv64um: every RV64M instruction ("M" Standard Extension). Division by zero and
 * signed overflow follow the table in the spec: x/0 = all ones (div, divu),
 * x%0 = x (rem, remu), INT_MIN/-1 = INT_MIN, INT_MIN%-1 = 0; W forms operate on the
 * low 32 bits and sign-extend the 32-bit result (also divuw/remuw). */
#include "test.h"

#define RR(n, op, a, b, res) TEST_CASE(n, a0, res, li a1, a; li a2, b; op a0, a1, a2)
#define MIN64 0x8000000000000000
#define MAX64 0x7fffffffffffffff

TEST_BEGIN
    RR(1,  mul, 3, 5, 15)
    RR(2,  mul, -1, -1, 1)
    RR(3,  mul, MAX64, 2, 0xfffffffffffffffe)
    RR(4,  mul, MIN64, -1, MIN64)
    RR(5,  mul, 0x123456789, 0x100000000, 0x2345678900000000)
    RR(6,  mulh, -1, -1, 0)
    RR(7,  mulh, MIN64, MIN64, 0x4000000000000000)
    RR(8,  mulh, -1, 1, -1)
    RR(9,  mulh, MAX64, MAX64, 0x3fffffffffffffff)
    RR(10, mulh, MIN64, MAX64, 0xc000000000000000)
    RR(11, mulhu, -1, -1, 0xfffffffffffffffe)
    RR(12, mulhu, MIN64, 2, 1)
    RR(13, mulhu, 0xffffffff, 0xffffffff, 0)
    RR(14, mulhsu, -1, -1, -1)                 /* -1 * (2^64-1) */
    RR(15, mulhsu, 2, -1, 1)                   /* 2 * (2^64-1) */
    RR(16, mulhsu, MIN64, MIN64, 0xc000000000000000)
    RR(17, mulhsu, 1, MIN64, 0)
    RR(18, mulw, 0x7fffffff, 2, 0xfffffffffffffffe)
    RR(19, mulw, 0x100000003, 0x100000005, 15)
    RR(20, mulw, 0x10000, 0x10000, 0)
    RR(21, mulw, 0x40000000, 2, 0xffffffff80000000)
    RR(22, div, 20, 6, 3)
    RR(23, div, -20, 6, -3)
    RR(24, div, 20, -6, -3)
    RR(25, div, -20, -6, 3)
    RR(26, div, 20, 0, -1)
    RR(27, div, MIN64, -1, MIN64)
    RR(28, divu, 20, 6, 3)
    RR(29, divu, -1, 2, MAX64)
    RR(30, divu, 20, 0, -1)
    RR(31, divu, MIN64, -1, 0)
    RR(32, rem, 20, 6, 2)
    RR(33, rem, -20, 6, -2)
    RR(34, rem, 20, -6, 2)
    RR(35, rem, 20, 0, 20)
    RR(36, rem, -7, 0, -7)
    RR(37, rem, MIN64, -1, 0)
    RR(38, remu, -1, 10, 5)
    RR(39, remu, 20, 0, 20)
    RR(40, remu, -1, 0, -1)
    RR(41, divw, -20, 6, -3)
    RR(42, divw, 20, 0, -1)
    RR(43, divw, 0x80000000, -1, 0xffffffff80000000)
    RR(44, divw, 0xffffffff00000014, 6, 3)
    RR(45, divw, 0x14, 0x100000000, -1)        /* divisor's low word is 0 */
    RR(46, divuw, 0xfffffffe, 2, 0x7fffffff)
    RR(47, divuw, 0x80000000, 1, 0xffffffff80000000)
    RR(48, divuw, 5, 0, -1)
    RR(49, divuw, -1, 0xffffffff, 1)
    RR(50, remw, -20, 6, -2)
    RR(51, remw, 0x180000000, 0, 0xffffffff80000000)
    RR(52, remw, 0x80000000, -1, 0)
    RR(53, remw, 0x7fffffff, 0x100000010, 15)
    RR(54, remuw, 0xffffffff, 10, 5)
    RR(55, remuw, 0x80000001, 0, 0xffffffff80000001)
    RR(56, remuw, 0x80000005, 0x80000000, 5)
    RR(57, remuw, 0xfffffffe, 0xffffffff, 0xfffffffffffffffe)
    /* rd overlapping a source */
    TEST_CASE(58, a1, 42, li a1, 6; li a2, 7; mul a1, a1, a2)
    TEST_CASE(59, a2, 6, li a1, 42; li a2, 7; div a2, a1, a2)
    TEST_PASS
