/* Tries to leave a chroot-style jail (emu --chroot DIR, or chroot(8)): every attempt tries to
 * read a file that exists only outside the jail and prints "blocked" or "ESCAPED". It also
 * reads /inside.txt, which exists only inside, to show where "/" is.
 *   escape HOST_PATH_OF_SECRET    (the absolute host path of the outside file) */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *secret_text = "TOP SECRET";
static int escaped;

static void verdict(const char *what, int fd) {
    char buf[64] = {0};
    if (fd >= 0) {
        ssize_t n = read(fd, buf, sizeof buf - 1);
        close(fd);
        if (n > 0 && strncmp(buf, secret_text, strlen(secret_text)) == 0) {
            printf("%s: ESCAPED\n", what);
            escaped++;
            return;
        }
    }
    printf("%s: blocked\n", what);
}

static void try_path(const char *what, const char *path) { verdict(what, open(path, O_RDONLY)); }

/* Prints where a /proc/self magic link points: inside a jail, a path inside it. */
static void show_link(const char *path) {
    char buf[4096];
    ssize_t n = readlink(path, buf, sizeof buf - 1);
    buf[n > 0 ? n : 0] = 0;
    printf("readlink %s: %s\n", path, n > 0 ? buf : strerror(errno));
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: escape HOST_PATH_OF_SECRET\n");
        return 2;
    }
    const char *host = argv[1];
    char p[4096];
    int fd = open("/inside.txt", O_RDONLY);
    char in[64] = {0};
    if (fd >= 0 && read(fd, in, sizeof in - 1) > 0)
        printf("inside: %s", in);
    else
        printf("inside: /inside.txt unreadable\n");
    if (fd >= 0)
        close(fd);

    try_path("host absolute path", host);
    snprintf(p, sizeof p, "/../../../../../../..%s", host);
    try_path("dot-dot from the root", p);
    try_path("dot-dot to the secret's name", "/../secret.txt");
    try_path("relative dot-dot", "../../../../../../../../secret.txt");
    try_path("absolute symlink to the host path", "/abs-link");
    try_path("symlink to the root, then dot-dot", "/root-link/../secret.txt");
    try_path("relative symlink with dot-dot", "/rel-link");
    snprintf(p, sizeof p, "/proc/self/root%s", host);
    try_path("/proc/self/root", p);
    snprintf(p, sizeof p, "/proc/1/root%s", host);
    try_path("/proc/1/root", p);
    try_path("/proc/self/cwd/..", "/proc/self/cwd/../secret.txt");
    if (symlink(host, "/made-link") == 0 || errno == EEXIST)
        try_path("symlink made by the guest", "/made-link");
    else
        printf("symlink made by the guest: blocked (cannot create)\n");
    int root = open("/", O_RDONLY | O_DIRECTORY);
    verdict("openat(dirfd of /, ..)", openat(root, "../secret.txt", O_RDONLY));
    verdict("openat(dirfd of /, host path)", openat(root, host + 1, O_RDONLY));
    for (int i = 0; i < 30; i++)
        if (chdir("..") != 0)
            break;
    try_path("chdir(..) x30 then the name", "secret.txt");
    char cwd[4096];
    printf("cwd after chdir(..) x30: %s\n", getcwd(cwd, sizeof cwd) ? cwd : "?");
    fchdir(root);
    struct stat st;
    printf("stat of the host path: %s\n", stat(host, &st) == 0 ? "ESCAPED" : "blocked");
    if (stat(host, &st) == 0)
        escaped++;
    /* The classic chroot escape: chroot into a subdirectory, then climb out of it. */
    mkdir("/sub", 0755);
    if (chroot("/sub") == 0) {
        for (int i = 0; i < 30; i++)
            (void)!chdir("..");
        try_path("chroot(/sub) then chdir(..) x30", "secret.txt");
        snprintf(p, sizeof p, ".%s", host);
        try_path("... then the host path relative", p);
    } else {
        printf("chroot(/sub) then chdir(..) x30: blocked (chroot: %s)\n", strerror(errno));
        printf("... then the host path relative: blocked\n");
    }
    /* The /proc/self magic links show, and lead to, paths inside the jail. */
    if (chdir("/sub") == 0) {
        printf("getcwd in /sub: %s\n", getcwd(cwd, sizeof cwd) ? cwd : "?");
        show_link("/proc/self/cwd");
        try_path("/proc/self/cwd/../../secret.txt", "/proc/self/cwd/../../secret.txt");
        (void)!chdir("/");
    }
    show_link("/proc/self/root");
    show_link("/proc/self/exe");
    int infd = open("/inside.txt", O_RDONLY);
    snprintf(p, sizeof p, "/proc/self/fd/%d", infd);
    show_link(p);
    close(infd);
    snprintf(p, sizeof p, "/proc/self/fd/%d/../secret.txt", root);
    try_path("/proc/self/fd/N (of /) then dot-dot", p);
    snprintf(p, sizeof p, "/proc/self/root/..%s", host);
    try_path("/proc/self/root/.. then the host path", p);
    /* A program outside the jail cannot be executed. */
    pid_t c = fork();
    if (c == 0) {
        char *argv2[] = {"cat", (char *)host, NULL};
        execv("/bin/cat", argv2);
        execv("/usr/bin/cat", argv2);
        _exit(127);
    }
    int wst = 0;
    waitpid(c, &wst, 0);
    int exec_escaped = !(WIFEXITED(wst) && WEXITSTATUS(wst) == 127);
    printf("execve of a host program: %s\n", exec_escaped ? "ESCAPED" : "blocked");
    escaped += exec_escaped;
    DIR *d = opendir("/..");
    int seen_outside = 0;
    struct dirent *e;
    while (d && (e = readdir(d)))
        if (strcmp(e->d_name, "secret.txt") == 0 || strcmp(e->d_name, "jail") == 0)
            seen_outside = 1;
    if (d)
        closedir(d);
    printf("listing of /.. shows the outside: %s\n", seen_outside ? "ESCAPED" : "blocked");
    escaped += seen_outside;
    printf("escapes: %d\n", escaped);
    return escaped ? 1 : 0;
}
