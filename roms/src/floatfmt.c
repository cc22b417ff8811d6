/* printf of doubles and long doubles in many formats (libc's conversion code leans on SSE2
 * integer/float ops for double and on x87 80-bit arithmetic for long double), plus the float
 * operations whose results are exact by IEEE 754 (so any correct CPU agrees): + - * / sqrt,
 * conversions, rounding modes, and the exception flags they raise. */
#include <fenv.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static const char *dfmt[] = {"%f",   "%.0f",  "%.1f",    "%.3f",  "%.17f", "%e",    "%.0e",   "%.3e",
                             "%.16e", "%g",   "%.3g",    "%.17g", "%#g",   "%#.0f", "%a",     "%.3a",
                             "%.0a", "%A",   "%+08.2f", "%-14e|", "% .5g", "%015.4e", "%.40f", "%.25e"};
static const char *lfmt[] = {"%Lf", "%.0Lf", "%.3Lf", "%.21Lf", "%Le", "%.0Le", "%.20Le",
                             "%Lg", "%.21Lg", "%#Lg", "%La", "%.3La", "%LA", "%+.30Le"};

static uint64_t bits(double d) {
    uint64_t u;
    memcpy(&u, &d, 8);
    return u;
}

static double from_bits(uint64_t u) {
    double d;
    memcpy(&d, &u, 8);
    return d;
}

static void flags(const char *what) {
    int f = fetestexcept(FE_ALL_EXCEPT);
    printf("  flags after %s:%s%s%s%s%s\n", what, f & FE_INVALID ? " invalid" : "",
           f & FE_DIVBYZERO ? " divbyzero" : "", f & FE_OVERFLOW ? " overflow" : "",
           f & FE_UNDERFLOW ? " underflow" : "", f & FE_INEXACT ? " inexact" : "");
    feclearexcept(FE_ALL_EXCEPT);
}

