/* jump_unmapped: prints a line, then jumps to an address with nothing mapped
 * (0x1000: below the 0x10000 link address of this static program, and never
 * chosen by mmap since Linux keeps mmap_min_addr >= 4096). The
 * instruction fetch faults and the process dies with SIGSEGV: 139 = 128 + 11. */
    .section .rodata
msg:
    .ascii "jumping to unmapped memory\n"
    .set msglen, . - msg

    .text
    .globl _start
_start:
    li a0, 1
    la a1, msg
    li a2, msglen
    li a7, 64          /* write */
    ecall
    li t0, 0x1000
    jalr ra, 0(t0)
    li a0, 0           /* not reached */
    li a7, 93
    ecall

