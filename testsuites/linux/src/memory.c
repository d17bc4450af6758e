/* memory: the guest address space. malloc of 64 MiB touched page by page, raw
 * brk (grow, contents zero, shrink), anonymous mmap/munmap (incl. a hole punched
 * in the middle), MAP_FIXED, PROT_NONE reservations made accessible with
 * mprotect, mremap grow/shrink/move keeping contents, a private file mapping, and
 * the EINVAL/ENOMEM failures. Creates and removes "memory.tmp" in the cwd. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "errname.h"

#define PG 4096UL

static void say(const char *what, long ok)
{
    printf("%-52s %s\n", what, ok ? "ok" : "FAIL");
}

int main(void)
{
    /* malloc big: glibc uses mmap for this */
    size_t big = 64UL << 20;
    unsigned char *m = malloc(big);
    say("malloc(64 MiB)", m != NULL);
    for (size_t i = 0; i < big; i += PG)
        m[i] = (unsigned char)(i >> 12);
    unsigned long sum = 0;
    for (size_t i = 0; i < big; i += PG)
        sum += m[i];
    printf("page checksum %lu\n", sum);
    free(m);

    /* many small allocations through the brk heap */
    void *ptrs[1000];
    for (int i = 0; i < 1000; i++) {
        ptrs[i] = malloc(100 + i);
        memset(ptrs[i], i & 0xff, 100 + i);
    }
    int good = 1;
    for (int i = 0; i < 1000; i++) {
        unsigned char *q = ptrs[i];
        if (q[0] != (i & 0xff) || q[99 + i] != (i & 0xff))
            good = 0;
        free(ptrs[i]);
    }
    say("1000 small mallocs intact", good);

    /* raw brk */
    uintptr_t b0 = (uintptr_t)syscall(SYS_brk, 0);
    say("brk(0) returns the current break", b0 != 0);
    uintptr_t b1 = (uintptr_t)syscall(SYS_brk, b0 + 5 * PG + 123);
    say("brk grow returns the new break", b1 == b0 + 5 * PG + 123);
    unsigned char *h = (unsigned char *)b0;
    int zero = 1;
    for (size_t i = 0; i < 5 * PG + 123; i++)
        if (h[i])
            zero = 0;
    say("new brk memory is zero", zero);
    memset(h, 0xab, 5 * PG + 123);
    uintptr_t b2 = (uintptr_t)syscall(SYS_brk, b0 + PG);
    say("brk shrink", b2 == b0 + PG);
    uintptr_t b3 = (uintptr_t)syscall(SYS_brk, b0 + 3 * PG);
    say("brk regrow", b3 == b0 + 3 * PG);
    /* pages released by the shrink come back zeroed */
    say("regrown brk page is zero again", h[2 * PG + 17] == 0 && h[PG - 1] == 0xab);
    uintptr_t b4 = (uintptr_t)syscall(SYS_brk, 1);
    say("brk below start is refused (returns old break)", b4 == b3);
    syscall(SYS_brk, b0);

    /* anonymous mmap */
    unsigned char *a = mmap(NULL, 16 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    say("mmap anon 16 pages", a != MAP_FAILED && ((uintptr_t)a & (PG - 1)) == 0);
    zero = 1;
    for (size_t i = 0; i < 16 * PG; i++)
        if (a[i])
            zero = 0;
    say("anon mmap zero-filled", zero);
    for (size_t i = 0; i < 16 * PG; i++)
        a[i] = (unsigned char)(i * 7);
    say("munmap a hole in the middle", munmap(a + 4 * PG, 2 * PG) == 0);
    say("pages around the hole survive", a[4 * PG - 1] == (unsigned char)((4 * PG - 1) * 7) &&
                                             a[6 * PG] == (unsigned char)(6 * PG * 7));
    void *f = mmap(a + 4 * PG, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    say("MAP_FIXED into the hole", f == a + 4 * PG && a[4 * PG] == 0);
    f = mmap(a, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    say("MAP_FIXED over existing pages zeroes them", f == a && a[100] == 0 && a[PG] == (unsigned char)(PG * 7));
    say("mprotect read-only", mprotect(a, 4 * PG, PROT_READ) == 0 && a[PG + 1] == (unsigned char)((PG + 1) * 7));
    say("mprotect back to read-write", mprotect(a, 4 * PG, PROT_READ | PROT_WRITE) == 0);
    a[0] = 1;

    /* reserve with PROT_NONE, commit part of it */
    unsigned char *r = mmap(NULL, 256 * PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    say("PROT_NONE reservation", r != MAP_FAILED);
    say("mprotect part of it RW", mprotect(r + 8 * PG, 4 * PG, PROT_READ | PROT_WRITE) == 0);
    r[8 * PG] = 5;
    r[12 * PG - 1] = 6;
    say("committed part usable", r[8 * PG] == 5 && r[12 * PG - 1] == 6);
    munmap(r, 256 * PG);

    /* mremap */
    unsigned char *g = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    for (size_t i = 0; i < 2 * PG; i++)
        g[i] = (unsigned char)(i ^ 0x5a);
    /* block growth in place so the kernel has to move it */
    unsigned char *g2 = mremap(g, 2 * PG, 64 * PG, MREMAP_MAYMOVE);
    say("mremap grow (may move)", g2 != MAP_FAILED);
    good = 1;
    for (size_t i = 0; i < 2 * PG; i++)
        if (g2[i] != (unsigned char)(i ^ 0x5a))
            good = 0;
    say("mremap keeps contents", good);
    say("mremap grown part is zero", g2[63 * PG] == 0 && g2[2 * PG] == 0);
    unsigned char *g3 = mremap(g2, 64 * PG, PG, 0);
    say("mremap shrink in place", g3 == g2 && g3[5] == (5 ^ 0x5a));
    unsigned char *target = mmap(NULL, 4 * PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    unsigned char *g4 = mremap(g3, PG, 2 * PG, MREMAP_MAYMOVE | MREMAP_FIXED, target + PG);
    say("mremap MREMAP_FIXED moves to target", g4 == target + PG && g4[5] == (5 ^ 0x5a));
    munmap(target, 4 * PG);

    /* file mapping */
    int fd = open("memory.tmp", O_CREAT | O_RDWR | O_TRUNC, 0600);
    char text[PG + 10];
    for (size_t i = 0; i < sizeof text; i++)
        text[i] = 'a' + i % 26;
    write(fd, text, sizeof text);
    char *fm = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    say("mmap file MAP_PRIVATE", fm != MAP_FAILED);
    say("file contents visible", memcmp(fm, text, sizeof text) == 0);
    say("tail of last page is zero", fm[PG + 10] == 0 && fm[2 * PG - 1] == 0);
    fm[0] = 'Z';
    char c0;
    pread(fd, &c0, 1, 0);
    say("private write does not reach the file", c0 == 'a');
    char *fm2 = mmap(NULL, PG, PROT_READ, MAP_SHARED, fd, PG);
    say("mmap file MAP_SHARED at offset", fm2 != MAP_FAILED && fm2[0] == text[PG]);
    pwrite(fd, "!", 1, PG + 1);
    say("shared mapping sees pwrite", fm2[1] == '!');
    munmap(fm, 2 * PG);
    munmap(fm2, PG);
    close(fd);
    unlink("memory.tmp");

    /* failures */
    errno = 0;
    void *bad = mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    printf("mmap len 0: %s %s\n", bad == MAP_FAILED ? "failed" : "succeeded", errname(errno));
    errno = 0;
    int rc = munmap(a + 1, PG);
    printf("munmap unaligned: %d %s\n", rc, errname(errno));
    errno = 0;
    bad = mmap(NULL, PG, PROT_READ, MAP_PRIVATE, 12345, 0);
    printf("mmap bad fd: %s %s\n", bad == MAP_FAILED ? "failed" : "succeeded", errname(errno));
    errno = 0;
    rc = mprotect(a + 1, PG, PROT_READ);
    printf("mprotect unaligned: %d %s\n", rc, errname(errno));
    munmap(a, 16 * PG);
    puts("done");
    return 0;
}
