/* rv64ssstc: the Sstc extension (stimecmp, menvcfg.STCE; privileged spec 1.12 and the
 * Sstc 1.0 specification): menvcfg.STCE reads back, stimecmp is readable and writable
 * from M; with STCE set mip.STIP is the comparison time >= stimecmp and ignores writes;
 * S-mode access to stimecmp needs both mcounteren.TM and menvcfg.STCE (else an
 * illegal-instruction trap); a delegated S timer interrupt is taken as soon as
 * stimecmp <= time.
 *
 * qemu 7.2's `-machine spike` has no time source for the hart (no rdtime), so qemu
 * has no Sstc there and traps the first stimecmp access: check-qemu.sh skips this
 * test (QEMU_NO_SSTC). */
#include "test.h"
#include "smode.h"

#define CSR_STIMECMP 0x14d
#define CSR_MENVCFG  0x30a
#define MIP_STIP     (1 << 5)
#define STCE_BIT     63

TEST_BEGIN
    la t0, s_trap
    csrw stvec, t0
    csrwi medeleg, 0

    TEST_CASE(1, a0, 0, csrw CSR_MENVCFG, zero; csrr a0, CSR_MENVCFG; srli a0, a0, STCE_BIT)
    TEST_CASE(2, a0, 1, li a1, 1; slli a1, a1, STCE_BIT; csrs CSR_MENVCFG, a1; csrr a0, CSR_MENVCFG; srli a0, a0, STCE_BIT)
    TEST_CASE(3, a0, 0x1234, li a1, 0x1234; csrw CSR_STIMECMP, a1; csrr a0, CSR_STIMECMP)
    TEST_CASE(4, a0, -1, li a1, -1; csrw CSR_STIMECMP, a1; csrr a0, CSR_STIMECMP)
    /* with STCE, mip.STIP is time >= stimecmp, and writes to it are ignored */
    TEST_CASE(5, a0, 0, li a1, MIP_STIP; csrs mip, a1; csrr a0, mip; andi a0, a0, MIP_STIP)
    TEST_CASE(6, a0, MIP_STIP, csrw CSR_STIMECMP, zero; csrr a0, mip; andi a0, a0, MIP_STIP)
    TEST_CASE(7, a0, MIP_STIP, li a1, MIP_STIP; csrc mip, a1; csrr a0, mip; andi a0, a0, MIP_STIP)
    TEST_CASE(8, a0, 0, li a1, -1; csrw CSR_STIMECMP, a1; csrr a0, mip; andi a0, a0, MIP_STIP)
    /* without STCE, STIP is M-mode's to write again */
    TEST_CASE(9, a0, MIP_STIP, csrw CSR_MENVCFG, zero; csrw CSR_STIMECMP, zero; li a1, MIP_STIP; csrs mip, a1; csrr a0, mip; andi a0, a0, MIP_STIP)
    TEST_CASE(10, a0, 0, li a1, MIP_STIP; csrc mip, a1; csrr a0, mip; andi a0, a0, MIP_STIP)
    /* S-mode needs mcounteren.TM and menvcfg.STCE */
    CASE_NUM(11); csrwi mcounteren, 0; li a1, 1; slli a1, a1, STCE_BIT; csrs CSR_MENVCFG, a1
    S_RUN(12, 2, csrr a0, CSR_STIMECMP)
    CASE_NUM(13); csrwi mcounteren, 2; li a1, 1; slli a1, a1, STCE_BIT; csrc CSR_MENVCFG, a1
    S_RUN(14, 2, csrr a0, CSR_STIMECMP)
    CASE_NUM(15); li a1, 1; slli a1, a1, STCE_BIT; csrs CSR_MENVCFG, a1
    S_RUN(16, 9, li a1, 77; csrw CSR_STIMECMP, a1; li a0, 0; csrr a0, CSR_STIMECMP)
    TEST_CASE(17, a0, 77, nop)
    /* the S timer interrupt: delegated, sie.STIE, taken from U as soon as
     * stimecmp <= time (S interrupts are enabled in U whatever sstatus.SIE) */
    CASE_NUM(18); li a1, -1; csrw CSR_STIMECMP, a1; li a1, MIP_STIP; csrs mideleg, a1
    S_RUN(19, 9, li t0, MIP_STIP; csrs sie, t0; li t0, MSTATUS_SIE | MSTATUS_SPIE; csrc sstatus, t0; \
                 csrw CSR_STIMECMP, zero; la a0, sstc_u; S_GOTO_U(a0); sstc_u: j sstc_u)
    S_CHECK(20, SS_CAUSE, 0x8000000000000005)
    S_CHECK_ADDR(21, SS_EPC, sstc_u)
    S_CHECK(22, SS_TVAL, 0)
    /* pending but stimecmp moved into the future: no longer pending */
    S_RUN(23, 9, li a1, -1; csrw CSR_STIMECMP, a1; csrr a0, sip; andi a0, a0, MIP_STIP)
    TEST_CASE(24, a0, 0, nop)
    TEST_CASE(25, a0, 0, csrw sie, zero; li a1, MIP_STIP; csrc mideleg, a1; csrw mcounteren, zero; csrw CSR_MENVCFG, zero; li a0, 0)
    TEST_PASS

#include "smode_trap.S"
