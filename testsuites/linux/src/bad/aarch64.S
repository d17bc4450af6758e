/* A tiny AArch64 Linux program (exit(0)): the wrong machine for xlate. Built
 * only when aarch64-linux-gnu-gcc is installed. */
    .text
    .globl _start
_start:
    mov x0, #0
    mov x8, #93
    svc #0
