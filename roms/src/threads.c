/* POSIX threads with deterministic output: turns enforced by a condition variable, a contended
 * mutex, join values, thread-local storage, pthread_once, barriers, signals to threads.
 *   threads turns | contend | join | tls | once | barrier | signal */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define N 8

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;

static void start_all(pthread_t *t, void *(*fn)(void *)) {
    for (intptr_t i = 0; i < N; i++)
        if (pthread_create(&t[i], NULL, fn, (void *)i) != 0) {
            perror("pthread_create");
            exit(3);
        }
}

static void join_all(pthread_t *t) {
    for (int i = 0; i < N; i++)
        pthread_join(t[i], NULL);
}

/* ---- turns: thread k may only act when turn % N == order[k] ------------------------------ */

static int turn;
static int order[N] = {3, 0, 6, 1, 7, 2, 5, 4};
static int log_[N * 50];

static void *turns_fn(void *arg) {
    int me = (int)(intptr_t)arg;
    for (int round = 0; round < 50; round++) {
        pthread_mutex_lock(&mu);
        while (turn % N != order[me])
            pthread_cond_wait(&cv, &mu);
        log_[turn++] = me;
        pthread_cond_broadcast(&cv);
        pthread_mutex_unlock(&mu);
    }
    return NULL;
}

static void turns(void) {
    pthread_t t[N];
    start_all(t, turns_fn);
    join_all(t);
    printf("turns taken: %d\nfirst 16:", turn);
    for (int i = 0; i < 16; i++)
        printf(" %d", log_[i]);
    int ok = 1;
    for (int i = 0; i < turn; i++)
        ok &= order[log_[i]] == i % N;
    printf("\nevery turn in order: %d\n", ok);
}

/* ---- contend: a plain counter under a mutex, an atomic one, a spin on trylock -------------- */

static long counter;
static atomic_long acounter;
static long trylock_fail_ok;

static void *contend_fn(void *arg) {
    for (int i = 0; i < 20000; i++) {
        pthread_mutex_lock(&mu);
        counter++;
        pthread_mutex_unlock(&mu);
        atomic_fetch_add(&acounter, 2);
    }
    for (int i = 0; i < 1000; i++) {
        while (pthread_mutex_trylock(&mu) != 0)
            sched_yield();
        counter--;
        pthread_mutex_unlock(&mu);
    }
    return NULL;
}

static void contend(void) {
    pthread_t t[N];
    start_all(t, contend_fn);
    join_all(t);
    (void)trylock_fail_ok;
    printf("counter=%ld atomic=%ld\n", counter, atomic_load(&acounter));
    /* A recursive mutex and an error-checking one. */
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutex_t rm;
    pthread_mutex_init(&rm, &a);
    int r1 = pthread_mutex_lock(&rm), r2 = pthread_mutex_lock(&rm), r3 = pthread_mutex_unlock(&rm),
        r4 = pthread_mutex_unlock(&rm);
    printf("recursive: %d %d %d %d\n", r1, r2, r3, r4);
    pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ERRORCHECK);
    pthread_mutex_t em;
    pthread_mutex_init(&em, &a);
    pthread_mutex_lock(&em);
    printf("errorcheck relock: %s\n", strerror(pthread_mutex_lock(&em)));
    pthread_mutex_unlock(&em);
    printf("errorcheck unlock unlocked: %s\n", strerror(pthread_mutex_unlock(&em)));
}

/* ---- join values ---------------------------------------------------------------------------- */

static void *join_fn(void *arg) {
    intptr_t i = (intptr_t)arg;
    if (i % 2)
        pthread_exit((void *)(i * 100));
    return (void *)(i * i);
}

static void *detached_fn(void *arg) {
    pthread_mutex_lock(&mu);
    turn = 1;
    pthread_cond_signal(&cv);
    pthread_mutex_unlock(&mu);
    return NULL;
}

static void join(void) {
    pthread_t t[N];
    start_all(t, join_fn);
    for (int i = N - 1; i >= 0; i--) {
        void *v;
        int r = pthread_join(t[i], &v);
        printf("join %d: r=%d value=%ld\n", i, r, (long)(intptr_t)v);
    }
    pthread_t d;
    pthread_attr_t at;
    pthread_attr_init(&at);
    pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
    pthread_mutex_lock(&mu);
    pthread_create(&d, &at, detached_fn, NULL);
    while (!turn)
        pthread_cond_wait(&cv, &mu);
    pthread_mutex_unlock(&mu);
    printf("detached thread ran\n");
    printf("self equal: %d\n", pthread_equal(pthread_self(), pthread_self()));
}

/* ---- thread-local storage ------------------------------------------------------------------ */

static __thread int tls_int = 42;
static __thread char tls_buf[32] = "initial";
static __thread long tls_zero;
static pthread_key_t key;
static int destructor_runs;

static void key_dtor(void *v) {
    pthread_mutex_lock(&mu);
    destructor_runs += (int)(intptr_t)v;
    pthread_mutex_unlock(&mu);
}

