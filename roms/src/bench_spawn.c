/* Process launcher of the benchmark suite (tests/bench/run.py):
 *     bench-spawn RESULT_FILE PROGRAM [ARGS]...
 * runs PROGRAM (a path; stdin, stdout and stderr inherited), waits for it and writes one line
 * to RESULT_FILE:  WAIT_STATUS MAXRSS_KIB ELAPSED_NS
 * (wait status as from wait4, peak resident memory from its rusage, wall-clock time from
 * before fork to after wait4).
 *
 * Why not fork from Python: a child's ru_maxrss starts at the resident size of the process it
 * was forked (or vforked) from, so every program launched by the ~20 MiB Python runner would
 * report at least 20 MiB. Forked from this small static program the floor is under 1 MiB. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: bench-spawn RESULT_FILE PROGRAM [ARGS]...\n");
        return 2;
    }
    FILE *result = fopen(argv[1], "w");
    if (!result) {
        fprintf(stderr, "bench-spawn: cannot write %s: %s\n", argv[1], strerror(errno));
        return 125;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pid_t pid = fork();
    if (pid < 0) {
        perror("bench-spawn: fork");
        return 125;
    }
    if (pid == 0) {
        fclose(result);
        execv(argv[2], argv + 2);
        fprintf(stderr, "bench-spawn: cannot run %s: %s\n", argv[2], strerror(errno));
        _exit(127);
    }
    int status;
    struct rusage ru;
    while (wait4(pid, &status, 0, &ru) < 0) {
        if (errno != EINTR) {
            perror("bench-spawn: wait4");
            return 125;
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long long ns = (t1.tv_sec - t0.tv_sec) * 1000000000LL + (t1.tv_nsec - t0.tv_nsec);
    fprintf(result, "%d %ld %lld\n", status, ru.ru_maxrss, ns);
    return fclose(result) ? 125 : 0;
}
