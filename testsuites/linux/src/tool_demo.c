/* tool_demo: a small freestanding program for the debugging tools (disasm, perf map,
 * profile, gdb). Unlike the other test programs it keeps its symbol table, so tools can
 * name `main`, `checksum` and `add3`. It prints one line, spends most of its time in
 * `checksum` (the hottest function under --profile) and exits with status 7.
 * Built -nostdlib: the whole program is these few functions. */

static long sys3(long n, long a, long b, long c)
{
    register long a0 asm("a0") = a, a1 asm("a1") = b, a2 asm("a2") = c, a7 asm("a7") = n;
    asm volatile("ecall" : "+r"(a0) : "r"(a1), "r"(a2), "r"(a7) : "memory");
    return a0;
}

/* Read by the gdb test (x/s &message). */
const char message[] = "hello from tool_demo\n";
/* Written by main; the gdb test reads it back after a step. */
volatile unsigned long result;

__attribute__((noinline)) long add3(long a, long b, long c)
{
    return a + b + c;
}

__attribute__((noinline)) unsigned long checksum(const char *s, unsigned long n, unsigned rounds)
{
    unsigned long h = 5381;
    for (unsigned r = 0; r < rounds; r++)
        for (unsigned long i = 0; i < n; i++)
            h = h * 33 + (unsigned char)s[i];
    return h;
}

int main(int argc, char **argv)
{
    (void)argv;
    sys3(64 /* write */, 1, (long)message, sizeof message - 1);
    result = checksum(message, sizeof message - 1, 20000);
    return (int)add3(argc, 2, 4) + (result == 0);
}

__attribute__((noreturn)) void cstart(long *sp)
{
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
    "  call cstart\n");
