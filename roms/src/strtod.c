/* strtod/strtof/strtold on hard cases (halfway points, subnormals, overflow, hex floats,
 * inf/nan, trailing junk) and printf->strtod round trips of many bit patterns. libc's
 * conversions use multi-precision integer code and, for long double, the x87. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng = 0x9e3779b97f4a7c15ULL;
static uint64_t next(void) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static uint64_t fnv(uint64_t h, const char *s) {
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
    return h;
}

int main(void) {
    const char *in[] = {"0",
                        "-0",
                        "1",
                        "0.1",
                        "1e23",
                        "8.98846567431158e307",
                        "1.7976931348623157e308",
                        "1.7976931348623158e308",
                        "1.7976931348623159e308",
                        "2.2250738585072011e-308",
                        "2.2250738585072012e-308",
                        "4.9406564584124654e-324",
                        "2.4703282292062327e-324",
                        "2.4703282292062328e-324",
                        "1e-400",
                        "1e400",
                        "-1e400",
                        "9007199254740993",
                        "9007199254740993.0000000000000000000001",
                        "1.00000000000000011102230246251565404236316680908203125",
                        "1.00000000000000011102230246251565404236316680908203124",
                        "123456789012345678901234567890",
                        "0.000000000000000000000000000000000000001234567890123456789",
                        "3.14159265358979323846264338327950288419716939937510",
                        "  -12.5e+2xyz",
                        "+.5",
                        "5.",
                        ".e5",
                        "1e",
                        "1e+",
                        "0x1.fffffffffffffp1023",
                        "0x1p-1074",
                        "0x1p-1075",
                        "0X1.8P+1",
                        "0x.8",
                        "inf",
                        "-Infinity",
                        "INFINITE",
                        "nan",
                        "-nan",
                        "nan(123)",
                        "junk",
                        "",
                        "1.18973149535723176502e+4932",
                        "1.18973149535723176508e+4932",
                        "3.64519953188247460253e-4951",
                        "0.3333333333333333333333333333333333"};
    for (size_t i = 0; i < sizeof in / sizeof *in; i++) {
        char *end;
        errno = 0;
        double d = strtod(in[i], &end);
        int e1 = errno;
        long n1 = end - in[i];
        errno = 0;
        float f = strtof(in[i], &end);
        int e2 = errno;
        long n2 = end - in[i];
        errno = 0;
        long double ld = strtold(in[i], &end);
        int e3 = errno;
        long n3 = end - in[i];
        /* NaN payload and sign printing differ between libcs' printf only in how they are
         * spelled, so the bits are printed too. */
        uint64_t db;
        memcpy(&db, &d, 8);
        printf("\"%s\"\n  strtod  %a %016llx used=%ld%s\n  strtof  %a used=%ld%s\n  strtold %La used=%ld%s\n",
               in[i], d, (unsigned long long)db, n1, e1 == ERANGE ? " ERANGE" : "", (double)f, n2,
               e2 == ERANGE ? " ERANGE" : "", ld, n3, e3 == ERANGE ? " ERANGE" : "");
    }

    /* Round trips: %.17g always identifies a double, %.9g a float, %.21Lg a long double. */
    int bad = 0, lbad = 0, fbad = 0;
    uint64_t h = 0xcbf29ce484222325ULL;
    for (int i = 0; i < 3000; i++) {
        uint64_t u = next();
        if ((u >> 52 & 0x7ff) == 0x7ff)
            u ^= 1ULL << 62; /* keep it finite */
        double d;
        memcpy(&d, &u, 8);
        char buf[64];
        snprintf(buf, sizeof buf, "%.17g", d);
        h = fnv(h, buf);
        if (i < 30)
            printf("rt %016llx %s\n", (unsigned long long)u, buf);
        double back = strtod(buf, NULL);
        if (memcmp(&back, &d, 8) != 0) {
            bad++;
            printf("MISMATCH %s\n", buf);
        }

        float f = (float)(d * 1e-300 * 1e300);
        if (!isfinite(f))
            f = (float)(u >> 11) * 1e-10f;
        snprintf(buf, sizeof buf, "%.9g", (double)f);
        h = fnv(h, buf);
        if (strtof(buf, NULL) != f)
            fbad++;

        long double ld = (long double)d * (long double)(u % 1000 + 1) / 7.0L;
        snprintf(buf, sizeof buf, "%.21Lg", ld);
        h = fnv(h, buf);
        if (i < 10)
            printf("rtl %s\n", buf);
        if (strtold(buf, NULL) != ld) {
            lbad++;
            printf("LMISMATCH %s\n", buf);
        }
    }
    printf("round trips: 3000 doubles, %d mismatches; floats %d; long doubles %d; hash %016llx\n", bad, fbad,
           lbad, (unsigned long long)h);

    /* atof/sscanf go through the same code. */
    double a;
    float b;
    long double c;
    int got = sscanf("2.5e-3 -7.25 1e-4000", "%lf %f %Lf", &a, &b, &c);
    printf("sscanf got %d: %a %a %La, atof(\"6.02214076e23\")=%a\n", got, a, (double)b, c, atof("6.02214076e23"));
    return 0;
}
