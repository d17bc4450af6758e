/* auxv: the initial process stack as Linux builds it (argv, envp, auxv).
 * Prints argc/argv (argv[0] reduced to its basename, since the path differs
 * between runners), one environment variable set by the test, and self-checks
 * of the auxiliary vector. Every check prints "ok" or the offending values. */
#include <elf.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

extern char **environ;
extern const ElfW(Ehdr) __ehdr_start; /* the ELF header, mapped by the loader */
extern char _start[];

static const ElfW(Phdr) *iter_phdr;
static int iter_phnum = -1;

static int cb(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    (void)data;
    /* The first object reported is the main program. */
    iter_phdr = info->dlpi_phdr;
    iter_phnum = info->dlpi_phnum;
    return 1;
}

static int fails;
static void check(const char *what, int ok)
{
    printf("%-40s %s\n", what, ok ? "ok" : "FAIL");
    if (!ok)
        fails++;
}

static const char *base(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

int main(int argc, char **argv, char **envp)
{
    printf("argc=%d\n", argc);
    printf("argv[0] basename=%s\n", base(argv[0]));
    for (int i = 1; i < argc; i++)
        printf("argv[%d]=[%s] len=%zu\n", i, argv[i], strlen(argv[i]));
    check("argv[argc] == NULL", argv[argc] == NULL);
    check("envp == environ", envp == environ);
    check("envp follows argv on the stack", envp == argv + argc + 1);
    const char *v = getenv("XLATE_TEST_VAR");
    printf("XLATE_TEST_VAR=%s\n", v ? v : "(unset)");

    /* Find auxv after the envp NULL and compare every entry with getauxval. */
    char **e = envp;
    while (*e)
        e++;
    ElfW(auxv_t) *av = (ElfW(auxv_t) *)(e + 1);
    int n = 0, consistent = 1, seen_null = 0;
    for (; n < 64; n++) {
        if (av[n].a_type == AT_NULL) {
            seen_null = 1;
            break;
        }
        if (av[n].a_type != AT_HWCAP2 && getauxval(av[n].a_type) != av[n].a_un.a_val)
            consistent = 0;
    }
    check("auxv is AT_NULL terminated", seen_null);
    check("auxv entries agree with getauxval", consistent);

    check("AT_PAGESZ == 4096", getauxval(AT_PAGESZ) == 4096);
    unsigned long hw = getauxval(AT_HWCAP);
    unsigned long want = 0;
    for (const char *c = "IMAFDC"; *c; c++)
        want |= 1UL << (*c - 'A');
    check("AT_HWCAP has I,M,A,F,D,C", (hw & want) == want);
    unsigned char *rnd = (unsigned char *)getauxval(AT_RANDOM);
    int nz = 0;
    if (rnd)
        for (int i = 0; i < 16; i++)
            nz |= rnd[i];
    check("AT_RANDOM non-null, 16 bytes not all 0", rnd != NULL && nz != 0);

    dl_iterate_phdr(cb, NULL);
    check("AT_PHDR == dl_iterate_phdr phdr",
          (const void *)getauxval(AT_PHDR) == (const void *)iter_phdr);
    check("AT_PHNUM == dl_iterate_phdr phnum", (int)getauxval(AT_PHNUM) == iter_phnum);
    /* Static, non-PIE: the load bias is 0 and the header is mapped. */
    check("AT_PHDR == &__ehdr_start + e_phoff",
          getauxval(AT_PHDR) == (unsigned long)&__ehdr_start + __ehdr_start.e_phoff);
    check("AT_PHNUM == e_phnum", getauxval(AT_PHNUM) == __ehdr_start.e_phnum);
    check("AT_PHENT == sizeof(Elf64_Phdr)", getauxval(AT_PHENT) == sizeof(ElfW(Phdr)));
    check("AT_ENTRY == _start", getauxval(AT_ENTRY) == (unsigned long)_start);
    check("AT_BASE == 0 (no interpreter)", getauxval(AT_BASE) == 0);
    check("AT_UID/AT_EUID match getuid/geteuid",
          getauxval(AT_UID) == getuid() && getauxval(AT_EUID) == geteuid());
    check("AT_GID/AT_EGID match getgid/getegid",
          getauxval(AT_GID) == getgid() && getauxval(AT_EGID) == getegid());
    check("AT_SECURE == 0", getauxval(AT_SECURE) == 0);
    check("AT_CLKTCK == 100", getauxval(AT_CLKTCK) == 100);
    const char *fn = (const char *)getauxval(AT_EXECFN);
    check("AT_EXECFN ends with /auxv", fn != NULL && strcmp(base(fn), "auxv") == 0);
    printf("failures=%d\n", fails);
    return fails ? 1 : 0;
}
