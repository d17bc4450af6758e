/* xlate ISA conformance suite: start file and default M-mode trap handler.
 *
 * _start (M-mode, at 0x80000000):
 *   - points mtvec at trap_vector (direct mode),
 *   - opens PMP entry 0 over the whole physical address space (NAPOT, RWX) so S/U
 *     accesses are allowed (skipped if PMP is not implemented),
 *   - clears satp, mie, mip-writable bits, medeleg, mideleg, mcounteren bits left at reset,
 *   - sets mstatus.FS = Initial (01) and fcsr = 0, zeroes f0-f31,
 *   - zeroes every integer register, sets sp to the top of a 4 KiB stack,
 *   - jumps to test_main (defined by the test).
 *
 * trap_vector: if trap_save.resume is non-zero (armed by EXPECT_TRAP), records
 * mcause/mepc/mtval in trap_save, disarms, sets mstatus.MPP = M and returns (mret) to
 * the resume address in M-mode. Otherwise the trap is unexpected: it records the
 * same values and ends the test with the FAIL code (1337 << 1) | 1 in tohost.
 * A test may take over trap handling entirely by defining a strong `test_trap`
 * symbol (the weak default is the handler described above) or by writing mtvec.
 */
#include "test.h"

    .section .text.init, "ax"
    .globl _start
_start:
    la      t0, trap_vector
    csrw    mtvec, t0

    /* PMP: entry 0 = NAPOT over the whole 56-bit physical address space, RWX
     * (pmpaddr0 = 2^53 - 1). A trap (no PMP) skips it. */
    la      t0, 1f
    csrw    mtvec, t0
    li      t0, (1 << 53) - 1
    csrw    pmpaddr0, t0
    li      t0, 0x1f
    csrw    pmpcfg0, t0
    .balign 4
1:  la      t0, trap_vector
    csrw    mtvec, t0

    csrwi   satp, 0
    csrwi   mie, 0
    csrwi   medeleg, 0
    csrwi   mideleg, 0
    li      t0, MSTATUS_FS
    csrc    mstatus, t0
    li      t0, MSTATUS_FS_INITIAL
    csrs    mstatus, t0
    csrwi   fcsr, 0
    fmv.d.x f0, x0
    fmv.d.x f1, x0
    fmv.d.x f2, x0
    fmv.d.x f3, x0
    fmv.d.x f4, x0
    fmv.d.x f5, x0
    fmv.d.x f6, x0
    fmv.d.x f7, x0
    fmv.d.x f8, x0
    fmv.d.x f9, x0
    fmv.d.x f10, x0
    fmv.d.x f11, x0
    fmv.d.x f12, x0
    fmv.d.x f13, x0
    fmv.d.x f14, x0
    fmv.d.x f15, x0
    fmv.d.x f16, x0
    fmv.d.x f17, x0
    fmv.d.x f18, x0
    fmv.d.x f19, x0
    fmv.d.x f20, x0
    fmv.d.x f21, x0
    fmv.d.x f22, x0
    fmv.d.x f23, x0
    fmv.d.x f24, x0
    fmv.d.x f25, x0
    fmv.d.x f26, x0
    fmv.d.x f27, x0
    fmv.d.x f28, x0
    fmv.d.x f29, x0
    fmv.d.x f30, x0
    fmv.d.x f31, x0
    csrwi   fflags, 0

    li x1, 0
    li x3, 0
    li x4, 0
    li x5, 0
    li x6, 0
    li x7, 0
    li x8, 0
    li x9, 0
    li x10, 0
    li x11, 0
    li x12, 0
    li x13, 0
    li x14, 0
    li x15, 0
    li x16, 0
    li x17, 0
    li x18, 0
    li x19, 0
    li x20, 0
    li x21, 0
    li x22, 0
    li x23, 0
    li x24, 0
    li x25, 0
    li x26, 0
    li x27, 0
    li x28, 0
    li x29, 0
    li x30, 0
    li x31, 0
    la      sp, stack_top
    j       test_main

/* ---- trap handling ---------------------------------------------------- */
    .balign 4
    .globl trap_vector
trap_vector:
    j       test_trap

    .weak test_trap
    .balign 4
test_trap:
    csrw    mscratch, t0
    la      t0, trap_save
    sd      t1, TS_T1(t0)
    csrr    t1, mcause
    sd      t1, TS_CAUSE(t0)
    csrr    t1, mepc
    sd      t1, TS_EPC(t0)
    csrr    t1, mtval
    sd      t1, TS_TVAL(t0)
    ld      t1, TS_RESUME(t0)
    beqz    t1, unexpected_trap
    sd      zero, TS_RESUME(t0)
    csrw    mepc, t1
    li      t1, MSTATUS_MPP
    csrs    mstatus, t1          /* resume in M-mode */
    ld      t1, TS_T1(t0)
    csrr    t0, mscratch
    mret

unexpected_trap:
    li      gp, FAIL_UNEXPECTED_TRAP
    /* fall through */

/* test_fail: gp holds the failing case number n; writes (n << 1) | 1. */
    .globl test_fail
test_fail:
    slli    t6, gp, 1
    ori     t6, t6, 1
    j       write_tohost

    .globl test_pass
test_pass:
    li      t6, 1
write_tohost:
    fence
    la      t5, tohost
    sd      t6, 0(t5)
1:  j       1b

/* ---- data ------------------------------------------------------------- */
    .section .tohost, "aw", @progbits
    .balign 64
    .globl tohost
    .type tohost, @object
    .size tohost, 8
tohost: .dword 0
    .balign 64
    .globl fromhost
    .type fromhost, @object
    .size fromhost, 8
fromhost: .dword 0
    .balign 64

    .data
    .balign 64
    .globl trap_save
trap_save:
    .dword 0        /* TS_RESUME: resume address armed by EXPECT_TRAP (0 = none) */
    .dword 0        /* TS_CAUSE */
    .dword 0        /* TS_EPC */
    .dword 0        /* TS_TVAL */
    .dword 0        /* TS_T1: scratch */

    .bss
    .balign 16
stack_bottom:
    .skip 4096
    .globl stack_top
stack_top:
