// The last rows of the syscall table that everyday programs reach: resource limits kept
// and enforced (setrlimit, prlimit64, RLIMIT_NOFILE across fork), the vector I/O forms
// (preadv, pwritev, preadv2/pwritev2 with RWF_* flags, readv that stops at what a pipe
// holds, vmsplice), getdents, fchmodat2, epoll_pwait2, restart_syscall, setfsuid and the
// inherited umask. Prints results and errno names, for comparison with a native run.
// Usage: morecalls SCRATCH_DIR
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452
#endif

static const char *en(int e) {
    switch (e) {
    case 0: return "ok";
    case EINVAL: return "EINVAL";
    case EPERM: return "EPERM";
    case EBADF: return "EBADF";
    case EMFILE: return "EMFILE";
    case ESPIPE: return "ESPIPE";
    case EAGAIN: return "EAGAIN";
    case EOPNOTSUPP: return "EOPNOTSUPP";
    case EINTR: return "EINTR";
    case ENOENT: return "ENOENT";
    case EFAULT: return "EFAULT";
    default: return strerrorname_np(e);
    }
}

static void show(const char *what, long r) {
    if (r < 0)
        printf("%s: -1 %s\n", what, en(errno));
    else
        printf("%s: %ld\n", what, r);
}

static void limits(void) {
    struct rlimit r, old;
    getrlimit(RLIMIT_NOFILE, &old);
    r.rlim_cur = 12;
    r.rlim_max = old.rlim_max;
    show("setrlimit NOFILE 12", setrlimit(RLIMIT_NOFILE, &r));
    getrlimit(RLIMIT_NOFILE, &r);
    printf("getrlimit NOFILE cur %lu\n", (unsigned long)r.rlim_cur);
    int last = -1;
    for (;;) {
        int fd = open("/dev/null", O_RDONLY);
        if (fd < 0) {
            printf("open stops: %s, last fd %d\n", en(errno), last);
            break;
        }
        last = fd;
    }
    show("dup2 to 20", dup2(0, 20));
    show("fcntl F_DUPFD 15", fcntl(0, F_DUPFD, 15));
    show("fcntl F_DUPFD 5", fcntl(0, F_DUPFD, 5) >= 0 ? 0 : -1);
    pid_t c = fork();
    if (c == 0) {
        struct rlimit k;
        getrlimit(RLIMIT_NOFILE, &k);
        printf("child NOFILE cur %lu\n", (unsigned long)k.rlim_cur);
        _exit(0);
    }
    waitpid(c, NULL, 0);
    for (int fd = 3; fd <= last; fd++)
        close(fd);
    struct rlimit bad = {.rlim_cur = 100, .rlim_max = 50};
    show("setrlimit cur > max", setrlimit(RLIMIT_NOFILE, &bad));
    show("setrlimit resource 99", setrlimit(99, &old));
    show("getrlimit resource 16", getrlimit(16, &r));
    struct rlimit prev;
    r.rlim_cur = 64;
    r.rlim_max = old.rlim_max;
    show("prlimit NOFILE 64", prlimit(0, RLIMIT_NOFILE, &r, &prev));
    printf("prlimit old cur %lu\n", (unsigned long)prev.rlim_cur);
    show("prlimit back", prlimit(0, RLIMIT_NOFILE, &old, NULL));
    struct rlimit core = {.rlim_cur = 0, .rlim_max = 0};
    show("setrlimit CORE 0", setrlimit(RLIMIT_CORE, &core));
    getrlimit(RLIMIT_CORE, &core);
    printf("CORE %lu %lu\n", (unsigned long)core.rlim_cur, (unsigned long)core.rlim_max);
}

