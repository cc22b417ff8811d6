/* tests/trace.rs: guests for --watch on kernel-side writes and per-thread --profile stacks.
 *   instr read      read()s from a pipe into a watched buffer, prints what it holds
 *   instr threads   two threads, each spinning under its own start routine, and a
 *                   signal handler that calls a function of its own */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

char inbuf[16];

static void show(const char *what) {
    /* The buffer as a little-endian integer, as emu's watch lines show values. */
    printf("%s 0x", what);
    int lead = 1;
    for (int i = 15; i >= 0; i--) {
        if (lead && inbuf[i] == 0 && i > 0)
            continue;
        printf(lead ? "%x" : "%02x", (unsigned char)inbuf[i]);
        lead = 0;
    }
    printf("\n");
}

static int do_read(void) {
    int fds[2];
    if (pipe(fds) != 0)
        return 1;
    const char msg[16] = "kernel wrote me!";
    if (write(fds[1], msg, sizeof msg) != sizeof msg)
        return 1;
    show("before");
    if (read(fds[0], inbuf, sizeof inbuf) != sizeof inbuf)
        return 1;
    show("after");
    return 0;
}

volatile unsigned long sink_a, sink_b, sink_h;

__attribute__((noinline)) void spin_a(unsigned long n) {
    for (unsigned long i = 0; i < n; i++)
        sink_a += i;
}

__attribute__((noinline)) void spin_b(unsigned long n) {
    for (unsigned long i = 0; i < n; i++)
        sink_b ^= i;
}

__attribute__((noinline)) void in_handler(unsigned long n) {
    for (unsigned long i = 0; i < n; i++)
        sink_h += i;
}

void *worker_a(void *arg) {
    (void)arg;
    for (int k = 0; k < 4; k++)
        spin_a(100000);
    return 0;
}

void *worker_b(void *arg) {
    (void)arg;
    for (int k = 0; k < 4; k++)
        spin_b(100000);
    return 0;
}

void on_usr1(int sig) {
    (void)sig;
    in_handler(50000);
}

static int do_threads(void) {
    signal(SIGUSR1, on_usr1);
    raise(SIGUSR1);
    pthread_t a, b;
    pthread_create(&a, 0, worker_a, 0);
    pthread_create(&b, 0, worker_b, 0);
    pthread_join(a, 0);
    pthread_join(b, 0);
    printf("sums %lu %lu %lu\n", sink_a, sink_b, sink_h);
    return 0;
}

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "read";
    if (strcmp(mode, "read") == 0)
        return do_read();
    if (strcmp(mode, "threads") == 0)
        return do_threads();
    printf("unknown mode\n");
    return 2;
}