int main(void) {
    /* volatile keeps gcc from folding the arithmetic at compile time. */
    volatile double one = 1.0, three = 3.0, ten = 10.0, zero = 0.0;
    double dv[] = {0.0,
                   -0.0,
                   1.0,
                   -1.0,
                   0.1,
                   one / three,
                   2 * one / three,
                   0.5,
                   1.5,
                   2.5,
                   0.125,
                   0.375,
                   1e-5,
                   123456789.125,
                   9007199254740993.0,
                   1e21,
                   1e22,
                   1e23,
                   1e-300,
                   DBL_MIN,
                   DBL_MIN / 4,
                   from_bits(1), /* smallest subnormal */
                   DBL_MAX,
                   -DBL_MAX,
                   M_PI,
                   -M_E,
                   one / zero,
                   -one / zero,
                   zero / zero,
                   -(zero / zero),
                   999.9995,
                   0.000123456789};
    for (size_t i = 0; i < sizeof dv / sizeof *dv; i++) {
        printf("double %016llx\n", (unsigned long long)bits(dv[i]));
        for (size_t j = 0; j < sizeof dfmt / sizeof *dfmt; j++) {
            char buf[512];
            snprintf(buf, sizeof buf, dfmt[j], dv[i]);
            printf("  %-8s %s\n", dfmt[j], buf);
        }
    }

    volatile long double lone = 1.0L, lthree = 3.0L, lzero = 0.0L;
    long double lv[] = {0.0L,
                        -0.0L,
                        1.0L,
                        0.1L,
                        lone / lthree,
                        2.5L,
                        1e-5L,
                        123456789.125L,
                        18446744073709551615.0L,
                        1e4000L,
                        1e-4000L,
                        LDBL_MIN,
                        LDBL_MIN / 8,
                        LDBL_MAX,
                        LDBL_EPSILON,
                        sqrtl(2.0L),
                        3.14159265358979323846264338327950288L,
                        lone / lzero,
                        -lone / lzero,
                        lzero / lzero};
    for (size_t i = 0; i < sizeof lv / sizeof *lv; i++) {
        unsigned char raw[16] = {0};
        memcpy(raw, &lv[i], 10);
        printf("long double %02x%02x", raw[9], raw[8]);
        for (int k = 7; k >= 0; k--)
            printf("%02x", raw[k]);
        printf("\n");
        for (size_t j = 0; j < sizeof lfmt / sizeof *lfmt; j++) {
            char buf[512];
            snprintf(buf, sizeof buf, lfmt[j], lv[i]);
            printf("  %-8s %s\n", lfmt[j], buf);
        }
    }

    printf("float: %.9g %a %.3f\n", (double)(float)(one / three), (double)(float)0.1, (double)1e10f);

    /* Exactly rounded operations in every rounding mode, in double, float and long double. */
    const int modes[] = {FE_TONEAREST, FE_DOWNWARD, FE_UPWARD, FE_TOWARDZERO};
    const char *mname[] = {"nearest", "down", "up", "zero"};
    for (int m = 0; m < 4; m++) {
        fesetround(modes[m]);
        volatile double a = one / three, b = -one / three, s = sqrt(2 * one), p = 0.1 * three;
        volatile float fa = (float)one / (float)three;
        volatile long double la = lone / lthree, ls = sqrtl(2 * lone);
        printf("round %-7s 1/3=%a -1/3=%a sqrt2=%a 0.1*3=%a f1/3=%a l1/3=%La lsqrt2=%La rint(2.5)=%g "
               "rint(-3.5)=%g nearbyint(0.5)=%g lrint(-2.5)=%ld\n",
               mname[m], a, b, s, p, (double)fa, la, ls, rint(2.5 * one), rint(-3.5 * one),
               nearbyint(0.5 * one), lrint(-2.5 * one));
    }
    fesetround(FE_TONEAREST);

    feclearexcept(FE_ALL_EXCEPT);
    volatile double r = one / three;
    flags("1/3");
    r = one / zero;
    flags("1/0");
    r = zero / zero;
    flags("0/0");
    r = DBL_MAX * ten;
    flags("DBL_MAX*10");
    r = DBL_MIN / ten;
    flags("DBL_MIN/10");
    r = one + one;
    flags("1+1");
    volatile long double lr = lone / lthree;
    flags("1/3L");
    lr = lzero / lzero;
    flags("0/0L");
    (void)r;
    (void)lr;

    /* Conversions: gcc uses cvttsd2si, and for unsigned 64-bit a compare-and-subtract dance. */
    volatile double cv[] = {0.0, -0.9, 1.9, -1.5, 2147483647.9, 4294967296.5, 9.2233720368547748e18,
                            1.8446744073709550e19, -9.2233720368547758e18};
    for (size_t i = 0; i < sizeof cv / sizeof *cv; i++) {
        double d = cv[i];
        printf("conv %.17g: (int)=%d (long)=%ld (ulong)=%lu (float)=%a (long double)=%La\n", d,
               (d > -2147483649.0 && d < 2147483648.0) ? (int)d : -1,
               (d > -9.3e18 && d < 9.2233720368547758e18) ? (long)d : -1L,
               (d >= 0 && d < 1.8446744073709552e19) ? (unsigned long)d : 0UL, (double)(float)d,
               (long double)d);
    }
    volatile unsigned long uv[] = {0, 1, 0x7fffffffffffffffUL, 0x8000000000000000UL, 0xffffffffffffffffUL,
                                   0x20000000000001UL, 0x8000000000000401UL};
    for (size_t i = 0; i < sizeof uv / sizeof *uv; i++)
        printf("u64 %lu -> double %a float %a long double %La\n", uv[i], (double)uv[i],
               (double)(float)uv[i], (long double)uv[i]);
    volatile long double lcv[] = {1e18L, -1.5L, 9223372036854775807.0L, 1.8e19L};
    for (size_t i = 0; i < sizeof lcv / sizeof *lcv; i++)
        printf("long double %La -> long %lld, double %a\n", lcv[i],
               lcv[i] < 9.2e18L ? (long long)lcv[i] : -1LL, (double)lcv[i]);

    /* Exact library functions. */
    double fv[] = {2.5, -2.5, 0.49999999999999994, -0.0, 1e300, 7.0 / 3};
    for (size_t i = 0; i < sizeof fv / sizeof *fv; i++) {
        int e;
        double ip;
        double fr = frexp(fv[i], &e);
        double mf = modf(fv[i], &ip);
        printf("fn %a: floor=%a ceil=%a trunc=%a round=%a fabs=%a frexp=%a,%d modf=%a,%a ldexp=%a "
               "fmod3=%a sqrt=%a\n",
               fv[i], floor(fv[i]), ceil(fv[i]), trunc(fv[i]), round(fv[i]), fabs(fv[i]), fr, e, mf, ip,
               ldexp(fv[i], -3), fmod(fv[i], 3.0), sqrt(fabs(fv[i])));
    }

    /* A long double accumulation: the x87 keeps 64 mantissa bits between steps. */
    long double acc = 0;
    double dacc = 0;
    for (int i = 1; i <= 2000; i++) {
        acc += lone / (long double)i;
        dacc += one / (double)i;
    }
    printf("harmonic(2000): long double %.21Lg %La, double %.17g %a\n", acc, acc, dacc, dacc);
    long double f = 1;
    for (int i = 1; i <= 30; i++)
        f *= i;
    printf("30! as long double: %.0Lf %La\n", f, f);
    return 0;
}