static void vectors(const char *dir) {
    char path[4096];
    /* Vectored writes to stdout itself (a replay writes them again from its log). */
    char o1[] = "pwritev2 to stdout: ", o2[] = "two segments\n";
    struct iovec out[2] = {{o1, sizeof o1 - 1}, {o2, sizeof o2 - 1}};
    pwritev2(1, out, 2, -1, 0);
    snprintf(path, sizeof path, "%s/v", dir);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    char a[] = "hello ", b[] = "world\n";
    struct iovec w[2] = {{a, 6}, {b, 6}};
    show("pwritev at 4", pwritev(fd, w, 2, 4));
    show("pos after pwritev", lseek(fd, 0, SEEK_CUR));
    char x[5] = {0}, y[20] = {0};
    struct iovec r[2] = {{x, 4}, {y, 19}};
    long n = preadv(fd, r, 2, 4);
    printf("preadv at 4: %ld \"%s\" \"%s\"\n", n, x, y);
    show("preadv at -1", preadv(fd, r, 2, -1));
    show("pwritev2 at -1 (position)", pwritev2(fd, w, 1, -1, 0));
    show("pos after", lseek(fd, 0, SEEK_CUR));
    show("pwritev2 RWF_APPEND", pwritev2(fd, w + 1, 1, 0, RWF_APPEND));
    show("pos after", lseek(fd, 0, SEEK_CUR));
    show("pwritev2 RWF_DSYNC at 0", pwritev2(fd, w, 1, 0, RWF_DSYNC));
    show("pwritev2 flag 0x10000", pwritev2(fd, w, 1, 0, 0x10000));
    memset(y, 0, sizeof y);
    struct iovec all = {y, 19};
    n = preadv2(fd, &all, 1, 0, RWF_HIPRI);
    printf("preadv2 at 0: %ld \"%s\"\n", n, y);
    lseek(fd, 2, SEEK_SET);
    memset(y, 0, sizeof y);
    n = preadv2(fd, &all, 1, -1, 0);
    printf("preadv2 at -1: %ld \"%s\", pos %ld\n", n, y, (long)lseek(fd, 0, SEEK_CUR));
    show("preadv2 flag 0x10000", preadv2(fd, &all, 1, 0, 0x10000));
    close(fd);

    int p[2];
    pipe(p);
    show("preadv on a pipe", preadv(p[0], &all, 1, 0));
    show("preadv2 RWF_NOWAIT on an empty pipe", preadv2(p[0], &all, 1, -1, RWF_NOWAIT));
    write(p[1], "abc", 3);
    char s1[2] = {0}, s2[8] = {0};
    struct iovec two[2] = {{s1, 1}, {s2, 7}};
    n = readv(p[0], two, 2);
    printf("readv of 3 bytes into 1+7: %ld \"%.1s\" \"%s\"\n", n, s1, s2);
    struct iovec vin = {"spliced", 7};
    show("vmsplice into the write end", vmsplice(p[1], &vin, 1, 0));
    char s3[8] = {0};
    struct iovec vout = {s3, 7};
    n = vmsplice(p[0], &vout, 1, 0);
    printf("vmsplice from the read end: %ld \"%s\"\n", n, s3);
    show("vmsplice NONBLOCK on the empty read end", vmsplice(p[0], &vout, 1, SPLICE_F_NONBLOCK));
    int f = open(path, O_RDONLY);
    show("vmsplice on a file", vmsplice(f, &vout, 1, 0));
    close(f);
    close(p[0]);
    close(p[1]);
}

struct old_dirent {
    unsigned long d_ino;
    unsigned long d_off;
    unsigned short d_reclen;
    char d_name[];
};

