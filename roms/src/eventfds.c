/* Event sources as descriptors (issue 14): timerfd (one-shot and periodic expiration
 * counts, absolute and relative times, gettime, disarming, poll/epoll readiness, a child
 * reading an inherited timer), signalfd (blocked signals read as signalfd_siginfo with
 * their fields: kill, sigqueue, real-time signals queued twice, SIGCHLD from a child, a
 * signal from a child process; the mask changed in place), inotify (create, modify,
 * close, rename and delete events in a scratch directory with their names and cookies,
 * watches added, merged and removed) and eventfd. Prints only what is the same on every
 * run and machine.
 *
 *   eventfds MODE DIR    MODE: timerfd | signalfd | inotify | eventfd | all
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *dir;

static void check(int ok, const char *what) {
    if (!ok) {
        printf("FAILED %s: %s\n", what, strerrorname_np(errno));
        exit(1);
    }
}

static const char *res(long r) {
    return r < 0 ? strerrorname_np(errno) : "ok";
}

static char *path(const char *name) {
    static char buf[4][4096];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", dir, name);
    return buf[k];
}

static void wait_child(pid_t pid) {
    int st;
    check(waitpid(pid, &st, 0) == pid, "waitpid");
    printf("child exit %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st));
    fflush(stdout);
}

static int readable(int fd, int timeout_ms) {
    struct pollfd p = {fd, POLLIN, 0};
    int r = poll(&p, 1, timeout_ms);
    return r > 0 && (p.revents & POLLIN);
}

/* ---- timerfd ---- */

static void timerfds(void) {
    printf("bad clock: %s\n", res(timerfd_create(12345, 0)));
    printf("bad flags: %s\n", res(timerfd_create(CLOCK_MONOTONIC, 0x10)));
    int t = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
    check(t >= 0, "timerfd_create");
    printf("close-on-exec: %d\n", fcntl(t, F_GETFD) == FD_CLOEXEC);
    struct itimerspec cur;
    printf("gettime unarmed: %s %lld %ld\n", res(timerfd_gettime(t, &cur)), (long long)cur.it_value.tv_sec,
           cur.it_value.tv_nsec);
    printf("poll unarmed: %d\n", readable(t, 0));

    /* One-shot, relative: a blocking read waits for it and counts 1. */
    struct itimerspec once = {{0, 0}, {0, 30000000}};
    printf("settime one-shot: %s\n", res(timerfd_settime(t, 0, &once, NULL)));
    uint64_t n = 0;
    ssize_t r = read(t, &n, sizeof n);
    printf("blocking read: %zd count %llu\n", r, (unsigned long long)n);
    printf("gettime after expiry: %s %lld %ld\n", res(timerfd_gettime(t, &cur)), (long long)cur.it_value.tv_sec,
           cur.it_value.tv_nsec);

    /* Periodic, absolute and in the past: every period since counts at once. */
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    struct itimerspec per = {{1, 0}, {now.tv_sec - 3, now.tv_nsec}};
    if (per.it_value.tv_nsec >= 500000000) {
        per.it_value.tv_nsec -= 500000000;
    } else {
        per.it_value.tv_sec -= 1;
        per.it_value.tv_nsec += 500000000;
    }
    /* Started 3.5 s ago with a 1 s period: 4 expirations, the next in 0.5 s. */
    printf("settime periodic absolute: %s\n", res(timerfd_settime(t, TFD_TIMER_ABSTIME, &per, NULL)));
    printf("poll: %d\n", readable(t, 0));
    r = read(t, &n, sizeof n);
    printf("read: %zd count %llu\n", r, (unsigned long long)n);
    check(timerfd_gettime(t, &cur) == 0, "gettime");
    printf("gettime: interval %lld.%09ld, value at most 0.5 s: %d\n", (long long)cur.it_interval.tv_sec,
           cur.it_interval.tv_nsec, cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec <= 500000000);
    int fl = fcntl(t, F_GETFL);
    fcntl(t, F_SETFL, fl | O_NONBLOCK);
    printf("nonblocking read before the next: %s\n", res(read(t, &n, sizeof n)));
    fcntl(t, F_SETFL, fl);
    printf("short buffer: %s\n", res(read(t, &n, 4)));

    /* Periodic, relative: reads wait for the next expiry; the counts add up. */
    struct itimerspec fast = {{0, 20000000}, {0, 20000000}};
    struct itimerspec old;
    printf("settime periodic: %s\n", res(timerfd_settime(t, 0, &fast, &old)));
    printf("old interval %lld.%09ld\n", (long long)old.it_interval.tv_sec, old.it_interval.tv_nsec);
    uint64_t total = 0;
    for (int i = 0; i < 3; i++) {
        check(read(t, &n, sizeof n) == 8, "read");
        total += n;
    }
    printf("three reads counted at least 3: %d\n", total >= 3);

    /* epoll sees it. */
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 77};
    check(epoll_ctl(ep, EPOLL_CTL_ADD, t, &ev) == 0, "epoll_ctl");
    struct epoll_event out;
    int k = epoll_wait(ep, &out, 1, 1000);
    printf("epoll_wait: %d data %llu in %d\n", k, (unsigned long long)out.data.u64, !!(out.events & EPOLLIN));
    close(ep);

    /* Disarm: zero value. */
    struct itimerspec zero = {{0, 0}, {0, 0}};
    printf("disarm: %s\n", res(timerfd_settime(t, 0, &zero, &old)));
    printf("old interval %lld.%09ld\n", (long long)old.it_interval.tv_sec, old.it_interval.tv_nsec);
    check(timerfd_gettime(t, &cur) == 0, "gettime");
    printf("disarmed: %lld %ld\n", (long long)cur.it_value.tv_sec, cur.it_value.tv_nsec);
    struct itimerspec badv = {{0, 0}, {0, 1000000000}};
    printf("settime bad nsec: %s\n", res(timerfd_settime(t, 0, &badv, NULL)));
    printf("settime bad flags: %s\n", res(timerfd_settime(t, 0x80, &once, NULL)));
    printf("settime on a pipe: %s\n", res(timerfd_settime(0, 0, &once, NULL)));
    printf("gettime bad fd: %s\n", res(timerfd_gettime(99, &cur)));

    /* CLOCK_REALTIME, absolute. */
    int rt = timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK);
    check(rt >= 0, "timerfd_create realtime");
    struct timespec wall;
    clock_gettime(CLOCK_REALTIME, &wall);
    struct itimerspec at = {{0, 0}, {wall.tv_sec - 1, wall.tv_nsec}};
    printf("realtime absolute in the past: %s\n", res(timerfd_settime(rt, TFD_TIMER_ABSTIME, &at, NULL)));
    r = read(rt, &n, sizeof n);
    printf("read: %zd count %llu\n", r, (unsigned long long)n);
    printf("again: %s\n", res(read(rt, &n, sizeof n)));
    printf("write: %s\n", res(write(rt, &n, sizeof n)));
    close(rt);

    /* A dup shares it; a child inherits it. */
    int d = dup(t);
    once.it_value.tv_nsec = 40000000;
    check(timerfd_settime(d, 0, &once, NULL) == 0, "settime");
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        uint64_t c = 0;
        ssize_t r = read(t, &c, sizeof c);
        printf("child read: %zd count %llu\n", r, (unsigned long long)c);
        fflush(stdout);
        _exit(0);
    }
    wait_child(pid);
    close(d);
    close(t);
}

