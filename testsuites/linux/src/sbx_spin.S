/* sbx_spin: a guest that never ends, for the --max-instructions and --timeout tests.
 *   sbx_spin             counts to 1000000 in a tight loop, prints "spun" and exits 0
 *   sbx_spin loop        spins forever in a tight loop (one translated block jumping
 *                        to itself: only an instruction budget stops it)
 *   sbx_spin loop sleep  sleeps forever in nanosleep (blocked in the host kernel) */
    .section .rodata
msg:
    .ascii "spun\n"
    .set msglen, . - msg
ts:
    .dword 1000, 0     /* 1000 s */

    .text
    .globl _start
_start:
    ld t0, 0(sp)       /* argc */
    li t1, 3
    beq t0, t1, sleep
    li t1, 2
    beq t0, t1, forever
    li t2, 1000000
count:
    addi t2, t2, -1
    bnez t2, count
    li a0, 1
    la a1, msg
    li a2, msglen
    li a7, 64          /* write */
    ecall
    li a0, 0
    li a7, 93          /* exit */
    ecall
forever:
    addi t2, t2, 1
    j forever
sleep:
    la a0, ts
    li a1, 0
    li a7, 101         /* nanosleep */
    ecall
    j sleep
