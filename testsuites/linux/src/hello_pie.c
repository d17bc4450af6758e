/* hello_pie: a static PIE (ET_DYN without PT_INTERP), loaded at a non-zero base
 * chosen by the loader.
 *
 * Debian's riscv64 cross glibc 2.36 ships no rcrt1.o, so `gcc -static-pie` cannot
 * link against glibc (and GCC 12's riscv driver would still request an interpreter
 * for -static-pie, so the link uses -pie --no-dynamic-linker); this program is freestanding instead and relocates itself
 * exactly like glibc's _dl_relocate_static_pie: it walks its own _DYNAMIC, applies
 * the R_RISCV_RELATIVE relocations, then uses a table of pointers that is only
 * correct once relocated. It also checks the auxv entries that depend on the
 * load base. Built with -mno-relax so no gp-relative access sneaks in. */
#include <elf.h>

extern Elf64_Dyn _DYNAMIC[] __attribute__((visibility("hidden")));
extern const Elf64_Ehdr __ehdr_start __attribute__((visibility("hidden")));
extern char _start[] __attribute__((visibility("hidden")));

static long sys3(long n, long a, long b, long c)
{
    register long a0 asm("a0") = a, a1 asm("a1") = b, a2 asm("a2") = c, a7 asm("a7") = n;
    asm volatile("ecall" : "+r"(a0) : "r"(a1), "r"(a2), "r"(a7) : "memory");
    return a0;
}

static unsigned long slen(const char *s)
{
    unsigned long n = 0;
    while (s[n])
        n++;
    return n;
}

static void out(const char *s) { sys3(64 /* write */, 1, (long)s, (long)slen(s)); }

/* Needs relocation: an array of absolute pointers in .data.rel.ro. */
static const char *const words[] = {"hello, ", "static-pie ", "world\n"};
static int counter = 5;
static int *counter_ptr = &counter;

static unsigned long nrel, relacount;

static void relocate(unsigned long base)
{
    unsigned long rela = 0, relasz = 0, relaent = sizeof(Elf64_Rela);
    for (Elf64_Dyn *d = _DYNAMIC; d->d_tag != DT_NULL; d++) {
        if (d->d_tag == DT_RELA)
            rela = d->d_un.d_ptr;
        else if (d->d_tag == DT_RELASZ)
            relasz = d->d_un.d_val;
        else if (d->d_tag == DT_RELAENT)
            relaent = d->d_un.d_val;
        else if (d->d_tag == DT_RELACOUNT)
            relacount = d->d_un.d_val;
    }
    for (unsigned long off = 0; off < relasz; off += relaent) {
        const Elf64_Rela *r = (const Elf64_Rela *)(base + rela + off);
        if (ELF64_R_TYPE(r->r_info) == R_RISCV_RELATIVE) {
            *(unsigned long *)(base + r->r_offset) = base + r->r_addend;
            nrel++;
        }
    }
}

static void check(const char *what, int ok)
{
    out(what);
    out(ok ? ": ok\n" : ": FAIL\n");
}

__attribute__((used)) void cstart(unsigned long *sp)
{
    unsigned long base = (unsigned long)&__ehdr_start; /* vaddr 0 + load bias */
    relocate(base);
    for (volatile int i = 0; i < 3; i++)
        out(words[i]);
    *counter_ptr += 1;
    check("relocated pointer to data", counter == 6);
    check("all DT_RELACOUNT (>= 3) relative relocations applied", nrel == relacount && nrel >= 3);
    check("load base is non-zero and page aligned", base != 0 && (base & 4095) == 0);
    check("ELF header is mapped, type ET_DYN", __ehdr_start.e_type == ET_DYN);

    long argc = (long)sp[0];
    char **envp = (char **)(sp + 1 + argc + 1);
    while (*envp)
        envp++;
    unsigned long phdr = 0, entry = 0, phnum = 0, at_base = 1;
    for (Elf64_auxv_t *av = (Elf64_auxv_t *)(envp + 1); av->a_type != AT_NULL; av++) {
        if (av->a_type == AT_PHDR)
            phdr = av->a_un.a_val;
        else if (av->a_type == AT_ENTRY)
            entry = av->a_un.a_val;
        else if (av->a_type == AT_PHNUM)
            phnum = av->a_un.a_val;
        else if (av->a_type == AT_BASE)
            at_base = av->a_un.a_val;
    }
    check("AT_PHDR == base + e_phoff", phdr == base + __ehdr_start.e_phoff);
    check("AT_PHNUM == e_phnum", phnum == __ehdr_start.e_phnum);
    check("AT_ENTRY == base + e_entry == &_start",
          entry == base + __ehdr_start.e_entry && entry == (unsigned long)_start);
    check("AT_BASE == 0 (no interpreter)", at_base == 0);
    sys3(94 /* exit_group */, 0, 0, 0);
}

asm(".text\n"
    ".globl _start\n"
    "_start:\n"
    "  mv a0, sp\n"
    "  andi sp, sp, -16\n"
    "  call cstart\n"
    "  unimp\n");
