/* Threads asleep in blocking calls are interrupted by signals as on Linux:
   pthread_cancel of a thread in nanosleep, usleep, poll, read, a futex wait
   (pthread_cond_wait), pause and sigsuspend completes; a SIGUSR1 sent to one sleeping
   thread (pthread_kill) runs its handler and the sleep returns EINTR. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int pipefd[2];
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static volatile sig_atomic_t handled;

static void *in_nanosleep(void *a) { struct timespec t = {30, 0}; nanosleep(&t, 0); return a; }
static void *in_usleep(void *a) { usleep(30000000); return a; }
static void *in_clock_nanosleep(void *a) { struct timespec t = {30, 0}; clock_nanosleep(CLOCK_MONOTONIC, 0, &t, 0); return a; }
static void *in_poll(void *a) { poll(0, 0, 30000); return a; }
static void *in_read(void *a) { char c; read(pipefd[0], &c, 1); return a; }
static void unlock(void *m) { pthread_mutex_unlock(m); }
static void *in_cond(void *a) {
    pthread_mutex_lock(&mu);
    pthread_cleanup_push(unlock, &mu);
    pthread_cond_wait(&cv, &mu);
    pthread_cleanup_pop(1);
    return a;
}
static void *in_pause(void *a) { pause(); return a; }
static void *in_sigsuspend(void *a) { sigset_t s; sigemptyset(&s); sigsuspend(&s); return a; }

static void on_usr1(int s) { (void)s; handled++; }

/* Each sleeps until a signal interrupts the sleep itself (one that comes before the
   thread is asleep only runs the handler), and keeps the error it ended with. */
static int result;
static void *usr1_sleep(void *a) {
    struct timespec t = {30, 0}, left;
    int r;
    while ((r = nanosleep(&t, &left)) == 0) {}
    result = errno;
    return a;
}
static void *usr1_read(void *a) {
    char c;
    ssize_t r = read(pipefd[0], &c, 1);
    result = r == -1 ? errno : 0;
    return a;
}
static void *usr1_poll(void *a) {
    while (poll(0, 0, 30000) == 0) {}
    result = errno;
    return a;
}

static void cancel(const char *name, void *(*f)(void *)) {
    pthread_t t;
    void *ret;
    pthread_create(&t, 0, f, 0);
    usleep(50000);
    pthread_cancel(t);
    pthread_join(t, &ret);
    printf("cancel %-16s %s\n", name, ret == PTHREAD_CANCELED ? "canceled" : "returned");
}

/* Sends SIGUSR1 to the thread until it ends (the first may come before it sleeps). */
static void interrupt(const char *name, void *(*f)(void *)) {
    pthread_t t;
    result = -1;
    handled = 0;
    pthread_create(&t, 0, f, 0);
    for (;;) {
        usleep(50000);
        pthread_kill(t, SIGUSR1);
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += 100000000;
        if (until.tv_nsec >= 1000000000) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000;
        }
        if (pthread_timedjoin_np(t, 0, &until) == 0) break;
    }
    printf("usr1 %-18s handled %d result=%s\n", name, handled > 0, result < 0 ? "?" : result ? strerror(result) : "0");
}

int main(void) {
    setvbuf(stdout, 0, _IONBF, 0);
    pipe(pipefd);
    cancel("nanosleep", in_nanosleep);
    cancel("usleep", in_usleep);
    cancel("clock_nanosleep", in_clock_nanosleep);
    cancel("poll", in_poll);
    cancel("read", in_read);
    cancel("cond_wait", in_cond);
    cancel("pause", in_pause);
    cancel("sigsuspend", in_sigsuspend);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sigaction(SIGUSR1, &sa, 0);
    interrupt("nanosleep", usr1_sleep);
    interrupt("poll", usr1_poll);
    interrupt("read", usr1_read);
    sa.sa_flags = SA_RESTART;
    sigaction(SIGUSR1, &sa, 0);
    /* With SA_RESTART the read goes on: ends when the pipe has a byte. */
    pthread_t t;
    result = -1;
    pthread_create(&t, 0, usr1_read, 0);
    usleep(50000);
    pthread_kill(t, SIGUSR1);
    usleep(50000);
    write(pipefd[1], "x", 1);
    pthread_join(t, 0);
    printf("usr1 read SA_RESTART   handled %d result=%s\n", handled > 0, result < 0 ? "?" : result ? strerror(result) : "0");
    return 0;
}