/* ---- signalfd ---- */

static void show_ssi(const char *what, const struct signalfd_siginfo *s, pid_t pid) {
    printf("%s: signo %u code %d from pid %d uid %d status %d int %d\n", what, s->ssi_signo, s->ssi_code,
           (pid_t)s->ssi_pid == pid, s->ssi_uid == getuid(), s->ssi_status, s->ssi_int);
}

static void signalfds(void) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigaddset(&set, SIGRTMIN);
    sigaddset(&set, SIGCHLD);
    sigaddset(&set, SIGUSR2);
    check(sigprocmask(SIG_BLOCK, &set, NULL) == 0, "sigprocmask");
    sigset_t only;
    sigemptyset(&only);
    sigaddset(&only, SIGUSR1);
    int s = signalfd(-1, &only, SFD_NONBLOCK | SFD_CLOEXEC);
    check(s >= 0, "signalfd");
    printf("close-on-exec: %d nonblocking: %d\n", fcntl(s, F_GETFD) == FD_CLOEXEC,
           !!(fcntl(s, F_GETFL) & O_NONBLOCK));
    struct signalfd_siginfo si[4];
    printf("read with nothing pending: %s\n", res(read(s, si, sizeof si)));
    printf("poll: %d\n", readable(s, 0));
    kill(getpid(), SIGUSR1);
    printf("poll after kill: %d\n", readable(s, 0));
    ssize_t n = read(s, si, sizeof si);
    printf("read: %zd bytes\n", n);
    show_ssi("kill", &si[0], getpid());
    sigset_t pend;
    sigpending(&pend);
    printf("still pending: %d\n", sigismember(&pend, SIGUSR1));
    printf("short buffer: %s\n", res(read(s, si, 64)));

    union sigval v = {.sival_int = 42};
    sigqueue(getpid(), SIGUSR1, v);
    n = read(s, si, sizeof si);
    printf("read: %zd bytes\n", n);
    show_ssi("sigqueue", &si[0], getpid());

    /* The mask changes in place; real-time signals queue each instance. */
    sigset_t more = only;
    sigaddset(&more, SIGRTMIN);
    sigaddset(&more, SIGCHLD);
    sigaddset(&more, SIGUSR2);
    int s2 = signalfd(s, &more, 0);
    printf("same fd: %d\n", s2 == s);
    v.sival_int = 1;
    sigqueue(getpid(), SIGRTMIN, v);
    v.sival_int = 2;
    sigqueue(getpid(), SIGRTMIN, v);
    n = read(s, si, sizeof si);
    printf("read: %zd bytes\n", n);
    for (int i = 0; i < n / (ssize_t)sizeof si[0]; i++)
        show_ssi("rt", &si[i], getpid());

    /* A signal from a child process, and the child's SIGCHLD. */
    fflush(stdout);
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        kill(parent, SIGUSR2);
        _exit(7);
    }
    int fl = fcntl(s, F_GETFL);
    fcntl(s, F_SETFL, fl & ~O_NONBLOCK);
    int got_usr2 = 0, got_chld = 0;
    while (!got_usr2 || !got_chld) {
        n = read(s, si, sizeof si[0]);
        check(n == sizeof si[0], "blocking read");
        if (si[0].ssi_signo == SIGUSR2 && !got_usr2) {
            got_usr2 = 1;
            show_ssi("from child", &si[0], pid);
        } else if (si[0].ssi_signo == SIGCHLD && !got_chld) {
            got_chld = 1;
            show_ssi("sigchld", &si[0], pid);
        }
    }
    wait_child(pid);

    /* epoll sees it. */
    fcntl(s, F_SETFL, fl);
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 5};
    check(epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev) == 0, "epoll_ctl");
    struct epoll_event out;
    printf("epoll_wait nothing: %d\n", epoll_wait(ep, &out, 1, 0));
    raise(SIGUSR1);
    int k = epoll_wait(ep, &out, 1, 1000);
    printf("epoll_wait: %d data %llu\n", k, (unsigned long long)out.data.u64);
    n = read(s, si, sizeof si);
    printf("read: %zd bytes signo %u\n", n, si[0].ssi_signo);
    close(ep);

    printf("bad flags: %s\n", res(signalfd(-1, &only, 0x1)));
    printf("not a signalfd: %s\n", res(signalfd(0, &only, 0)));
    printf("bad size: %s\n", res(syscall(SYS_signalfd4, -1, &only, 4, 0)));
    int d = dup(s);
    raise(SIGUSR1);
    printf("through a dup: %zd\n", read(d, si, sizeof si));
    close(d);
    close(s);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
}

