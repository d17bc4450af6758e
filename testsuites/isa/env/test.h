/* xlate ISA conformance suite: test macros (assembly, C preprocessor).
 *
 * Written for this project; expected values come from the RISC-V ISA manuals.
 *
 * Register conventions inside a test body:
 *   gp (x3)            current case number (set by every TEST_* macro)
 *   t4, t5, t6         scratch of the macros: a case's result must not live there
 *                      (TEST_CASE clobbers t6 only; the FP and trap macros t4-t6)
 * Everything else belongs to the test.
 *
 * Results (HTIF, 64-bit store to tohost):
 *   1                  all cases passed                         (TEST_PASS)
 *   (n << 1) | 1       case n failed, 1 <= n <= 255              (qemu exit status n)
 *   (1337 << 1) | 1    unexpected trap (crt.S; mcause/mepc/mtval in trap_save)
 * Case numbers are limited to 1..255 because qemu reports the code as its 8-bit
 * process exit status; the macros refuse anything else at assembly time.
 */
#ifndef XLATE_ISA_TEST_H
#define XLATE_ISA_TEST_H

#define FAIL_UNEXPECTED_TRAP 1337

#define MSTATUS_SIE     (1 << 1)
#define MSTATUS_MIE     (1 << 3)
#define MSTATUS_SPIE    (1 << 5)
#define MSTATUS_MPIE    (1 << 7)
#define MSTATUS_SPP     (1 << 8)
#define MSTATUS_MPP     (3 << 11)
#define MSTATUS_MPP_S   (1 << 11)
#define MSTATUS_FS      (3 << 13)
#define MSTATUS_FS_INITIAL (1 << 13)
#define MSTATUS_MPRV    (1 << 17)
#define MSTATUS_SUM     (1 << 18)
#define MSTATUS_MXR     (1 << 19)
#define MSTATUS_TVM     (1 << 20)
#define MSTATUS_TW      (1 << 21)
#define MSTATUS_TSR     (1 << 22)

/* offsets in trap_save (crt.S) */
#define TS_RESUME 0
#define TS_CAUSE  8
#define TS_EPC    16
#define TS_TVAL   24
#define TS_T1     32

#ifdef __ASSEMBLER__

/* sets gp = n after checking the range */
#define CASE_NUM(n) \
    .if ((n) < 1) || ((n) > 255); .error "case number must be 1..255"; .endif; \
    li gp, n

/* branch to test_fail unless a == b (jump: test_fail may be far away) */
#define ASSERT_EQ(a, b) \
    beq a, b, 9999f; j test_fail; 9999:

/* TEST_CASE(n, reg, expected, code...): run code, then reg must equal the 64-bit
 * value expected. */
#define TEST_CASE(n, reg, expected, code...) \
    CASE_NUM(n); \
    code; \
    li t6, expected; \
    ASSERT_EQ(reg, t6)

#define TEST_PASS  j test_pass
#define TEST_FAIL  j test_fail

/* ---- floating point ---------------------------------------------------- */

/* load raw bits into an f register */
#define LD_D(freg, bits) li t6, bits; fmv.d.x freg, t6
#define LD_S(freg, bits) li t6, bits; fmv.w.x freg, t6

/* TEST_FP_D(n, freg, bits, flags, code...): clear fflags, run code; the 64 bits of
 * freg must equal bits and fflags must equal flags exactly. */
#define TEST_FP_D(n, freg, bits, flags, code...) \
    CASE_NUM(n); \
    fsflags x0; \
    code; \
    frflags t5; \
    fmv.x.d t4, freg; \
    li t6, bits; \
    ASSERT_EQ(t4, t6); \
    li t6, flags; \
    ASSERT_EQ(t5, t6)

/* TEST_FP_S: as TEST_FP_D for a single result: the register must hold the
 * NaN-boxed value 0xffffffff_<bits> (the upper 32 bits are checked too). */
#define TEST_FP_S(n, freg, bits, flags, code...) \
    CASE_NUM(n); \
    fsflags x0; \
    code; \
    frflags t5; \
    fmv.x.d t4, freg; \
    li t6, (0xffffffff00000000 | (bits)); \
    ASSERT_EQ(t4, t6); \
    li t6, flags; \
    ASSERT_EQ(t5, t6)

/* TEST_FP_INT(n, reg, expected, flags, code...): integer result of an FP op
 * (compare, class, convert, move) and the exact fflags. */
#define TEST_FP_INT(n, reg, expected, flags, code...) \
    CASE_NUM(n); \
    fsflags x0; \
    code; \
    frflags t5; \
    li t6, expected; \
    ASSERT_EQ(reg, t6); \
    li t6, flags; \
    ASSERT_EQ(t5, t6)

/* fflags bits */
#define NX 0x01
#define UF 0x02
#define OF 0x04
#define DZ 0x08
#define NV 0x10

/* ---- traps ------------------------------------------------------------- */

/* EXPECT_TRAP(label): the next trap to the default M handler resumes at label in
 * M-mode, with mcause/mepc/mtval saved in trap_save. */
#define EXPECT_TRAP(label) \
    la t5, trap_save; la t6, label; sd t6, TS_RESUME(t5)

/* TEST_TRAP(n, cause, code...): code must trap with mcause == cause. The trap
 * returns to M-mode just after the case; a case without a trap fails. */
#define TEST_TRAP(n, cause, code...) \
    CASE_NUM(n); \
    EXPECT_TRAP(9998f); \
    code; \
    j test_fail; \
    9998: \
    la t5, trap_save; ld t4, TS_CAUSE(t5); li t6, cause; \
    ASSERT_EQ(t4, t6)

/* after a trap: check the saved mepc / mtval */
#define TEST_TRAP_EPC(n, expected_addr) \
    CASE_NUM(n); \
    la t5, trap_save; ld t4, TS_EPC(t5); la t6, expected_addr; \
    ASSERT_EQ(t4, t6)
#define TEST_TRAP_TVAL(n, expected) \
    CASE_NUM(n); \
    la t5, trap_save; ld t4, TS_TVAL(t5); li t6, expected; \
    ASSERT_EQ(t4, t6)
#define TEST_TRAP_TVAL_ADDR(n, expected_addr) \
    CASE_NUM(n); \
    la t5, trap_save; ld t4, TS_TVAL(t5); la t6, expected_addr; \
    ASSERT_EQ(t4, t6)

/* start of a test body */
#define TEST_BEGIN \
    .text; .balign 4; .globl test_main; test_main:

#endif /* __ASSEMBLER__ */
#endif
