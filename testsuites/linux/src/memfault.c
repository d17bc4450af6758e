/* memfault: a load from an unmapped page must kill the process with SIGSEGV
 * (the shell sees 139 = 128 + 11). Output written before the fault must
 * survive: it is flushed explicitly. */
#include <stdio.h>
#include <sys/mman.h>

int main(void)
{
    volatile int *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    p[0] = 42;
    printf("mapped and written: %d\n", p[0]);
    munmap((void *)p, 4096);
    printf("about to read the unmapped page\n");
    fflush(stdout);
    int v = p[0];
    printf("still alive?! %d\n", v);
    return 0;
}
