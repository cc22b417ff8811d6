/* x86-64-v3 and the crypto extensions: built with -march=x86-64-v3 -O3 (AVX2, FMA, BMI1/2,
 * F16C, MOVBE, LZCNT) plus AES, PCLMUL, SHA, RDRAND/RDSEED, FSGSBASE, ADX, VAES and VPCLMULQDQ
 * for the intrinsics. Loops the compiler vectorises, FMA arithmetic and libm (glibc's FMA
 * variants), AES and SHA through their instructions, carry-less products, gathers, half
 * precision, ADX carry chains, RDRAND/RDSEED and WRFSBASE. Every line it prints is the same on
 * every run and machine: checksums of exact bit patterns, never the random numbers. */
#include <immintrin.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <pthread.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/wait.h>
#include <unistd.h>

#define N 4099

static float fa[N], fb[N], fc[N];
static double da[N], db[N], dc[N];
static int32_t ia[N], ib[N], ic[N];
static uint8_t bytes[1 << 16];

static uint64_t rng = 0x243f6a8885a308d3ull;
static uint64_t next(void) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* FNV-1a over raw bytes. */
static uint64_t hash(const void *p, size_t n) {
    const uint8_t *b = p;
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 0x100000001b3ull;
    return h;
}

__attribute__((noinline)) static void saxpy(float a, const float *x, const float *y, float *out, int n) {
    for (int i = 0; i < n; i++) out[i] = a * x[i] + y[i]; /* contracted to FMA */
}

__attribute__((noinline)) static void daxpy_mix(const double *x, const double *y, double *out, int n) {
    for (int i = 0; i < n; i++) out[i] = x[i] * y[i] - out[i] * 0.5 + sqrt(fabs(x[i]));
}

__attribute__((noinline)) static void ints(const int32_t *x, const int32_t *y, int32_t *out, int n) {
    for (int i = 0; i < n; i++) {
        int32_t v = x[i] * 3 + (y[i] >> 2);
        out[i] = v > 1000 ? v - y[i] : (v ^ x[i]) + (x[i] < y[i] ? x[i] : y[i]);
    }
}

__attribute__((noinline)) static int64_t isum(const int32_t *x, int n) {
    int64_t s = 0;
    for (int i = 0; i < n; i++) s += (int64_t)x[i] * x[i];
    return s;
}

__attribute__((noinline)) static void bytes_op(uint8_t *b, int n) {
    for (int i = 0; i < n; i++) b[i] = (uint8_t)((b[i] * 7 + 13) ^ (b[i] >> 3));
}

static void vectorised(void) {
    for (int i = 0; i < N; i++) {
        fa[i] = (float)(int32_t)next() / 65536.0f;
        fb[i] = (float)(int32_t)next() / 1048576.0f;
        da[i] = (double)(int64_t)next() / 4294967296.0;
        db[i] = (double)(int32_t)next() / 1024.0;
        dc[i] = (double)i;
        ia[i] = (int32_t)next() % 100000;
        ib[i] = (int32_t)next() % 5000;
    }
    for (size_t i = 0; i < sizeof bytes; i++) bytes[i] = (uint8_t)next();
    saxpy(1.75f, fa, fb, fc, N);
    printf("saxpy   %016llx\n", (unsigned long long)hash(fc, sizeof fc));
    daxpy_mix(da, db, dc, N);
    printf("daxpy   %016llx\n", (unsigned long long)hash(dc, sizeof dc));
    ints(ia, ib, ic, N);
    printf("ints    %016llx sum %lld\n", (unsigned long long)hash(ic, sizeof ic), (long long)isum(ic, N));
    bytes_op(bytes, sizeof bytes);
    printf("bytes   %016llx\n", (unsigned long long)hash(bytes, sizeof bytes));
}

