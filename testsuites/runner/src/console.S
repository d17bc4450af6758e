/* Console: putchar through HTIF device 1 and SYS_write through the syscall proxy, then
 * SYS_exit(0) through the proxy (a pass). */
#include "htif.h"
    .section .text.init
    .globl _start
_start:
    la t1, tohost
    la t2, fromhost
    li t0, (1 << 56) | (1 << 48) | 'A'
    sd t0, 0(t1)
1:  ld t0, 0(t1)          /* wait until the host took it */
    bnez t0, 1b
    la a0, magic
    la t0, msg
    sd t0, 16(a0)         /* magic[2] = buf */
    sd a0, 0(t1)          /* syscall: write(1, msg, 3) */
2:  ld t0, 0(t2)
    beqz t0, 2b
    sd zero, 0(t2)
    ld t0, 0(a0)          /* magic[0] = result: 3 */
    li t3, 3
    bne t0, t3, fail
    li t0, 93
    sd t0, 0(a0)
    sd zero, 8(a0)        /* exit(0) */
    sd a0, 0(t1)
3:  j 3b
fail:
    EXIT(3)
TOHOST_SECTION
    .data
    .align 6
magic:
    .dword 64, 1, 0, 3, 0, 0, 0, 0
msg:
    .ascii "bc\n"
