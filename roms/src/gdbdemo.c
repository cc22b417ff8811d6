/* gdbdemo: a dynamic program for tests/gdb.rs (emu --gdb). main calls functions (a break
 * and a backtrace), writes a global on one line (a watchpoint), starts a second thread (a
 * breakpoint there names the thread), calls puts (a pending breakpoint in libc); with "segv"
 * it writes through a null pointer (a SIGSEGV stop); with "spin" it loops until gdb stops it
 * and clears `spinning` (Ctrl-C); with "exec" it first runs itself again (an execve gdb
 * follows). Built -O0 -g, so gdb's lines and names are the source's. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

int counter;
int *volatile nowhere;
volatile int spinning = 1;

__attribute__((noinline)) int square(int x)
{
    return x * x;
}

__attribute__((noinline)) void bump(int by)
{
    counter += by; /* the write a watchpoint sees */
}

static void *worker(void *arg)
{
    int n = square(*(int *)arg);
    printf("worker %d\n", n);
    return NULL;
}

__attribute__((noinline)) void crash(void)
{
    *nowhere = 1; /* SIGSEGV */
}

int main(int argc, char **argv)
{
    puts("gdbdemo start");
    int v = square(7);
    bump(v);
    pthread_t t;
    int arg = 3;
    pthread_create(&t, NULL, worker, &arg);
    pthread_join(t, NULL);
    printf("counter %d\n", counter);
    if (argc > 1 && strcmp(argv[1], "segv") == 0)
        crash();
    if (argc > 1 && strcmp(argv[1], "spin") == 0)
        while (spinning)
            counter++;
    return 0;
}

/* "exec": before main, the program runs itself again without arguments (here, after main,
 * so that main's lines stay where the tests expect them; glibc hands constructors argv). */
extern int execv(const char *, char *const[]);
__attribute__((constructor)) static void exec_first(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "exec") == 0) {
        char *again[] = {argv[0], NULL};
        execv(argv[0], again);
    }
}
