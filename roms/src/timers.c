/* POSIX timers (issue 5): timer_create/settime/gettime/getoverrun/delete with SIGEV_SIGNAL,
 * SIGEV_THREAD_ID and SIGEV_NONE on CLOCK_REALTIME, CLOCK_MONOTONIC and
 * CLOCK_PROCESS_CPUTIME_ID; the SI_TIMER siginfo (si_value, si_overrun); overruns while the
 * signal is blocked; a timer interrupting a blocking read. Prints only what does not depend
 * on timing, so the output matches a native run. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t fired, fired_code, fired_value, fired_on_target;
static volatile pid_t target_tid;

static void on_timer(int sig, siginfo_t *si, void *uc) {
    fired++;
    fired_code = si->si_code;
    fired_value = si->si_value.sival_int;
    fired_on_target = syscall(SYS_gettid) == target_tid;
}

static void handle(int sig, int flags) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_timer;
    sa.sa_flags = SA_SIGINFO | flags;
    sigaction(sig, &sa, NULL);
}

static long long now_ns(clockid_t c) {
    struct timespec ts;
    clock_gettime(c, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void spin_ms(clockid_t c, int ms) {
    long long end = now_ns(c) + ms * 1000000LL;
    while (now_ns(c) < end) {
    }
}

static timer_t make(clockid_t c, int notify, int sig, int value) {
    struct sigevent ev;
    memset(&ev, 0, sizeof ev);
    ev.sigev_notify = notify;
    ev.sigev_signo = sig;
    ev.sigev_value.sival_int = value;
    if (notify == SIGEV_THREAD_ID)
        ev._sigev_un._tid = target_tid;
    timer_t t;
    if (timer_create(c, &ev, &t) != 0) {
        printf("timer_create: %s\n", strerror(errno));
        return 0;
    }
    return t;
}

static void arm(timer_t t, int flags, long long value_ns, long long interval_ns) {
    struct itimerspec its = {{interval_ns / 1000000000, interval_ns % 1000000000},
                             {value_ns / 1000000000, value_ns % 1000000000}};
    if (timer_settime(t, flags, &its, NULL) != 0)
        printf("timer_settime: %s\n", strerror(errno));
}

static void one_shot(clockid_t c, const char *name) {
    int sig = SIGRTMIN + 2;
    handle(sig, 0);
    fired = 0;
    timer_t t = make(c, SIGEV_SIGNAL, sig, 42);
    arm(t, 0, 20 * 1000000LL, 0);
    sigset_t none;
    sigemptyset(&none);
    while (!fired)
        sigsuspend(&none);
    printf("%s one-shot: fired=%d si_code=%s si_value=%d\n", name, fired,
           fired_code == SI_TIMER ? "SI_TIMER" : "other", fired_value);
    struct itimerspec cur;
    timer_gettime(t, &cur);
    printf("%s one-shot after expiry: disarmed=%d\n", name, cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec == 0);
    timer_delete(t);
}

static void periodic(void) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigprocmask(SIG_BLOCK, &set, NULL);
    timer_t t = make(CLOCK_MONOTONIC, SIGEV_SIGNAL, SIGUSR1, 7);
    arm(t, 0, 5 * 1000000LL, 5 * 1000000LL);
    int ok = 0;
    for (int i = 0; i < 5; i++) {
        siginfo_t si;
        int s = sigwaitinfo(&set, &si);
        ok += s == SIGUSR1 && si.si_code == SI_TIMER && si.si_value.sival_int == 7;
    }
    printf("periodic: %d of 5 signals with SI_TIMER and si_value 7\n", ok);
    struct itimerspec cur;
    timer_gettime(t, &cur);
    printf("periodic: interval %ld.%09ld, value within the period: %d\n", (long)cur.it_interval.tv_sec,
           cur.it_interval.tv_nsec, cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec > 0 && cur.it_value.tv_nsec <= 5000000);
    struct itimerspec zero = {{0, 0}, {0, 0}}, old;
    timer_settime(t, 0, &zero, &old);
    printf("periodic: old interval %ld.%09ld on disarm\n", (long)old.it_interval.tv_sec, old.it_interval.tv_nsec);
    timer_delete(t);
    /* Drain a signal that may have been queued before the disarm. */
    struct timespec z = {0, 0};
    while (sigtimedwait(&set, NULL, &z) > 0) {
    }
    sigprocmask(SIG_UNBLOCK, &set, NULL);
}

