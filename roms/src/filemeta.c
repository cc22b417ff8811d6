/* File metadata, locks, fifos and copies (issue 14): file times (utimensat and the older
 * forms, UTIME_NOW/UTIME_OMIT, AT_SYMLINK_NOFOLLOW, AT_EMPTY_PATH), owners (as far as the
 * user may change them), extended attributes (user.* names; ENOTSUP where the file system
 * has none, as native), truncate/fallocate/creat/mknod/sync, fifos between a parent and
 * its child and between threads, flock and fcntl record locks between processes and
 * threads (F_GETLK from a child, OFD locks), and copy_file_range/sendfile/splice/tee.
 * Prints only what is the same on every run and machine: no times taken from the clock,
 * no pids, no inode numbers.
 *
 *   filemeta MODE DIR     MODE: times | owners | xattr | sizes | fifo | flock | fcntl |
 *                               copy | all
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>
#include <utime.h>

static const char *dir;

static void check(int ok, const char *what) {
    if (!ok) {
        printf("FAILED %s: %s\n", what, strerrorname_np(errno));
        exit(1);
    }
}

static char *path(const char *name) {
    static char buf[4][4096];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", dir, name);
    return buf[k];
}

/* "ok" or the errno's name. */
static const char *res(long r) {
    return r < 0 ? strerrorname_np(errno) : "ok";
}

static void wait_child(pid_t pid) {
    int st;
    check(waitpid(pid, &st, 0) == pid, "waitpid");
    printf("child exit %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st));
    fflush(stdout);
}

static void say(const char *s) {
    printf("%s\n", s);
    fflush(stdout);
}

static void make_file(const char *name, const char *data) {
    int fd = open(path(name), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    check(fd >= 0, "open for writing");
    check(write(fd, data, strlen(data)) == (ssize_t)strlen(data), "write");
    close(fd);
}

/* ---- times ---- */

static void show_times(const char *what, const char *name, int follow) {
    struct stat st;
    int r = follow ? stat(path(name), &st) : lstat(path(name), &st);
    check(r == 0, "stat");
    printf("%s: atime %lld.%09ld mtime %lld.%09ld\n", what, (long long)st.st_atim.tv_sec, st.st_atim.tv_nsec,
           (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
}

static int recent(struct timespec t) {
    return t.tv_sec > 1600000000; /* later than 2020: "now", whatever now is */
}

static void times(void) {
    int fd = creat(path("t"), 0644);
    printf("creat: %s\n", res(fd));
    check(write(fd, "x", 1) == 1, "write");
    struct timespec ts[2] = {{1000000000, 123456789}, {1100000000, 987654321}};
    printf("utimensat: %s\n", res(utimensat(AT_FDCWD, path("t"), ts, 0)));
    show_times("set both", "t", 1);
    struct timespec omit[2] = {{0, UTIME_OMIT}, {1200000000, 5}};
    printf("utimensat omit atime: %s\n", res(utimensat(AT_FDCWD, path("t"), omit, 0)));
    show_times("omit atime", "t", 1);
    struct timespec now[2] = {{0, UTIME_OMIT}, {0, UTIME_NOW}};
    printf("utimensat now mtime: %s\n", res(utimensat(AT_FDCWD, path("t"), now, 0)));
    struct stat st;
    check(stat(path("t"), &st) == 0, "stat");
    printf("atime kept %d, mtime is now %d\n", st.st_atim.tv_sec == 1000000000, recent(st.st_mtim));
    printf("utimensat NULL: %s\n", res(utimensat(AT_FDCWD, path("t"), NULL, 0)));
    check(stat(path("t"), &st) == 0, "stat");
    printf("both now %d %d\n", recent(st.st_atim), recent(st.st_mtim));
    struct timespec both_omit[2] = {{5, UTIME_OMIT}, {6, UTIME_OMIT}};
    printf("both omitted: %s\n", res(utimensat(AT_FDCWD, path("t"), both_omit, 0)));

    /* futimens is utimensat(fd, NULL, ...). */
    struct timespec f[2] = {{1300000000, 1}, {1300000001, 2}};
    printf("futimens: %s\n", res(futimens(fd, f)));
    show_times("futimens", "t", 1);
    struct timespec e[2] = {{1310000000, 0}, {1310000000, 0}};
    printf("AT_EMPTY_PATH: %s\n", res(utimensat(fd, "", e, AT_EMPTY_PATH)));
    show_times("empty path", "t", 1);
    printf("empty path without the flag: %s\n", res(utimensat(fd, "", e, 0)));
    printf("NULL path with AT_SYMLINK_NOFOLLOW: %s\n",
           res(syscall(SYS_utimensat, fd, NULL, e, AT_SYMLINK_NOFOLLOW)));
    printf("bad flags: %s\n", res(utimensat(AT_FDCWD, path("t"), e, 0x8000)));
    struct timespec bad[2] = {{1, 1000000000}, {1, 0}};
    printf("nsec too big: %s\n", res(utimensat(AT_FDCWD, path("t"), bad, 0)));
    printf("missing file: %s\n", res(utimensat(AT_FDCWD, path("none"), e, 0)));
    printf("bad pointer: %s\n", res(syscall(SYS_utimensat, AT_FDCWD, path("t"), (void *)8, 0)));
    close(fd);

    /* A symlink's own times with AT_SYMLINK_NOFOLLOW; its target keeps its own. */
    check(symlink("t", path("l")) == 0, "symlink");
    struct timespec l[2] = {{1400000000, 0}, {1400000000, 500}};
    printf("nofollow: %s\n", res(utimensat(AT_FDCWD, path("l"), l, AT_SYMLINK_NOFOLLOW)));
    show_times("link", "l", 0);
    show_times("target", "l", 1);

    /* The older calls: microseconds, seconds. */
    struct timeval tv[2] = {{1500000000, 250000}, {1500000001, 750000}};
    printf("utimes: %s\n", res(utimes(path("t"), tv)));
    show_times("utimes", "t", 1);
    struct timeval tv2[2] = {{1510000000, 1}, {1510000000, 2}};
    printf("futimesat: %s\n", res(syscall(SYS_futimesat, AT_FDCWD, path("t"), tv2)));
    show_times("futimesat", "t", 1);
    struct timeval badtv[2] = {{1, 1000000}, {1, 0}};
    printf("utimes usec too big: %s\n", res(utimes(path("t"), badtv)));
    struct utimbuf ub = {1520000000, 1520000007};
    printf("utime: %s\n", res(utime(path("t"), &ub)));
    show_times("utime", "t", 1);
    printf("utime NULL: %s\n", res(utime(path("t"), NULL)));
    check(stat(path("t"), &st) == 0, "stat");
    printf("utime NULL is now %d %d\n", recent(st.st_atim), recent(st.st_mtim));
    printf("utime missing: %s\n", res(utime(path("none"), &ub)));

    /* A directory's times, relative to a directory fd. */
    check(mkdir(path("d"), 0755) == 0, "mkdir");
    int dfd = open(dir, O_RDONLY | O_DIRECTORY);
    struct timespec dt[2] = {{1600000000, 0}, {1600000001, 0}};
    printf("relative to dirfd: %s\n", res(utimensat(dfd, "d", dt, 0)));
    show_times("dir", "d", 1);
    close(dfd);
}

/* ---- owners ---- */

static void show_owner(const char *what, const char *name, int follow) {
    struct stat st;
    check((follow ? stat(path(name), &st) : lstat(path(name), &st)) == 0, "stat");
    printf("%s: uid %u gid %u mode %o\n", what, st.st_uid, st.st_gid, st.st_mode & 07777);
}

static void owners(void) {
    make_file("o", "owned");
    check(symlink("o", path("ol")) == 0, "symlink");
    uid_t uid = getuid();
    gid_t gid = getgid();
    printf("chown to self: %s\n", res(chown(path("o"), uid, gid)));
    printf("chown -1 -1: %s\n", res(chown(path("o"), -1, -1)));
    /* Changing to other ids is allowed to root only: EPERM otherwise, as native. */
    printf("chown 1234:5678: %s\n", res(chown(path("o"), 1234, 5678)));
    show_owner("after chown", "o", 1);
    printf("chown gid only: %s\n", res(chown(path("o"), -1, 4321)));
    show_owner("after gid only", "o", 1);
    int fd = open(path("o"), O_RDWR);
    check(fd >= 0, "open");
    printf("fchown: %s\n", res(fchown(fd, uid, gid)));
    show_owner("after fchown", "o", 1);
    printf("lchown: %s\n", res(lchown(path("ol"), 42, 43)));
    show_owner("link", "ol", 0);
    show_owner("target", "ol", 1);
    printf("fchownat nofollow: %s\n", res(fchownat(AT_FDCWD, path("ol"), 44, 45, AT_SYMLINK_NOFOLLOW)));
    show_owner("link", "ol", 0);
    printf("fchownat empty path: %s\n", res(fchownat(fd, "", 46, 47, AT_EMPTY_PATH)));
    show_owner("fd's file", "o", 1);
    printf("fchownat bad flags: %s\n", res(fchownat(AT_FDCWD, path("o"), 1, 1, 0x1)));
    printf("chown missing: %s\n", res(chown(path("none"), 1, 1)));
    printf("fchown bad fd: %s\n", res(fchown(99, 1, 1)));
    /* chown clears set-user-id. */
    check(chmod(path("o"), 04755) == 0, "chmod");
    printf("chown setuid file: %s\n", res(chown(path("o"), uid, gid)));
    show_owner("setuid after chown", "o", 1);
    printf("fchown back: %s\n", res(fchown(fd, uid, gid)));
    close(fd);
}

/* ---- extended attributes ---- */

static void show_list(const char *what, ssize_t n, const char *buf) {
    if (n < 0) {
        printf("%s: %s\n", what, strerrorname_np(errno));
        return;
    }
    /* Sorted, so that the file system's order does not matter. */
    const char *names[32];
    int k = 0;
    for (const char *p = buf; p < buf + n && k < 32; p += strlen(p) + 1)
        names[k++] = p;
    for (int i = 0; i < k; i++)
        for (int j = i + 1; j < k; j++)
            if (strcmp(names[j], names[i]) < 0) {
                const char *t = names[i];
                names[i] = names[j];
                names[j] = t;
            }
    printf("%s: %zd bytes:", what, n);
    for (int i = 0; i < k; i++)
        printf(" %s", names[i]);
    printf("\n");
}

static void xattrs(void) {
    make_file("x", "attrs");
    check(symlink("x", path("xl")) == 0, "symlink");
    const char *f = path("x");
    printf("setxattr: %s\n", res(setxattr(f, "user.color", "blue", 4, 0)));
    printf("getxattr size 0: %zd %s\n", getxattr(f, "user.color", NULL, 0), res(0));
    char v[256] = {0};
    ssize_t n = getxattr(f, "user.color", v, sizeof v);
    printf("getxattr: %s %.*s\n", res(n), n > 0 ? (int)n : 0, v);
    printf("getxattr small buffer: %s\n", res(getxattr(f, "user.color", v, 2)));
    printf("getxattr missing name: %s\n", res(getxattr(f, "user.none", v, sizeof v)));
    printf("create existing: %s\n", res(setxattr(f, "user.color", "red", 3, XATTR_CREATE)));
    printf("replace missing: %s\n", res(setxattr(f, "user.shape", "round", 5, XATTR_REPLACE)));
    printf("replace existing: %s\n", res(setxattr(f, "user.color", "green", 5, XATTR_REPLACE)));
    printf("bad flags: %s\n", res(setxattr(f, "user.color", "x", 1, 4)));
    printf("empty value: %s\n", res(setxattr(f, "user.empty", "", 0, 0)));
    n = getxattr(f, "user.empty", v, sizeof v);
    printf("empty value read: %zd %s\n", n, res(n));
    printf("no namespace: %s\n", res(setxattr(f, "color", "x", 1, 0)));
    printf("unknown namespace: %s\n", res(getxattr(f, "bogus.color", v, sizeof v)));
    printf("empty name: %s\n", res(setxattr(f, "", "x", 1, 0)));
    char longname[300];
    memset(longname, 'n', sizeof longname);
    memcpy(longname, "user.", 5);
    longname[299] = 0;
    printf("long name: %s\n", res(setxattr(f, longname, "x", 1, 0)));
    static char big[65537];
    printf("value too big: %s\n", res(setxattr(f, "user.big", big, sizeof big, 0)));
    printf("missing file: %s\n", res(getxattr(path("none"), "user.color", v, sizeof v)));

    char list[1024];
    n = listxattr(f, NULL, 0);
    printf("listxattr size 0: %s %zd\n", res(n), n);
    show_list("listxattr", listxattr(f, list, sizeof list), list);
    printf("listxattr small buffer: %s\n", res(listxattr(f, list, 3)));

    /* Through a symlink: the l- forms act on the link itself, which takes no user.* names. */
    n = getxattr(path("xl"), "user.color", v, sizeof v);
    printf("getxattr through link: %s %.*s\n", res(n), n > 0 ? (int)n : 0, v);
    printf("lgetxattr on link: %s\n", res(lgetxattr(path("xl"), "user.color", v, sizeof v)));
    printf("lsetxattr on link: %s\n", res(lsetxattr(path("xl"), "user.color", "x", 1, 0)));
    show_list("llistxattr on link", llistxattr(path("xl"), list, sizeof list), list);
    printf("lremovexattr on link: %s\n", res(lremovexattr(path("xl"), "user.color")));

    int fd = open(f, O_RDONLY);
    check(fd >= 0, "open");
    printf("fsetxattr: %s\n", res(fsetxattr(fd, "user.size", "10", 2, 0)));
    n = fgetxattr(fd, "user.size", v, sizeof v);
    printf("fgetxattr: %s %.*s\n", res(n), n > 0 ? (int)n : 0, v);
    show_list("flistxattr", flistxattr(fd, list, sizeof list), list);
    printf("fremovexattr: %s\n", res(fremovexattr(fd, "user.size")));
    printf("fremovexattr again: %s\n", res(fremovexattr(fd, "user.size")));
    printf("fgetxattr bad fd: %s\n", res(fgetxattr(99, "user.size", v, sizeof v)));
    close(fd);
    printf("removexattr: %s\n", res(removexattr(f, "user.color")));
    printf("removexattr again: %s\n", res(removexattr(f, "user.color")));
    show_list("listxattr after", listxattr(f, list, sizeof list), list);
    /* A directory takes user.* names too. */
    check(mkdir(path("xd"), 0755) == 0, "mkdir");
    printf("setxattr on dir: %s\n", res(setxattr(path("xd"), "user.d", "1", 1, 0)));
}

/* ---- sizes: truncate, fallocate, creat, mknod, sync ---- */

static long long size_of(const char *name) {
    struct stat st;
    check(stat(path(name), &st) == 0, "stat");
    return (long long)st.st_size;
}

static void sizes(void) {
    make_file("s", "0123456789");
    const char *r = res(truncate(path("s"), 10000));
    printf("truncate up: %s %lld\n", r, size_of("s"));
    r = res(truncate(path("s"), 5));
    printf("truncate down: %s %lld\n", r, size_of("s"));
    printf("truncate negative: %s\n", res(truncate(path("s"), -1)));
    printf("truncate dir: %s\n", res(truncate(dir, 0)));
    printf("truncate missing: %s\n", res(truncate(path("none"), 0)));
    int fd = open(path("s"), O_RDWR);
    check(fd >= 0, "open");
    r = res(fallocate(fd, 0, 0, 65536));
    printf("fallocate: %s %lld\n", r, size_of("s"));
    struct stat st;
    check(fstat(fd, &st) == 0, "fstat");
    printf("allocated blocks cover it: %d\n", st.st_blocks * 512 >= 65536);
    r = res(fallocate(fd, FALLOC_FL_KEEP_SIZE, 65536, 65536));
    printf("fallocate keep size: %s %lld\n", r, size_of("s"));
    r = res(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 4096));
    printf("punch hole: %s %lld\n", r, size_of("s"));
    printf("punch hole without keep size: %s\n", res(fallocate(fd, FALLOC_FL_PUNCH_HOLE, 0, 4096)));
    printf("fallocate len 0: %s\n", res(fallocate(fd, 0, 0, 0)));
    printf("fallocate negative offset: %s\n", res(fallocate(fd, 0, -1, 10)));
    printf("fallocate unknown mode: %s\n", res(fallocate(fd, 0x1000, 0, 10)));
    printf("fadvise: %d\n", posix_fadvise(fd, 0, 100, POSIX_FADV_SEQUENTIAL));
    printf("fadvise bad advice: %d\n", posix_fadvise(fd, 0, 100, 99));
    printf("readahead: %s\n", res(readahead(fd, 0, 4096)));
    printf("fsync: %s\n", res(fsync(fd)));
    printf("fdatasync: %s\n", res(fdatasync(fd)));
    printf("syncfs: %s\n", res(syncfs(fd)));
    sync();
    printf("sync done\n");
    printf("sync_file_range: %s\n", res(sync_file_range(fd, 0, 100, SYNC_FILE_RANGE_WRITE)));
    printf("sync_file_range bad flags: %s\n", res(sync_file_range(fd, 0, 100, 8)));
    printf("sync_file_range negative offset: %s\n", res(sync_file_range(fd, -1, 100, 0)));
    int ro = open(path("s"), O_RDONLY);
    printf("fallocate read-only fd: %s\n", res(fallocate(ro, 0, 0, 10)));
    printf("ftruncate read-only fd: %s\n", res(ftruncate(ro, 0)));
    close(ro);
    close(fd);
    int p[2];
    check(pipe(p) == 0, "pipe");
    printf("fallocate pipe: %s\n", res(fallocate(p[1], 0, 0, 10)));
    printf("readahead pipe: %s\n", res(readahead(p[0], 0, 10)));
    printf("syncfs pipe: %s\n", res(syncfs(p[0])));
    printf("sync_file_range pipe: %s\n", res(sync_file_range(p[0], 0, 10, SYNC_FILE_RANGE_WRITE)));
    printf("fadvise pipe: %d\n", posix_fadvise(p[0], 0, 10, POSIX_FADV_NORMAL));
    close(p[0]);
    close(p[1]);
    printf("syncfs bad fd: %s\n", res(syncfs(99)));

    /* creat truncates an existing file. */
    fd = creat(path("s"), 0600);
    r = res(fd);
    printf("creat existing: %s %lld\n", r, size_of("s"));
    printf("creat fd is write-only: %d\n", (fcntl(fd, F_GETFL) & O_ACCMODE) == O_WRONLY);
    close(fd);
    printf("creat in missing dir: %s\n", res(creat(path("none/x"), 0600)));

    /* mknod: regular files, fifos, devices (root only), errors. */
    mode_t old = umask(022);
    printf("mknod regular: %s\n", res(mknod(path("r"), S_IFREG | 0666, 0)));
    check(stat(path("r"), &st) == 0, "stat");
    printf("  is regular %d mode %o size %lld\n", S_ISREG(st.st_mode), st.st_mode & 0777, (long long)st.st_size);
    printf("mknod type 0: %s\n", res(mknod(path("r0"), 0644, 0)));
    check(stat(path("r0"), &st) == 0, "stat");
    printf("  is regular %d\n", S_ISREG(st.st_mode));
    printf("mknod fifo: %s\n", res(mknod(path("f"), S_IFIFO | 0640, 0)));
    check(stat(path("f"), &st) == 0, "stat");
    printf("  is fifo %d mode %o\n", S_ISFIFO(st.st_mode), st.st_mode & 0777);
    printf("mkfifo: %s\n", res(mkfifo(path("f2"), 0600)));
    printf("mknodat fifo relative: %s\n", res(mknodat(AT_FDCWD, path("f3"), S_IFIFO | 0600, 0)));
    int cr = mknod(path("null"), S_IFCHR | 0600, makedev(1, 3));
    printf("mknod char device: %s\n", res(cr));
    if (cr == 0) {
        check(stat(path("null"), &st) == 0, "stat");
        printf("  is char %d rdev %u,%u\n", S_ISCHR(st.st_mode), major(st.st_rdev), minor(st.st_rdev));
    }
    printf("mknod existing: %s\n", res(mknod(path("f"), S_IFIFO | 0600, 0)));
    printf("mknod dir type: %s\n", res(mknod(path("dd"), S_IFDIR | 0755, 0)));
    printf("mknod bad type: %s\n", res(mknod(path("bad"), 0170000 | 0600, 0)));
    printf("mknod missing dir: %s\n", res(mknod(path("none/f"), S_IFIFO | 0600, 0)));
    umask(old);
}

/* ---- fifos ---- */

static void *fifo_reader(void *arg) {
    int fd = open(path("tf"), O_RDONLY);
    char b[64] = {0};
    ssize_t n = fd >= 0 ? read(fd, b, sizeof b - 1) : -1;
    printf("thread read: %s\n", n > 0 ? b : res(n));
    fflush(stdout);
    if (fd >= 0)
        close(fd);
    return arg;
}

static volatile int spins;

static void fifos(void) {
    check(mkfifo(path("p"), 0600) == 0, "mkfifo");
    struct stat st;
    check(stat(path("p"), &st) == 0, "stat");
    printf("is fifo: %d\n", S_ISFIFO(st.st_mode));
    printf("open write-only nonblocking, no reader: %s\n", res(open(path("p"), O_WRONLY | O_NONBLOCK)));
    int r = open(path("p"), O_RDONLY | O_NONBLOCK);
    printf("open read-only nonblocking: %s\n", res(r));
    char b[64];
    printf("read with no writer: %zd\n", read(r, b, sizeof b));
    int w = open(path("p"), O_WRONLY | O_NONBLOCK);
    printf("open write-only nonblocking with a reader: %s\n", res(w));
    printf("read with an idle writer: %s\n", res(read(r, b, sizeof b)));
    check(write(w, "abc", 3) == 3, "write");
    ssize_t n = read(r, b, sizeof b);
    printf("read: %zd %.3s\n", n, b);
    close(w);
    close(r);
    /* O_RDWR never blocks. */
    int rw = open(path("p"), O_RDWR);
    printf("open read-write: %s\n", res(rw));
    close(rw);

    /* Parent and child: each open waits for the other end. */
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(path("p"), O_WRONLY);
        if (fd < 0)
            _exit(2);
        const char *msg = "through the fifo";
        if (write(fd, msg, strlen(msg)) != (ssize_t)strlen(msg))
            _exit(3);
        close(fd);
        _exit(0);
    }
    int fd = open(path("p"), O_RDONLY);
    check(fd >= 0, "open fifo");
    char all[128] = {0};
    size_t got = 0;
    while ((n = read(fd, all + got, sizeof all - 1 - got)) > 0)
        got += n;
    printf("parent read: %s\n", all);
    close(fd);
    wait_child(pid);

    /* The other way: the parent writes, the child reads. */
    pid = fork();
    if (pid == 0) {
        int fd = open(path("p"), O_RDONLY);
        char b[64] = {0};
        ssize_t n = read(fd, b, sizeof b - 1);
        printf("child read: %s\n", n > 0 ? b : "?");
        fflush(stdout);
        _exit(0);
    }
    fd = open(path("p"), O_WRONLY);
    check(fd >= 0, "open fifo for writing");
    check(write(fd, "to the child", 12) == 12, "write");
    close(fd);
    wait_child(pid);

    /* A thread blocked opening a fifo does not stop the others. */
    check(mkfifo(path("tf"), 0600) == 0, "mkfifo");
    pthread_t t;
    check(pthread_create(&t, NULL, fifo_reader, NULL) == 0, "pthread_create");
    struct timespec ms = {0, 20000000};
    nanosleep(&ms, NULL);
    for (int i = 0; i < 1000000; i++)
        spins++;
    printf("main thread ran while the reader waited: %d\n", spins == 1000000);
    fflush(stdout);
    fd = open(path("tf"), O_WRONLY);
    check(fd >= 0, "open fifo for writing");
    check(write(fd, "hello thread", 12) == 12, "write");
    close(fd);
    pthread_join(t, NULL);
}

/* ---- flock ---- */

static void on_alarm(int sig) {
    (void)sig;
}

static int lock_fd2;

static void *flock_waiter(void *arg) {
    int r = flock(lock_fd2, LOCK_EX);
    printf("thread got the lock: %s\n", res(r));
    fflush(stdout);
    flock(lock_fd2, LOCK_UN);
    return arg;
}

static void flocks(void) {
    make_file("lk", "");
    int a = open(path("lk"), O_RDWR);
    int b = open(path("lk"), O_RDWR);
    check(a >= 0 && b >= 0, "open");
    printf("a LOCK_EX: %s\n", res(flock(a, LOCK_EX)));
    printf("b LOCK_EX|LOCK_NB: %s\n", res(flock(b, LOCK_EX | LOCK_NB)));
    printf("b LOCK_SH|LOCK_NB: %s\n", res(flock(b, LOCK_SH | LOCK_NB)));
    int a2 = dup(a);
    printf("dup of a LOCK_EX|LOCK_NB (same description): %s\n", res(flock(a2, LOCK_EX | LOCK_NB)));
    close(a2);
    printf("a LOCK_UN: %s\n", res(flock(a, LOCK_UN)));
    printf("b LOCK_SH|LOCK_NB: %s\n", res(flock(b, LOCK_SH | LOCK_NB)));
    printf("a LOCK_SH|LOCK_NB: %s\n", res(flock(a, LOCK_SH | LOCK_NB)));
    printf("a LOCK_EX|LOCK_NB while b shares: %s\n", res(flock(a, LOCK_EX | LOCK_NB)));
    printf("bad operation: %s\n", res(flock(a, 0)));
    printf("bad fd: %s\n", res(flock(99, LOCK_SH)));
    flock(a, LOCK_UN);
    flock(b, LOCK_UN);

    /* Between processes: the child waits for the parent's lock. */
    printf("parent LOCK_EX: %s\n", res(flock(a, LOCK_EX)));
    fflush(stdout);
    int go[2], ready[2];
    check(pipe(go) == 0 && pipe(ready) == 0, "pipe");
    pid_t pid = fork();
    if (pid == 0) {
        close(go[1]);
        close(ready[0]);
        int c = open(path("lk"), O_RDWR);
        printf("child LOCK_EX|LOCK_NB: %s\n", res(flock(c, LOCK_EX | LOCK_NB)));
        fflush(stdout);
        /* A blocking wait that a signal interrupts. */
        struct sigaction sa = {0};
        sa.sa_handler = on_alarm;
        sigaction(SIGALRM, &sa, NULL);
        struct itimerval it = {{0, 0}, {0, 50000}};
        setitimer(ITIMER_REAL, &it, NULL);
        printf("child blocking LOCK_EX interrupted: %s\n", res(flock(c, LOCK_EX)));
        fflush(stdout);
        char x;
        if (write(ready[1], "r", 1) != 1 || read(go[0], &x, 1) != 1)
            _exit(2);
        int r = flock(c, LOCK_EX);
        printf("child got the lock after the parent let go: %s\n", res(r));
        fflush(stdout);
        _exit(0);
    }
    close(go[0]);
    close(ready[1]);
    char x;
    check(read(ready[0], &x, 1) == 1, "read");
    close(ready[0]);
    say("parent unlocking");
    check(write(go[1], "g", 1) == 1, "write");
    nanosleep(&(struct timespec){0, 50000000}, NULL);
    flock(a, LOCK_UN);
    wait_child(pid);
    close(go[1]);

    /* A thread waiting for a lock does not stop the others. */
    lock_fd2 = b;
    printf("main LOCK_EX: %s\n", res(flock(a, LOCK_EX)));
    pthread_t t;
    check(pthread_create(&t, NULL, flock_waiter, NULL) == 0, "pthread_create");
    nanosleep(&(struct timespec){0, 30000000}, NULL);
    for (int i = 0; i < 1000000; i++)
        spins++;
    say("main thread ran while the other waited");
    flock(a, LOCK_UN);
    pthread_join(t, NULL);
    close(a);
    close(b);
}

/* ---- fcntl record locks ---- */

static const char *ltype(int t) {
    return t == F_RDLCK ? "F_RDLCK" : t == F_WRLCK ? "F_WRLCK" : t == F_UNLCK ? "F_UNLCK" : "?";
}

static int setlk(int fd, int cmd, int type, off_t start, off_t len) {
    struct flock fl = {.l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len};
    return fcntl(fd, cmd, &fl);
}

static void fcntl_locks(void) {
    make_file("rl", "0123456789");
    int a = open(path("rl"), O_RDWR);
    check(a >= 0, "open");
    printf("F_SETLK write [0,100): %s\n", res(setlk(a, F_SETLK, F_WRLCK, 0, 100)));
    struct flock q = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 50, .l_len = 10};
    printf("own F_GETLK: %s %s\n", res(fcntl(a, F_GETLK, &q)), ltype(q.l_type));
    pid_t parent = getpid();
    int go[2], ready[2];
    check(pipe(go) == 0 && pipe(ready) == 0, "pipe");
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        close(go[1]);
        close(ready[0]);
        int c = open(path("rl"), O_RDWR);
        struct flock g = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 50, .l_len = 10};
        int r = fcntl(c, F_GETLK, &g);
        printf("child F_GETLK: %s %s start %lld len %lld held by parent %d\n", res(r), ltype(g.l_type),
               (long long)g.l_start, (long long)g.l_len, g.l_pid == parent);
        printf("child F_SETLK write [50,60): %s\n", res(setlk(c, F_SETLK, F_WRLCK, 50, 10)));
        printf("child F_SETLK read [100,200): %s\n", res(setlk(c, F_SETLK, F_RDLCK, 100, 100)));
        fflush(stdout);
        char x;
        if (write(ready[1], "r", 1) != 1 || read(go[0], &x, 1) != 1)
            _exit(2);
        r = setlk(c, F_SETLKW, F_WRLCK, 0, 10);
        printf("child F_SETLKW got it after the parent let go: %s\n", res(r));
        fflush(stdout);
        _exit(0);
    }
    close(go[0]);
    close(ready[1]);
    char x;
    check(read(ready[0], &x, 1) == 1, "read");
    close(ready[0]);
    struct flock g = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 150, .l_len = 1};
    int r = fcntl(a, F_GETLK, &g);
    printf("parent F_GETLK [150]: %s %s start %lld len %lld held by child %d\n", res(r), ltype(g.l_type),
           (long long)g.l_start, (long long)g.l_len, g.l_pid == pid);
    say("parent unlocking");
    check(write(go[1], "g", 1) == 1, "write");
    nanosleep(&(struct timespec){0, 50000000}, NULL);
    printf("F_UNLCK: %s\n", res(setlk(a, F_SETLK, F_UNLCK, 0, 0)));
    wait_child(pid);
    close(go[1]);

    printf("bad l_type: %s\n", res(setlk(a, F_SETLK, 7, 0, 1)));
    int ro = open(path("rl"), O_RDONLY);
    printf("write lock on a read-only fd: %s\n", res(setlk(ro, F_SETLK, F_WRLCK, 0, 1)));
    printf("read lock on a read-only fd: %s\n", res(setlk(ro, F_SETLK, F_RDLCK, 0, 1)));
    close(ro);
    printf("bad pointer: %s\n", res(fcntl(a, F_SETLK, (void *)8)));

    /* Open file description locks: two opens in one process conflict. */
    int b = open(path("rl"), O_RDWR);
    struct flock o = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 10};
    printf("F_OFD_SETLK a: %s\n", res(fcntl(a, F_OFD_SETLK, &o)));
    struct flock oq = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 5, .l_len = 1};
    r = fcntl(b, F_OFD_GETLK, &oq);
    printf("F_OFD_GETLK b: %s %s start %lld len %lld pid %d\n", res(r), ltype(oq.l_type), (long long)oq.l_start,
           (long long)oq.l_len, oq.l_pid);
    o.l_start = 5;
    printf("F_OFD_SETLK b: %s\n", res(fcntl(b, F_OFD_SETLK, &o)));
    struct flock bad = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1, .l_pid = 1};
    printf("F_OFD_SETLK with l_pid: %s\n", res(fcntl(b, F_OFD_SETLK, &bad)));
    o.l_type = F_UNLCK;
    o.l_start = 0;
    printf("F_OFD_SETLK unlock a: %s\n", res(fcntl(a, F_OFD_SETLK, &o)));
    o.l_type = F_WRLCK;
    printf("F_OFD_SETLKW b: %s\n", res(fcntl(b, F_OFD_SETLKW, &o)));
    close(a);
    close(b);
}

