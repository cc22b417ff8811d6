/* Robust mutexes (issue 5): a thread that dies holding a PTHREAD_MUTEX_ROBUST mutex leaves it
 * to the kernel, which walks the thread's robust list (set_robust_list) at exit, marks the
 * futex FUTEX_OWNER_DIED and wakes a waiter. The next locker gets EOWNERDEAD.
 *   robust exit      a thread locks and exits; main locks afterwards
 *   robust waiter    main is already blocked in lock when the owner exits
 *   robust unrecov   the new owner unlocks without pthread_mutex_consistent */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static pthread_mutex_t m;
static sem_t locked;

static const char *err(int e) {
    switch (e) {
    case 0: return "0";
    case EOWNERDEAD: return "EOWNERDEAD";
    case ENOTRECOVERABLE: return "ENOTRECOVERABLE";
    case EBUSY: return "EBUSY";
    case EINVAL: return "EINVAL";
    case EPERM: return "EPERM";
    default: return strerror(e);
    }
}

static void *owner(void *arg) {
    int r = pthread_mutex_lock(&m);
    printf("thread: lock -> %s\n", err(r));
    fflush(stdout);
    sem_post(&locked);
    if (arg)
        usleep(100 * 1000); /* give main time to block in lock */
    return NULL;            /* exits holding the mutex */
}

static void init(void) {
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
    pthread_mutex_init(&m, &a);
    pthread_mutexattr_destroy(&a);
    sem_init(&locked, 0, 0);
}

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "exit";
    init();
    pthread_t t;
    int waiter = strcmp(mode, "waiter") == 0;
    pthread_create(&t, NULL, owner, waiter ? (void *)1 : NULL);
    if (!waiter)
        pthread_join(t, NULL);
    else
        sem_wait(&locked);
    int r = pthread_mutex_lock(&m);
    printf("main: lock -> %s\n", err(r));
    if (waiter)
        pthread_join(t, NULL);
    if (strcmp(mode, "unrecov") == 0) {
        printf("main: unlock without consistent -> %s\n", err(pthread_mutex_unlock(&m)));
        printf("main: lock again -> %s\n", err(pthread_mutex_lock(&m)));
        printf("main: trylock -> %s\n", err(pthread_mutex_trylock(&m)));
        return 0;
    }
    printf("main: consistent -> %s\n", err(pthread_mutex_consistent(&m)));
    printf("main: unlock -> %s\n", err(pthread_mutex_unlock(&m)));
    printf("main: lock again -> %s\n", err(pthread_mutex_lock(&m)));
    printf("main: unlock -> %s\n", err(pthread_mutex_unlock(&m)));
    printf("main: trylock -> %s\n", err(pthread_mutex_trylock(&m)));
    printf("main: consistent on a healthy mutex -> %s\n", err(pthread_mutex_consistent(&m)));
    pthread_mutex_unlock(&m);
    return 0;
}
