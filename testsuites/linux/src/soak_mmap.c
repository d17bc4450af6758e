/* Soak: 1 GiB of guest mappings. Sixteen 64 MiB anonymous mappings are made, every page of
 * each is written and read back (a value derived from its address), half of them are
 * remapped larger with mremap (contents must move with them), mprotect'ed read-only and read
 * again, then everything is unmapped and mapped again at the same addresses with MAP_FIXED
 * (fresh pages must read as zero). A file-backed 64 MiB shared mapping is written through
 * one mapping and read through another. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#define CHUNK (64ul << 20)
#define NCHUNK 16
#define PAGE 4096ul

static uint64_t tag(uintptr_t a, int round)
{
    return (a * 0x9e3779b97f4a7c15ull) ^ (uint64_t)round;
}

static int fill(char *p, size_t len, int round)
{
    for (size_t off = 0; off < len; off += PAGE)
        *(uint64_t *)(p + off) = tag(off, round);
    return 0;
}

static long check(const char *p, size_t len, int round)
{
    long bad = 0;
    for (size_t off = 0; off < len; off += PAGE)
        bad += *(const uint64_t *)(p + off) != tag(off, round);
    return bad;
}

int main(void)
{
    char *m[NCHUNK];
    size_t len[NCHUNK];
    long bad = 0;
    for (int i = 0; i < NCHUNK; i++) {
        len[i] = CHUNK;
        m[i] = mmap(NULL, CHUNK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (m[i] == MAP_FAILED) {
            printf("mmap %d failed\n", i);
            return 1;
        }
        fill(m[i], CHUNK, i);
    }
    for (int i = 0; i < NCHUNK; i++)
        bad += check(m[i], CHUNK, i);
    printf("mapped %lu MiB, %ld bad pages\n", (NCHUNK * CHUNK) >> 20, bad);

    long moved_bad = 0;
    for (int i = 0; i < NCHUNK; i += 2) {
        char *n = mremap(m[i], CHUNK, 2 * CHUNK, MREMAP_MAYMOVE);
        if (n == MAP_FAILED) {
            printf("mremap %d failed\n", i);
            return 1;
        }
        m[i] = n;
        len[i] = 2 * CHUNK;
        moved_bad += check(n, CHUNK, i);
        /* The grown part is fresh zero pages. */
        for (size_t off = CHUNK; off < 2 * CHUNK; off += PAGE)
            moved_bad += *(uint64_t *)(n + off) != 0;
        if (mprotect(n, 2 * CHUNK, PROT_READ) != 0)
            return 1;
        moved_bad += check(n, CHUNK, i);
    }
    printf("remapped 8 chunks to 128 MiB each, %ld bad pages\n", moved_bad);

    long zero_bad = 0;
    for (int i = 0; i < NCHUNK; i++) {
        if (munmap(m[i], len[i]) != 0)
            return 1;
        char *again = mmap(m[i], CHUNK, PROT_READ | PROT_WRITE,
                           MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
        if (again != m[i])
            return 1;
        for (size_t off = 0; off < CHUNK; off += PAGE)
            zero_bad += *(uint64_t *)(again + off) != 0;
        munmap(again, CHUNK);
    }
    printf("unmapped and mapped again, %ld non-zero pages\n", zero_bad);

    char path[] = "soak_mmap.XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0 || ftruncate(fd, CHUNK) != 0)
        return 1;
    unlink(path);
    char *w = mmap(NULL, CHUNK, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    char *r = mmap(NULL, CHUNK, PROT_READ, MAP_SHARED, fd, 0);
    if (w == MAP_FAILED || r == MAP_FAILED)
        return 1;
    fill(w, CHUNK, 99);
    long shared_bad = check(r, CHUNK, 99);
    printf("shared file mapping: %ld bad pages\n", shared_bad);
    return bad || moved_bad || zero_bad || shared_bad;
}
