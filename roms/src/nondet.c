/* Everything a program can observe that differs between runs: the time (several
 * clocks, the vDSO, rdtsc), random bytes (getrandom, /dev/urandom, AT_RANDOM), its pid,
 * heap and mmap addresses, the interleaving of 4 threads racing on a shared counter,
 * stdin and an input file (argv[1]). tests/replay.rs runs it under --deterministic,
 * --record and --replay. */
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>

#define THREADS 4
#define ITERS 200000
#define MARKS 64

static volatile long counter;
static char order[THREADS * MARKS + 1];
static volatile int order_len;

static void *racer(void *arg) {
    long id = (long)arg;
    for (int i = 0; i < ITERS; i++) {
        long c = counter; /* racy on purpose: lost updates show the interleaving */
        counter = c + 1;
        if (i % (ITERS / MARKS) == 0) {
            int n = order_len;
            if (n < THREADS * MARKS) {
                order[n] = (char)('a' + id);
                order_len = n + 1;
            }
        }
    }
    return NULL;
}

static void hex(const char *what, const unsigned char *b, size_t n) {
    printf("%s ", what);
    for (size_t i = 0; i < n; i++)
        printf("%02x", b[i]);
    printf("\n");
}

int main(int argc, char **argv) {
    struct timespec rt, mono;
    clock_gettime(CLOCK_REALTIME, &rt);
    clock_gettime(CLOCK_MONOTONIC, &mono);
    struct timeval tv;
    gettimeofday(&tv, NULL);
    printf("realtime %lld.%09ld\n", (long long)rt.tv_sec, rt.tv_nsec);
    printf("monotonic %lld.%09ld\n", (long long)mono.tv_sec, mono.tv_nsec);
    printf("gettimeofday %lld.%06ld time %lld\n", (long long)tv.tv_sec, (long)tv.tv_usec,
           (long long)time(NULL));
    printf("rdtsc %llu\n", (unsigned long long)__rdtsc());

    unsigned char r[16];
    if (getrandom(r, sizeof r, 0) != sizeof r)
        return 1;
    hex("getrandom", r, sizeof r);
    int fd = open("/dev/urandom", O_RDONLY);
    if (fd < 0 || read(fd, r, sizeof r) != sizeof r)
        return 2;
    close(fd);
    hex("urandom", r, sizeof r);
    hex("AT_RANDOM", (const unsigned char *)getauxval(AT_RANDOM), 16);

    printf("pid %d ppid-is-positive %d\n", (int)getpid(), getppid() > 0);
    void *small = malloc(32), *big = malloc(1 << 20);
    void *m = mmap(NULL, 1 << 16, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    printf("heap %p %p mmap %p stack %p\n", small, big, m, (void *)&r);

    struct timespec nap = {0, 5000000};
    nanosleep(&nap, NULL);
    struct timespec after;
    clock_gettime(CLOCK_MONOTONIC, &after);
    long long slept = (after.tv_sec - mono.tv_sec) * 1000000000LL + (after.tv_nsec - mono.tv_nsec);
    printf("slept at least 5ms %d\n", slept >= 5000000);

    pthread_t t[THREADS];
    for (long i = 0; i < THREADS; i++)
        pthread_create(&t[i], NULL, racer, (void *)i);
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    printf("counter %ld of %d\n", counter, THREADS * ITERS);
    printf("order %s\n", order);

    char line[256];
    if (fgets(line, sizeof line, stdin))
        printf("stdin %s", line);
    else
        printf("stdin empty\n");
    if (argc > 1) {
        FILE *f = fopen(argv[1], "r");
        if (!f) {
            printf("input %s missing\n", argv[1]);
        } else {
            size_t n = fread(line, 1, sizeof line - 1, f);
            line[n] = 0;
            printf("input %s", line);
            fclose(f);
        }
    }
    return 0;
}