static int cmp(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void dirents(const char *dir) {
    char path[4096];
    snprintf(path, sizeof path, "%s/d", dir);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/d/file", dir);
    close(open(path, O_CREAT | O_WRONLY, 0644));
    snprintf(path, sizeof path, "%s/d/sub", dir);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/d/link", dir);
    symlink("file", path);
    snprintf(path, sizeof path, "%s/d", dir);
    int fd = open(path, O_RDONLY | O_DIRECTORY);
    char buf[4096];
    char *seen[16];
    int k = 0;
    long n;
    // A small buffer: several calls, each record whole.
    while ((n = syscall(SYS_getdents, fd, buf, 48)) > 0) {
        for (long off = 0; off < n;) {
            struct old_dirent *d = (struct old_dirent *)(buf + off);
            char type = buf[off + d->d_reclen - 1];
            char *e = malloc(64);
            snprintf(e, 64, "%s type %d reclen %d", d->d_name, type, d->d_reclen);
            seen[k++] = e;
            off += d->d_reclen;
        }
    }
    show("getdents at the end", n);
    qsort(seen, k, sizeof seen[0], cmp);
    for (int i = 0; i < k; i++)
        printf("getdents: %s\n", seen[i]);
    lseek(fd, 0, SEEK_SET);
    show("getdents into 8 bytes", syscall(SYS_getdents, fd, buf, 8));
    close(fd);
}

static void modes(const char *dir) {
    char path[4096], link[4096];
    snprintf(path, sizeof path, "%s/m", dir);
    snprintf(link, sizeof link, "%s/ml", dir);
    close(open(path, O_CREAT | O_WRONLY, 0644));
    symlink("m", link);
    struct stat st;
    show("fchmodat2 0600", syscall(SYS_fchmodat2, AT_FDCWD, path, 0600, 0));
    stat(path, &st);
    printf("mode %o\n", st.st_mode & 07777);
    show("fchmodat2 NOFOLLOW on a file", syscall(SYS_fchmodat2, AT_FDCWD, path, 0640, AT_SYMLINK_NOFOLLOW));
    stat(path, &st);
    printf("mode %o\n", st.st_mode & 07777);
    show("fchmodat2 NOFOLLOW on a symlink", syscall(SYS_fchmodat2, AT_FDCWD, link, 0600, AT_SYMLINK_NOFOLLOW));
    show("fchmodat2 through a symlink", syscall(SYS_fchmodat2, AT_FDCWD, link, 0604, 0));
    stat(path, &st);
    printf("mode %o\n", st.st_mode & 07777);
    int fd = open(path, O_RDONLY);
    show("fchmodat2 AT_EMPTY_PATH", syscall(SYS_fchmodat2, fd, "", 0611, AT_EMPTY_PATH));
    stat(path, &st);
    printf("mode %o\n", st.st_mode & 07777);
    show("fchmodat2 empty path", syscall(SYS_fchmodat2, fd, "", 0611, 0));
    show("fchmodat2 flag 1", syscall(SYS_fchmodat2, AT_FDCWD, path, 0600, 1));
    close(fd);
}

static void waits(void) {
    int ep = epoll_create1(0);
    int ev = eventfd(0, 0);
    struct epoll_event e = {.events = EPOLLIN, .data.u64 = 7};
    epoll_ctl(ep, EPOLL_CTL_ADD, ev, &e);
    struct epoll_event out[2];
    struct timespec t = {0, 2000000};
    show("epoll_pwait2 nothing ready", syscall(SYS_epoll_pwait2, ep, out, 2, &t, NULL, 8));
    eventfd_write(ev, 1);
    long n = syscall(SYS_epoll_pwait2, ep, out, 2, NULL, NULL, 8);
    printf("epoll_pwait2 ready: %ld data %lu\n", n, (unsigned long)out[0].data.u64);
    struct timespec bad = {0, 1000000000};
    show("epoll_pwait2 bad timeout", syscall(SYS_epoll_pwait2, ep, out, 2, &bad, NULL, 8));
    /* A signal mask of the wrong size (sigsetsize is the kernel's 8 bytes) is refused;
     * without a mask the size is not looked at. */
    unsigned long mask = 0;
    show("epoll_pwait mask size 16", syscall(SYS_epoll_pwait, ep, out, 2, 0, &mask, 16));
    show("epoll_pwait no mask size 16", syscall(SYS_epoll_pwait, ep, out, 2, 0, NULL, 16));
    show("epoll_pwait2 mask size 4", syscall(SYS_epoll_pwait2, ep, out, 2, &t, &mask, 4));
    struct pollfd pf = {.fd = ev, .events = POLLIN};
    show("ppoll mask size 4", syscall(SYS_ppoll, &pf, 1, &t, &mask, 4));
    struct { void *ss; unsigned long len; } pack = {&mask, 4};
    show("pselect6 mask size 4", syscall(SYS_pselect6, 0, NULL, NULL, NULL, &t, &pack));
    pack.ss = NULL;
    show("pselect6 no mask size 4", syscall(SYS_pselect6, 0, NULL, NULL, NULL, &t, &pack));
    close(ev);
    close(ep);
    show("restart_syscall", syscall(SYS_restart_syscall));
    printf("setfsuid(-1) is euid: %d\n", (int)syscall(SYS_setfsuid, -1) == (int)geteuid());
    printf("setfsgid(-1) is egid: %d\n", (int)syscall(SYS_setfsgid, -1) == (int)getegid());
    show("setgroups of too many", syscall(SYS_setgroups, 70000, NULL));
}

// The umask the program was started with shapes its files, and is the only one: after
// umask(0) a file gets the whole mode it asks for (emu's own host umask must not apply).
static void umasks(const char *dir) {
    char path[4096];
    struct stat st;
    mode_t m = umask(0);
    umask(m);
    snprintf(path, sizeof path, "%s/u1", dir);
    close(open(path, O_CREAT | O_WRONLY, 0666));
    stat(path, &st);
    printf("a file created under the inherited umask has mode 0666 & ~umask: %d\n", (st.st_mode & 0777) == (0666 & ~m));
    umask(0);
    snprintf(path, sizeof path, "%s/u2", dir);
    close(open(path, O_CREAT | O_WRONLY, 0666));
    snprintf(path, sizeof path, "%s/u3", dir);
    mkdir(path, 0777);
    stat(path, &st);
    printf("under umask 0, mkdir 0777 gives %o\n", st.st_mode & 0777);
    snprintf(path, sizeof path, "%s/u2", dir);
    stat(path, &st);
    printf("under umask 0, open 0666 gives %o\n", st.st_mode & 0777);
    umask(m);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: morecalls SCRATCH_DIR\n");
        return 2;
    }
    setvbuf(stdout, NULL, _IONBF, 0);
    limits();
    vectors(argv[1]);
    dirents(argv[1]);
    modes(argv[1]);
    waits();
    umasks(argv[1]);
    return 0;
}
