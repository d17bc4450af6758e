/* smc: run-time generated and self-modifying code, the hard case for a binary
 * translator's code cache. Writes RISC-V instructions into RWX and W^X mappings,
 * runs them, rewrites them and runs them again after fence.i or the
 * riscv_flush_icache syscall (__builtin___clear_cache), including
 *  - patching an instruction many times in a loop,
 *  - a 4-byte instruction that straddles a page boundary,
 *  - unmapping code and mapping different code at the same address.
 * The spec only guarantees that instruction fetches see stores after a
 * FENCE.I, so every modification is followed by one. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "gen_code.h"

int main(void)
{
    unsigned char *code = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE | PROT_EXEC,
                               MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (code == MAP_FAILED) {
        puts("mmap rwx failed");
        return 1;
    }
    /* f(x) = x + 5 */
    put32(code, addi(A0, A0, 5));
    put32(code + 4, RET);
    fencei();
    fn_t f = (fn_t)code;
    printf("x+5: %ld\n", f(10));
    /* patch the immediate: f(x) = x - 7 */
    put32(code, addi(A0, A0, -7));
    fencei();
    printf("x-7: %ld\n", f(10));
    /* patch through the flush_icache syscall instead of fence.i */
    put32(code, addi(A0, A0, 100));
    __builtin___clear_cache((char *)code, (char *)code + 8);
    printf("x+100: %ld\n", f(10));

    /* the patched instruction is executed in a loop and rewritten each time */
    long acc = 0;
    for (int i = 0; i < 200; i++) {
        put32(code, addi(A0, A0, i));
        fencei();
        acc += f(0);
    }
    printf("sum of 0..199 via patched code: %ld\n", acc);

    /* code that modifies itself: the first instruction of a block rewrites a
     * later one in the same block, then fence.i, then runs it:
     *   sw t1, 12(a1) ; fence.i ; nop(placeholder at +12 is overwritten) ...
     * layout: 0: sw t1,16(a1)  4: fence.i  8: nop  12: nop  16: addi a0,a0,1  20: ret */
    unsigned char *s = code + 256;
    put32(s + 0, 0x0065a823u);      /* sw t1, 16(a1) */
    put32(s + 4, 0x0000100fu);      /* fence.i */
    put32(s + 8, addi(0, 0, 0));    /* nop */
    put32(s + 12, addi(0, 0, 0));   /* nop */
    put32(s + 16, addi(A0, A0, 1)); /* replaced at run time by addi a0,a0,1000 */
    put32(s + 20, RET);
    fencei();
    long res;
    register long a0 asm("a0") = 1;
    register void *a1 asm("a1") = s;
    register long t1 asm("t1") = addi(A0, A0, 1000);
    asm volatile("jalr ra, 0(%[fn])"
                 : "+r"(a0)
                 : [fn] "r"(s), "r"(a1), "r"(t1)
                 : "ra", "memory");
    res = a0;
    printf("self-modified in the same block: %ld\n", res);

    /* an instruction straddling the page boundary: c.nop at page offsets 4090
     * and 4092, the 4-byte addi at 4094..4097 (two bytes on each page), ret at
     * 4098 */
    unsigned char *x = code + PG - 6;
    x[0] = 0x01; x[1] = 0x00; /* c.nop */
    x[2] = 0x01; x[3] = 0x00; /* c.nop */
    put32(x + 4, addi(A0, A0, 77));
    put32(x + 8, RET);
    fencei();
    printf("page-straddling instruction: %ld\n", ((fn_t)x)(0));
    /* rewrite only the half on the second page (imm bits live in the upper half) */
    uint32_t v = addi(A0, A0, 1234);
    memcpy(code + PG, (unsigned char *)&v + 2, 2);
    fencei();
    printf("after patching the second half: %ld\n", ((fn_t)x)(0));

    /* W^X: write, then mprotect to R|X, run, back to RW, patch, R|X, run */
    unsigned char *w = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    put32(w, addi(A0, A0, 1));
    put32(w + 4, RET);
    mprotect(w, PG, PROT_READ | PROT_EXEC);
    __builtin___clear_cache((char *)w, (char *)w + 8);
    long r1 = ((fn_t)w)(1);
    mprotect(w, PG, PROT_READ | PROT_WRITE);
    put32(w, addi(A0, A0, 2));
    mprotect(w, PG, PROT_READ | PROT_EXEC);
    __builtin___clear_cache((char *)w, (char *)w + 8);
    long r2 = ((fn_t)w)(1);
    printf("W^X: %ld %ld\n", r1, r2);

    /* unmap and map new code at the same address */
    munmap(w, PG);
    unsigned char *w2 = mmap(w, PG, PROT_READ | PROT_WRITE | PROT_EXEC,
                             MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    put32(w2, addi(A0, A0, 3));
    put32(w2 + 4, RET);
    fencei();
    printf("remapped at the same address: %d %ld\n", w2 == w, ((fn_t)w2)(1));
    return 0;
}
