/* The legacy vsyscall page (0xffffffffff600000): gettimeofday at +0, time at +0x400,
   getcpu at +0x800, called as old static binaries do. Results are compared with the
   ordinary calls as relations (no times are printed). A read of the page, and a call
   into it at another offset, die by SIGSEGV as on Linux (vsyscall=xonly). */
#define _GNU_SOURCE
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

typedef long (*gtod_fn)(struct timeval *, struct timezone *);
typedef long (*time_fn)(long *);
typedef long (*getcpu_fn)(unsigned *, unsigned *, void *);

static sigjmp_buf env;
static volatile int got_sig, got_code;
static volatile void *got_addr;
static void on_segv(int s, siginfo_t *si, void *uc) {
    (void)uc;
    got_sig = s;
    got_code = si->si_code;
    got_addr = si->si_addr;
    siglongjmp(env, 1);
}

int main(void) {
    gtod_fn vgtod = (gtod_fn)0xffffffffff600000UL;
    time_fn vtime = (time_fn)0xffffffffff600400UL;
    getcpu_fn vgetcpu = (getcpu_fn)0xffffffffff600800UL;

    struct timeval a, b, c;
    gettimeofday(&a, 0);
    long r = vgtod(&b, 0);
    gettimeofday(&c, 0);
    printf("gettimeofday: ret %ld, between two calls: %d\n", r,
           timercmp(&a, &b, <=) && timercmp(&b, &c, <=));
    struct timezone tz = {123, 456};
    r = vgtod(0, &tz);
    printf("gettimeofday(NULL, &tz): ret %ld\n", r);

    long t0 = time(0), t1 = 0;
    long t = vtime(&t1);
    long t2 = time(0);
    printf("time: in range %d, stored the same %d\n", t0 <= t && t <= t2, t == t1);
    printf("time(NULL) in range: %d\n", vtime(0) >= t0);

    unsigned cpu = 99, node = 99;
    r = vgetcpu(&cpu, &node, 0);
    unsigned cpu2 = 98, node2 = 98;
    getcpu(&cpu2, &node2);
    printf("getcpu: ret %ld, same as getcpu(2): %d\n", r, cpu == cpu2 && node == node2);

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGSEGV, &sa, 0);
    if (sigsetjmp(env, 1) == 0) {
        volatile unsigned char x = *(volatile unsigned char *)0xffffffffff600000UL;
        (void)x;
        printf("read of the page: no signal\n");
    } else {
        printf("read of the page: signal %d code %d addr %p\n", got_sig, got_code, (void *)got_addr);
    }
    if (sigsetjmp(env, 1) == 0) {
        ((time_fn)0xffffffffff600010UL)(0);
        printf("call at +0x10: no signal\n");
    } else {
        printf("call at +0x10: signal %d code %d\n", got_sig, got_code);
    }
    return 0;
}
