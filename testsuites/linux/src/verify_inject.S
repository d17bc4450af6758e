/* verify_inject: known integer results, for the `xlate run --verify` tests (tests/verify.rs).
 * Exits with status 42, the sum the addw computes; a store and a load of it through the
 * stack come before the exit. With XLATE_JIT_FAULT_INJECT=addw the JIT translates that addw
 * wrongly (lowest bit flipped: 43), which --verify must catch in the block at _start, in a2. */
    .text
    .globl _start
_start:
    li a0, 40
    li a1, 2
    addw a2, a0, a1    /* a2 = 42 */
    addi sp, sp, -16
    sd a2, 0(sp)
    ld a0, 0(sp)
    addi sp, sp, 16
    li a7, 93          /* exit */
    ecall
