/* gdb_demo: the guest program of the gdb stub test (tests/gdb.rs). Freestanding, built with
 * -g -O0 so gdb can name lines and variables; keeps its symbol table. It sets ft0 to 1.5
 * before main, bumps `counter` twice (3, then 3 + 4: the watchpoint test sees both writes)
 * and exits with counter's final value: 7 unless gdb changed it. */

static long sys3(long n, long a, long b, long c)
{
    register long a0 asm("a0") = a, a1 asm("a1") = b, a2 asm("a2") = c, a7 asm("a7") = n;
    asm volatile("ecall" : "+r"(a0) : "r"(a1), "r"(a2), "r"(a7) : "memory");
    return a0;
}

/* Read by the test with x/4xb &bytes. */
volatile unsigned char bytes[4] = {0xde, 0xad, 0xbe, 0xef};
volatile long counter;
const double one_and_a_half = 1.5;

__attribute__((noinline)) long bump(long n)
{
    counter = counter + n;
    return counter;
}

int main(int argc, char **argv)
{
    (void)argv;
    bump(argc + 2);
    bump(4);
    sys3(64 /* write */, 1, (long)"gdb_demo done\n", 14);
    return (int)counter;
}

__attribute__((noreturn)) void cstart(long *sp)
{
    asm volatile("fld ft0, %0" : : "m"(one_and_a_half) : "ft0");
    int argc = (int)sp[0];
    char **argv = (char **)(sp + 1);
    int status = main(argc, argv);
    for (;;)
        sys3(94 /* exit_group */, status, 0, 0);
}

/* The kernel enters with sp at argc; hand it to C. */
asm(".globl _start\n"
    "_start:\n"
    "  mv a0, sp\n"
    "  j cstart\n");
