/* /proc/self/maps names the brk area "[heap]" (fs/proc/task_mmu.c: an anonymous vma inside
 * [start_brk, brk)), also when it directly follows the program's anonymous bss pages (no
 * address randomization, as under xlate and qemu); the bss pages before it are a mapping of
 * their own without a name, and the heap line grows and shrinks with the break.
 * qemu-riscv64 7.2 names no [heap] and shows bss and heap as one mapping; the expected file
 * follows Linux (the same program natively on x86-64 Linux 6.18, with and without setarch -R,
 * prints the same lines). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static char big_bss[3 * 4096 + 123];

struct line {
    uintptr_t start, end;
    char name[64];
};

/* The maps line containing `a`; 0 when there is none. */
static int find(uintptr_t a, struct line *out)
{
    FILE *f = fopen("/proc/self/maps", "r");
    if (!f)
        return 0;
    char l[512];
    int found = 0;
    while (fgets(l, sizeof l, f)) {
        unsigned long s, e;
        char perms[8];
        int n = 0;
        if (sscanf(l, "%lx-%lx %7s %*s %*s %*s%n", &s, &e, perms, &n) < 3)
            continue;
        if (s <= a && a < e) {
            out->start = s;
            out->end = e;
            const char *name = l + n;
            while (*name == ' ')
                name++;
            snprintf(out->name, sizeof out->name, "%s", name);
            out->name[strcspn(out->name, "\n")] = 0;
            found = 1;
        }
    }
    fclose(f);
    return found;
}

static uintptr_t page_up(uintptr_t a)
{
    return (a + 4095) & ~(uintptr_t)4095;
}

static void show(const char *when)
{
    uintptr_t brk = (uintptr_t)sbrk(0);
    struct line h, b;
    if (!find(brk - 1, &h) || !find((uintptr_t)&big_bss[sizeof big_bss - 1], &b)) {
        printf("%s: line not found\n", when);
        return;
    }
    printf("%s: heap line label: %s\n", when, h.name[0] ? h.name : "(none)");
    printf("%s: heap line ends at the page-rounded break: %s\n", when,
           h.end == page_up(brk) ? "yes" : "no");
    printf("%s: bss line label: %s\n", when, b.name[0] ? b.name : "(none)");
    printf("%s: bss and heap are separate lines: %s\n", when, b.start != h.start ? "yes" : "no");
}

int main(void)
{
    big_bss[0] = 1;
    big_bss[sizeof big_bss - 1] = 1;
    void *b0 = sbrk(0);
    if (sbrk(64 * 1024) == (void *)-1)
        return 1;
    show("grown 64 KiB");
    if (sbrk(1024 * 1024) == (void *)-1)
        return 1;
    show("grown 1 MiB more");
    if (brk(b0) != 0)
        return 1;
    show("back to the start");
    return 0;
}
