/* The guest of tests/strace.rs: fixed sequences of syscalls whose --strace, --trace=mmap
 * and --maps output the test checks against native strace and against what the program
 * itself sees. Output goes through write(2) only (no stdio buffers, no malloc), so the
 * syscalls and the memory map are exactly the ones listed here.
 *   tracee calls FILE | fork | threads | restart | mmap | maps | decode */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/mman.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
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

static int alarm_pipe[2];
static void on_alrm(int sig) {
    (void)sig;
    if (write(alarm_pipe[1], "x", 1) < 0)
        _exit(99);
}

/* A read blocked in an empty pipe is interrupted by SIGALRM; the handler (SA_RESTART)
 * writes to the pipe, and the restarted read returns that byte. */
static int restart(void) {
    if (pipe(alarm_pipe) < 0)
        return 1;
    struct sigaction sa = {0};
    sa.sa_handler = on_alrm;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGALRM, &sa, NULL);
    begin();
    struct itimerval it = {{0, 0}, {0, 50000}};
    setitimer(ITIMER_REAL, &it, NULL);
    char c[10] = {0};
    ssize_t n = read(alarm_pipe[0], c, sizeof c);
    say(n == 1 && c[0] == 'x' ? "restarted read got x\n" : "bad read\n");
    _exit(0);
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

/* Structs --strace decodes: fd sets, socket addresses, termios, stack_t. (Sockets beyond
 * socketpair and ptys are left out while emu has none; structs.rs tests their notation.) */
static int decode(void) {
    int p[2];
    if (pipe(p) != 0)
        return 1;
    begin();
    if (write(p[1], "x", 1) != 1)
        return 1;
    fd_set rd, wr;
    FD_ZERO(&rd);
    FD_ZERO(&wr);
    FD_SET(p[0], &rd);
    FD_SET(p[1], &rd);
    FD_SET(p[1], &wr);
    struct timeval tv = {0, 0};
    select(p[1] + 1, &rd, &wr, NULL, &tv);
    FD_ZERO(&rd);
    FD_SET(p[0], &rd);
    struct timespec ts = {0, 0};
    sigset_t usr1;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    pselect(p[0] + 1, &rd, NULL, NULL, &ts, &usr1);
    tv.tv_sec = 0;
    FD_ZERO(&rd);
    FD_SET(p[0], &rd);
    syscall(SYS_select, p[0] + 1, &rd, NULL, NULL, &tv);
    FD_ZERO(&rd);
    FD_SET(p[1], &rd);
    syscall(SYS_select, p[1] + 1, &rd, NULL, NULL, &tv);
    FD_ZERO(&rd);
    FD_SET(p[0], &rd);
    select(p[0] + 1, &rd, NULL, NULL, NULL);

    int sp[2];
    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp);
    struct sockaddr_un peer;
    socklen_t len = sizeof peer;
    getsockname(sp[0], (struct sockaddr *)&peer, &len);
    close(sp[0]);
    close(sp[1]);

    struct termios t;
    tcgetattr(p[0], &t);

    static char altstack[1 << 16];
    stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 0}, old;
    sigaltstack(&ss, &old);
    sigaltstack(NULL, &old);
    return 0;
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
    if (!strcmp(mode, "restart"))
        return restart();
    if (!strcmp(mode, "maps"))
        return maps_(0);
    if (!strcmp(mode, "decode"))
        return decode();
    say("usage: tracee calls FILE | fork | threads | restart | mmap | maps | decode\n");
    return 2;
}
