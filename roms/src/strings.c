/* libc string functions over many lengths and alignments, compared with naive loops. glibc
 * picks SSE2/AVX2/EVEX variants by CPUID; they read whole aligned vectors, so strings are also
 * placed right before an unmapped page: a correct CPU never faults there, because the
 * variants never read across a page boundary they need not touch. Built with -fno-builtin so
 * every call reaches libc. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

static uint32_t rng = 1;
static unsigned char rnd(void) {
    rng = rng * 1664525u + 1013904223u;
    return (unsigned char)(rng >> 24);
}

static size_t ref_strlen(const char *s) {
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}
static int sgn(int x) { return (x > 0) - (x < 0); }
static int ref_memcmp(const unsigned char *a, const unsigned char *b, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (a[i] != b[i])
            return a[i] < b[i] ? -1 : 1;
    return 0;
}
static int ref_strcmp(const unsigned char *a, const unsigned char *b) {
    for (;; a++, b++)
        if (*a != *b || !*a)
            return (*a > *b) - (*a < *b);
}

static int fails[16];
static const char *names[16] = {"memcpy", "memmove", "memset",  "strlen", "strchr",  "strrchr", "strcmp", "memcmp",
                                "memchr", "strcpy",  "strncmp", "strstr", "strnlen", "memrchr", "stpcpy", "strspn"};
static uint64_t h = 0xcbf29ce484222325ULL;
static void mix(uint64_t v) { h = (h ^ v) * 0x100000001b3ULL; }

#define CHECK(i, cond)                                                                                       \
    do {                                                                                                     \
        if (!(cond) && fails[i]++ < 3)                                                                       \
            printf("%s mismatch: len=%zu align=%zu line %d\n", names[i], len, al, __LINE__);                 \
    } while (0)

int main(void) {
    enum { MAXLEN = 300 };
    static unsigned char src[MAXLEN + 64], dst[MAXLEN + 64], ref[MAXLEN + 64], big[2 * MAXLEN + 128];

    for (size_t len = 0; len <= MAXLEN; len += len < 80 ? 1 : 7) {
        for (size_t al = 0; al < 16; al++) {
            size_t al2 = (al * 7) % 16;
            for (size_t i = 0; i < sizeof src; i++)
                src[i] = 1 + rnd() % 250; /* no NULs inside the strings */
            src[al + len] = 0;
            unsigned char *s = src + al;

            memset(dst, 0xaa, sizeof dst);
            memcpy(dst + al2, s, len);
            CHECK(0, ref_memcmp(dst + al2, s, len) == 0 && dst[al2 + len] == 0xaa && (al2 == 0 || dst[al2 - 1] == 0xaa));

            /* memmove with overlap in both directions */
            memcpy(big, src, sizeof src);
            memcpy(ref, src, sizeof src);
            memmove(big + al2 + 3, big + al, len);
            for (size_t i = 0; i < len; i++)
                CHECK(1, big[al2 + 3 + i] == ref[al + i]);
            memcpy(big, src, sizeof src);
            memmove(big + al, big + al + al2 + 1, len);
            for (size_t i = 0; i < len; i++)
                CHECK(1, big[al + i] == ref[al + al2 + 1 + i]);

            memset(dst, 0x55, sizeof dst);
            memset(dst + al, (int)(len & 0xff), len);
            CHECK(2, (len == 0 || (dst[al] == (len & 0xff) && dst[al + len - 1] == (len & 0xff))) && dst[al + len] == 0x55);

            CHECK(3, strlen((char *)s) == len && ref_strlen((char *)s) == len);
            CHECK(12, strnlen((char *)s, len / 2) == len / 2 && strnlen((char *)s, len + 5) == len);

            int c = len ? s[len / 3] : 'x';
            char *p = strchr((char *)s, c), *q = (char *)s;
            while (*q && (unsigned char)*q != c)
                q++;
            CHECK(4, p == (*q ? q : NULL));
            CHECK(4, strchr((char *)s, 0) == (char *)s + len);
            p = strrchr((char *)s, c);
            q = NULL;
            for (size_t i = 0; i < len; i++)
                if (s[i] == c)
                    q = (char *)s + i;
            CHECK(5, p == q);
            CHECK(8, memchr(s, c, len) == (len && c != 'x' ? (void *)strchr((char *)s, c) : memchr(s, c, len)));
            CHECK(13, memrchr(s, c, len) == (void *)q);

            memcpy(dst + al2, s, len + 1);
            CHECK(6, strcmp((char *)dst + al2, (char *)s) == 0);
            CHECK(7, memcmp(dst + al2, s, len) == 0);
            if (len) {
                size_t at = len * 5 / 7;
                dst[al2 + at] ^= 0x80;
                int r1 = strcmp((char *)dst + al2, (char *)s), r2 = memcmp(dst + al2, s, len);
                CHECK(6, sgn(r1) == ref_strcmp(dst + al2, s));
                CHECK(7, sgn(r2) == ref_memcmp(dst + al2, s, len));
                CHECK(10, strncmp((char *)dst + al2, (char *)s, at) == 0 &&
                              sgn(strncmp((char *)dst + al2, (char *)s, at + 1)) == ref_strcmp(dst + al2, s));
                mix((uint64_t)(sgn(r1) + 2) * 3 + (uint64_t)(sgn(r2) + 2));
                dst[al2 + at] ^= 0x80;
            }

            memset(dst, 0x77, sizeof dst);
            CHECK(9, strcpy((char *)dst + al2, (char *)s) == (char *)dst + al2 && ref_memcmp(dst + al2, s, len + 1) == 0 &&
                         dst[al2 + len + 1] == 0x77);
            CHECK(14, stpcpy((char *)dst + al, (char *)s) == (char *)dst + al + len);

            if (len >= 4) {
                char needle[5];
                memcpy(needle, s + len - 4, 4);
                needle[4] = 0;
                char *f = strstr((char *)s, needle);
                CHECK(11, f && memcmp(f, needle, 4) == 0 && f <= (char *)s + len - 4);
                mix((uint64_t)(f - (char *)s));
            }
            CHECK(15, strspn((char *)s, (char *)s) == len);
            mix(len * 131 + al);
        }
    }

    /* Strings that end right before an inaccessible page. */
    long pg = 4096;
    unsigned char *m = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    mprotect(m + pg, pg, PROT_NONE);
    long edge_ok = 0;
    for (size_t len = 0; len < 200; len++) {
        size_t al = 0;
        unsigned char *s = m + pg - len - 1;
        memset(s, 'q', len);
        s[len] = 0;
        CHECK(3, strlen((char *)s) == len);
        CHECK(4, strchr((char *)s, 'z') == NULL);
        CHECK(5, strrchr((char *)s, 'q') == (len ? (char *)s + len - 1 : NULL));
        CHECK(6, strcmp((char *)s, (char *)s) == 0);
        CHECK(7, memcmp(s, s, len + 1) == 0);
        CHECK(8, memchr(s, 'z', len + 1) == NULL);
        unsigned char *d = m + pg - len - 1 - 300;
        CHECK(9, strcpy((char *)d, (char *)s) == (char *)d);
        CHECK(0, memcpy(s, d, len + 1) == s && s[len] == 0);
        CHECK(12, strnlen((char *)s, len + 1) == len);
        edge_ok++;
    }
    printf("page-edge cases run: %ld\n", edge_ok);

    int total = 0;
    for (int i = 0; i < 16; i++) {
        printf("%-8s %s\n", names[i], fails[i] ? "FAIL" : "ok");
        total += fails[i];
    }
    printf("failures %d, hash %016llx\n", total, (unsigned long long)h);
    return 0;
}
