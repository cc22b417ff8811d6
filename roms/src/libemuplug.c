/* Loaded only with dlopen by the dynamic roms (roms/bin/libemuplug.so); it depends on
 * libemutest.so, which is already loaded. */
#include <stdio.h>

int emutest_add(int a, int b);

__attribute__((constructor)) static void plug_init(void) { printf("libemuplug: constructor\n"); }
__attribute__((destructor)) static void plug_fini(void) { printf("libemuplug: destructor\n"); }

int plug_value(int x) { return emutest_add(x, 40); }
const char *plug_name = "plug";