static void fma_math(void) {
    double acc = 0;
    float accf = 0;
    for (int i = 1; i < 2000; i++) {
        double x = i * 0.37 - 300.0;
        acc = fma(x, 1.0 / i, acc);
        accf = fmaf((float)x, 0.001f * i, accf);
        acc += exp(x / 700.0) + log(i * 1.5) + sin(x) * cos(x / 3) + pow(1.0001, i) + atan2(x, i);
        accf += expf((float)x / 300.0f) + logf(i * 0.5f) + sinf((float)x);
    }
    uint64_t a;
    uint32_t b;
    memcpy(&a, &acc, 8);
    memcpy(&b, &accf, 4);
    printf("fma     %016llx %08x\n", (unsigned long long)a, b);
    /* One rounding: the classic exactness test of a product's error. */
    double p = 0.1 * 0.3, e = fma(0.1, 0.3, -p);
    memcpy(&a, &e, 8);
    printf("fma err %016llx\n", (unsigned long long)a);
    /* NaN propagation through fmaf (which operand's payload comes back). */
    float qa = __builtin_nanf("0x111"), qb = __builtin_nanf("0x222"), qc = __builtin_nanf("0x333");
    float r1 = fmaf(qa, qb, qc), r2 = fmaf(1.0f, qb, qc), r3 = fmaf(2.0f, 3.0f, qc);
    uint32_t n1, n2, n3;
    memcpy(&n1, &r1, 4);
    memcpy(&n2, &r2, 4);
    memcpy(&n3, &r3, 4);
    printf("fma nan %08x %08x %08x\n", n1, n2, n3);
}

/* ---- AES-128 (FIPS-197 C.1) and AES-CTR ---- */

static __m128i expand_step(__m128i k, __m128i t) {
    t = _mm_shuffle_epi32(t, 0xff);
    k = _mm_xor_si128(k, _mm_slli_si128(k, 4));
    k = _mm_xor_si128(k, _mm_slli_si128(k, 4));
    k = _mm_xor_si128(k, _mm_slli_si128(k, 4));
    return _mm_xor_si128(k, t);
}

static void aes(void) {
    uint8_t key[16], pt[16], out[16];
    for (int i = 0; i < 16; i++) {
        key[i] = (uint8_t)i;
        pt[i] = (uint8_t)(i * 0x11);
    }
    __m128i ks[11];
    ks[0] = _mm_loadu_si128((const __m128i *)key);
#define EXP(i, rcon) ks[i] = expand_step(ks[i - 1], _mm_aeskeygenassist_si128(ks[i - 1], rcon))
    EXP(1, 0x01); EXP(2, 0x02); EXP(3, 0x04); EXP(4, 0x08); EXP(5, 0x10);
    EXP(6, 0x20); EXP(7, 0x40); EXP(8, 0x80); EXP(9, 0x1b); EXP(10, 0x36);
    __m128i s = _mm_xor_si128(_mm_loadu_si128((const __m128i *)pt), ks[0]);
    for (int r = 1; r < 10; r++) s = _mm_aesenc_si128(s, ks[r]);
    s = _mm_aesenclast_si128(s, ks[10]);
    _mm_storeu_si128((__m128i *)out, s);
    printf("aes     ");
    for (int i = 0; i < 16; i++) printf("%02x", out[i]);
    printf("\n");
    /* Decrypt with the equivalent inverse cipher. */
    __m128i d = _mm_xor_si128(s, ks[10]);
    for (int r = 9; r >= 1; r--) d = _mm_aesdec_si128(d, _mm_aesimc_si128(ks[r]));
    d = _mm_aesdeclast_si128(d, ks[0]);
    _mm_storeu_si128((__m128i *)out, d);
    printf("aes dec %s\n", memcmp(out, pt, 16) ? "WRONG" : "ok");
    /* CTR over 64 KiB, two blocks at a time with VAES. */
    __m256i ctr = _mm256_set_epi64x(0, 1, 0, 0), inc = _mm256_set_epi64x(0, 2, 0, 2);
    uint64_t h = 0;
    for (size_t off = 0; off < sizeof bytes; off += 32) {
        __m256i x = _mm256_xor_si256(ctr, _mm256_broadcastsi128_si256(ks[0]));
        for (int r = 1; r < 10; r++) x = _mm256_aesenc_epi128(x, _mm256_broadcastsi128_si256(ks[r]));
        x = _mm256_aesenclast_epi128(x, _mm256_broadcastsi128_si256(ks[10]));
        __m256i p = _mm256_loadu_si256((const __m256i *)(bytes + off));
        _mm256_storeu_si256((__m256i *)(bytes + off), _mm256_xor_si256(p, x));
        ctr = _mm256_add_epi64(ctr, inc);
    }
    h = hash(bytes, sizeof bytes);
    printf("aes ctr %016llx\n", (unsigned long long)h);
}

