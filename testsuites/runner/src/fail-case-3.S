/* Fails case 3: tohost = (3 << 1) | 1, written as two 32-bit halves (low first, as the
 * riscv-tests environment does); only the second store completes the word. */
#include "htif.h"
    .section .text.init
    .globl _start
_start:
    la t1, tohost
    li t0, 7
1:  sw t0, 0(t1)
    sw zero, 4(t1)
    j 1b
TOHOST_SECTION
