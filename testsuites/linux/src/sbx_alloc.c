/* sbx_alloc: allocates and touches 1 MiB blocks until malloc fails or 64 MiB are
 * reached, then reports how much it got and what a further large mmap and a large
 * brk return. Under `xlate run --max-memory` the allocation stops early and the
 * mmap fails with ENOMEM; without a limit it reaches the cap. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define CAP_MIB 64

int main(void)
{
    int got = 0;
    while (got < CAP_MIB) {
        char *p = malloc(1 << 20);
        if (!p)
            break;
        memset(p, 0xa5, 1 << 20);
        got++;
    }
    printf("allocated %d MiB%s\n", got, got == CAP_MIB ? " (cap)" : "");
    void *m = mmap(NULL, 512u << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED)
        printf("mmap 512 MiB: %s\n", errno == ENOMEM ? "ENOMEM" : strerror(errno));
    else
        printf("mmap 512 MiB: ok\n");
    void *cur = sbrk(0);
    void *r = sbrk(256 << 20);
    if (r == (void *)-1)
        printf("sbrk 256 MiB: %s\n", errno == ENOMEM ? "ENOMEM" : strerror(errno));
    else
        printf("sbrk 256 MiB: ok, break moved %s\n", sbrk(0) > cur ? "up" : "?");
    return 0;
}
