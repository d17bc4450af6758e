/* Never writes tohost: loops forever (TIMEOUT). */
#include "htif.h"
    .section .text.init
    .globl _start
_start:
1:  addi a0, a0, 1
    j 1b
TOHOST_SECTION
