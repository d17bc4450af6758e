/* rv64si: supervisor mode (privileged spec 1.12): medeleg delegation to S, sret,
 * sstatus as a view of mstatus, scause/sepc/stval, mstatus.TVM and TSR, and Sv39:
 * a page table built by the test (1 GiB identity gigapage over RAM + 4 KiB pages at
 * VA 0x40000000), page faults with stval = VA, hardware A/D update, U bit, SUM, MXR.
 *
 * Page tables and A/D: the spec lets a hart either update A/D in the PTE or raise a
 * page fault when they need setting (Svade). xlate updates them (like qemu); these
 * cases expect the update.
 *
 * S-mode traps go to s_trap (stvec), which records scause/sepc/stval/sstatus in
 * strap_save and, when armed, resumes in S-mode at the armed address. S code returns
 * to M with ecall (cause 9), caught by the default M handler (TEST_TRAP). */
#include "test.h"
#include "smode.h"


#define VA_RW   0x40000000      /* R W, A = D = 0 initially -> pgdata */
#define VA_U    0x40001000      /* U R W A D             -> pgdata2 */
#define VA_UX   0x40002000      /* U X R A               -> ucode */
#define VA_NONE 0x40003000      /* invalid */
#define VA_XO   0x40004000      /* X A (execute-only)    -> pgdata */

#define PTE_V 0x01
#define PTE_R 0x02
#define PTE_W 0x04
#define PTE_X 0x08
#define PTE_U 0x10
#define PTE_A 0x40
#define PTE_D 0x80
#define SATP_SV39 (8 << 60)


