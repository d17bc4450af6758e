/* sig_bus_file: pages of a file mapping wholly past the end of the file raise
 * SIGBUS (si_code BUS_ADRERR, si_addr the byte accessed), as Linux says: past
 * the end when mapped, and after the file shrinks under a mapping (ftruncate,
 * also for a private mapping's copied pages, which truncation drops); once the
 * file grows again the pages read its new contents. Each probe runs in a hot
 * function first called many times on good pages, so under a JIT the faulting
 * access is translated code (the host sees its own SIGBUS there, which must
 * never end the translator), and then also interpreted (a cold probe). */
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PAGE 4096

static sigjmp_buf jb;
static volatile int got_code;
static char *volatile got_addr;

static void on_bus(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)uc;
    got_code = si->si_code;
    got_addr = si->si_addr;
    siglongjmp(jb, 1);
}

/* Sums n bytes at p, one per 64 (kept out of line: the hot loop). */
__attribute__((noinline)) static long sum(const volatile char *p, long n)
{
    long s = 0;
    for (long i = 0; i < n; i += 64)
        s += p[i];
    return s;
}

__attribute__((noinline)) static void fill(volatile char *p, long n, char v)
{
    for (long i = 0; i < n; i += 64)
        p[i] = v;
}

static char *base;

/* Reads (or writes) at byte off of the mapping: prints the value or the fault. */
static void probe(const char *what, long off, int write, int hot)
{
    got_code = 0;
    got_addr = 0;
    if (sigsetjmp(jb, 1) == 0) {
        long v;
        if (write) {
            if (hot)
                fill(base + off, 1, 'w');
            else
                *(volatile char *)(base + off) = 'w';
            v = 'w';
        } else {
            v = hot ? sum(base + off, 1) : *(volatile char *)(base + off);
        }
        printf("%-28s %s %#7lx: %ld\n", what, write ? "write" : "read ", off, v);
    } else {
        printf("%-28s %s %#7lx: SIGBUS code %d at +%#lx\n", what, write ? "write" : "read ",
               off, got_code, (long)(got_addr - base));
    }
}

/* Warms the hot functions up on the first page. */
static void warm(void)
{
    long s = 0;
    for (int i = 0; i < 2000; i++) {
        s += sum(base, PAGE);
        fill(base + PAGE - 64, 64, 'a');
    }
    printf("warm: %ld\n", s);
}

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_bus;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGBUS, &sa, 0);

    int fd = open("/tmp", O_TMPFILE | O_RDWR, 0600);
    if (fd < 0) {
        perror("open");
        return 1;
    }
    char buf[2 * PAGE];
    memset(buf, 'a', sizeof buf);
    if (write(fd, buf, sizeof buf) != (long)sizeof buf)
        return 1;

    /* Three pages of a two-page file, shared. */
    base = mmap(0, 3 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (base == MAP_FAILED)
        return 1;
    warm();
    for (int hot = 1; hot >= 0; hot--) {
        const char *h = hot ? "hot" : "cold";
        printf("-- %s\n", h);
        probe("shared, in the file", PAGE + 8, 0, hot);
        probe("shared, past the end", 2 * PAGE + 16, 0, hot);
        probe("shared, past the end", 2 * PAGE + 24, 1, hot);
    }

    /* Shrunk to one page under the mapping. */
    ftruncate(fd, PAGE);
    for (int hot = 1; hot >= 0; hot--) {
        printf("-- shrunk, %s\n", hot ? "hot" : "cold");
        probe("shrunk, first page", 8, 0, hot);
        probe("shrunk, second page", PAGE + 32, 0, hot);
        probe("shrunk, second page", PAGE + 40, 1, hot);
    }

    /* Grown back: the pages read the file's new (zero) bytes and take stores. */
    ftruncate(fd, 3 * PAGE);
    printf("-- grown\n");
    probe("grown, second page", PAGE + 32, 0, 1);
    probe("grown, third page", 2 * PAGE + 48, 1, 1);
    char c = 0;
    pread(fd, &c, 1, 2 * PAGE + 48);
    printf("the file at %#x: %c\n", 2 * PAGE + 48, c);
    munmap(base, 3 * PAGE);

    /* A private mapping: a copied page survives nothing of a truncation. */
    base = mmap(0, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    if (base == MAP_FAILED)
        return 1;
    printf("-- private\n");
    probe("private, copied", 8, 1, 1);
    probe("private, copied", 8, 0, 1);
    ftruncate(fd, 0);
    probe("private, truncated", 8, 0, 1);
    probe("private, truncated", 8, 0, 0);
    munmap(base, 2 * PAGE);
    close(fd);
    printf("done\n");
    return 0;
}
