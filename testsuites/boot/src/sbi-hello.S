/*
 * An S-mode payload for `xlate boot` (loaded at 0x80200000, entered in S-mode with
 * a0 = hartid, a1 = device tree): prints through the SBI legacy console, checks the SBI base
 * extension, takes a timer interrupt programmed through SBI TIME while sleeping in wfi, then
 * echoes console input in upper case using the UART's receive interrupt through the PLIC
 * (S-mode context of hart 0), until it reads 'q'; then shuts down with SBI SRST. A failed
 * check writes FAIL and ends through the SiFive test finisher with code 3.
 *
 * Runs the same under the built-in SBI (--bios none) and under OpenSBI's fw_jump.
 */
#define SBI_TIME  0x54494D45
#define SBI_SRST  0x53525354
#define UART      0x10000000
#define PLIC      0x0c000000
#define FINISHER  0x100000
#define WAIT      200000            /* 20 ms at 10 MHz */

    .section .text
    .globl _start
_start:
    la      sp, stack_top
    la      a0, msg_hello
    call    puts
    /* Base extension: spec version >= 1.0, TIME present. */
    li      a7, 0x10
    li      a6, 0
    ecall
    bnez    a0, fail
    srli    t0, a1, 24
    beqz    t0, fail
    li      a7, 0x10
    li      a6, 3
    li      a0, SBI_TIME
    ecall
    bnez    a0, fail
    beqz    a1, fail
    la      a0, msg_sbi
    call    puts

    /* Timer interrupt while in wfi. */
    la      t0, trap
    csrw    stvec, t0
    li      t0, 0x20                /* STIE */
    csrs    sie, t0
    rdtime  s0
    li      t1, WAIT
    add     a0, s0, t1
    li      a7, SBI_TIME
    li      a6, 0
    ecall
    /* Check the flag with interrupts off, then wfi (it wakes on a pending enabled
       interrupt even with SIE clear), then let the interrupt in. */
1:  la      t0, ticks
    ld      t1, 0(t0)
    bnez    t1, 7f
    wfi
    csrsi   sstatus, 2              /* SIE: the interrupt is taken here */
    csrci   sstatus, 2
    j       1b
7:
    rdtime  s1
    sub     t2, s1, s0
    li      t1, WAIT
    bltu    t2, t1, fail
    la      a0, msg_timer
    call    puts

    /* Console input through the PLIC. */
    la      a0, msg_echo
    call    puts
    li      t0, PLIC + 4 * 10
    li      t1, 1
    sw      t1, 0(t0)               /* priority of source 10 */
    li      t0, PLIC + 0x2080
    li      t1, 1 << 10
    sw      t1, 0(t0)               /* enable for context 1 (S-mode) */
    li      t0, PLIC + 0x201000
    sw      zero, 0(t0)             /* threshold */
    li      t0, UART + 1
    li      t1, 1
    sb      t1, 0(t0)               /* IER: received data available */
    li      t0, 0x200               /* SEIE */
    csrs    sie, t0
2:  la      t0, done
    ld      t1, 0(t0)
    bnez    t1, 8f
    wfi
    csrsi   sstatus, 2
    csrci   sstatus, 2
    j       2b
8:
    la      a0, msg_bye
    call    puts
    li      a7, SBI_SRST
    li      a6, 0
    li      a0, 0                   /* shutdown */
    li      a1, 0                   /* no reason */
    ecall
    j       fail                    /* SRST does not return */

fail:
    csrci   sstatus, 2
    la      a0, msg_fail
    call    puts
    li      t0, FINISHER
    li      t1, 0x33333             /* fail, code 3 */
    sw      t1, 0(t0)
3:  j       3b

/* puts(a0): through the SBI legacy console putchar. */
puts:
    mv      t3, a0
1:  lbu     a0, 0(t3)
    beqz    a0, 2f
    li      a7, 1
    ecall
    addi    t3, t3, 1
    j       1b
2:  ret

/* uart_putc(a0): straight to the UART. */
uart_putc:
    li      t0, UART
1:  lbu     t1, 5(t0)
    andi    t1, t1, 0x20
    beqz    t1, 1b
    sb      a0, 0(t0)
    ret

    .align 2
trap:
    addi    sp, sp, -96
    sd      ra, 0(sp)
    sd      t0, 8(sp)
    sd      t1, 16(sp)
    sd      t2, 24(sp)
    sd      a0, 32(sp)
    sd      a1, 40(sp)
    sd      a6, 48(sp)
    sd      a7, 56(sp)
    sd      t3, 64(sp)
    csrr    t0, scause
    bgez    t0, fail                /* an exception */
    andi    t0, t0, 0xff
    li      t1, 5
    beq     t0, t1, timer_irq
    li      t1, 9
    beq     t0, t1, ext_irq
    j       fail
timer_irq:
    li      a0, -1                  /* no further timer: clears STIP */
    li      a7, SBI_TIME
    li      a6, 0
    ecall
    la      t0, ticks
    li      t1, 1
    sd      t1, 0(t0)
    j       trap_ret
ext_irq:
    li      t0, PLIC + 0x201004
    lw      t2, 0(t0)               /* claim */
    li      t1, 10
    bne     t2, t1, fail
4:  li      t0, UART
    lbu     t1, 5(t0)
    andi    t1, t1, 1
    beqz    t1, 5f
    lbu     a0, 0(t0)
    li      t1, 'q'
    beq     a0, t1, got_q
    li      t1, 'a'
    bltu    a0, t1, 6f
    li      t1, 'z' + 1
    bgeu    a0, t1, 6f
    addi    a0, a0, -32
6:  call    uart_putc
    j       4b
got_q:
    la      t0, done
    li      t1, 1
    sd      t1, 0(t0)
    j       4b
5:  li      t0, PLIC + 0x201004
    li      t1, 10
    sw      t1, 0(t0)               /* complete */
trap_ret:
    ld      ra, 0(sp)
    ld      t0, 8(sp)
    ld      t1, 16(sp)
    ld      t2, 24(sp)
    ld      a0, 32(sp)
    ld      a1, 40(sp)
    ld      a6, 48(sp)
    ld      a7, 56(sp)
    ld      t3, 64(sp)
    addi    sp, sp, 96
    sret

    .section .rodata
msg_hello: .asciz "hello from S-mode\n"
msg_sbi:   .asciz "sbi ok\n"
msg_timer: .asciz "timer ok\n"
msg_echo:  .asciz "echo:\n"
msg_bye:   .asciz "bye\n"
msg_fail:  .asciz "FAIL\n"

    .section .bss
    .align 4
ticks: .dword 0
done:  .dword 0
    .space 4096
stack_top:
