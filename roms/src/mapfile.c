// Private file mappings, whose pages emu reads from the file on first touch: contents at
// an offset, the zero tail past EOF, a file change seen by a page not yet touched,
// MADV_DONTNEED bringing the file's bytes back, a mapping outliving its descriptor, and
// mremap moving untouched pages.
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PG 4096
#define LEN (3 * PG + 100)

static unsigned char file_byte(size_t i) { return (unsigned char)(i * 7 + i / PG + 1); }

static unsigned sum(const unsigned char *p, size_t n) {
    unsigned s = 0;
    for (size_t i = 0; i < n; i++) s = s * 31 + p[i];
    return s;
}

int main(int argc, char **argv) {
    char path[4096];
    snprintf(path, sizeof path, "%s/mapfile.dat", argc > 1 ? argv[1] : ".");
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) { perror("open"); return 1; }
    static unsigned char b[LEN];
    for (size_t i = 0; i < LEN; i++) b[i] = file_byte(i);
    if (write(fd, b, LEN) != LEN) { perror("write"); return 1; }

    unsigned char *m = mmap(0, 4 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    unsigned char *off = mmap(0, 2 * PG, PROT_READ, MAP_PRIVATE, fd, PG);
    if (m == MAP_FAILED || off == MAP_FAILED) { perror("mmap"); return 1; }
    int fd2 = open(path, O_RDWR);
    close(fd);
    printf("page0 matches file: %d\n", memcmp(m, b, PG) == 0);
    printf("offset mapping matches file: %d\n", memcmp(off, b + PG, 2 * PG) == 0);
    unsigned zero = 1;
    for (size_t i = LEN; i < 4 * PG; i++) zero &= m[i] == 0;
    printf("tail past EOF zero: %u, file part matches: %d\n", zero, memcmp(m + 3 * PG, b + 3 * PG, 100) == 0);

    // The file changes under page 2, which nobody has touched yet.
    const char msg[] = "changed after mmap";
    if (pwrite(fd2, msg, sizeof msg, 2 * PG + 10) != sizeof msg) { perror("pwrite"); return 1; }
    printf("untouched page sees the change: %d\n", memcmp(m + 2 * PG + 10, msg, sizeof msg) == 0);

    // A private write, then MADV_DONTNEED: the file's bytes come back.
    m[PG + 5] = 0xee;
    printf("private write: %#x, file still: %#x\n", m[PG + 5], file_byte(PG + 5));
    if (madvise(m + PG, PG, MADV_DONTNEED)) { perror("madvise"); return 1; }
    printf("after MADV_DONTNEED: %#x\n", m[PG + 5]);

    // Move the 4-page mapping: contents come along, touched or not.
    unsigned before = sum(m, 4 * PG);
    unsigned char *moved = mremap(m, 4 * PG, 4 * PG, MREMAP_MAYMOVE | MREMAP_FIXED, off + 16 * PG);
    if (moved == MAP_FAILED) { perror("mremap"); return 1; }
    printf("moved keeps contents: %d\n", sum(moved, 4 * PG) == before);
    // (Not `off`: its pages were copied at first touch, so emu does not see the later
    // pwrite there, while Linux shares the page cache until the first private write.)
    printf("checksum: %08x\n", sum(moved, 4 * PG));
    close(fd2);
    unlink(path);
    return 0;
}
