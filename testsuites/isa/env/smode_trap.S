/* The S-mode trap handler of env/smode.h and its record (strap_save). */
    .balign 4
s_trap:
    csrw    sscratch, t0
    la      t0, strap_save
    sd      t1, SS_T1(t0)
    csrr    t1, scause
    sd      t1, SS_CAUSE(t0)
    csrr    t1, sepc
    sd      t1, SS_EPC(t0)
    csrr    t1, stval
    sd      t1, SS_TVAL(t0)
    csrr    t1, sstatus
    sd      t1, SS_STATUS(t0)
    ld      t1, SS_RESUME(t0)
    beqz    t1, 1f
    sd      zero, SS_RESUME(t0)
    csrw    sepc, t1
    li      t1, SSTATUS_SPP
    csrs    sstatus, t1             /* resume in S */
    ld      t1, SS_T1(t0)
    csrr    t0, sscratch
    sret
1:  j       test_fail

    .pushsection .data
    .balign 64
strap_save: .dword 0, 0, 0, 0, 0, 0
    .popsection
