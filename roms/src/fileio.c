/* File I/O round trip in a directory given on the command line: create, write, lseek, read,
 * pread/pwrite, fstat, ftruncate, rename, stat, access, mkdir, getdents, dup, fcntl, pipes,
 * unlink. Errors are printed by errno name so the output names what the kernel answered.
 *   fileio DIR          (DIR must exist and be empty; it is left empty) */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

static const char *errname(int e) {
    switch (e) {
    case 0: return "OK";
    case ENOENT: return "ENOENT";
    case EEXIST: return "EEXIST";
    case EISDIR: return "EISDIR";
    case ENOTDIR: return "ENOTDIR";
    case EACCES: return "EACCES";
    case EBADF: return "EBADF";
    case EINVAL: return "EINVAL";
    case ENOTEMPTY: return "ENOTEMPTY";
    case ENOTTY: return "ENOTTY";
    case ESPIPE: return "ESPIPE";
    case EFAULT: return "EFAULT";
    default: return "E?";
    }
}

/* Print a call's result: the value, or -1 and the errno name. */
static long show(const char *what, long r) {
    if (r < 0)
        printf("%s = -1 %s\n", what, errname(errno));
    else
        printf("%s = %ld\n", what, r);
    return r;
}

static void show_bytes(const char *what, const char *buf, long n) {
    printf("%s: \"", what);
    for (long i = 0; i < n; i++) {
        unsigned char c = (unsigned char)buf[i];
        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
            putchar(c);
        else
            printf("\\x%02x", c);
    }
    printf("\"\n");
}