/* ---- inotify ---- */

static const char *event_names(uint32_t m, char *buf) {
    static const struct {
        uint32_t bit;
        const char *name;
    } names[] = {
        {IN_ACCESS, "ACCESS"},   {IN_MODIFY, "MODIFY"},         {IN_ATTRIB, "ATTRIB"},
        {IN_CLOSE_WRITE, "CLOSE_WRITE"}, {IN_CLOSE_NOWRITE, "CLOSE_NOWRITE"}, {IN_OPEN, "OPEN"},
        {IN_MOVED_FROM, "MOVED_FROM"}, {IN_MOVED_TO, "MOVED_TO"}, {IN_CREATE, "CREATE"},
        {IN_DELETE, "DELETE"},   {IN_DELETE_SELF, "DELETE_SELF"}, {IN_MOVE_SELF, "MOVE_SELF"},
        {IN_IGNORED, "IGNORED"}, {IN_ISDIR, "ISDIR"},           {IN_Q_OVERFLOW, "Q_OVERFLOW"},
    };
    buf[0] = 0;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (m & names[i].bit) {
            if (buf[0])
                strcat(buf, "|");
            strcat(buf, names[i].name);
        }
    return buf;
}

/* Reads and prints every queued event; returns how many. */
static uint32_t last_cookie;

static int drain(int fd) {
    char buf[4096] __attribute__((aligned(8)));
    int count = 0;
    while (readable(fd, 0)) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n <= 0)
            break;
        for (char *p = buf; p < buf + n;) {
            struct inotify_event *e = (struct inotify_event *)p;
            char names[256];
            printf("  wd %d %s cookie %s name \"%s\" len %% 16 == 0: %d\n", e->wd, event_names(e->mask, names),
                   e->cookie == 0 ? "0" : e->cookie == last_cookie ? "same" : "set", e->len ? e->name : "",
                   e->len % 16 == 0);
            if (e->cookie)
                last_cookie = e->cookie;
            p += sizeof *e + e->len;
            count++;
        }
    }
    return count;
}

