/* sbx_mem: a guest trying to reach memory outside its address space. Every request
 * must get what riscv64 Linux with Sv39 (a 256 GiB user space, TASK_SIZE 2^38) gives:
 * MAP_FIXED at host-looking or kernel addresses, huge and wrapping lengths, munmap,
 * mprotect and mremap outside the space, brk games and syscalls handed pointers
 * outside the space. Finally a store to a kernel address must kill it with SIGSEGV
 * (139). qemu-riscv64 lets a guest map anywhere in its own host address space (the
 * unguarded first version of this probe crashed qemu itself); see qemu_diff.rs. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "sbx.h"

#define RW (PROT_READ | PROT_WRITE)
#define ANON (MAP_PRIVATE | MAP_ANONYMOUS)

static const uintptr_t HOSTISH = 0x7f0000000000ul;  /* a typical x86-64 host mmap area */
static const uintptr_t HOSTPIE = 0x555555554000ul;  /* a host PIE load address */
static const uintptr_t KERNEL = 0xffffffff80000000ul;
static const uintptr_t TOP = 1ul << 38;             /* Sv39 TASK_SIZE */

static void map_fixed(const char *what, uintptr_t addr, size_t len)
{
    void *p = mmap((void *)addr, len, RW, ANON | MAP_FIXED, -1, 0);
    sbx_report(what, p == MAP_FAILED ? -1 : 0);
}

static void map_noreplace(const char *what, uintptr_t addr, size_t len)
{
    void *p = mmap((void *)addr, len, RW, ANON | MAP_FIXED_NOREPLACE, -1, 0);
    sbx_report(what, p == MAP_FAILED ? -1 : 0);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    map_fixed("MAP_FIXED host mmap area", HOSTISH, 4096);
    map_fixed("MAP_FIXED host PIE address", HOSTPIE, 4096);
    map_fixed("MAP_FIXED kernel address", KERNEL, 4096);
    map_fixed("MAP_FIXED at the end of the space", TOP, 4096);
    map_fixed("MAP_FIXED across the end of the space", TOP - 4096, 8192);
    map_fixed("MAP_FIXED wrapping length", 0x100000, (size_t)-0x1000);
    map_noreplace("MAP_FIXED_NOREPLACE kernel address", KERNEL, 4096);

    void *p = mmap(NULL, (size_t)-1, RW, ANON, -1, 0);
    sbx_report("mmap length -1", p == MAP_FAILED ? -1 : 0);
    p = mmap(NULL, 1ul << 40, RW, ANON, -1, 0);
    sbx_report("mmap 1 TiB", p == MAP_FAILED ? -1 : 0);
    p = mmap((void *)KERNEL, 4096, RW, ANON, -1, 0);
    printf("mmap hint at a kernel address: %s\n",
           p == MAP_FAILED ? sbx_errname(errno) : (uintptr_t)p < TOP ? "placed below 2^38" : "placed above 2^38");

    sbx_report("munmap kernel address", munmap((void *)KERNEL, 4096));
    sbx_report("munmap wrapping length", munmap((void *)0x100000, (size_t)-0x1000));
    sbx_report("munmap across the end of the space", munmap((void *)(TOP - 4096), 8192));
    sbx_report("mprotect kernel address", mprotect((void *)KERNEL, 4096, RW));
    sbx_report("mprotect wrapping length", mprotect((void *)0x100000, (size_t)-0x1000, RW));

    char *a = mmap(NULL, 8192, RW, ANON, -1, 0);
    if (a == MAP_FAILED)
        return 1;
    strcpy(a, "guest data");
    void *r = mremap(a, 8192, 1ul << 40, MREMAP_MAYMOVE);
    sbx_report("mremap grow to 1 TiB", r == MAP_FAILED ? -1 : 0);
    r = mremap(a, 8192, 8192, MREMAP_MAYMOVE | MREMAP_FIXED, (void *)HOSTISH);
    sbx_report("mremap to a host address", r == MAP_FAILED ? -1 : 0);
    if (r != MAP_FAILED)
        a = r;
    r = mremap(a, 8192, 8192, MREMAP_MAYMOVE | MREMAP_FIXED, (void *)KERNEL);
    sbx_report("mremap to a kernel address", r == MAP_FAILED ? -1 : 0);
    r = mremap((void *)KERNEL, 4096, 8192, MREMAP_MAYMOVE);
    sbx_report("mremap from a kernel address", r == MAP_FAILED ? -1 : 0);
    printf("data still there: %s\n", a);

    long cur = syscall(SYS_brk, 0);
    printf("brk to a kernel address: %s\n", syscall(SYS_brk, KERNEL) == cur ? "unchanged" : "moved");
    printf("brk to a host address: %s\n", syscall(SYS_brk, HOSTISH) == cur ? "unchanged" : "moved");
    printf("brk to 1: %s\n", syscall(SYS_brk, 1) == cur ? "unchanged" : "moved");
    printf("brk to -1: %s\n", syscall(SYS_brk, -1) == cur ? "unchanged" : "moved");

    sbx_report("write from a kernel pointer", write(1, (void *)KERNEL, 16));
    sbx_report("write from a host pointer", write(1, (void *)(HOSTISH - (1ul << 40)), 16));
    sbx_report("write with a wrapping length", write(1, a, (size_t)-1 - (uintptr_t)a + 16));
    sbx_report("read into a kernel pointer", read(0, (void *)KERNEL, 16));
    sbx_report("getcwd into a kernel pointer", syscall(SYS_getcwd, KERNEL, 256));

    printf("storing to a kernel address\n");
    fflush(stdout);
    *(volatile int *)KERNEL = 1;
    printf("still alive?!\n");
    return 0;
}
