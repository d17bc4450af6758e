/* Writing RISC-V code at run time, shared by smc and jit_emit: the page size, a function
 * pointer type for the code, `addi` and `ret` encodings, an unaligned 32-bit store and
 * fence.i (which makes stores to instruction memory visible to fetches after it). */
#include <stdint.h>
#include <string.h>

#define PG 4096

typedef long (*fn_t)(long);

static uint32_t addi(int rd, int rs1, int imm)
{
    return ((uint32_t)(imm & 0xfff) << 20) | (uint32_t)rs1 << 15 | (uint32_t)rd << 7 | 0x13;
}
#define RET 0x00008067u /* jalr x0, 0(ra) */
#define A0 10

static void put32(void *p, uint32_t v) { memcpy(p, &v, 4); }
static void fencei(void) { asm volatile("fence.i" ::: "memory"); }
