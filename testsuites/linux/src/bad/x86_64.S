/* A tiny x86-64 Linux program (exit(0)): xlate must refuse it as the wrong machine. */
    .text
    .globl _start
_start:
    mov $60, %eax
    xor %edi, %edi
    syscall
