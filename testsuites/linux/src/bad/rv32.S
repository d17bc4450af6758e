/* A tiny 32-bit RISC-V program (exit(0)): ELFCLASS32, which xlate (RV64 only)
 * must refuse. */
    .text
    .globl _start
_start:
    li a0, 0
    li a7, 93
    ecall
