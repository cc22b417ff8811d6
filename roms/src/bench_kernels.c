/* Compute kernels of the benchmark suite (tests/bench/run.py): bench-kernels MODE N.
 * Each mode does a fixed amount of work scaled by N on deterministic pseudo-random data and
 * prints a checksum of its result, so the suite can check that emu computed the same thing
 * as the native run. Modes:
 *   sort     N: sort N 32-bit integers (hand-written quicksort + insertion sort)
 *   hash     N: insert N keys into an open-addressing table, then look up 2N keys
 *   crc32    N: table-driven CRC-32 over a 1 MiB buffer, N times
 *   matmul   N: N x N 32-bit integer matrix product
 *   nbody    N: N steps of the 5-body simulation (double, SSE2)
 *   spectral N: spectral norm of the N x N matrix (double, SSE2), 10 power iterations
 *   x87      N: N iterations of a long double (x87, 80-bit) series
 *   memcpy   N: N copies of a 64 MiB buffer (libc memcpy)
 *   memset   N: N fills of a 64 MiB buffer (libc memset)
 *   syscall  N: N rounds of a 64-byte write and read through a pipe
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void) { /* xorshift64* */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545f4914f6cdd1dull;
}

static void *xmalloc(size_t n) {
    void *p = malloc(n);
    if (!p) {
        fprintf(stderr, "bench-kernels: out of memory (%zu bytes)\n", n);
        exit(3);
    }
    return p;
}

/* ---- integer ---------------------------------------------------------------------------- */

static void isort(uint32_t *a, long n) {
    for (long i = 1; i < n; i++) {
        uint32_t v = a[i];
        long j = i;
        for (; j > 0 && a[j - 1] > v; j--)
            a[j] = a[j - 1];
        a[j] = v;
    }
}

static void quicksort(uint32_t *a, long n) {
    while (n > 16) {
        uint32_t x = a[0], y = a[n / 2], z = a[n - 1]; /* median of three */
        uint32_t p = x < y ? (y < z ? y : (x < z ? z : x)) : (x < z ? x : (y < z ? z : y));
        long i = 0, j = n - 1;
        for (;;) {
            while (a[i] < p)
                i++;
            while (a[j] > p)
                j--;
            if (i >= j)
                break;
            uint32_t t = a[i];
            a[i++] = a[j];
            a[j--] = t;
        }
        /* Recurse into the smaller half, loop on the larger: bounded stack. */
        if (j + 1 < n - j - 1) {
            quicksort(a, j + 1);
            a += j + 1;
            n -= j + 1;
        } else {
            quicksort(a + j + 1, n - j - 1);
            n = j + 1;
        }
    }
    isort(a, n);
}

static void bench_sort(long n) {
    uint32_t *a = xmalloc(n * sizeof *a);
    for (long i = 0; i < n; i++)
        a[i] = (uint32_t)rnd();
    quicksort(a, n);
    uint64_t sum = 0;
    long sorted = 1;
    for (long i = 0; i < n; i++) {
        sum = sum * 31 + a[i];
        if (i && a[i - 1] > a[i])
            sorted = 0;
    }
    printf("sort %ld sorted=%ld checksum=%016llx\n", n, sorted, (unsigned long long)sum);
    free(a);
}

static uint64_t mix(uint64_t k) { /* splitmix64 finaliser */
    k ^= k >> 30;
    k *= 0xbf58476d1ce4e5b9ull;
    k ^= k >> 27;
    k *= 0x94d049bb133111ebull;
    return k ^ (k >> 31);
}