static void *tls_fn(void *arg) {
    int me = (int)(intptr_t)arg;
    int ok = tls_int == 42 && strcmp(tls_buf, "initial") == 0 && tls_zero == 0;
    tls_int = me * 10;
    snprintf(tls_buf, sizeof tls_buf, "thread %d", me);
    tls_zero = me;
    pthread_setspecific(key, (void *)(intptr_t)(me + 1));
    for (int i = 0; i < 1000; i++)
        sched_yield();
    ok &= tls_int == me * 10 && tls_zero == me && (intptr_t)pthread_getspecific(key) == me + 1;
    char expect[32];
    snprintf(expect, sizeof expect, "thread %d", me);
    ok &= strcmp(tls_buf, expect) == 0;
    return (void *)(intptr_t)ok;
}

static void tls(void) {
    pthread_key_create(&key, key_dtor);
    tls_int = 7;
    strcpy(tls_buf, "main");
    pthread_t t[N];
    start_all(t, tls_fn);
    int all = 1;
    for (int i = 0; i < N; i++) {
        void *v;
        pthread_join(t[i], &v);
        all &= (int)(intptr_t)v;
    }
    printf("every thread saw its own values: %d\n", all);
    printf("main's values kept: %d %s\n", tls_int, tls_buf);
    printf("key destructors: sum %d (expected %d)\n", destructor_runs, N * (N + 1) / 2);
}

/* ---- pthread_once --------------------------------------------------------------------------- */

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int once_runs;

static void once_init(void) {
    for (int i = 0; i < 100; i++)
        sched_yield();
    once_runs++;
}

static void *once_fn(void *arg) {
    pthread_once(&once, once_init);
    return (void *)(intptr_t)once_runs;
}

static void once_mode(void) {
    pthread_t t[N];
    start_all(t, once_fn);
    int all = 1;
    for (int i = 0; i < N; i++) {
        void *v;
        pthread_join(t[i], &v);
        all &= (intptr_t)v == 1;
    }
    printf("init ran %d time(s); every thread saw it done: %d\n", once_runs, all);
}

/* ---- barrier ------------------------------------------------------------------------------------ */

static pthread_barrier_t bar;
static atomic_int arrived[4], serial[4];
static int phase_ok = 1;

static void *barrier_fn(void *arg) {
    for (int ph = 0; ph < 4; ph++) {
        atomic_fetch_add(&arrived[ph], 1);
        int r = pthread_barrier_wait(&bar);
        if (r == PTHREAD_BARRIER_SERIAL_THREAD)
            atomic_fetch_add(&serial[ph], 1);
        else if (r != 0)
            phase_ok = 0;
        if (atomic_load(&arrived[ph]) != N) /* everyone arrived before anyone left */
            phase_ok = 0;
    }
    return NULL;
}

static void barrier(void) {
    pthread_barrier_init(&bar, NULL, N);
    pthread_t t[N];
    start_all(t, barrier_fn);
    join_all(t);
    for (int ph = 0; ph < 4; ph++)
        printf("phase %d: arrived %d, serial threads %d\n", ph, atomic_load(&arrived[ph]), atomic_load(&serial[ph]));
    printf("phases kept apart: %d\n", phase_ok);
    pthread_barrier_destroy(&bar);
}

/* ---- signals aimed at threads -------------------------------------------------------------- */

static pthread_t workers[N];
static _Atomic int got_by[N + 1];
static atomic_int ready;

static int whoami(void) {
    for (int i = 0; i < N; i++)
        if (pthread_equal(pthread_self(), workers[i]))
            return i;
    return N; /* main */
}

static void on_usr(int sig) { atomic_fetch_add(&got_by[whoami()], sig == SIGUSR1 ? 1 : 100); }

static void *sig_worker(void *arg) {
    int me = (int)(intptr_t)arg;
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGUSR1);
    /* Only worker 5 accepts process-directed SIGUSR1. */
    pthread_sigmask(me == 5 ? SIG_UNBLOCK : SIG_BLOCK, &s, NULL);
    atomic_fetch_add(&ready, 1);
    pthread_mutex_lock(&mu);
    while (!turn)
        pthread_cond_wait(&cv, &mu);
    pthread_mutex_unlock(&mu);
    return NULL;
}

static void signal_mode(void) {
    signal(SIGUSR1, on_usr);
    signal(SIGUSR2, on_usr);
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &s, NULL); /* inherited by the workers, then changed */
    start_all(workers, sig_worker);
    while (atomic_load(&ready) < N)
        sched_yield();
    kill(getpid(), SIGUSR1);
    pthread_kill(workers[2], SIGUSR2);
    pthread_kill(workers[6], SIGUSR2);
    while (atomic_load(&got_by[5]) < 1 || atomic_load(&got_by[2]) < 100 || atomic_load(&got_by[6]) < 100)
        sched_yield();
    pthread_mutex_lock(&mu);
    turn = 1;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
    join_all(workers);
    for (int i = 0; i <= N; i++)
        printf("%s %d got: %d\n", i == N ? "main" : "worker", i, got_by[i]);
}

int main(int argc, char **argv) {
    const char *m = argc > 1 ? argv[1] : "";
    if (!strcmp(m, "turns"))
        turns();
    else if (!strcmp(m, "contend"))
        contend();
    else if (!strcmp(m, "join"))
        join();
    else if (!strcmp(m, "tls"))
        tls();
    else if (!strcmp(m, "once"))
        once_mode();
    else if (!strcmp(m, "barrier"))
        barrier();
    else if (!strcmp(m, "signal"))
        signal_mode();
    else {
        fprintf(stderr, "threads: unknown mode %s\n", m);
        return 2;
    }
    return 0;
}
