/* S-mode helpers for the privileged tests (rv64si, rv64ssstc): enter S from M, drop
 * to U from S, and an S-mode trap handler (s_trap, env/smode_trap.S) that records
 * scause/sepc/stval/sstatus in strap_save and, when armed, resumes in S-mode at the
 * armed address. Include after test.h; include smode_trap.S once, after the cases. */
#ifndef SMODE_H
#define SMODE_H

#define SSTATUS_SPP (1 << 8)

#define GOTO_S(label) la t0, label; csrw mepc, t0; li t0, MSTATUS_MPP; csrc mstatus, t0; li t0, MSTATUS_MPP_S; csrs mstatus, t0; mret
/* from S: drop to U at address (register) */
#define S_GOTO_U(reg) csrw sepc, reg; li t0, MSTATUS_SPP; csrc sstatus, t0; sret

/* strap_save layout */
#define SS_RESUME 0
#define SS_CAUSE  8
#define SS_EPC    16
#define SS_TVAL   24
#define SS_T1     32
#define SS_STATUS 40

/* arm the S handler (resume at label) and reset the recorded cause to -1 */
#define ARM_S(label) la t5, strap_save; la t6, label; sd t6, SS_RESUME(t5); li t6, -1; sd t6, SS_CAUSE(t5)
#define DISARM_S la t5, strap_save; sd zero, SS_RESUME(t5)
/* check a strap_save slot */
#define S_CHECK(n, slot, expected) CASE_NUM(n); la t5, strap_save; ld t4, slot(t5); li t6, expected; ASSERT_EQ(t4, t6)
#define S_CHECK_ADDR(n, slot, label) CASE_NUM(n); la t5, strap_save; ld t4, slot(t5); la t6, label; ASSERT_EQ(t4, t6)

/* S_RUN(n, mcause, code...): run code in S-mode (S handler armed to resume at the
 * final ecall); the trap back to M must have mcause (9: from S). */
#define S_RUN(n, mcause, code...) \
    ARM_S(9997f); \
    TEST_TRAP(n, mcause, GOTO_S(9996f); 9996: code; 9997: ecall); \
    DISARM_S

#endif