static void bench_hash(long n) {
    size_t cap = 1;
    while (cap < (size_t)n * 2)
        cap <<= 1;
    uint64_t *keys = xmalloc(cap * sizeof *keys);
    uint32_t *vals = xmalloc(cap * sizeof *vals);
    memset(keys, 0, cap * sizeof *keys); /* key 0 = empty slot */
    long inserted = 0;
    for (long i = 0; i < n; i++) {
        uint64_t k = (rnd() % ((uint64_t)n * 4)) | 1;
        size_t h = mix(k) & (cap - 1);
        while (keys[h] && keys[h] != k)
            h = (h + 1) & (cap - 1);
        if (!keys[h]) {
            keys[h] = k;
            vals[h] = 0;
            inserted++;
        }
        vals[h] += (uint32_t)i;
    }
    long hits = 0;
    uint64_t sum = 0;
    for (long i = 0; i < 2 * n; i++) {
        uint64_t k = (rnd() % ((uint64_t)n * 4)) | 1;
        size_t h = mix(k) & (cap - 1);
        while (keys[h] && keys[h] != k)
            h = (h + 1) & (cap - 1);
        if (keys[h]) {
            hits++;
            sum += vals[h];
        }
    }
    printf("hash %ld inserted=%ld hits=%ld checksum=%016llx\n", n, inserted, hits,
           (unsigned long long)sum);
    free(keys);
    free(vals);
}

static void bench_crc32(long n) {
    uint32_t table[256];
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
        table[i] = c;
    }
    enum { LEN = 1 << 20 };
    uint8_t *buf = xmalloc(LEN);
    for (long i = 0; i < LEN; i++)
        buf[i] = (uint8_t)(rnd() >> 56);
    uint32_t acc = 0;
    for (long r = 0; r < n; r++) {
        uint32_t c = 0xffffffffu;
        for (long i = 0; i < LEN; i++)
            c = table[(c ^ buf[i]) & 0xff] ^ (c >> 8);
        acc = acc * 33 + ~c;
        buf[r % LEN] ^= (uint8_t)c; /* each pass sees different data */
    }
    printf("crc32 %ld MiB checksum=%08x\n", n, acc);
    free(buf);
}

static void bench_matmul(long n) {
    uint32_t *a = xmalloc(n * n * sizeof *a), *b = xmalloc(n * n * sizeof *b);
    uint32_t *c = xmalloc(n * n * sizeof *c);
    for (long i = 0; i < n * n; i++) {
        a[i] = (uint32_t)rnd();
        b[i] = (uint32_t)rnd();
        c[i] = 0;
    }
    for (long i = 0; i < n; i++) /* i-k-j order: the inner loop walks rows */
        for (long k = 0; k < n; k++) {
            uint32_t aik = a[i * n + k];
            for (long j = 0; j < n; j++)
                c[i * n + j] += aik * b[k * n + j];
        }
    uint64_t sum = 0;
    for (long i = 0; i < n * n; i++)
        sum = sum * 31 + c[i];
    printf("matmul %ld checksum=%016llx\n", n, (unsigned long long)sum);
    free(a);
    free(b);
    free(c);
}

/* ---- floating point --------------------------------------------------------------------- */

struct body {
    double x, y, z, vx, vy, vz, mass;
};

static double energy(const struct body *b, int nb) {
    double e = 0;
    for (int i = 0; i < nb; i++) {
        e += 0.5 * b[i].mass * (b[i].vx * b[i].vx + b[i].vy * b[i].vy + b[i].vz * b[i].vz);
        for (int j = i + 1; j < nb; j++) {
            double dx = b[i].x - b[j].x, dy = b[i].y - b[j].y, dz = b[i].z - b[j].z;
            e -= b[i].mass * b[j].mass / sqrt(dx * dx + dy * dy + dz * dz);
        }
    }
    return e;
}

