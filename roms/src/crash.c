/* Guests that die of a signal. The message is flushed first so it is part of the compared
 * stdout even when stdout is a pipe.
 *   crash segv | segv-read | segv-ro | segv-exec | stack-overflow | ill | fpe */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#pragma GCC diagnostic ignored "-Winfinite-recursion"
static int depth(volatile int *p) {
    volatile char pad[512];
    pad[0] = (char)*p;
    int n = *p + 1;
    return depth(&n) + pad[0];
}

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "segv";
    printf("crash: about to %s\n", mode);
    fflush(stdout);
    if (strcmp(mode, "segv") == 0) {
        *(volatile int *)0 = 1;
    } else if (strcmp(mode, "segv-read") == 0) {
        volatile long x = *(volatile long *)(long)0x7ff000000000; /* unmapped, canonical */
        (void)x;
    } else if (strcmp(mode, "segv-ro") == 0) {
        char *p = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        p[0] = 1;
        mprotect(p, 4096, PROT_READ);
        printf("read back %d\n", p[0]);
        fflush(stdout);
        *(volatile char *)p = 2;
    } else if (strcmp(mode, "segv-exec") == 0) {
        unsigned char *p = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        p[0] = 0xc3; /* ret, but the page is not executable */
        ((void (*)(void))p)();
    } else if (strcmp(mode, "stack-overflow") == 0) {
        int n = 0;
        printf("%d\n", depth(&n));
    } else if (strcmp(mode, "ill") == 0) {
        __builtin_trap(); /* ud2 */
    } else if (strcmp(mode, "fpe") == 0) {
        volatile int zero = 0, one = 1;
        printf("%d\n", one / zero);
    } else {
        printf("unknown mode\n");
        return 2;
    }
    printf("crash: still alive?\n");
    return 1;
}
