/* gdbcrash: the debuggee of tests/gdb.rs's reverse-execution tests (emu --replay DIR --gdb).
 * fill() writes one slot too many, over the pointer beside the slots; use() then reads
 * through that pointer and dies of SIGSEGV. In gdb, after the crash, `watch -l t.target` and
 * `reverse-continue` must stop at the loop line whose last pass wrote it. Between fill's call
 * and the crash no libc code runs, so gdb's own `record full` (which stops at AVX
 * instructions) can serve as the native oracle. Built -O0 -g, as gdbdemo. */
#include <stdio.h>

struct table {
    long slots[4];
    long *target;
} t;

long value = 7;

__attribute__((noinline)) void fill(int n)
{
    for (int i = 0; i <= n; i++)
        t.slots[i] = i; /* i == 4 overruns into t.target */
}

__attribute__((noinline)) long use(void)
{
    return *t.target; /* SIGSEGV: t.target is 4 */
}

int main(int argc, char **argv)
{
    t.target = &value;
    puts("gdbcrash start");
    fflush(stdout);
    fill(argc + 3);
    printf("%ld\n", use());
    return 0;
}
