/* Runner fixtures: the HTIF words and a 64-bit tohost write. */
#define TOHOST_SECTION \
    .section .tohost, "aw", @progbits; .align 6; \
    .globl tohost; tohost: .dword 0; .align 6; .globl fromhost; fromhost: .dword 0

/* tohost = value (64-bit store), then wait forever */
#define EXIT(value) li t0, value; la t1, tohost; 1: sd t0, 0(t1); j 1b