/* ---- SHA-256 and SHA-1 with the SHA extensions ---- */

static const uint32_t K256[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

/* One 64-byte block (the usual SHA-NI round structure). */
static void sha256_block(uint32_t st[8], const uint8_t *blk) {
    const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bll, 0x0405060700010203ll);
    __m128i tmp = _mm_loadu_si128((const __m128i *)&st[0]);
    __m128i s1 = _mm_loadu_si128((const __m128i *)&st[4]);
    tmp = _mm_shuffle_epi32(tmp, 0xb1);
    s1 = _mm_shuffle_epi32(s1, 0x1b);
    __m128i s0 = _mm_alignr_epi8(tmp, s1, 8);
    s1 = _mm_blend_epi16(s1, tmp, 0xf0);
    __m128i a0 = s0, b0 = s1;
    __m128i m[4];
    for (int i = 0; i < 4; i++) m[i] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(blk + 16 * i)), bswap);
    for (int r = 0; r < 16; r++) {
        __m128i w = m[r & 3];
        __m128i msg = _mm_add_epi32(w, _mm_loadu_si128((const __m128i *)&K256[4 * r]));
        s1 = _mm_sha256rnds2_epu32(s1, s0, msg);
        msg = _mm_shuffle_epi32(msg, 0x0e);
        s0 = _mm_sha256rnds2_epu32(s0, s1, msg);
        if (r < 12) {
            /* The next schedule words: W[4(r+4)..] from the last 16. */
            __m128i t = _mm_sha256msg1_epu32(m[r & 3], m[(r + 1) & 3]);
            t = _mm_add_epi32(t, _mm_alignr_epi8(m[(r + 3) & 3], m[(r + 2) & 3], 4));
            m[r & 3] = _mm_sha256msg2_epu32(t, m[(r + 3) & 3]);
        }
    }
    s0 = _mm_add_epi32(s0, a0);
    s1 = _mm_add_epi32(s1, b0);
    tmp = _mm_shuffle_epi32(s0, 0x1b);
    s1 = _mm_shuffle_epi32(s1, 0xb1);
    s0 = _mm_blend_epi16(tmp, s1, 0xf0);
    s1 = _mm_alignr_epi8(s1, tmp, 8);
    _mm_storeu_si128((__m128i *)&st[0], s0);
    _mm_storeu_si128((__m128i *)&st[4], s1);
}

