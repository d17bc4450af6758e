/* riscv-arch-test style: results in begin_signature..end_signature, then tohost = 1.
 * signature.reference_output holds the expected words. */
#include "htif.h"
    .section .text.init
    .globl _start
_start:
    la t1, begin_signature
    li t0, 0x12345678
    sw t0, 0(t1)
    li t0, -1
    sw t0, 4(t1)
    li t0, 0xdeadbeefcafef00d
    sd t0, 8(t1)
    EXIT(1)
TOHOST_SECTION
    .data
    .align 4
    .globl begin_signature
begin_signature:
    .fill 4, 4, 0
    .globl end_signature
end_signature:
