/* The shared library the dynamic roms link against (roms/bin/libemutest.so): data, TLS,
 * callbacks into the program, a symbol the program interposes, constructors and a libm call. */
#include <math.h>
#include <stdio.h>
#include <string.h>

int emutest_counter = 5;
__thread int emutest_tls = 11;
const char emutest_greeting[] = "hello from libemutest";

__attribute__((constructor)) static void lib_init(void) { printf("libemutest: constructor\n"); }
__attribute__((destructor)) static void lib_fini(void) { printf("libemutest: destructor\n"); }

int emutest_add(int a, int b) { return a + b; }
int emutest_call(int (*f)(int), int x) { return f(x) * 2; }
int emutest_bump(void) { return ++emutest_counter; }
int emutest_tls_bump(void) { return ++emutest_tls; }
double emutest_hypot(double a, double b) { return sqrt(a * a + b * b); }

/* The program defines its own emutest_hook; the dynamic linker must pick the program's. */
const char *emutest_hook(void) { return "library's hook"; }
const char *emutest_which_hook(void) { return emutest_hook(); }
