/* A task's settings and standing: capget/capset (v1, v3, a bad version), prctl options,
   personality, nice values and the sched_* policy calls, sched_setaffinity, close_range,
   pidfds (open, poll readiness at a child's exit, send_signal, getfd) and protection keys
   as on a CPU without them. Only what is the same on every run is printed. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *err(long r) { return r >= 0 ? "ok" : strerrorname_np(errno); }

static void caps(void) {
    struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct d[2], d1[2];
    memset(d, 0xa5, sizeof d);
    printf("capget v3: %s\n", err(syscall(SYS_capget, &h, d)));
    h.version = _LINUX_CAPABILITY_VERSION_1;
    memset(d1, 0xa5, sizeof d1);
    long r1 = syscall(SYS_capget, &h, d1);
    printf("capget v1: %s, low words agree %d, second untouched %d\n", err(r1),
           d1[0].effective == d[0].effective && d1[0].permitted == d[0].permitted, d1[1].effective == 0xa5a5a5a5);
    h.version = 0x12345678;
    long r = syscall(SYS_capget, &h, d);
    printf("capget bad version: %s, version now %#x\n", err(r), h.version);
    h.version = 0x12345678;
    r = syscall(SYS_capget, &h, 0);
    printf("capget bad version, no data: %s, version now %#x\n", err(r), h.version);
    h.version = _LINUX_CAPABILITY_VERSION_3;
    h.pid = -3;
    printf("capget pid -3: %s\n", err(syscall(SYS_capget, &h, d)));
    h.pid = 0;
    syscall(SYS_capget, &h, d);
    /* Setting the sets they are already succeeds. */
    printf("capset same: %s\n", err(syscall(SYS_capset, &h, d)));
    printf("CAPBSET_READ(CAP_CHOWN): %d\n", (int)prctl(PR_CAPBSET_READ, CAP_CHOWN));
    printf("CAPBSET_READ(999): %s\n", err(prctl(PR_CAPBSET_READ, 999)));
    printf("CAP_AMBIENT_IS_SET: %ld\n", (long)prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_CHOWN, 0, 0));
}