/* ---- copies ---- */

static void show_file(const char *what, const char *name) {
    char b[256] = {0};
    int fd = open(path(name), O_RDONLY);
    check(fd >= 0, "open");
    ssize_t n = read(fd, b, sizeof b - 1);
    printf("%s: %zd \"%s\"\n", what, n, b);
    close(fd);
}

static void copies(void) {
    make_file("src", "The quick brown fox jumps over the lazy dog");
    int in = open(path("src"), O_RDONLY);
    int out = open(path("dst"), O_RDWR | O_CREAT | O_TRUNC, 0644);
    check(in >= 0 && out >= 0, "open");
    ssize_t n = copy_file_range(in, NULL, out, NULL, 100, 0);
    printf("copy_file_range: %zd offsets %lld %lld\n", n, (long long)lseek(in, 0, SEEK_CUR),
           (long long)lseek(out, 0, SEEK_CUR));
    show_file("dst", "dst");
    loff_t oi = 4, oo = 0;
    n = copy_file_range(in, &oi, out, &oo, 5, 0);
    printf("copy_file_range with offsets: %zd now %lld %lld, file offsets %lld %lld\n", n, (long long)oi,
           (long long)oo, (long long)lseek(in, 0, SEEK_CUR), (long long)lseek(out, 0, SEEK_CUR));
    show_file("dst", "dst");
    printf("copy_file_range at end: %zd\n", copy_file_range(in, NULL, out, NULL, 10, 0));
    printf("copy_file_range flags: %s\n", res(copy_file_range(in, NULL, out, NULL, 10, 1)));
    int p[2];
    check(pipe(p) == 0, "pipe");
    printf("copy_file_range to a pipe: %s\n", res(copy_file_range(in, &oi, p[1], NULL, 10, 0)));
    printf("copy_file_range write-only source: %s\n", res(copy_file_range(out, &oi, in, NULL, 10, 0)));
    loff_t s1 = 0, s2 = 2;
    printf("copy_file_range overlapping: %s\n", res(copy_file_range(out, &s1, out, &s2, 10, 0)));

    /* sendfile: from a file, to a file or a pipe. */
    off_t off = 10;
    n = sendfile(p[1], in, &off, 5);
    char b[64] = {0};
    ssize_t m = read(p[0], b, sizeof b);
    printf("sendfile to a pipe: %zd offset now %lld, read %zd \"%.*s\"\n", n, (long long)off, m, (int)m, b);
    lseek(in, 0, SEEK_SET);
    int out2 = open(path("dst2"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    n = sendfile(out2, in, NULL, 9);
    printf("sendfile to a file: %zd file offset %lld\n", n, (long long)lseek(in, 0, SEEK_CUR));
    show_file("dst2", "dst2");
    printf("sendfile count 0: %zd\n", sendfile(out2, in, NULL, 0));
    check(write(p[1], "pipe data", 9) == 9, "write");
    printf("sendfile from a pipe: %s\n", res(sendfile(out2, p[0], NULL, 9)));
    m = read(p[0], b, sizeof b);
    printf("drained %zd\n", m);
    printf("sendfile bad fd: %s\n", res(sendfile(out2, 99, NULL, 9)));
    printf("sendfile to a read-only fd: %s\n", res(sendfile(in, in, NULL, 9)));
    close(out2);

    /* splice: one end must be a pipe. */
    loff_t so = 16;
    n = splice(in, &so, p[1], NULL, 5, 0);
    printf("splice file to pipe: %zd offset now %lld\n", n, (long long)so);
    int out3 = open(path("dst3"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    loff_t do3 = 2;
    n = splice(p[0], NULL, out3, &do3, 100, 0);
    printf("splice pipe to file: %zd offset now %lld\n", n, (long long)do3);
    close(out3);
    int fd3 = open(path("dst3"), O_RDONLY);
    m = read(fd3, b, sizeof b);
    printf("dst3: %zd bytes, from 2: \"%.*s\"\n", m, (int)(m > 2 ? m - 2 : 0), b + 2);
    close(fd3);
    printf("splice file to file: %s\n", res(splice(in, NULL, out, NULL, 5, 0)));
    printf("splice offset on a pipe: %s\n", res(splice(p[0], &so, out, NULL, 5, 0)));
    printf("splice nonblocking from an empty pipe: %s\n", res(splice(p[0], NULL, out, NULL, 5, SPLICE_F_NONBLOCK)));
    int q[2];
    check(pipe(q) == 0, "pipe");
    check(write(p[1], "pipe to pipe", 12) == 12, "write");
    n = splice(p[0], NULL, q[1], NULL, 100, SPLICE_F_MOVE);
    m = read(q[0], b, sizeof b);
    printf("splice pipe to pipe: %zd, read \"%.*s\"\n", n, (int)m, b);

    /* tee: copies between pipes without consuming. */
    check(write(p[1], "teed", 4) == 4, "write");
    n = tee(p[0], q[1], 100, 0);
    printf("tee: %zd\n", n);
    m = read(q[0], b, sizeof b);
    printf("tee copy: \"%.*s\"\n", (int)m, b);
    m = read(p[0], b, sizeof b);
    printf("tee source still holds: \"%.*s\"\n", (int)m, b);
    printf("tee from a file: %s\n", res(tee(in, q[1], 10, 0)));
    printf("tee same pipe: %s\n", res(tee(p[0], p[1], 10, 0)));
    printf("tee nonblocking empty: %s\n", res(tee(p[0], q[1], 10, SPLICE_F_NONBLOCK)));
    close(p[0]);
    close(p[1]);
    close(q[0]);
    close(q[1]);
    close(in);
    close(out);
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: filemeta MODE DIR\n");
        return 2;
    }
    dir = argv[2];
    const char *m = argv[1];
    int all = !strcmp(m, "all");
    if (all || !strcmp(m, "times"))
        times();
    if (all || !strcmp(m, "owners"))
        owners();
    if (all || !strcmp(m, "xattr"))
        xattrs();
    if (all || !strcmp(m, "sizes"))
        sizes();
    if (all || !strcmp(m, "fifo"))
        fifos();
    if (all || !strcmp(m, "flock"))
        flocks();
    if (all || !strcmp(m, "fcntl"))
        fcntl_locks();
    if (all || !strcmp(m, "copy"))
        copies();
    return 0;
}
