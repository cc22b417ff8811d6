/* The initial process state: argc/argv/envp and the auxiliary vector as the kernel lays them
 * out. Only values that are the same on every run and every machine are printed; values that
 * depend on the machine or the run (addresses, uids, hwcaps) are checked against something
 * the program can see itself and printed as yes/no.
 *   auxv [-s] [ARGS...]     -s prints the environment sorted instead of in order */
#include <cpuid.h>
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

extern char **environ;
extern char _start[];

static void put_escaped(const char *s) {
    putchar('"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            printf("\\%c", c);
        else if (c < 0x20 || c >= 0x7f)
            printf("\\x%02x", c);
        else
            putchar(c);
    }
    putchar('"');
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static const char *yes(int b) { return b ? "yes" : "no"; }

int main(int argc, char **argv, char **envp) {
    int sorted = argc > 1 && strcmp(argv[1], "-s") == 0;

    printf("argc=%d\n", argc);
    for (int i = 0; i < argc; i++) {
        printf("argv[%d]=", i);
        put_escaped(argv[i]);
        putchar('\n');
    }
    printf("argv[argc] is NULL: %s\n", yes(argv[argc] == NULL));
    printf("envp == environ: %s\n", yes(envp == environ));
    printf("envp follows argv: %s\n", yes(envp == argv + argc + 1));

    int envc = 0;
    while (envp[envc])
        envc++;
    printf("envc=%d\n", envc);
    char **env = malloc((envc + 1) * sizeof *env);
    memcpy(env, envp, (envc + 1) * sizeof *env);
    if (sorted)
        qsort(env, envc, sizeof *env, cmp_str);
    for (int i = 0; i < envc; i++) {
        printf("env[%d]=", i);
        put_escaped(env[i]);
        putchar('\n');
    }
    const char *names[] = {"PATH", "HOME", "LC_ALL", "TZ", "EMU_TEST_VAR", "UNSET_ME"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        const char *v = getenv(names[i]);
        printf("getenv(%s)=", names[i]);
        if (v)
            put_escaped(v);
        else
            printf("(null)");
        putchar('\n');
    }

    /* Linux copies the argument and environment strings back to back at the top of the stack;
     * setproctitle-style code relies on it. */
    int contiguous = 1;
    const char *next = argv[0];
    for (int i = 0; i < argc; i++) {
        contiguous &= argv[i] == next;
        next = argv[i] + strlen(argv[i]) + 1;
    }
    for (int i = 0; i < envc; i++) {
        contiguous &= envp[i] == next;
        next = envp[i] + strlen(envp[i]) + 1;
    }
    printf("argv and env strings contiguous: %s\n", yes(contiguous));

    /* The auxiliary vector as found on the stack, not through libc's copy. */
    Elf64_auxv_t *av = (Elf64_auxv_t *)(envp + envc + 1);
    unsigned long at[64] = {0};
    int seen[64] = {0};
    int count = 0;
    for (; av->a_type != AT_NULL; av++, count++) {
        if (av->a_type < 64) {
            at[av->a_type] = av->a_un.a_val;
            seen[av->a_type] = 1;
        }
    }
    printf("auxv has entries: %s\n", yes(count > 0));
    printf("AT_PAGESZ=%lu\n", at[AT_PAGESZ]);
    printf("AT_PHENT=%lu\n", at[AT_PHENT]);
    printf("AT_PHNUM=%lu\n", at[AT_PHNUM]);
    printf("AT_BASE=%lu\n", at[AT_BASE]);
    printf("AT_FLAGS=%lu\n", at[AT_FLAGS]);
    printf("AT_SECURE=%lu\n", at[AT_SECURE]);
    printf("AT_CLKTCK=%lu\n", at[AT_CLKTCK]);
    printf("AT_UID matches getuid: %s\n", yes(seen[AT_UID] && at[AT_UID] == getuid()));
    printf("AT_EUID matches geteuid: %s\n", yes(seen[AT_EUID] && at[AT_EUID] == geteuid()));
    printf("AT_GID matches getgid: %s\n", yes(seen[AT_GID] && at[AT_GID] == getgid()));
    printf("AT_EGID matches getegid: %s\n", yes(seen[AT_EGID] && at[AT_EGID] == getegid()));
    printf("AT_ENTRY is _start: %s\n", yes(at[AT_ENTRY] == (unsigned long)_start));

    unsigned a = 0, b = 0, c = 0, d = 0;
    __get_cpuid(1, &a, &b, &c, &d);
    printf("AT_HWCAP is CPUID.1:EDX: %s\n", yes(seen[AT_HWCAP] && at[AT_HWCAP] == d));
    /* HWCAP2_FSGSBASE (bit 1): the kernel lets user mode run RD/WR FS/GS BASE, which
     * CPUID.7.0:EBX bit 0 says the CPU has. */
    __get_cpuid_count(7, 0, &a, &b, &c, &d);
    printf("AT_HWCAP2 FSGSBASE is CPUID.7:EBX.FSGSBASE: %s\n",
           yes(seen[AT_HWCAP2] && !!(at[AT_HWCAP2] & 2) == !!(b & 1)));
    /* AT_MINSIGSTKSZ has room for a signal frame with the whole XSAVE area (CPUID.0xD.0:EBX). */
    __get_cpuid_count(0xd, 0, &a, &b, &c, &d);
    printf("AT_MINSIGSTKSZ holds the XSAVE area and the frame: %s\n",
           yes(seen[AT_MINSIGSTKSZ] && at[AT_MINSIGSTKSZ] >= b + 4 + 440));

    printf("AT_PLATFORM=");
    if (seen[AT_PLATFORM])
        put_escaped((const char *)at[AT_PLATFORM]);
    else
        printf("(absent)");
    putchar('\n');
    printf("AT_EXECFN=");
    if (seen[AT_EXECFN])
        put_escaped((const char *)at[AT_EXECFN]);
    else
        printf("(absent)");
    putchar('\n');

    if (seen[AT_RANDOM]) {
        const unsigned char *r = (const unsigned char *)at[AT_RANDOM];
        int nonzero = 0;
        for (int i = 0; i < 16; i++)
            nonzero |= r[i];
        printf("AT_RANDOM: 16 bytes readable, not all zero: %s\n", yes(nonzero));
    } else {
        printf("AT_RANDOM: absent\n");
    }

    /* libc's own view must agree with the stack. */
    printf("getauxval(AT_PAGESZ)=%lu sysconf(_SC_PAGESIZE)=%ld getpagesize()=%d\n", getauxval(AT_PAGESZ),
           sysconf(_SC_PAGESIZE), getpagesize());

    /* The program headers the kernel points at are the file's, mapped right after the mapped
     * ELF header (true of every rom); the load bias follows from the header's e_entry. */
    const Elf64_Phdr *ph = (const Elf64_Phdr *)at[AT_PHDR];
    const Elf64_Ehdr *eh = (const Elf64_Ehdr *)(at[AT_PHDR] - sizeof(Elf64_Ehdr));
    int ehdr_ok = memcmp(eh->e_ident, ELFMAG, SELFMAG) == 0 && eh->e_phoff == sizeof(Elf64_Ehdr) &&
                  eh->e_phnum == at[AT_PHNUM] && eh->e_phentsize == at[AT_PHENT];
    printf("ELF header mapped before the program headers: %s\n", yes(ehdr_ok));
    printf("e_type=%u\n", ehdr_ok ? eh->e_type : 0);
    unsigned long bias = ehdr_ok ? at[AT_ENTRY] - eh->e_entry : 0;
    printf("load bias is zero: %s\n", yes(bias == 0));
    printf("load bias is page aligned: %s\n", yes(bias % 4096 == 0));
    int entry_in_exec_load = 0;
    for (unsigned long i = 0; i < at[AT_PHNUM]; i++) {
        printf("phdr[%lu] type=%#x flags=%c%c%c filesz=%#lx memsz=%#lx align=%#lx\n", i, ph[i].p_type,
               ph[i].p_flags & PF_R ? 'r' : '-', ph[i].p_flags & PF_W ? 'w' : '-',
               ph[i].p_flags & PF_X ? 'x' : '-', (unsigned long)ph[i].p_filesz,
               (unsigned long)ph[i].p_memsz, (unsigned long)ph[i].p_align);
        if (ph[i].p_type == PT_LOAD && ph[i].p_offset == 0)
            printf("first PT_LOAD maps the ELF header: %s\n",
                   yes(ph[i].p_vaddr + bias == (unsigned long)eh));
        if (ph[i].p_type == PT_LOAD && (ph[i].p_flags & PF_X) && at[AT_ENTRY] >= ph[i].p_vaddr + bias &&
            at[AT_ENTRY] < ph[i].p_vaddr + bias + ph[i].p_memsz)
            entry_in_exec_load = 1;
    }
    printf("AT_ENTRY inside an executable PT_LOAD: %s\n", yes(entry_in_exec_load));
    return 0;
}
