/* The smallest libc program: stdio to stdout, a line to stderr, return 0. */
#include <stdio.h>

int main(void) {
    printf("Hello, world!\n");
    puts("puts works too");
    fprintf(stderr, "this line goes to stderr\n");
    return 0;
}
