/* The guest of tests/strace.rs: fixed sequences of syscalls whose --strace, --trace=mmap
 * and --maps output the test checks against native strace and against what the program
 * itself sees. Output goes through write(2) only (no stdio buffers, no malloc), so the
 * syscalls and the memory map are exactly the ones listed here.
 *   tracee calls FILE | fork | threads | mmap | maps */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char buf[1 << 16];

static void say(const char *s) {
    if (write(1, s, strlen(s)) < 0)
        _exit(99);
}

static void sayx(const char *what, unsigned long a, unsigned long b) {
    char line[128];
    int n = snprintf(line, sizeof line, "%s %lx %lx\n", what, a, b);
    if (write(1, line, n) < 0)
        _exit(99);
}

static volatile int got;
static void on_usr1(int sig) { got = sig; }

/* Marks the start of the part the test compares (everything before is libc start-up). */
static void begin(void) { open("/emu-strace-begin", O_RDONLY); }

static int calls(const char *path) {
    begin();
    int fd = openat(AT_FDCWD, path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    static const char text[] = "hello\tworld\n\001\002\377 \"quoted\" and a tail longer than 32 bytes";
    if (write(fd, text, sizeof text - 1) < 0)
        return 1;
    close(fd);
    fd = open(path, O_RDONLY);
    ssize_t n = read(fd, buf, 100);
    lseek(fd, 2, SEEK_SET);
    n = pread(fd, buf, 5, 6);
    struct stat st;
    fstat(fd, &st);
    struct iovec iov[2] = {{buf, 3}, {buf + 8, 4}};
    n = readv(fd, iov, 2);
    close(fd);
    access(path, R_OK | W_OK);
    stat("/nonexistent/emu-strace", &st);
    close(-1);
    unlink(path);
    int p[2];
    pipe2(p, O_CLOEXEC);
    struct iovec w[2] = {{"ab", 2}, {"cde", 3}};
    writev(p[1], w, 2);
    n = read(p[0], buf, sizeof buf);
    dup3(p[0], 10, O_CLOEXEC);
    close(10);
    fcntl(p[0], F_SETFD, FD_CLOEXEC);
    struct sigaction sa = {0};
    sa.sa_handler = on_usr1;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGUSR1, &sa, NULL);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR2);
    sigprocmask(SIG_BLOCK, &set, NULL);
    kill(getpid(), SIGUSR1);
    struct timespec ts = {0, 1000};
    nanosleep(&ts, NULL);
    clock_gettime(CLOCK_MONOTONIC, &ts); /* through the vDSO: strace does not see it */
    (void)n;
    say(got == SIGUSR1 ? "signal handled\n" : "no signal\n");
    _exit(3);
}

static void on_chld(int sig) { (void)sig; }

static int forks(void) {
    signal(SIGCHLD, on_chld);
    /* SIGCHLD waits until after waitpid, so it arrives at the same point in every run. */
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_BLOCK, &chld, NULL);
    begin();
    pid_t c = fork();
    if (c == 0) {
        say("child\n");
        _exit(7);
    }
    int status;
    waitpid(c, &status, 0);
    sigprocmask(SIG_UNBLOCK, &chld, NULL);
    say(WIFEXITED(status) && WEXITSTATUS(status) == 7 ? "child exited 7\n" : "bad status\n");
    return 0;
}

static void *thread_main(void *arg) {
    say("thread\n");
    return arg;
}

static int threads(void) {
    begin();
    pthread_t t;
    pthread_create(&t, NULL, thread_main, NULL);
    pthread_join(t, NULL);
    say("joined\n");
    return 0;
}

static int maps_(int trace_mmap) {
    long pg = 4096;
    char *a = mmap(NULL, 3 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    sayx("mmap", (unsigned long)a, (unsigned long)a + 3 * pg);
    mprotect(a + pg, pg, PROT_READ);
    sayx("mprotect", (unsigned long)a + pg, (unsigned long)a + 2 * pg);
    munmap(a, pg);
    sayx("munmap", (unsigned long)a, (unsigned long)a + pg);
    int fd = open("/proc/self/exe", O_RDONLY);
    char *f = mmap(NULL, pg, PROT_READ, MAP_PRIVATE, fd, pg);
    sayx("mmap-file", (unsigned long)f, (unsigned long)f + pg);
    close(fd);
    char *r = mremap(a + 2 * pg, pg, 4 * pg, MREMAP_MAYMOVE);
    sayx("mremap", (unsigned long)r, (unsigned long)r + 4 * pg);
    if (!trace_mmap) {
        /* What the guest sees of its own map, read into a static buffer so that reading
         * it changes nothing; then exit at once. */
        fd = open("/proc/self/maps", O_RDONLY);
        ssize_t n, len = 0;
        while ((n = read(fd, buf + len, sizeof buf - len)) > 0)
            len += n;
        close(fd);
        if (write(1, buf, len) < 0)
            _exit(99);
    }
    _exit(0);
}

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "";
    if (!strcmp(mode, "calls") && argc > 2)
        return calls(argv[2]);
    if (!strcmp(mode, "fork"))
        return forks();
    if (!strcmp(mode, "threads"))
        return threads();
    if (!strcmp(mode, "mmap"))
        return maps_(1);
    if (!strcmp(mode, "maps"))
        return maps_(0);
    say("usage: tracee calls FILE | fork | threads | mmap | maps\n");
    return 2;
}
