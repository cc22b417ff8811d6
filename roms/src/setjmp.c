/* setjmp/longjmp: jumps out of deep recursion, nested buffers, value 0 delivered as 1,
 * volatile locals kept, sigsetjmp/siglongjmp restoring the signal mask (rt_sigprocmask). */
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

static jmp_buf outer, inner;
static sigjmp_buf sj;
static int calls;

/* longjmp ends the recursion, which gcc cannot see. */
#pragma GCC diagnostic ignored "-Winfinite-recursion"
static int recurse(int n, jmp_buf env) {
    calls++;
    if (n == 0)
        longjmp(env, 1000 + calls);
    volatile char pad[64];
    memset((char *)pad, n, sizeof pad);
    return recurse(n - 1, env) + pad[3];
}

static void jump_zero(void) { longjmp(inner, 0); }

static int blocked(int sig) {
    sigset_t cur;
    sigprocmask(SIG_BLOCK, NULL, &cur);
    return sigismember(&cur, sig);
}

int main(void) {
    volatile int counter = 0;
    volatile int r = setjmp(outer);
    printf("setjmp(outer) returned %d, counter=%d\n", r, counter);
    if (counter < 3) {
        counter++;
        if (r == 0 || r > 1000)
            recurse(100 * counter, outer);
    }

    r = setjmp(inner);
    printf("setjmp(inner) returned %d\n", r);
    if (r == 0)
        jump_zero();

    /* A jump from an inner frame across a second setjmp. */
    volatile double acc = 0.5;
    if ((r = setjmp(outer)) == 0) {
        acc *= 3;
        if (setjmp(inner) == 0) {
            acc += 1;
            longjmp(outer, 7);
        }
        printf("not reached\n");
    }
    printf("nested: r=%d acc=%g\n", r, acc);

    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGUSR1);
    sigprocmask(SIG_BLOCK, &s, NULL);
    printf("SIGUSR1 blocked before sigsetjmp: %d\n", blocked(SIGUSR1));
    r = sigsetjmp(sj, 1);
    printf("sigsetjmp returned %d, SIGUSR1 blocked: %d, SIGUSR2 blocked: %d\n", r, blocked(SIGUSR1),
           blocked(SIGUSR2));
    if (r == 0) {
        sigset_t s2;
        sigemptyset(&s2);
        sigaddset(&s2, SIGUSR2);
        sigprocmask(SIG_UNBLOCK, &s, NULL);
        sigprocmask(SIG_BLOCK, &s2, NULL);
        printf("changed mask: SIGUSR1 blocked: %d, SIGUSR2 blocked: %d\n", blocked(SIGUSR1), blocked(SIGUSR2));
        siglongjmp(sj, 2);
    }
    r = sigsetjmp(sj, 0);
    if (r == 0) {
        sigprocmask(SIG_UNBLOCK, &s, NULL);
        siglongjmp(sj, 3);
    }
    printf("sigsetjmp(0) returned %d, mask not restored: SIGUSR1 blocked: %d\n", r, blocked(SIGUSR1));
    printf("total calls %d\n", calls);
    return 0;
}