static void prctls(void) {
    char name[16] = {0};
    prctl(PR_SET_NAME, "taskmisc-test-long-name");
    prctl(PR_GET_NAME, name);
    printf("name: %s\n", name);
    int sig = -1;
    printf("PDEATHSIG: %s", err(prctl(PR_SET_PDEATHSIG, SIGUSR2)));
    prctl(PR_GET_PDEATHSIG, &sig);
    printf(" -> %d; bad: %s\n", sig, err(prctl(PR_SET_PDEATHSIG, 99)));
    printf("DUMPABLE: %d", (int)prctl(PR_GET_DUMPABLE));
    prctl(PR_SET_DUMPABLE, 0);
    printf(" -> %d; bad: %s\n", (int)prctl(PR_GET_DUMPABLE), err(prctl(PR_SET_DUMPABLE, 5)));
    prctl(PR_SET_DUMPABLE, 1);
    printf("NO_NEW_PRIVS: %d", (int)prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
    printf(" set %s", err(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)));
    printf(" -> %d", (int)prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
    printf("; bad: %s\n", err(prctl(PR_SET_NO_NEW_PRIVS, 2, 0, 0, 0)));
    int sub = -1;
    printf("CHILD_SUBREAPER: %s", err(prctl(PR_SET_CHILD_SUBREAPER, 1)));
    prctl(PR_GET_CHILD_SUBREAPER, &sub);
    printf(" -> %d\n", sub);
    prctl(PR_SET_CHILD_SUBREAPER, 0);
    printf("TIMERSLACK: %ld", (long)prctl(PR_GET_TIMERSLACK));
    prctl(PR_SET_TIMERSLACK, 1000);
    printf(" -> %ld\n", (long)prctl(PR_GET_TIMERSLACK));
    printf("KEEPCAPS: %d\n", (int)prctl(PR_GET_KEEPCAPS));
    printf("SECCOMP mode: %d\n", (int)prctl(PR_GET_SECCOMP));
    printf("unknown option: %s\n", err(prctl(0x7fff0000)));
    /* A forked child has no parent-death signal. */
    pid_t c = fork();
    if (c == 0) {
        int s = -1;
        prctl(PR_GET_PDEATHSIG, &s);
        _exit(s);
    }
    int st;
    waitpid(c, &st, 0);
    printf("child's PDEATHSIG: %d\n", WEXITSTATUS(st));
    prctl(PR_SET_PDEATHSIG, 0);
}

static void persona(void) {
    printf("personality query: %#x\n", personality(0xffffffff));
    printf("set ADDR_NO_RANDOMIZE: old %#x", personality(PER_LINUX | ADDR_NO_RANDOMIZE));
    printf(", now %#x\n", personality(0xffffffff));
    personality(PER_LINUX);
}

static void sched(void) {
    errno = 0;
    long r;
    int nice0 = getpriority(PRIO_PROCESS, 0);
    printf("getpriority: errno %d\n", errno);
    printf("setpriority +1: %s", err(setpriority(PRIO_PROCESS, 0, nice0 + 1)));
    printf(", now +1: %d\n", getpriority(PRIO_PROCESS, 0) == nice0 + 1);
    printf("raw getpriority is 20 - nice: %d\n", syscall(SYS_getpriority, PRIO_PROCESS, 0) == 20 - (nice0 + 1));
    printf("getpriority bad which: %s\n", err(getpriority(7, 0) == -1 && errno ? -1 : 0));
    printf("policy: %d\n", sched_getscheduler(0));
    struct sched_param sp = {5};
    r = sched_getparam(0, &sp);
    printf("getparam: %s prio %d\n", err(r), sp.sched_priority);
    printf("prio range FIFO %d..%d, OTHER %d..%d, bad: %s\n", sched_get_priority_min(SCHED_FIFO),
           sched_get_priority_max(SCHED_FIFO), sched_get_priority_min(SCHED_OTHER),
           sched_get_priority_max(SCHED_OTHER), err(sched_get_priority_max(42)));
    sp.sched_priority = 0;
    printf("setscheduler BATCH: %s", err(sched_setscheduler(0, SCHED_BATCH, &sp)));
    printf(" -> %d\n", sched_getscheduler(0));
    printf("setscheduler OTHER: %s", err(sched_setscheduler(0, SCHED_OTHER, &sp)));
    printf(" -> %d\n", sched_getscheduler(0));
    sp.sched_priority = 7;
    printf("setscheduler OTHER prio 7: %s\n", err(sched_setscheduler(0, SCHED_OTHER, &sp)));
    printf("setparam 0: %s\n", err(sched_setparam(0, &(struct sched_param){0})));
    struct timespec ts;
    printf("rr_get_interval: %s\n", err(sched_rr_get_interval(0, &ts)));
    unsigned char attr[56];
    memset(attr, 0xff, sizeof attr);
    r = syscall(SYS_sched_getattr, 0, attr, sizeof attr, 0);
    unsigned size, policy;
    int nice;
    memcpy(&size, attr, 4);
    memcpy(&policy, attr + 4, 4);
    memcpy(&nice, attr + 16, 4);
    printf("sched_getattr: %s size %u policy %u nice is getpriority's %d\n", err(r), size, policy,
           nice == getpriority(PRIO_PROCESS, 0));
    printf("sched_getattr small: %s\n", err(syscall(SYS_sched_getattr, 0, attr, 8, 0)));
    cpu_set_t set;
    CPU_ZERO(&set);
    sched_getaffinity(0, sizeof set, &set);
    printf("setaffinity to its own set: %s\n", err(sched_setaffinity(0, sizeof set, &set)));
    CPU_ZERO(&set);
    printf("setaffinity to none: %s\n", err(sched_setaffinity(0, sizeof set, &set)));
}

static void ranges(void) {
    int a = open("/dev/null", O_RDONLY), b = dup(a), c = dup(a);
    printf("close_range cloexec: %s", err(close_range(a, c, CLOSE_RANGE_CLOEXEC)));
    printf(", flags %d %d %d\n", fcntl(a, F_GETFD), fcntl(b, F_GETFD), fcntl(c, F_GETFD));
    printf("close_range b..: %s", err(close_range(b, ~0U, 0)));
    printf(", open %d %d %d\n", fcntl(a, F_GETFD) >= 0, fcntl(b, F_GETFD) >= 0, fcntl(c, F_GETFD) >= 0);
    printf("close_range first > last: %s\n", err(close_range(5, 4, 0)));
    printf("close_range bad flags: %s\n", err(close_range(a, a, 0x100)));
    close(a);
}

static void pidfds(void) {
    int p[2];
    pipe(p);
    pid_t c = fork();
    if (c == 0) {
        char x;
        read(p[0], &x, 1);
        _exit(3);
    }
    int fd = syscall(SYS_pidfd_open, c, 0);
    printf("pidfd_open: %s, cloexec %d\n", err(fd), fcntl(fd, F_GETFD));
    struct pollfd pf = {fd, POLLIN, 0};
    printf("poll while running: %d\n", poll(&pf, 1, 0));
    printf("pidfd_send_signal 0: %s\n", err(syscall(SYS_pidfd_send_signal, fd, 0, 0, 0)));
    write(p[1], "x", 1);
    printf("poll at exit: %d revents %#x\n", poll(&pf, 1, 5000), pf.revents);
    int st;
    waitpid(c, &st, 0);
    printf("child exited %d\n", WEXITSTATUS(st));
    printf("pidfd_open bad flags: %s, pid 0: %s\n", err(syscall(SYS_pidfd_open, getpid(), 1)),
           err(syscall(SYS_pidfd_open, 0, 0)));
    int self = syscall(SYS_pidfd_open, getpid(), 0);
    int got = syscall(SYS_pidfd_getfd, self, p[1], 0);
    printf("pidfd_getfd of its own: %s, cloexec %d", err(got), fcntl(got, F_GETFD));
    printf(", same pipe %d\n", write(got, "y", 1) == 1);
    char y;
    printf("read through the pipe: %d\n", read(p[0], &y, 1) == 1 && y == 'y');
    signal(SIGUSR1, SIG_IGN);
    printf("pidfd_send_signal to itself: %s\n", err(syscall(SYS_pidfd_send_signal, self, SIGUSR1, 0, 0)));
    close(fd);
    close(self);
}

static void pkeys(void) {
    printf("pkey_alloc: %s\n", err(syscall(SYS_pkey_alloc, 0, 0)));
    printf("pkey_alloc bad flags: %s\n", err(syscall(SYS_pkey_alloc, 1, 0)));
    printf("pkey_alloc bad rights: %s\n", err(syscall(SYS_pkey_alloc, 0, 8)));
    printf("pkey_free(0): %s\n", err(syscall(SYS_pkey_free, 0)));
    printf("pkey_free(3): %s\n", err(syscall(SYS_pkey_free, 3)));
    void *m = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    printf("pkey_mprotect key -1: %s\n", err(syscall(SYS_pkey_mprotect, m, 4096, PROT_READ, -1)));
    printf("pkey_mprotect key 0: %s\n", err(syscall(SYS_pkey_mprotect, m, 4096, PROT_READ, 0)));
    printf("pkey_mprotect key 5: %s\n", err(syscall(SYS_pkey_mprotect, m, 4096, PROT_READ, 5)));
}

int main(void) {
    setvbuf(stdout, 0, _IONBF, 0);
    caps();
    prctls();
    persona();
    sched();
    ranges();
    pidfds();
    pkeys();
    return 0;
}
