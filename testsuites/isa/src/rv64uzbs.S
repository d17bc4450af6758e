/* rv64uzbs: Zbs 1.0 (single-bit): bclr bclri bext bexti binv binvi bset bseti.
 * The register forms use rs2 mod 64 (XLEN). */
#include "test.h"
#define RR(n, op, a, b, res)   TEST_CASE(n, a0, res, li a1, a; li a2, b; op a0, a1, a2)
#define RI(n, op, a, imm, res) TEST_CASE(n, a0, res, li a1, a; op a0, a1, imm)
TEST_BEGIN
    RR(1,  bclr, -1, 63, 0x7fffffffffffffff)
    RR(2,  bclr, -1, 65, 0xfffffffffffffffd)
    RR(3,  bclr, 0, 5, 0)
    RI(4,  bclri, -1, 0, 0xfffffffffffffffe)
    RI(5,  bclri, 0x100000000, 32, 0)
    RR(6,  bext, 0x8000000000000000, 63, 1)
    RR(7,  bext, 0x8000000000000000, 127, 1)
    RR(8,  bext, 0x7fffffffffffffff, 63, 0)
    RI(9,  bexti, 0x10, 4, 1)
    RI(10, bexti, 0x10, 3, 0)
    RI(11, bexti, 0x100000000, 32, 1)
    RR(12, binv, 0, 63, 0x8000000000000000)
    RR(13, binv, 0x8000000000000000, 63, 0)
    RR(14, binv, 0, 64, 1)
    RI(15, binvi, 5, 0, 4)
    RI(16, binvi, 0, 31, 0x80000000)                  /* no sign extension */
    RR(17, bset, 0, 32, 0x100000000)
    RR(18, bset, 0, 96, 0x100000000)
    RR(19, bset, 1, 0, 1)
    RI(20, bseti, 0, 63, 0x8000000000000000)
    RI(21, bseti, 0x10, 31, 0x80000010)
    TEST_PASS
