/* Exit status paths: exit(N) runs atexit handlers and flushes stdio, returning from main
 * does the same, _exit(N) does neither (buffered output is lost when stdout is a pipe).
 *   exitcode exit N | ret N | _exit N      (default: exit 42) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void on_exit_handler(void) { printf("atexit handler ran\n"); }

int main(int argc, char **argv) {
    const char *how = argc > 1 ? argv[1] : "exit";
    int code = argc > 2 ? atoi(argv[2]) : 42;
    atexit(on_exit_handler);
    printf("exitcode: %s %d\n", how, code);
    if (strcmp(how, "ret") == 0)
        return code;
    if (strcmp(how, "_exit") == 0)
        _exit(code);
    exit(code);
}