static void sha256(const uint8_t *p, size_t n, uint8_t out[32]) {
    uint32_t st[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    size_t i = 0;
    for (; i + 64 <= n; i += 64) sha256_block(st, p + i);
    uint8_t last[128] = {0};
    size_t rem = n - i;
    memcpy(last, p + i, rem);
    last[rem] = 0x80;
    size_t tot = rem + 9 <= 64 ? 64 : 128;
    uint64_t bits = (uint64_t)n * 8;
    for (int k = 0; k < 8; k++) last[tot - 1 - k] = (uint8_t)(bits >> (8 * k));
    for (size_t k = 0; k < tot; k += 64) sha256_block(st, last + k);
    for (int k = 0; k < 8; k++)
        for (int j = 0; j < 4; j++) out[4 * k + j] = (uint8_t)(st[k] >> (24 - 8 * j));
}

/* SHA1RNDS4 wants its function number as an immediate. */
static __m128i rnds4(__m128i abcd, __m128i e, int f) {
    switch (f) {
    case 0: return _mm_sha1rnds4_epu32(abcd, e, 0);
    case 1: return _mm_sha1rnds4_epu32(abcd, e, 1);
    case 2: return _mm_sha1rnds4_epu32(abcd, e, 2);
    default: return _mm_sha1rnds4_epu32(abcd, e, 3);
    }
}

/* SHA-1 of one padded block with SHA1RNDS4/SHA1NEXTE/SHA1MSG1/SHA1MSG2. */
static void sha1_abc(uint8_t out[20]) {
    uint8_t blk[64] = {'a', 'b', 'c', 0x80};
    blk[63] = 24;
    const __m128i bswap = _mm_set_epi64x(0x0001020304050607ll, 0x08090a0b0c0d0e0fll);
    __m128i abcd = _mm_set_epi32(0x67452301, (int)0xefcdab89, (int)0x98badcfe, 0x10325476);
    __m128i e0 = _mm_set_epi32(0xc3d2e1f0, 0, 0, 0), e1;
    __m128i abcd_save = abcd, e_save = e0;
    __m128i m[4];
    for (int i = 0; i < 4; i++) m[i] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(blk + 16 * i)), bswap);
    e0 = _mm_add_epi32(e0, m[0]);
    e1 = abcd;
    abcd = _mm_sha1rnds4_epu32(abcd, e0, 0);
    for (int r = 1; r < 20; r++) {
        __m128i w = m[r & 3];
        if (r >= 4) {
            /* W[4r..4r+3] from the schedule. */
            w = _mm_sha1msg2_epu32(_mm_xor_si128(_mm_sha1msg1_epu32(m[r & 3], m[(r + 1) & 3]), m[(r + 2) & 3]),
                                   m[(r + 3) & 3]);
            m[r & 3] = w;
        }
        if (r & 1) {
            e1 = _mm_sha1nexte_epu32(e1, w);
            e0 = abcd;
            abcd = rnds4(abcd, e1, r / 5);
        } else {
            e0 = _mm_sha1nexte_epu32(e0, w);
            e1 = abcd;
            abcd = rnds4(abcd, e0, r / 5);
        }
    }
    e0 = _mm_sha1nexte_epu32(e0, e_save);
    abcd = _mm_add_epi32(abcd, abcd_save);
    uint32_t s[4], e;
    _mm_storeu_si128((__m128i *)s, abcd);
    e = (uint32_t)_mm_extract_epi32(e0, 3);
    uint32_t h[5] = {s[3], s[2], s[1], s[0], e};
    for (int k = 0; k < 5; k++)
        for (int j = 0; j < 4; j++) out[4 * k + j] = (uint8_t)(h[k] >> (24 - 8 * j));
}

static void sha(void) {
    uint8_t d[32];
    sha256((const uint8_t *)"abc", 3, d);
    printf("sha256  ");
    for (int i = 0; i < 32; i++) printf("%02x", d[i]);
    printf("\n");
    sha256(bytes, sizeof bytes, d);
    printf("sha256  ");
    for (int i = 0; i < 32; i++) printf("%02x", d[i]);
    printf(" (64 KiB)\n");
    uint8_t s1[20];
    sha1_abc(s1);
    printf("sha1    ");
    for (int i = 0; i < 20; i++) printf("%02x", s1[i]);
    printf("\n");
}

static void clmul_gather_f16c(void) {
    __m128i a = _mm_set_epi64x(0x87654321deadbeefll, 0x0123456789abcdefll);
    __m128i b = _mm_set_epi64x(0x1111111111111111ll, (long long)0xfedcba9876543210ull);
    uint64_t r[8];
    for (int k = 0; k < 4; k++) {
        __m128i p = _mm_clmulepi64_si128(a, b, (k & 1) | (k & 2) << 3);
        _mm_storeu_si128((__m128i *)&r[2 * k], p);
    }
    printf("clmul   %016llx\n", (unsigned long long)hash(r, sizeof r));
    __m256i pa = _mm256_set_m128i(b, a), pb = _mm256_set_m128i(a, b);
    __m256i vp = _mm256_clmulepi64_epi128(pa, pb, 0x11);
    _mm256_storeu_si256((__m256i *)r, vp);
    printf("vclmul  %016llx\n", (unsigned long long)hash(r, 32));
    int32_t idx_sum = 0;
    __m256i acc = _mm256_setzero_si256();
    for (int i = 0; i + 8 <= N; i += 8) {
        __m256i idx = _mm256_and_si256(_mm256_loadu_si256((const __m256i *)&ib[i]), _mm256_set1_epi32(0xfff));
        acc = _mm256_add_epi32(acc, _mm256_i32gather_epi32(ia, idx, 4));
    }
    int32_t lanes[8];
    _mm256_storeu_si256((__m256i *)lanes, acc);
    for (int i = 0; i < 8; i++) idx_sum += lanes[i];
    printf("gather  %d\n", idx_sum);
    __m128i h = _mm256_cvtps_ph(_mm256_loadu_ps(fa), _MM_FROUND_TO_NEAREST_INT);
    __m256 back = _mm256_cvtph_ps(h);
    float f[8];
    _mm256_storeu_ps(f, back);
    printf("f16c    %016llx %016llx\n", (unsigned long long)_mm_cvtsi128_si64(h), (unsigned long long)hash(f, 32));
}