static void overrun(void) {
    int sig = SIGRTMIN + 3;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, sig);
    sigprocmask(SIG_BLOCK, &set, NULL);
    timer_t t = make(CLOCK_MONOTONIC, SIGEV_SIGNAL, sig, 9);
    arm(t, 0, 1000000LL, 1000000LL);
    spin_ms(CLOCK_MONOTONIC, 40);
    siginfo_t si;
    int s = sigwaitinfo(&set, &si);
    printf("overrun: signal=%d si_overrun>0=%d timer_getoverrun>0=%d same=%d\n", s == sig, si.si_overrun > 0,
           timer_getoverrun(t) > 0, timer_getoverrun(t) == si.si_overrun);
    timer_delete(t);
    struct timespec z = {0, 0};
    printf("overrun: nothing queued after delete=%d\n", sigtimedwait(&set, NULL, &z) < 0);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
}

static void none(void) {
    timer_t t = make(CLOCK_MONOTONIC, SIGEV_NONE, 0, 0);
    arm(t, 0, 10 * 1000000000LL, 0);
    struct itimerspec cur;
    timer_gettime(t, &cur);
    printf("SIGEV_NONE: armed, 9s < left <= 10s: %d\n",
           cur.it_value.tv_sec == 9 || (cur.it_value.tv_sec == 10 && cur.it_value.tv_nsec == 0));
    arm(t, 0, 2 * 1000000LL, 0);
    spin_ms(CLOCK_MONOTONIC, 10);
    timer_gettime(t, &cur);
    printf("SIGEV_NONE: expired, disarmed: %d\n", cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec == 0);
    timer_delete(t);
}

static void absolute(void) {
    int sig = SIGRTMIN + 4;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, sig);
    sigprocmask(SIG_BLOCK, &set, NULL);
    timer_t t = make(CLOCK_REALTIME, SIGEV_SIGNAL, sig, 5);
    arm(t, TIMER_ABSTIME, now_ns(CLOCK_REALTIME) + 15 * 1000000LL, 0);
    siginfo_t si;
    int s = sigwaitinfo(&set, &si);
    printf("absolute CLOCK_REALTIME: signal=%d si_value=%d\n", s == sig, si.si_value.sival_int);
    /* An absolute time in the past fires at once. */
    arm(t, TIMER_ABSTIME, 1, 0);
    struct timespec z = {0, 0};
    printf("absolute time in the past: fired at once=%d\n", sigtimedwait(&set, &si, &z) == sig);
    timer_delete(t);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
}

static void *spinner(void *arg) {
    target_tid = syscall(SYS_gettid);
    while (!fired) {
    }
    return NULL;
}

static void thread_id(void) {
    int sig = SIGRTMIN + 5;
    handle(sig, 0);
    fired = 0;
    target_tid = 0;
    pthread_t th;
    pthread_create(&th, NULL, spinner, NULL);
    while (!target_tid) {
    }
    timer_t t = make(CLOCK_MONOTONIC, SIGEV_SIGNAL | SIGEV_THREAD_ID, sig, 3);
    arm(t, 0, 10 * 1000000LL, 0);
    pthread_join(th, NULL);
    printf("SIGEV_THREAD_ID: fired=%d on the target thread=%d si_value=%d\n", fired, fired_on_target, fired_value);
    timer_delete(t);
}

static void cputime(void) {
    int sig = SIGRTMIN + 6;
    handle(sig, 0);
    fired = 0;
    timer_t t = make(CLOCK_PROCESS_CPUTIME_ID, SIGEV_SIGNAL, sig, 11);
    arm(t, 0, 10 * 1000000LL, 0);
    while (!fired) {
    }
    printf("CLOCK_PROCESS_CPUTIME_ID: fired=%d si_value=%d\n", fired, fired_value);
    timer_delete(t);
}

