/* Jumps into garbage with mtvec = 0: the illegal instruction traps to address 0, which is
 * not memory, so every trap faults again without retiring an instruction (a trap loop). */
#include "htif.h"
    .section .text.init
    .globl _start
_start:
    csrw mtvec, zero
    la t0, junk
    jr t0
    .data
junk:
    .word 0xffffffff
TOHOST_SECTION