TEST_BEGIN
    la t0, s_trap
    csrw stvec, t0
    csrwi medeleg, 0

    /* ---- sstatus is a restricted view of mstatus ---- */
    TEST_CASE(1,  a0, MSTATUS_SIE, csrsi sstatus, MSTATUS_SIE; csrr a0, mstatus; andi a0, a0, MSTATUS_SIE)
    TEST_CASE(2,  a0, 0, csrci mstatus, MSTATUS_SIE; csrr a0, sstatus; andi a0, a0, MSTATUS_SIE)
    TEST_CASE(3,  a0, 0, li a1, MSTATUS_MPP | MSTATUS_MIE | MSTATUS_MPIE | MSTATUS_TVM | MSTATUS_TW | MSTATUS_TSR | MSTATUS_MPRV; \
                  li a2, MSTATUS_MPP | MSTATUS_TVM | MSTATUS_TW | MSTATUS_TSR; csrs mstatus, a2; csrr a0, sstatus; and a0, a0, a1; csrc mstatus, a2)
    TEST_CASE(4,  a0, 0, li a1, MSTATUS_MPP; csrc mstatus, a1; csrs sstatus, a1; csrr a0, mstatus; and a0, a0, a1)   /* MPP not writable via sstatus */
    TEST_CASE(5,  a0, MSTATUS_SUM | MSTATUS_MXR, li a1, MSTATUS_SUM | MSTATUS_MXR; csrs sstatus, a1; csrr a0, mstatus; and a0, a0, a1; csrc sstatus, a1)
    TEST_CASE(6,  a0, 2, csrr a0, sstatus; srli a0, a0, 32; andi a0, a0, 3)          /* UXL = 64 */
    TEST_CASE(7,  a0, MSTATUS_FS, csrr a0, sstatus; li a1, MSTATUS_FS; and a0, a0, a1)  /* FS visible (Dirty after crt) */

    /* ---- delegation: ecall from U handled in S, sret back to U ---- */
    TEST_CASE(8, a0, 1 << 8, li a1, 1 << 8; csrw medeleg, a1; csrr a0, medeleg; li a1, 1 << 8; and a0, a0, a1)
    S_RUN(9, 9, la a0, 1f; S_GOTO_U(a0); 1: li a0, 0x77; 2: ecall)
    S_CHECK(10, SS_CAUSE, 8)
    S_CHECK_ADDR(11, SS_EPC, 2b)
    S_CHECK(12, SS_TVAL, 0)
    CASE_NUM(13); la t5, strap_save; ld t4, SS_STATUS(t5); andi t4, t4, SSTATUS_SPP; ASSERT_EQ(t4, zero)   /* from U: SPP = 0 */
    TEST_CASE(14, a0, 0x77, nop)
    /* ecall from S is not delegated (medeleg bit 9 clear): reaches M as cause 9 */
    TEST_CASE(15, a0, 0, csrr a0, scause; li a1, -1; csrw scause, a1; csrr a1, scause; li a0, 0)
    /* illegal instruction and ebreak in S, delegated: scause, sepc, stval, SPP = 1 */
    TEST_CASE(16, a0, 0, li a1, (1 << 2) | (1 << 3); csrw medeleg, a1; li a0, 0)
    S_RUN(17, 9, 1: .word 0xfe000033)
    S_CHECK(18, SS_CAUSE, 2)
    S_CHECK_ADDR(19, SS_EPC, 1b)
    S_CHECK(20, SS_TVAL, 0xfe000033)
    CASE_NUM(21); la t5, strap_save; ld t4, SS_STATUS(t5); andi t4, t4, SSTATUS_SPP; li t6, SSTATUS_SPP; ASSERT_EQ(t4, t6)
    S_RUN(22, 9, 1: .option push; .option norvc; ebreak; .option pop)
    S_CHECK(23, SS_CAUSE, 3)
    S_CHECK_ADDR(24, SS_EPC, 1b)
    /* a delegated trap taken in M stays in M */
    TEST_TRAP(25, 2, .word 0xfe000033)
    TEST_CASE(26, a0, 0, csrwi medeleg, 0; li a0, 0)

    /* ---- TVM: satp and sfence.vma illegal in S; TSR: sret illegal in S ---- */
    S_RUN(27, 9, csrr a0, satp)                 /* TVM = 0: allowed */
    S_RUN(28, 9, sfence.vma)
    TEST_TRAP(29, 2, li t0, MSTATUS_TVM; csrs mstatus, t0; GOTO_S(1f); 1: csrr a0, satp)
    TEST_TRAP(30, 2, GOTO_S(1f); 1: csrw satp, zero)
    TEST_TRAP(31, 2, GOTO_S(1f); 1: sfence.vma)
    TEST_CASE(32, a0, 0, li t0, MSTATUS_TVM; csrc mstatus, t0; li a0, 0)
    TEST_TRAP(33, 2, li t0, MSTATUS_TSR; csrs mstatus, t0; GOTO_S(1f); 1: la a0, 2f; csrw sepc, a0; sret; 2: ecall)
    TEST_CASE(34, a0, 0, li t0, MSTATUS_TSR; csrc mstatus, t0; li a0, 0)
    S_RUN(35, 8, la a0, 1f; S_GOTO_U(a0); 1: ecall)    /* TSR = 0: sret works (ecall from U reaches M: cause 8) */

    /* ---- Sv39 ---- */
    /* build the tables (in M, physical) */
    la a0, pt_root
    li a1, ((0x80000000 >> 12) << 10) | PTE_V | PTE_R | PTE_W | PTE_X | PTE_A | PTE_D
    sd a1, 2 * 8(a0)                            /* VA 2 GiB..3 GiB = PA, gigapage */
    la a1, pt_l1; srli a1, a1, 12; slli a1, a1, 10; ori a1, a1, PTE_V
    sd a1, 1 * 8(a0)                            /* VA 1 GiB.. -> pt_l1 */
    la a0, pt_l1
    la a1, pt_l0; srli a1, a1, 12; slli a1, a1, 10; ori a1, a1, PTE_V
    sd a1, 0(a0)
    la a0, pt_l0
    la a1, pgdata; srli a1, a1, 12; slli a1, a1, 10; ori a1, a1, PTE_V | PTE_R | PTE_W
    sd a1, 0 * 8(a0)
    la a1, pgdata2; srli a1, a1, 12; slli a1, a1, 10; ori a1, a1, PTE_V | PTE_R | PTE_W | PTE_U | PTE_A | PTE_D
    sd a1, 1 * 8(a0)
    la a1, ucode; srli a1, a1, 12; slli a1, a1, 10; ori a1, a1, PTE_V | PTE_X | PTE_R | PTE_U | PTE_A
    sd a1, 2 * 8(a0)
    sd zero, 3 * 8(a0)
    la a1, pgdata; srli a1, a1, 12; slli a1, a1, 10; ori a1, a1, PTE_V | PTE_X | PTE_A
    sd a1, 4 * 8(a0)
    la a0, pgdata;  li a1, 0x1111222233334444; sd a1, 0(a0)
    la a0, pgdata2; li a1, 0x5555666677778888; sd a1, 0(a0)
    li a0, (1 << 12) | (1 << 13) | (1 << 15)    /* page faults handled in S */
    csrw medeleg, a0
    la a0, pt_root; srli a0, a0, 12; li a1, SATP_SV39; or a0, a0, a1
    csrw satp, a0
    sfence.vma

    TEST_CASE(40, a0, 8, csrr a0, satp; srli a0, a0, 60)
    /* load through the 4 KiB mapping; A set by the walk, D still clear */
    S_RUN(41, 9, li a0, 0; li a1, VA_RW; ld a0, 0(a1))
    TEST_CASE(42, a0, 0x1111222233334444, nop)
    S_CHECK(43, SS_CAUSE, -1)
    TEST_CASE(44, a0, PTE_A, la a1, pt_l0; ld a0, 0(a1); andi a0, a0, PTE_A | PTE_D)
    /* store: D set */
    S_RUN(45, 9, li a1, VA_RW; li a2, 0x0123456789abcdef; sd a2, 8(a1))
    TEST_CASE(46, a0, PTE_A | PTE_D, la a1, pt_l0; ld a0, 0(a1); andi a0, a0, PTE_A | PTE_D)
    TEST_CASE(47, a0, 0x0123456789abcdef, la a1, pgdata; ld a0, 8(a1))     /* reached the physical page */
    /* code and data in the identity gigapage keep working */
    S_RUN(48, 9, la a1, pgdata; ld a0, 0(a1))
    TEST_CASE(49, a0, 0x1111222233334444, nop)
    /* unmapped VA: load page fault 13 / store page fault 15, stval = VA */
    S_RUN(50, 9, li a1, VA_NONE + 0x18; 1: ld a0, 0(a1))
    S_CHECK(51, SS_CAUSE, 13)
    S_CHECK(52, SS_TVAL, VA_NONE + 0x18)
    S_CHECK_ADDR(53, SS_EPC, 1b)
    S_RUN(54, 9, li a1, VA_NONE + 0x7f0; sw a0, 4(a1))
    S_CHECK(55, SS_CAUSE, 15)
    S_CHECK(56, SS_TVAL, VA_NONE + 0x7f4)
    /* VA not canonical (bits 63:39 differ from bit 38): page fault */
    S_RUN(57, 9, li a1, 0x0000008000000000; ld a0, 0(a1))
    S_CHECK(58, SS_CAUSE, 13)
    /* U page from S: fault unless SUM */
    S_RUN(59, 9, li a1, VA_U; ld a0, 0(a1))
    S_CHECK(60, SS_CAUSE, 13)
    S_CHECK(61, SS_TVAL, VA_U)
    S_RUN(62, 9, li a0, 0; li t0, MSTATUS_SUM; csrs sstatus, t0; li a1, VA_U; ld a0, 0(a1); csrc sstatus, t0)
    S_CHECK(63, SS_CAUSE, -1)
    TEST_CASE(64, a0, 0x5555666677778888, nop)
    /* execute-only page: load faults unless MXR */
    S_RUN(65, 9, li a1, VA_XO; ld a0, 0(a1))
    S_CHECK(66, SS_CAUSE, 13)
    S_RUN(67, 9, li a0, 0; li t0, MSTATUS_MXR; csrs sstatus, t0; li a1, VA_XO; ld a0, 0(a1); csrc sstatus, t0)
    S_CHECK(68, SS_CAUSE, -1)
    TEST_CASE(69, a0, 0x1111222233334444, nop)
    S_RUN(70, 9, li a1, VA_XO; li t0, MSTATUS_MXR; csrs sstatus, t0; sd a0, 0(a1); csrc sstatus, t0)   /* MXR does not allow stores */
    S_CHECK(71, SS_CAUSE, 15)
    /* U-mode: runs from the U|X page; may access the U page, not the S page */
    S_RUN(72, 8, li s1, VA_U; li a0, VA_UX + 0; S_GOTO_U(a0))
    TEST_CASE(73, a0, 0x5555666677778888, nop)
    S_RUN(74, 9, li s1, VA_RW; li a0, VA_UX + 0; S_GOTO_U(a0))
    S_CHECK(75, SS_CAUSE, 13)
    S_CHECK(76, SS_TVAL, VA_RW)
    S_CHECK(77, SS_EPC, VA_UX + 0)
    /* SUM does not open S pages to U */
    S_RUN(78, 9, li t0, MSTATUS_SUM; csrs sstatus, t0; li s1, VA_RW; li a0, VA_UX + 0; S_GOTO_U(a0))
    S_CHECK(79, SS_CAUSE, 13)
    /* U store to a read-only-for-U page: the U|X|R code page */
    S_RUN(80, 9, csrc sstatus, t0; li s1, VA_UX; li a0, VA_UX + 8; S_GOTO_U(a0))
    S_CHECK(81, SS_CAUSE, 15)
    /* remapping: change the PTE, sfence.vma, the new translation is used */
    CASE_NUM(82)
    la a0, pt_l0; la a1, pgdata2; srli a1, a1, 12; slli a1, a1, 10; ori a1, a1, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D; sd a1, 0(a0)
    S_RUN(83, 9, sfence.vma; li a1, VA_RW; ld a0, 0(a1))
    TEST_CASE(84, a0, 0x5555666677778888, nop)
    TEST_CASE(85, a0, 0, csrw satp, zero; sfence.vma; csrwi medeleg, 0; li a0, 0)
    TEST_PASS

#include "smode_trap.S"

/* ---- U code, reached through VA_UX ---- */
    .balign 4096
    .option push
    .option norvc
ucode:
ucode_load:                 /* VA_UX + 0 */
    ld      a0, 0(s1)
    ecall
ucode_store:                /* VA_UX + 8 */
    sd      a0, 0(s1)
    ecall
    .option pop
    .balign 4096

    .bss
    .balign 4096
pt_root: .skip 4096
pt_l1:   .skip 4096
pt_l0:   .skip 4096
pgdata:  .skip 4096
pgdata2: .skip 4096
