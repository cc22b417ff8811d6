/* Integer arithmetic on pseudo-random operands: 8/16/32/64-bit signed and unsigned
 * mul/div/rem, shifts and rotates by variable counts, bit scans and popcount (without
 * -mpopcnt gcc calls libgcc), bswap, overflow-checking builtins, and __int128 (libgcc's
 * __divti3/__udivti3/__modti3, mul via mul/imul). */
#include <stdint.h>
#include <stdio.h>

typedef unsigned __int128 u128;
typedef __int128 i128;

static uint64_t s = 0x0123456789abcdefULL;
static uint64_t next(void) {
    s ^= s >> 12;
    s ^= s << 25;
    s ^= s >> 27;
    return s * 0x2545f4914f6cdd1dULL;
}
/* Operands with interesting magnitudes: small, near powers of two, extremes. */
static uint64_t operand(void) {
    uint64_t r = next();
    switch (r & 7) {
    case 0: return r >> (r >> 58);
    case 1: return (uint64_t)(int64_t)(int8_t)r;
    case 2: return 1ULL << (r >> 58);
    case 3: return (1ULL << (r >> 58)) - 1;
    case 4: return r & 0xffffffff;
    case 5: return ~(r >> 40);
    default: return r;
    }
}

static void p128(const char *what, u128 v) {
    printf(" %s=%016llx%016llx", what, (unsigned long long)(v >> 64), (unsigned long long)v);
}

static uint64_t h = 0;
static void mix(uint64_t v) { h = (h ^ v) * 0x100000001b3ULL + 0x9e37; }

int main(void) {
    for (int i = 0; i < 400; i++) {
        uint64_t a = operand(), b = operand();
        int64_t sa = (int64_t)a, sb = (int64_t)b;
        unsigned c = (unsigned)(b & 63);
        uint64_t r[24];
        int k = 0;
        r[k++] = a * b;
        r[k++] = b ? a / b : 0;
        r[k++] = b ? a % b : 0;
        r[k++] = (sb && !(sa == INT64_MIN && sb == -1)) ? (uint64_t)(sa / sb) : 0;
        r[k++] = (sb && !(sa == INT64_MIN && sb == -1)) ? (uint64_t)(sa % sb) : 0;
        r[k++] = (uint64_t)((u128)a * b >> 64);
        r[k++] = (uint64_t)((i128)sa * sb >> 64);
        r[k++] = a << c;
        r[k++] = a >> c;
        r[k++] = (uint64_t)(sa >> c);
        r[k++] = (a << c) | (a >> ((64 - c) & 63));
        r[k++] = (uint32_t)a * (uint32_t)b;
        r[k++] = (uint32_t)b ? (uint32_t)a / (uint32_t)b : 0;
        r[k++] = ((int32_t)b && !((int32_t)a == INT32_MIN && (int32_t)b == -1)) ? (uint32_t)((int32_t)a / (int32_t)b) : 0;
        r[k++] = (uint16_t)((uint16_t)a * (uint16_t)b);
        r[k++] = (uint8_t)b ? (uint8_t)a / (uint8_t)b : 0;
        r[k++] = (int8_t)b ? (uint64_t)(int64_t)((int8_t)a % (int8_t)b) : 0;
        r[k++] = a ? (uint64_t)__builtin_clzll(a) : 64;
        r[k++] = a ? (uint64_t)__builtin_ctzll(a) : 64;
        r[k++] = (uint64_t)__builtin_popcountll(a);
        r[k++] = (uint64_t)__builtin_parityll(a);
        r[k++] = __builtin_bswap64(a);
        r[k++] = __builtin_bswap32((uint32_t)a);
        int64_t o;
        r[k++] = (uint64_t)__builtin_mul_overflow(sa, sb, &o) * 2 + __builtin_add_overflow(sa, sb, &o);
        for (int j = 0; j < k; j++)
            mix(r[j]);
        if (i < 40) {
            printf("a=%016llx b=%016llx", (unsigned long long)a, (unsigned long long)b);
            for (int j = 0; j < k; j++)
                printf(" %llx", (unsigned long long)r[j]);
            printf("\n");
        }

        u128 A = (u128)a << 64 | operand(), B = (u128)(next() & 1 ? 0 : operand()) << 64 | operand();
        if (B == 0)
            B = 3;
        i128 SA = (i128)A, SB = (i128)B;
        u128 q = A / B, m = A % B;
        i128 sq = SB == -1 ? 0 : SA / SB, sm = SB == -1 ? 0 : SA % SB;
        u128 prod = A * B;
        mix((uint64_t)q);
        mix((uint64_t)(q >> 64));
        mix((uint64_t)m);
        mix((uint64_t)sq);
        mix((uint64_t)((u128)sm >> 64));
        mix((uint64_t)(prod >> 64));
        if (i < 20) {
            p128("A", A);
            p128("B", B);
            p128("A/B", q);
            p128("A%B", m);
            p128("sA/sB", (u128)sq);
            p128("sA%sB", (u128)sm);
            p128("A*B", prod);
            printf("\n");
        }
        if (q * B + m != A || m >= B)
            printf("u128 division identity broken at %d\n", i);
    }
    volatile int64_t mn = INT64_MIN, m1 = -1, two = -2;
    printf("edges: INT64_MIN/1=%lld INT64_MIN/-2=%lld INT64_MIN%%-2=%lld -7/2=%lld -7%%2=%lld\n",
           (long long)(mn / 1), (long long)(mn / two), (long long)(mn % two), (long long)(-7 / (m1 * -2)),
           (long long)(-7 % (m1 * -2)));
    volatile uint32_t big = 0xffffffffu;
    volatile int8_t c8 = -128;
    printf("promotions: %u %d %d %u\n", big + 1u, (int)(int8_t)(c8 - 1), (int8_t)c8 / -1, (uint16_t)(big * big));
    printf("hash %016llx\n", (unsigned long long)h);
    return 0;
}
