/* The guest's view of the machine: /proc/cpuinfo describes riscv64 harts (first entry
 * printed), riscv_hwprobe (syscall 258) reports the base behaviour and the IMA extensions,
 * uname says riscv64, and /proc/self/exe is the program. */
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

struct pair {
    long long key;
    unsigned long long value;
};

int main(void)
{
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f) {
        perror("/proc/cpuinfo");
        return 1;
    }
    char line[256];
    while (fgets(line, sizeof line, f) && line[0] != '\n') {
        if (!strncmp(line, "processor", 9) || !strncmp(line, "hart", 4) ||
            !strncmp(line, "isa", 3) || !strncmp(line, "mmu", 3))
            fputs(line, stdout);
    }
    fclose(f);

    struct pair pairs[4] = {{3, 0}, {4, 0}, {0, 0}, {12345, 0}};
    long r = syscall(258, pairs, 4, 0, NULL, 0);
    printf("riscv_hwprobe: r=%ld\n", r);
    for (int i = 0; i < 4; i++)
        printf("  key %lld value %#llx\n", pairs[i].key, pairs[i].value);

    struct utsname u;
    uname(&u);
    printf("machine: %s\n", u.machine);
    return 0;
}
