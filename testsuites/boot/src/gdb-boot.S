/*
 * gdb-boot: an S-mode payload for the gdb stub test of `xlate boot -g` (tests/gdb.rs),
 * entered in S-mode with --bios none. Keeps its symbols (the test breaks at `checkpoint`).
 * Sets sepc and sscratch to known values, calls `checkpoint` with a0 = 42, adds what
 * `checkpoint` returns to a counter in memory, and ends through the SiFive test finisher
 * with code 5 (the status gdb and the shell see).
 */
#define FINISHER  0x100000

    .file   "gdb-boot.S"            /* the symbol table names this, not a temporary file */

    .section .text
    .globl _start
_start:
    la      sp, stack_top
    li      t0, 0x1234
    csrw    sepc, t0
    li      a0, 42
    call    checkpoint
    la      t1, counter
    ld      t2, 0(t1)
    add     t2, t2, a0
    sd      t2, 0(t1)
    li      t0, FINISHER
    li      t1, (5 << 16) | 0x3333
    sw      t1, 0(t0)
1:  wfi
    j       1b

    .globl checkpoint
checkpoint:
    addi    a0, a0, 1
    ret

    .section .data
    .balign 8
    .globl counter
counter:
    .dword  100

    .section .bss
    .balign 16
    .space  4096
stack_top:
