/* jit_emit: a guest that works like a JIT compiler, the way V8, LuaJIT or a JVM
 * do on RISC-V: it emits small functions one after another into executable
 * pages, makes each visible with fence.i, calls it in a hot loop, and patches a
 * hot one in place. A translator that dropped all its translated code at every
 * fence.i would translate the caller's loop again for each function; one that
 * drops only the code of the page stored into does not (xlate run --stats:
 * page invalidations, few code flushes). Then the same through a second, shared
 * mapping of a file (the double-mapping JITs use to keep pages W^X, usually with a memfd): stores
 * there do not touch the executable view's pages, so only fence.i can tell.
 * With the argument "procmem", code is written through /proc/self/mem instead
 * (at guest addresses: valid where guest addresses are host addresses, as
 * under xlate, and under qemu-user when it maps the guest at base 0).
 * qemu-riscv64 7.2 runs stale code after both kinds of writes (it only sees
 * stores to the virtual pages it translated): tests/qemu_diff.rs lists the
 * lines, the expected output follows the ISA's FENCE.I.
 * The spec only guarantees that instruction fetches see stores after a
 * FENCE.I, so every modification is followed by one. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "gen_code.h"

#define FUNCS 64
#define PER_PAGE 8
#define CALLS 3000

/* Writes "addi a0, a0, k; ret" at f. */
static void emit(unsigned char *f, int k)
{
    put32(f, addi(A0, A0, k));
    put32(f + 4, RET);
}

static long hot(fn_t f)
{
    long sum = 0;
    for (long k = 0; k < CALLS; k++)
        sum += f(k);
    return sum;
}

static int procmem(void)
{
    unsigned char *code = mmap(NULL, PG, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    int fd = open("/proc/self/mem", O_RDWR);
    if (code == MAP_FAILED || fd < 0) {
        perror("procmem");
        return 1;
    }
    unsigned char insn[8];
    for (int k = 1; k <= 3; k++) {
        put32(insn, addi(A0, A0, k));
        put32(insn + 4, RET);
        if (pwrite(fd, insn, 8, (off_t)(uintptr_t)code) != 8) {
            perror("pwrite");
            return 1;
        }
        fencei();
        printf("through /proc/self/mem, version %d: %ld\n", k, hot((fn_t)code));
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "procmem") == 0)
        return procmem();

    unsigned char *buf = mmap(NULL, FUNCS / PER_PAGE * PG, PROT_READ | PROT_WRITE | PROT_EXEC,
                              MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (buf == MAP_FAILED) {
        perror("mmap");
        return 1;
    }
    long sum = 0;
    for (int i = 0; i < FUNCS; i++) {
        unsigned char *f = buf + (i / PER_PAGE) * PG + (i % PER_PAGE) * 64;
        emit(f, i);
        fencei();
        sum += hot((fn_t)f);
    }
    printf("%d functions emitted and called: %ld\n", FUNCS, sum);

    /* patch the first, hot, function in place, twice */
    for (int v = 100; v <= 200; v += 100) {
        emit(buf, v);
        fencei();
        printf("patched to add %d: %ld\n", v, hot((fn_t)buf));
    }

    /* a second mapping of the same memory: written through one, run through the other */
    int fd = open("/tmp", O_TMPFILE | O_RDWR, 0600);
    if (fd < 0 || ftruncate(fd, PG) != 0) {
        perror("tmpfile");
        return 1;
    }
    unsigned char *w = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    unsigned char *x = mmap(NULL, PG, PROT_READ | PROT_EXEC, MAP_SHARED, fd, 0);
    if (w == MAP_FAILED || x == MAP_FAILED) {
        perror("mmap shared");
        return 1;
    }
    for (int v = 5; v <= 7; v++) {
        emit(w, v);
        fencei();
        printf("written through a second mapping, adds %d: %ld\n", v, hot((fn_t)x));
    }
    return 0;
}
