/* qsort and bsearch over ints, strings and structs with pseudo-random data (glibc's qsort is a
 * merge sort that allocates; musl's is smoothsort). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint32_t rng = 12345;
static uint32_t next(void) {
    rng = rng * 1103515245u + 12345u;
    return rng >> 1;
}

static int cmp_int(const void *a, const void *b) {
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}
static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

struct rec {
    unsigned key;
    unsigned id;
    double weight;
};
/* Ties broken by id so the order is total and the same for any correct sort. */
static int cmp_rec(const void *a, const void *b) {
    const struct rec *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return (x->id > y->id) - (x->id < y->id);
}
static int cmp_double_desc(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x < y) - (x > y);
}

int main(void) {
    enum { N = 5000 };
    int *v = malloc(N * sizeof *v);
    for (int i = 0; i < N; i++)
        v[i] = (int)(next() % 100000) - 50000;
    qsort(v, N, sizeof *v, cmp_int);
    int sorted = 1;
    long sum = 0;
    for (int i = 0; i < N; i++) {
        sorted &= i == 0 || v[i - 1] <= v[i];
        sum += (long)v[i] * (i + 1);
    }
    printf("ints: sorted=%d weighted sum=%ld first=%d %d %d last=%d %d\n", sorted, sum, v[0], v[1], v[2], v[N - 2],
           v[N - 1]);
    int probes[] = {v[17], v[N / 2], 0, 49999, -50001};
    for (int i = 0; i < 5; i++) {
        int *p = bsearch(&probes[i], v, N, sizeof *v, cmp_int);
        printf("bsearch %d: %s\n", probes[i], p && *p == probes[i] ? "found" : "absent");
    }

    enum { S = 1000 };
    char **s = malloc(S * sizeof *s);
    for (int i = 0; i < S; i++) {
        int len = 1 + next() % 12;
        s[i] = malloc(len + 1);
        for (int k = 0; k < len; k++)
            s[i][k] = "abcdefghijklmnopqrstuvwxyz"[next() % (k < 2 ? 3 : 26)];
        s[i][len] = 0;
    }
    qsort(s, S, sizeof *s, cmp_str);
    sorted = 1;
    uint64_t h = 1469598103934665603ULL;
    for (int i = 0; i < S; i++) {
        sorted &= i == 0 || strcmp(s[i - 1], s[i]) <= 0;
        for (const char *c = s[i]; *c; c++)
            h = (h ^ (unsigned char)*c) * 1099511628211ULL;
        h = (h ^ '\n') * 1099511628211ULL;
    }
    printf("strings: sorted=%d hash=%016llx first=%s %s last=%s\n", sorted, (unsigned long long)h, s[0], s[1],
           s[S - 1]);

    enum { R = 3000 };
    struct rec *r = malloc(R * sizeof *r);
    for (int i = 0; i < R; i++) {
        r[i].key = next() % 50;
        r[i].id = i;
        r[i].weight = (double)next() / 1000.0;
    }
    qsort(r, R, sizeof *r, cmp_rec);
    h = 0;
    for (int i = 0; i < R; i++)
        h = h * 31 + r[i].key * 7919 + r[i].id;
    printf("records: hash=%016llx first=(%u,%u) last=(%u,%u)\n", (unsigned long long)h, r[0].key, r[0].id,
           r[R - 1].key, r[R - 1].id);

    double d[200];
    for (int i = 0; i < 200; i++)
        d[i] = (double)(next() % 1000) / 8.0;
    qsort(d, 200, sizeof *d, cmp_double_desc);
    printf("doubles desc: %g %g %g ... %g\n", d[0], d[1], d[2], d[199]);

    /* Small and degenerate inputs. */
    int small[] = {3, 1, 2};
    qsort(small, 3, sizeof *small, cmp_int);
    qsort(small, 0, sizeof *small, cmp_int);
    int same[100];
    for (int i = 0; i < 100; i++)
        same[i] = 7;
    qsort(same, 100, sizeof *same, cmp_int);
    printf("small: %d %d %d, same: %d %d\n", small[0], small[1], small[2], same[0], same[99]);
    return 0;
}