static void bench_nbody(long steps) {
    const double pi = 3.141592653589793, solar = 4 * pi * pi, days = 365.24;
    struct body b[5] = {
        {0, 0, 0, 0, 0, 0, solar}, /* sun */
        {4.84143144246472090e+00, -1.16032004402742839e+00, -1.03622044471123109e-01,
         1.66007664274403694e-03 * days, 7.69901118419740425e-03 * days,
         -6.90460016972063023e-05 * days, 9.54791938424326609e-04 * solar},
        {8.34336671824457987e+00, 4.12479856412430479e+00, -4.03523417114321381e-01,
         -2.76742510726862411e-03 * days, 4.99852801234917238e-03 * days,
         2.30417297573763929e-05 * days, 2.85885980666130812e-04 * solar},
        {1.28943695621391310e+01, -1.51111514016986312e+01, -2.23307578892655734e-01,
         2.96460137564761618e-03 * days, 2.37847173959480950e-03 * days,
         -2.96589568540237556e-05 * days, 4.36624404335156298e-05 * solar},
        {1.53796971148509165e+01, -2.59193146099879641e+01, 1.79258772950371181e-01,
         2.68067772490389322e-03 * days, 1.62824170038242295e-03 * days,
         -9.51592254519715870e-05 * days, 5.15138902046611451e-05 * solar},
    };
    double px = 0, py = 0, pz = 0;
    for (int i = 0; i < 5; i++) {
        px += b[i].vx * b[i].mass;
        py += b[i].vy * b[i].mass;
        pz += b[i].vz * b[i].mass;
    }
    b[0].vx = -px / solar;
    b[0].vy = -py / solar;
    b[0].vz = -pz / solar;
    printf("nbody %ld\n%.9f\n", steps, energy(b, 5));
    const double dt = 0.01;
    for (long s = 0; s < steps; s++) {
        for (int i = 0; i < 5; i++)
            for (int j = i + 1; j < 5; j++) {
                double dx = b[i].x - b[j].x, dy = b[i].y - b[j].y, dz = b[i].z - b[j].z;
                double d2 = dx * dx + dy * dy + dz * dz;
                double mag = dt / (d2 * sqrt(d2));
                b[i].vx -= dx * b[j].mass * mag;
                b[i].vy -= dy * b[j].mass * mag;
                b[i].vz -= dz * b[j].mass * mag;
                b[j].vx += dx * b[i].mass * mag;
                b[j].vy += dy * b[i].mass * mag;
                b[j].vz += dz * b[i].mass * mag;
            }
        for (int i = 0; i < 5; i++) {
            b[i].x += dt * b[i].vx;
            b[i].y += dt * b[i].vy;
            b[i].z += dt * b[i].vz;
        }
    }
    printf("%.9f\n", energy(b, 5));
}

static double spectral_a(long i, long j) { return 1.0 / ((i + j) * (i + j + 1) / 2 + i + 1); }

/* out = A v, or A^T v; inlined into each call with a constant `transpose`. */
static inline __attribute__((always_inline)) void mul_av(long n, const double *v, double *out,
                                                         int transpose) {
    for (long i = 0; i < n; i++) {
        double s = 0;
        for (long j = 0; j < n; j++)
            s += (transpose ? spectral_a(j, i) : spectral_a(i, j)) * v[j];
        out[i] = s;
    }
}

static void mul_atav(long n, const double *v, double *out, double *tmp) {
    mul_av(n, v, tmp, 0);
    mul_av(n, tmp, out, 1);
}

static void bench_spectral(long n) {
    double *u = xmalloc(n * sizeof *u), *v = xmalloc(n * sizeof *v), *t = xmalloc(n * sizeof *t);
    for (long i = 0; i < n; i++)
        u[i] = 1;
    for (int k = 0; k < 10; k++) {
        mul_atav(n, u, v, t);
        mul_atav(n, v, u, t);
    }
    double vbv = 0, vv = 0;
    for (long i = 0; i < n; i++) {
        vbv += u[i] * v[i];
        vv += v[i] * v[i];
    }
    printf("spectral %ld\n%.9f\n", n, sqrt(vbv / vv));
    free(u);
    free(v);
    free(t);
}