static void inotifies(void) {
    int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    check(fd >= 0, "inotify_init1");
    printf("close-on-exec: %d\n", fcntl(fd, F_GETFD) == FD_CLOEXEC);
    printf("bad flags: %s\n", res(inotify_init1(0x10)));
    int wd = inotify_add_watch(fd, dir, IN_CREATE | IN_MODIFY | IN_DELETE | IN_CLOSE_WRITE | IN_MOVE);
    printf("add_watch: %d\n", wd);
    char buf[64];
    printf("read with nothing: %s\n", res(read(fd, buf, sizeof buf)));
    int f = open(path("a"), O_WRONLY | O_CREAT, 0644);
    check(write(f, "x", 1) == 1, "write");
    close(f);
    printf("events after create+write+close:\n");
    drain(fd);
    check(rename(path("a"), path("b")) == 0, "rename");
    printf("events after rename:\n");
    drain(fd);
    check(unlink(path("b")) == 0, "unlink");
    check(mkdir(path("sub"), 0755) == 0, "mkdir");
    printf("events after unlink+mkdir:\n");
    drain(fd);
    /* Adding the same path again gives the same watch; IN_MASK_ADD merges. */
    printf("add again: %d\n", inotify_add_watch(fd, dir, IN_DELETE));
    printf("add with IN_MASK_ADD: %d\n", inotify_add_watch(fd, dir, IN_CREATE | IN_MASK_ADD));
    int wd2 = inotify_add_watch(fd, path("sub"), IN_ALL_EVENTS);
    printf("second watch: %d\n", wd2);
    check(rmdir(path("sub")) == 0, "rmdir");
    printf("events after rmdir:\n");
    drain(fd);
    printf("rm_watch: %s\n", res(inotify_rm_watch(fd, wd)));
    printf("events after rm_watch:\n");
    drain(fd);
    printf("rm_watch again: %s\n", res(inotify_rm_watch(fd, wd)));
    printf("add missing: %s\n", res(inotify_add_watch(fd, path("none"), IN_CREATE)));
    printf("add mask 0: %s\n", res(inotify_add_watch(fd, dir, 0)));
    printf("add on a pipe fd: %s\n", res(inotify_add_watch(0, dir, IN_CREATE)));
    int w3 = inotify_add_watch(fd, dir, IN_CREATE);
    printf("new watch: %d\n", w3);
    f = creat(path("c"), 0644);
    close(f);
    printf("short buffer: %s\n", res(read(fd, buf, sizeof(struct inotify_event))));
    /* Blocking read through a dup after clearing O_NONBLOCK. */
    int d = dup(fd);
    fcntl(d, F_SETFL, 0);
    char big[512] __attribute__((aligned(8)));
    ssize_t n = read(d, big, sizeof big);
    struct inotify_event *e = (struct inotify_event *)big;
    char names[256];
    printf("blocking read: %d wd %d %s \"%s\"\n", n > 0, e->wd, event_names(e->mask, names), e->name);
    close(d);
    close(fd);

    int legacy = inotify_init();
    printf("inotify_init: %d\n", legacy >= 0);
    close(legacy);
}

/* ---- eventfd ---- */

static void eventfds(void) {
    int e = eventfd(3, EFD_NONBLOCK);
    uint64_t v = 0;
    ssize_t n = read(e, &v, 8);
    printf("read: %zd value %llu\n", n, (unsigned long long)v);
    printf("read again: %s\n", res(read(e, &v, 8)));
    v = 5;
    printf("write: %zd\n", write(e, &v, 8));
    printf("poll: %d\n", readable(e, 0));
    close(e);
    int s = eventfd(2, EFD_SEMAPHORE);
    for (int i = 0; i < 2; i++) {
        n = read(s, &v, 8);
        printf("semaphore: %zd %llu\n", n, (unsigned long long)v);
    }
    close(s);
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: eventfds MODE DIR\n");
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    dir = argv[2];
    const char *m = argv[1];
    int all = !strcmp(m, "all");
    if (all || !strcmp(m, "timerfd"))
        timerfds();
    if (all || !strcmp(m, "signalfd"))
        signalfds();
    if (all || !strcmp(m, "inotify"))
        inotifies();
    if (all || !strcmp(m, "eventfd"))
        eventfds();
    return 0;
}
