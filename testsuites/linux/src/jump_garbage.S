/* jump_garbage: prints a line, then jumps to an all-zero word in the text
 * segment. 0x0000 is defined to be an illegal instruction (RISC-V spec,
 * "C" chapter: the all-zero 16-bit pattern is reserved as illegal), so the
 * process must die with SIGILL: the shell sees 132 = 128 + 4. */
    .section .rodata
msg:
    .ascii "jumping into an illegal instruction\n"
    .set msglen, . - msg

    .text
    .globl _start
_start:
    li a0, 1
    la a1, msg
    li a2, msglen
    li a7, 64          /* write */
    ecall
    la t0, garbage
    jr t0
    li a0, 0           /* not reached */
    li a7, 93          /* exit */
    ecall
    .balign 4
garbage:
    .word 0x00000000
    .word 0x00000000