static void bench_x87(long n) {
    /* Sums of 1/k^2 and alternating 1/k, a product and a fixed-point iteration: every
     * operation is 80-bit x87 arithmetic (gcc keeps long double on the x87 stack). */
    long double zeta2 = 0, ln2 = 0, prod = 1, fix = 0;
    for (long k = 1; k <= n; k++) {
        long double x = (long double)k;
        zeta2 += 1.0L / (x * x);
        ln2 += (k & 1 ? 1.0L : -1.0L) / x;
        prod *= 1.0L + 1.0L / (x * x * x);
        fix = 0.5L * (fix + (2.0L + 1.0L / x) / (fix + 1.0L));
    }
    printf("x87 %ld\n%.18Le\n%.18Le\n%.18Le\n%.18Le\n", n, zeta2, ln2, prod, fix);
}

/* ---- memory ----------------------------------------------------------------------------- */

enum { MEMBUF = 64 << 20 };

static uint64_t sample(const uint8_t *p, size_t len) {
    uint64_t s = 0;
    for (size_t i = 0; i < len; i += 4093)
        s = s * 131 + p[i];
    return s;
}

static void bench_memcpy(long n) {
    uint8_t *a = xmalloc(MEMBUF), *b = xmalloc(MEMBUF);
    for (size_t i = 0; i < MEMBUF; i += 8) {
        uint64_t r = rnd();
        memcpy(a + i, &r, 8);
    }
    memset(b, 0, MEMBUF);
    for (long r = 0; r < n; r++) {
        /* Alternate directions and a small offset so every copy is real work. */
        size_t off = (size_t)(r % 7) * 8 + 8;
        if (r & 1)
            memcpy(a + off, b, MEMBUF - off);
        else
            memcpy(b + off, a, MEMBUF - off);
    }
    printf("memcpy %ld x 64 MiB checksum=%016llx %016llx\n", n,
           (unsigned long long)sample(a, MEMBUF), (unsigned long long)sample(b, MEMBUF));
    free(a);
    free(b);
}

static void bench_memset(long n) {
    uint8_t *a = xmalloc(MEMBUF);
    for (long r = 0; r < n; r++)
        memset(a + (r % 13), (int)(r * 37 + 1), MEMBUF - 16);
    printf("memset %ld x 64 MiB checksum=%016llx\n", n, (unsigned long long)sample(a, MEMBUF));
    free(a);
}

/* ---- system calls ----------------------------------------------------------------------- */

static void bench_syscall(long n) {
    int fd[2];
    if (pipe(fd)) {
        perror("bench-kernels: pipe");
        exit(3);
    }
    uint8_t out[64], in[64];
    uint64_t sum = 0;
    for (long i = 0; i < n; i++) {
        for (int k = 0; k < 64; k++)
            out[k] = (uint8_t)(i + k);
        if (write(fd[1], out, sizeof out) != sizeof out ||
            read(fd[0], in, sizeof in) != sizeof in) {
            perror("bench-kernels: pipe round trip");
            exit(3);
        }
        sum = sum * 31 + in[i & 63];
    }
    printf("syscall %ld round trips checksum=%016llx\n", n, (unsigned long long)sum);
}

static const struct {
    const char *name;
    void (*run)(long);
} modes[] = {
    {"sort", bench_sort},       {"hash", bench_hash},     {"crc32", bench_crc32},
    {"matmul", bench_matmul},   {"nbody", bench_nbody},   {"spectral", bench_spectral},
    {"x87", bench_x87},         {"memcpy", bench_memcpy}, {"memset", bench_memset},
    {"syscall", bench_syscall},
};

int main(int argc, char **argv) {
    if (argc == 3) {
        char *end;
        long n = strtol(argv[2], &end, 10);
        for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++)
            if (!strcmp(argv[1], modes[i].name) && *end == 0 && n > 0) {
                modes[i].run(n);
                return 0;
            }
    }
    fprintf(stderr, "usage: bench-kernels MODE N (modes:");
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++)
        fprintf(stderr, " %s", modes[i].name);
    fprintf(stderr, ")\n");
    return 2;
}
