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