static void show_stat(const char *what, const struct stat *st) {
    printf("%s: size=%lld mode=%04o reg=%d dir=%d nlink=%lu\n", what, (long long)st->st_size,
           (unsigned)(st->st_mode & 07777), S_ISREG(st->st_mode), S_ISDIR(st->st_mode),
           (unsigned long)st->st_nlink);
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void list_dir(const char *path) {
    DIR *d = opendir(path);
    if (!d) {
        printf("opendir(%s) failed: %s\n", path, errname(errno));
        return;
    }
    char *names[64];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 64) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char *s = malloc(strlen(e->d_name) + 8);
        sprintf(s, "%s%s", e->d_name, e->d_type == DT_DIR ? "/" : e->d_type == DT_REG ? "" : "?");
        names[n++] = s;
    }
    closedir(d);
    qsort(names, n, sizeof *names, cmp_str);
    printf("ls %s:", path);
    for (int i = 0; i < n; i++) {
        printf(" %s", names[i]);
        free(names[i]);
    }
    printf(" (%d entries)\n", n);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: fileio DIR\n");
        return 2;
    }
    umask(022);
    if (show("chdir(DIR)", chdir(argv[1])) < 0)
        return 1;
    list_dir(".");

    char buf[256];
    struct stat st;
    int fd = (int)show("open(a.txt, O_CREAT|O_EXCL|O_RDWR, 0640)", open("a.txt", O_CREAT | O_EXCL | O_RDWR, 0640));
    long total = 0;
    for (int i = 0; i < 20; i++) {
        int n = snprintf(buf, sizeof buf, "line %02d: the quick brown fox\n", i);
        total += write(fd, buf, n);
    }
    printf("wrote %ld bytes\n", total);
    show("lseek(fd, 0, SEEK_CUR)", lseek(fd, 0, SEEK_CUR));
    show("fstat", fstat(fd, &st));
    show_stat("fstat a.txt", &st);
    show("lseek(fd, 7, SEEK_SET)", lseek(fd, 7, SEEK_SET));
    long n = show("read 40", read(fd, buf, 40));
    show_bytes("got", buf, n);
    show("lseek(fd, -12, SEEK_END)", lseek(fd, -12, SEEK_END));
    n = show("read 100 near the end", read(fd, buf, 100));
    show_bytes("got", buf, n);
    show("read at EOF", read(fd, buf, 100));
    show("lseek(fd, 100, SEEK_END)", lseek(fd, 100, SEEK_END));
    show("write past the end", write(fd, "TAIL", 4));
    fstat(fd, &st);
    show_stat("after hole", &st);
    n = show("pread 8 in the hole", pread(fd, buf, 8, total + 10));
    show_bytes("got", buf, n);
    show("pwrite at 0", pwrite(fd, "LINE", 4, 0));
    show("lseek(fd, 0, SEEK_CUR) unchanged by pread/pwrite", lseek(fd, 0, SEEK_CUR));
    n = show("pread 16 at 0", pread(fd, buf, 16, 0));
    show_bytes("got", buf, n);
    show("lseek(fd, -1, SEEK_SET)", lseek(fd, -1, SEEK_SET));
    show("ftruncate 50", ftruncate(fd, 50));
    fstat(fd, &st);
    show_stat("after ftruncate", &st);
    errno = 0;
    int tty = isatty(fd);
    printf("isatty(file)=%d %s\n", tty, errname(errno));
    struct winsize ws;
    show("ioctl(file, TIOCGWINSZ)", ioctl(fd, TIOCGWINSZ, &ws));

    int fd2 = (int)show("dup", dup(fd));
    show("lseek via dup shares the offset", lseek(fd2, 3, SEEK_SET));
    show("lseek(fd, 0, SEEK_CUR)", lseek(fd, 0, SEEK_CUR));
    show("dup2(fd, 20)", dup2(fd, 20));
    show("fcntl(20, F_GETFD)", fcntl(20, F_GETFD));
    show("fcntl(20, F_SETFD, FD_CLOEXEC)", fcntl(20, F_SETFD, FD_CLOEXEC));
    show("fcntl(20, F_GETFD)", fcntl(20, F_GETFD));
    show("fcntl(20, F_GETFL) & O_ACCMODE", fcntl(20, F_GETFL) & O_ACCMODE);
    show("close(20)", close(20));
    show("close(20) again", close(20));
    show("close(fd2)", close(fd2));
    show("close(fd)", close(fd));
    show("read(closed fd)", read(fd, buf, 1));

    show("open(a.txt, O_CREAT|O_EXCL)", open("a.txt", O_CREAT | O_EXCL | O_WRONLY, 0600));
    show("open(missing.txt)", open("missing.txt", O_RDONLY));
    show("open(a.txt/x)", open("a.txt/x", O_RDONLY));
    show("rename(a.txt, b.txt)", rename("a.txt", "b.txt"));
    show("stat(a.txt)", stat("a.txt", &st));
    show("stat(b.txt)", stat("b.txt", &st));
    show_stat("stat b.txt", &st);
    show("lstat(b.txt)", lstat("b.txt", &st));
    show("access(b.txt, R_OK|W_OK)", access("b.txt", R_OK | W_OK));
    show("access(nope, F_OK)", access("nope", F_OK));

    fd = (int)show("open(b.txt, O_WRONLY|O_APPEND)", open("b.txt", O_WRONLY | O_APPEND));
    show("lseek(fd, 0, SEEK_SET)", lseek(fd, 0, SEEK_SET));
    show("append write", write(fd, "+APPENDED", 9));
    show("position after append", lseek(fd, 0, SEEK_CUR));
    close(fd);

    show("mkdir(sub, 0755)", mkdir("sub", 0755));
    show("mkdir(sub) again", mkdir("sub", 0755));
    show("stat(sub)", stat("sub", &st));
    printf("sub: dir=%d mode=%04o\n", S_ISDIR(st.st_mode), (unsigned)(st.st_mode & 07777));
    fd = (int)show("open(sub, O_RDONLY|O_DIRECTORY)", open("sub", O_RDONLY | O_DIRECTORY));
    show("read(dir fd)", read(fd, buf, 10));
    close(fd);
    show("open(b.txt, O_DIRECTORY)", open("b.txt", O_RDONLY | O_DIRECTORY));

    FILE *f = fopen("sub/c.txt", "w");
    printf("fopen(sub/c.txt, w): %s\n", f ? "ok" : errname(errno));
    for (int i = 0; i < 500; i++)
        fprintf(f, "%d squared is %d\n", i, i * i);
    fclose(f);
    f = fopen("sub/c.txt", "r");
    long lines = 0, sum = 0;
    while (fgets(buf, sizeof buf, f)) {
        int a, b;
        if (sscanf(buf, "%d squared is %d", &a, &b) == 2 && a * a == b)
            sum += b;
        lines++;
    }
    fclose(f);
    printf("read back %ld lines, sum of squares %ld\n", lines, sum);
    stat("sub/c.txt", &st);
    show_stat("stat sub/c.txt", &st);
    list_dir(".");
    list_dir("sub");
    show("unlinkat(sub, AT_REMOVEDIR) non-empty", unlinkat(AT_FDCWD, "sub", AT_REMOVEDIR));

    f = fopen("b.txt", "r");
    n = (long)fread(buf, 1, sizeof buf, f);
    fclose(f);
    show_bytes("b.txt", buf, n);

    /* /proc/self/exe names the program being run (not an emulator). */
    n = readlink("/proc/self/exe", buf, sizeof buf - 1);
    if (n >= 0) {
        buf[n] = 0;
        const char *base = strrchr(buf, '/');
        printf("basename of /proc/self/exe: %s\n", base ? base + 1 : buf);
    } else {
        printf("readlink(/proc/self/exe) failed: %s\n", errname(errno));
    }

    int p[2];
    show("pipe2", pipe2(p, O_CLOEXEC));
    show("write to pipe", write(p[1], "through the pipe", 16));
    n = show("read from pipe", read(p[0], buf, sizeof buf));
    show_bytes("got", buf, n);
    show("lseek(pipe)", lseek(p[0], 0, SEEK_SET));
    close(p[1]);
    show("read at pipe EOF", read(p[0], buf, sizeof buf));
    close(p[0]);

    show("unlink(sub/c.txt)", unlink("sub/c.txt"));
    show("unlinkat(sub, AT_REMOVEDIR)", unlinkat(AT_FDCWD, "sub", AT_REMOVEDIR));
    show("unlink(b.txt)", unlink("b.txt"));
    show("unlink(b.txt) again", unlink("b.txt"));
    list_dir(".");
    return 0;
}
