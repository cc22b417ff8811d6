/* A dynamically linked program (built several ways: lazy and immediate binding, PIE and not,
 * -fno-plt) using its own shared library (libemutest.so, found through the rpath $ORIGIN),
 * dlopen/dlsym, libc and libm through the PLT, and TLS of a library. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>

extern int emutest_counter;
extern __thread int emutest_tls;
extern const char emutest_greeting[];
int emutest_add(int, int);
int emutest_call(int (*)(int), int);
int emutest_bump(void);
int emutest_tls_bump(void);
double emutest_hypot(double, double);
const char *emutest_which_hook(void);

const char *emutest_hook(void) { return "program's hook"; }

static int triple(int x) { return 3 * x; }
static int cmp(const void *a, const void *b) { return *(const int *)a - *(const int *)b; }

static void bye(void) { printf("atexit handler\n"); }

int main(int argc, char **argv) {
    atexit(bye);
    printf("%s\n", emutest_greeting);
    printf("add: %d, callback: %d\n", emutest_add(2, 3), emutest_call(triple, 7));
    printf("counter: %d -> %d, seen from the program: %d\n", 5, emutest_bump(), emutest_counter);
    emutest_counter = 100;
    printf("counter set by the program, bumped by the library: %d\n", emutest_bump());
    printf("library TLS: %d -> %d\n", emutest_tls, emutest_tls_bump());
    printf("hypot: %.6f, cos(1): %.9f\n", emutest_hypot(3, 4), cos(1.0));
    printf("hook: %s\n", emutest_which_hook());
    int v[] = {5, 3, 9, 1, 7};
    qsort(v, 5, sizeof v[0], cmp);
    printf("qsort: %d %d %d %d %d\n", v[0], v[1], v[2], v[3], v[4]);
    printf("has an interpreter (AT_BASE set): %d\n", getauxval(AT_BASE) != 0);

    void *h = dlopen("libemuplug.so", RTLD_NOW);
    if (!h) {
        printf("dlopen failed: %s\n", dlerror());
        return 1;
    }
    int (*pv)(int) = (int (*)(int))dlsym(h, "plug_value");
    const char **pn = dlsym(h, "plug_name");
    printf("dlsym: plug_value(2)=%d plug_name=%s\n", pv ? pv(2) : -1, pn ? *pn : "?");
    printf("dlsym of a missing symbol fails: %d\n", dlsym(h, "no_such_symbol") == NULL && dlerror() != NULL);
    void *again = dlopen("libemuplug.so", RTLD_NOW | RTLD_NOLOAD);
    printf("RTLD_NOLOAD finds it: %d\n", again == h);
    dlclose(again);
    printf("dlclose: %d\n", dlclose(h));
    void *nope = dlopen("libemutest-missing.so", RTLD_LAZY);
    printf("dlopen of a missing library: %s\n", nope ? "loaded?" : dlerror());
    void *libm = dlopen("libm.so.6", RTLD_LAZY);
    double (*fsqrt)(double) = libm ? (double (*)(double))dlsym(libm, "sqrt") : NULL;
    printf("libm via dlopen: sqrt(2)=%.12f\n", fsqrt ? fsqrt(2.0) : -1.0);
    void *(*dm)(size_t) = (void *(*)(size_t))dlsym(RTLD_DEFAULT, "malloc");
    printf("RTLD_DEFAULT malloc found: %d\n", dm != NULL);
    fflush(stdout);
    return 0;
}
