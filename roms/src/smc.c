/* Self-modifying code: an emulator that caches decoded blocks must notice every write to
 * code it has already translated, whether the write comes from another block, from the
 * running block itself, or from remapping the page.
 *   smc basic | mprotect | inblock | loop | remap | all (default) */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

typedef long (*fn2)(long, long);
typedef long (*fn0)(void);

/* mov eax, imm32 ; ret */
static void put_mov_ret(unsigned char *p, uint32_t imm) {
    p[0] = 0xb8;
    memcpy(p + 1, &imm, 4);
    p[5] = 0xc3;
}

static void basic(void) {
    unsigned char *p = mmap(0, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    put_mov_ret(p, 1);
    printf("basic: first %ld\n", ((fn0)p)());
    put_mov_ret(p, 2);
    printf("basic: imm patched %ld\n", ((fn0)p)());
    /* lea rax, [rdi+rsi] ; ret */
    static const unsigned char add[] = {0x48, 0x8d, 0x04, 0x37, 0xc3};
    memcpy(p, add, sizeof add);
    printf("basic: replaced by add %ld\n", ((fn2)p)(30, 12));
    /* imul rax, rdi, rsi is two ops: mov rax, rdi ; imul rax, rsi ; ret */
    static const unsigned char mul[] = {0x48, 0x89, 0xf8, 0x48, 0x0f, 0xaf, 0xc6, 0xc3};
    memcpy(p, mul, sizeof mul);
    printf("basic: replaced by mul %ld\n", ((fn2)p)(6, 7));
    /* Patch one byte in the middle of the cached block: mov rax, rdi -> mov rax, rsi. */
    p[2] = 0xf0;
    printf("basic: one byte changed %ld\n", ((fn2)p)(6, 7));
    /* Code in the second half of the page, then the first half changed: same page. */
    put_mov_ret(p + 2048, 77);
    long a = ((fn0)(p + 2048))();
    put_mov_ret(p, 5);
    long b = ((fn0)p)();
    put_mov_ret(p + 2048, 78);
    printf("basic: same page %ld %ld %ld\n", a, b, ((fn0)(p + 2048))());
    munmap(p, 4096);
}

static void via_mprotect(void) {
    unsigned char *p = mmap(0, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    put_mov_ret(p, 100);
    put_mov_ret(p + 4096, 200);
    mprotect(p, 8192, PROT_READ | PROT_EXEC);
    printf("mprotect: %ld %ld\n", ((fn0)p)(), ((fn0)(p + 4096))());
    mprotect(p, 4096, PROT_READ | PROT_WRITE);
    put_mov_ret(p, 101);
    mprotect(p, 4096, PROT_READ | PROT_EXEC);
    printf("mprotect: after rewrite %ld %ld\n", ((fn0)p)(), ((fn0)(p + 4096))());
    /* A function whose code crosses the page boundary, then its second half rewritten. */
    mprotect(p, 8192, PROT_READ | PROT_WRITE);
    unsigned char *q = p + 4096 - 3;
    put_mov_ret(q, 0x11223344);
    mprotect(p, 8192, PROT_READ | PROT_EXEC);
    long a = ((fn0)q)();
    mprotect(p, 8192, PROT_READ | PROT_WRITE);
    q[4] = 0x55;
    mprotect(p, 8192, PROT_READ | PROT_EXEC);
    printf("mprotect: across pages %lx then %lx\n", a, ((fn0)q)());
    munmap(p, 8192);
}

/* The running block rewrites an instruction after the store, in the same block. x86
 * guarantees the new bytes execute. */
static void inblock(void) {
    unsigned char *p = mmap(0, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    /* mov byte [rip+1], 42 : C6 05 <disp32 = 1> 2A   (disp relative to the next insn: skip B8)
     * mov eax, 1           : B8 01 00 00 00
     * ret                  : C3 */
    static const unsigned char code[] = {0xc6, 0x05, 0x01, 0x00, 0x00, 0x00, 0x2a,
                                         0xb8, 0x01, 0x00, 0x00, 0x00, 0xc3};
    memcpy(p, code, sizeof code);
    printf("inblock: first call %ld\n", ((fn0)p)());
    p[13] = 0; /* unrelated write to the page */
    p[8] = 1;
    printf("inblock: after reset %ld\n", ((fn0)p)());
    /* Now the store rewrites the opcode of the next instruction: mov eax,imm -> ret-free
     * add: B8 -> 05 ("add eax, imm32"), with eax preset to 1000. */
    static const unsigned char code2[] = {0xb8, 0xe8, 0x03, 0x00, 0x00,             /* mov eax, 1000 */
                                          0xc6, 0x05, 0x00, 0x00, 0x00, 0x00, 0x05, /* mov byte [rip+0], 0x05 */
                                          0xb8, 0x07, 0x00, 0x00, 0x00,             /* mov eax, 7 (becomes add) */
                                          0xc3};
    memcpy(p + 64, code2, sizeof code2);
    printf("inblock: opcode rewritten %ld\n", ((fn0)(p + 64))());
    munmap(p, 4096);
}

/* A loop whose body patches the immediate of an instruction in another block each time. */
static void loop(void) {
    unsigned char *p = mmap(0, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    put_mov_ret(p, 0);
    long sum = 0;
    for (uint32_t i = 1; i <= 200; i++) {
        memcpy(p + 1, &i, 4);
        sum += ((fn0)p)();
    }
    printf("loop: sum %ld (expected %d)\n", sum, 200 * 201 / 2);
    munmap(p, 4096);
}

/* Unmap code and map new code at the same address. */
static void remap(void) {
    unsigned char *p = mmap(0, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    put_mov_ret(p, 1234);
    long a = ((fn0)p)();
    munmap(p, 4096);
    unsigned char *q = mmap(p, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    printf("remap: same address %s\n", q == p ? "yes" : "no");
    put_mov_ret(q, 5678);
    long b = ((fn0)q)();
    /* MAP_FIXED over live code without munmap; the fresh page is zero, so write code again. */
    q = mmap(p, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    put_mov_ret(q, 9012);
    printf("remap: %ld %ld %ld\n", a, b, ((fn0)q)());
    munmap(q, 4096);
}

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "all";
    int all = strcmp(mode, "all") == 0;
    if (all || strcmp(mode, "basic") == 0)
        basic();
    if (all || strcmp(mode, "mprotect") == 0)
        via_mprotect();
    if (all || strcmp(mode, "inblock") == 0)
        inblock();
    if (all || strcmp(mode, "loop") == 0)
        loop();
    if (all || strcmp(mode, "remap") == 0)
        remap();
    return 0;
}