static void interrupt_read(void) {
    handle(SIGALRM, 0); /* no SA_RESTART */
    int p[2];
    if (pipe(p) != 0)
        return;
    timer_t t;
    if (timer_create(CLOCK_MONOTONIC, NULL, &t) != 0) /* NULL sevp: SIGALRM, si_value = id */
        printf("timer_create(NULL): %s\n", strerror(errno));
    arm(t, 0, 20 * 1000000LL, 0);
    char c;
    ssize_t n = read(p[0], &c, 1);
    printf("read interrupted: n=%zd errno=%s handler ran=%d si_code=%s\n", n, errno == EINTR ? "EINTR" : strerror(errno),
           fired > 0, fired_code == SI_TIMER ? "SI_TIMER" : "other");
    timer_delete(t);
    close(p[0]);
    close(p[1]);
}

/* A timer (and alarm) signal with a handler ends a nanosleep early with EINTR and the time
 * left. */
static void interrupt_sleep(void) {
    handle(SIGALRM, SA_RESTART); /* nanosleep is never restarted after a handler */
    timer_t t;
    timer_create(CLOCK_MONOTONIC, NULL, &t);
    arm(t, 0, 20 * 1000000LL, 0);
    fired = 0;
    struct timespec req = {2, 0}, rem = {0, 0};
    int r = nanosleep(&req, &rem);
    printf("timer vs nanosleep: r=%d errno=%s handler ran=%d 1s<=rem<2s=%d\n", r, r ? (errno == EINTR ? "EINTR" : strerror(errno)) : "-",
           fired > 0, rem.tv_sec == 1);
    timer_delete(t);
    fired = 0;
    alarm(1);
    req.tv_sec = 3;
    r = nanosleep(&req, &rem);
    printf("alarm vs nanosleep: r=%d errno=%s handler ran=%d 1s<=rem<3s=%d\n", r, r ? (errno == EINTR ? "EINTR" : strerror(errno)) : "-",
           fired > 0, rem.tv_sec >= 1 && rem.tv_sec < 3);
}

static void errors(void) {
    timer_t t;
    struct sigevent ev;
    memset(&ev, 0, sizeof ev);
    ev.sigev_notify = SIGEV_SIGNAL;
    ev.sigev_signo = SIGUSR2;
    printf("bad clock: %s\n", timer_create(12345, &ev, &t) ? strerror(errno) : "ok");
    ev.sigev_signo = 65;
    printf("bad signal: %s\n", timer_create(CLOCK_MONOTONIC, &ev, &t) ? strerror(errno) : "ok");
    ev.sigev_signo = SIGUSR2;
    ev.sigev_notify = 77;
    printf("bad notify: %s\n", timer_create(CLOCK_MONOTONIC, &ev, &t) ? strerror(errno) : "ok");
    ev.sigev_notify = SIGEV_SIGNAL;
    timer_create(CLOCK_MONOTONIC, &ev, &t);
    struct itimerspec bad = {{0, 0}, {0, 1000000000}};
    printf("bad nsec: %s\n", timer_settime(t, 0, &bad, NULL) ? strerror(errno) : "ok");
    timer_delete(t);
    struct itimerspec cur;
    printf("gettime after delete: %s\n", timer_gettime(t, &cur) ? strerror(errno) : "ok");
    printf("delete twice: %s\n", timer_delete(t) ? strerror(errno) : "ok");
    printf("getoverrun after delete: %s\n", timer_getoverrun(t) < 0 ? strerror(errno) : "ok");
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    one_shot(CLOCK_MONOTONIC, "CLOCK_MONOTONIC");
    one_shot(CLOCK_REALTIME, "CLOCK_REALTIME");
    periodic();
    overrun();
    none();
    absolute();
    thread_id();
    cputime();
    interrupt_read();
    interrupt_sleep();
    errors();
    return 0;
}