static void adx_bmi(void) {
    unsigned long long x[4] = {~0ull, ~0ull, 0x1234, 0}, y[4] = {1, 0, ~0ull, 5}, s[4];
    unsigned char c = 0;
    for (int i = 0; i < 4; i++) c = _addcarryx_u64(c, x[i], y[i], &s[i]);
    printf("adx     %llx %llx %llx %llx carry %d\n", s[3], s[2], s[1], s[0], c);
    unsigned long long hi, lo = _mulx_u64(0xfedcba9876543210ull, 0x0123456789abcdefull, &hi);
    printf("mulx    %016llx%016llx pdep %llx pext %llx\n", hi, lo, _pdep_u64(0xff, 0xf0f0f0f0ull),
           _pext_u64(0xdeadbeefull, 0xff00ff00ull));
}

/* Real hardware may report "no value yet" (CF=0), RDSEED often under load or in a VM, so each
 * step is retried as Intel advises; a step that never succeeds is what this line reports. */
#define RETRY(step) ({ int ok_ = 0; for (int t_ = 0; t_ < 1000 && !(ok_ = (step)); t_++) _mm_pause(); ok_; })

static void random_and_bases(void) {
    unsigned long long v, w;
    int ok = 1, differ = 0;
    unsigned long long first = 0;
    for (int i = 0; i < 100; i++) {
        ok &= RETRY(_rdrand64_step(&v));
        if (i == 0) first = v;
        else if (v != first) differ = 1;
        unsigned int v32;
        unsigned short v16;
        ok &= RETRY(_rdrand32_step(&v32)) & RETRY(_rdrand16_step(&v16)) & RETRY(_rdseed64_step(&w));
    }
    printf("rdrand  %s, %s\n", ok ? "every step succeeded" : "a step failed", differ ? "values differ" : "CONSTANT");
    if (!(getauxval(AT_HWCAP2) & 2)) {
        printf("fsgsbase: not enabled (HWCAP2)\n");
        return;
    }
    static uint64_t tls_copy[4] = {0x1111, 0x2222, 0x3333, 0x4444};
    uint64_t old = _readfsbase_u64(), got;
    _writefsbase_u64((uint64_t)tls_copy);
    __asm__ volatile("movq %%fs:16, %0" : "=r"(got));
    uint64_t now = _readfsbase_u64();
    _writefsbase_u64(old);
    printf("fsbase  read %llx through fs, base %s, restored %s\n", (unsigned long long)got,
           now == (uint64_t)tls_copy ? "as written" : "WRONG", _readfsbase_u64() == old ? "ok" : "WRONG");
}

/* ---- the YMM upper halves as thread state ---- */

static const uint64_t pattern[4] = {0x0706050403020100ull, 0x0f0e0d0c0b0a0908ull, 0x1716151413121110ull,
                                    0x1f1e1d1c1b1a1918ull};

/* A raw syscall with ymm2 loaded before and stored after it: Linux keeps the vector state
 * across system calls. */
static long ymm_around_syscall(long nr, const uint64_t in[4], uint64_t out[4]) {
    long r;
    asm volatile("vmovdqu (%[in]), %%ymm2\n\t"
                 "syscall\n\t"
                 "vmovdqu %%ymm2, (%[out])\n\t"
                 "vzeroupper"
                 : "=a"(r)
                 : "a"(nr), [in] "r"(in), [out] "r"(out)
                 : "rcx", "r11", "xmm2", "memory");
    return r;
}

static volatile uint64_t clone_out[4];
static volatile int clone_done;
static char clone_stack[16384] __attribute__((aligned(16)));

/* clone(CLONE_VM|CLONE_THREAD...) straight from asm: the new thread starts with the parent's
 * registers, ymm5 included, stores it and exits without touching libc. */
static void ymm_clone(const uint64_t in[4]) {
    const long flags = 0x100 | 0x200 | 0x400 | 0x800 | 0x10000 | 0x40000; /* VM FS FILES SIGHAND THREAD SYSVSEM */
    register long r10 asm("r10") = 0;
    register long r8 asm("r8") = 0;
    long r;
    asm volatile("vmovdqu (%[in]), %%ymm5\n\t"
                 "syscall\n\t"
                 "test %%rax, %%rax\n\t"
                 "jnz 1f\n\t"
                 "vmovdqu %%ymm5, (%[out])\n\t"
                 "movl $1, (%[done])\n\t"
                 "mov $60, %%eax\n\t"
                 "xor %%edi, %%edi\n\t"
                 "syscall\n"
                 "1:\n\t"
                 "vzeroupper"
                 : "=a"(r)
                 : "a"(56L), "D"(flags), "S"(clone_stack + sizeof clone_stack), "d"(0L), "r"(r10), "r"(r8),
                   [in] "r"(in), [out] "r"(clone_out), [done] "r"(&clone_done)
                 : "rcx", "r11", "xmm5", "memory");
    while (!clone_done) sched_yield();
    uint64_t got[4];
    memcpy(got, (const void *)clone_out, sizeof got);
    printf("ymm     clone: the new thread has the parent's ymm5: %s\n", memcmp(got, in, 32) ? "NO" : "yes");
}

/* Each thread holds its own value in ymm4 across many sched_yield calls (switches). */
static void *ymm_thread(void *arg) {
    uint64_t in[4], out[4];
    int bad = 0;
    for (int k = 0; k < 200; k++) {
        for (int i = 0; i < 4; i++) in[i] = pattern[i] ^ ((uint64_t)(uintptr_t)arg << 56) ^ (uint64_t)k << 40;
        asm volatile("vmovdqu (%[in]), %%ymm4\n\t"
                     "mov $24, %%eax\n\t" /* sched_yield */
                     "syscall\n\t"
                     "vmovdqu %%ymm4, (%[out])\n\t"
                     "vzeroupper"
                     :
                     : [in] "r"(in), [out] "r"(out)
                     : "rax", "rcx", "r11", "xmm4", "memory");
        bad += memcmp(in, out, 32) != 0;
    }
    return (void *)(uintptr_t)bad;
}

static void ymm_state(void) {
    uint64_t out[4];
    ymm_around_syscall(39 /* getpid */, pattern, out);
    printf("ymm     kept across a syscall: %s\n", memcmp(out, pattern, 32) ? "NO" : "yes");
    fflush(stdout);
    long pid = ymm_around_syscall(57 /* fork */, pattern, out);
    if (pid == 0)
        _exit(memcmp(out, pattern, 32) ? 1 : 0);
    int st = 0;
    waitpid((pid_t)pid, &st, 0);
    printf("ymm     fork: the child has the parent's ymm2: %s, the parent keeps it: %s\n",
           WIFEXITED(st) && WEXITSTATUS(st) == 0 ? "yes" : "NO", memcmp(out, pattern, 32) ? "NO" : "yes");
    ymm_clone(pattern);
    pthread_t t[3];
    for (uintptr_t i = 0; i < 3; i++) pthread_create(&t[i], NULL, ymm_thread, (void *)(i + 1));
    uintptr_t bad = 0;
    for (int i = 0; i < 3; i++) {
        void *r;
        pthread_join(t[i], &r);
        bad += (uintptr_t)r;
    }
    printf("ymm     3 threads keep their own ymm4 across 200 switches: %s\n", bad ? "NO" : "yes");
}

int main(void) {
    printf("xcr0 & 7 = %llx\n", (unsigned long long)(_xgetbv(0) & 7));
    vectorised();
    fma_math();
    aes();
    sha();
    clmul_gather_f16c();
    adx_bmi();
    random_and_bases();
    ymm_state();
    return 0;
}
