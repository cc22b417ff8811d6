/* Shared memory and the memory calls around it (issue 14): MAP_SHARED file mappings
 * coherent with read/pwrite and across fork, MAP_SHARED|MAP_ANONYMOUS across fork, msync,
 * SIGBUS past the end of a shared file, memfd_create, POSIX semaphores between processes
 * (a futex in shared memory), huge PROT_NONE reservations, mincore, mlock, membarrier,
 * SysV shared memory. Prints only what is the same on every run and machine.
 *
 *   shm MODE DIR      MODE: file | anon | sigbus | memfd | sem | reserve | misc | sysv | all
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <semaphore.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *dir;

static void check(int ok, const char *what) {
    if (!ok) {
        printf("FAILED %s: %s\n", what, strerror(errno));
        exit(1);
    }
}

static char *path(const char *name) {
    static char buf[4096];
    snprintf(buf, sizeof buf, "%s/%s", dir, name);
    return buf;
}

static void wait_child(pid_t pid) {
    int st;
    check(waitpid(pid, &st, 0) == pid, "waitpid");
    printf("child exit %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st));
}

static void file_mapping(void) {
    int fd = open(path("f"), O_RDWR | O_CREAT | O_TRUNC, 0600);
    check(fd >= 0, "open");
    check(ftruncate(fd, 8192) == 0, "ftruncate");
    char *m = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    check(m != MAP_FAILED, "mmap shared file");
    /* A store through the mapping is in the file at once... */
    memcpy(m + 4096, "page", 4);
    char b[8] = {0};
    check(pread(fd, b, 4, 4096) == 4, "pread");
    printf("pread after store: %s\n", b);
    /* ...and a write to the file is in the mapping. */
    check(pwrite(fd, "WRIT", 4, 100) == 4, "pwrite");
    printf("mapping after pwrite: %.4s\n", m + 100);
    check(msync(m, 8192, MS_SYNC) == 0, "msync");
    pid_t pid = fork();
    if (pid == 0) {
        memcpy(m, "child", 5);
        _exit(0);
    }
    wait_child(pid);
    printf("parent sees: %.5s\n", m);
    /* A second mapping of the same file is the same memory. */
    char *m2 = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 4096);
    check(m2 != MAP_FAILED, "mmap offset");
    printf("second mapping: %.4s\n", m2);
    /* A read-only file cannot be mapped shared and writable. */
    int ro = open(path("f"), O_RDONLY);
    errno = 0;
    void *bad = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, ro, 0);
    printf("rw shared map of O_RDONLY fd: %s\n", bad == MAP_FAILED ? strerrorname_np(errno) : "ok");
    char *r = mmap(NULL, 4096, PROT_READ, MAP_SHARED, ro, 0);
    check(r != MAP_FAILED, "mmap ro");
    int prot = mprotect(r, 4096, PROT_READ | PROT_WRITE);
    printf("mprotect to write: %s\n", prot ? strerrorname_np(errno) : "ok");
    /* Private mappings keep their stores to themselves. */
    char *pv = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    check(pv != MAP_FAILED, "mmap private");
    pv[0] = 'P';
    printf("file after private store: %c, private sees %c\n", m[0], pv[0]);
    munmap(m, 8192);
    munmap(m2, 4096);
    munmap(r, 4096);
    munmap(pv, 4096);
    close(ro);
    close(fd);
}

static void anon_shared(void) {
    int *counter = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    check(counter != MAP_FAILED, "mmap shared anon");
    int *priv = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    check(priv != MAP_FAILED, "mmap private anon");
    *counter = 1;
    *priv = 1;
    for (int i = 0; i < 3; i++) {
        pid_t pid = fork();
        if (pid == 0) {
            __atomic_add_fetch(counter, 10, __ATOMIC_SEQ_CST);
            *priv += 10;
            _exit(0);
        }
        wait_child(pid);
    }
    printf("shared counter %d, private %d\n", *counter, *priv);
    /* MADV_DONTNEED drops private pages but not shared ones. */
    check(madvise(counter, 4096, MADV_DONTNEED) == 0, "madvise");
    check(madvise(priv, 4096, MADV_DONTNEED) == 0, "madvise");
    printf("after DONTNEED: shared %d, private %d\n", *counter, *priv);
}

static sigjmp_buf jb;
static void on_bus(int sig, siginfo_t *si, void *uc) {
    (void)uc;
    printf("signal %s code %d\n", sig == SIGBUS ? "SIGBUS" : "other", si->si_code);
    siglongjmp(jb, 1);
}

static void sigbus(void) {
    int fd = open(path("short"), O_RDWR | O_CREAT | O_TRUNC, 0600);
    check(fd >= 0, "open");
    check(write(fd, "x", 1) == 1, "write");
    char *m = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    check(m != MAP_FAILED, "mmap");
    struct sigaction sa = {0};
    sa.sa_sigaction = on_bus;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGBUS, &sa, NULL);
    printf("last page of the file: %d %d\n", m[0], m[4095]);
    if (sigsetjmp(jb, 1) == 0) {
        volatile char c = m[4096];
        (void)c;
        printf("no signal\n");
    }
    /* The file grows: the page becomes reachable. */
    check(ftruncate(fd, 8192) == 0, "ftruncate");
    m[4096] = 'g';
    char b = 0;
    check(pread(fd, &b, 1, 4096) == 1, "pread");
    printf("after growth: %c\n", b);
    munmap(m, 3 * 4096);
    close(fd);
}

static void memfd(void) {
    int fd = memfd_create("emu-test", MFD_CLOEXEC);
    check(fd >= 0, "memfd_create");
    char link[64], target[256] = {0};
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    check(readlink(link, target, sizeof target - 1) > 0, "readlink");
    printf("memfd link: %s\n", target);
    check(ftruncate(fd, 4096) == 0, "ftruncate");
    char *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    check(m != MAP_FAILED, "mmap memfd");
    pid_t pid = fork();
    if (pid == 0) {
        strcpy(m, "from child");
        _exit(0);
    }
    wait_child(pid);
    char b[16] = {0};
    check(pread(fd, b, 10, 0) == 10, "pread");
    printf("memfd after child: %s / %s\n", m, b);
    printf("fcntl FD_CLOEXEC: %d\n", fcntl(fd, F_GETFD) & FD_CLOEXEC);
    errno = 0;
    int bad = memfd_create("x", 0x1000);
    printf("bad flags: %s\n", bad < 0 ? strerrorname_np(errno) : "ok");
}

static void semaphores(void) {
    /* A process-shared semaphore in shared memory, and a named one (/dev/shm). */
    sem_t *s = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    check(s != MAP_FAILED, "mmap");
    check(sem_init(s, 1, 0) == 0, "sem_init");
    int *turns = (int *)(s + 1);
    char name[64];
    snprintf(name, sizeof name, "/emu-shm-test-%d", getpid());
    sem_t *named = sem_open(name, O_CREAT | O_EXCL, 0600, 0);
    check(named != SEM_FAILED, "sem_open");
    pid_t pid = fork();
    if (pid == 0) {
        for (int i = 0; i < 5; i++) {
            usleep(2000);
            __atomic_add_fetch(turns, 1, __ATOMIC_SEQ_CST);
            sem_post(s);
        }
        sem_t *n2 = sem_open(name, 0);
        sem_post(n2);
        _exit(0);
    }
    for (int i = 0; i < 5; i++) {
        check(sem_wait(s) == 0, "sem_wait");
    }
    check(sem_wait(named) == 0, "sem_wait named");
    wait_child(pid);
    printf("turns %d\n", *turns);
    sem_unlink(name);
}

static void reserve(void) {
    /* What V8, Go and sanitizers do: reserve a huge range, commit a little of it. */
    size_t sizes[] = {1ul << 28, 1ul << 36, 1ul << 44};
    for (int i = 0; i < 3; i++) {
        char *r = mmap(NULL, sizes[i], PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        check(r != MAP_FAILED, "reserve");
        check(mprotect(r + sizes[i] / 2, 8192, PROT_READ | PROT_WRITE) == 0, "commit");
        r[sizes[i] / 2 + 8191] = 1;
        unsigned char v[4];
        check(mincore(r + sizes[i] / 2 - 4096, 4 * 4096, v) == 0, "mincore");
        printf("reserve 2^%d: ok, mincore %d%d%d%d\n", 28 + 8 * i, v[0], v[1], v[2], v[3] & 1);
        check(munmap(r, sizes[i]) == 0, "munmap");
    }
}

static void misc(void) {
    char *m = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    check(m != MAP_FAILED, "mmap");
    printf("mlock: %d\n", mlock(m, 8192));
    printf("munlock: %d\n", munlock(m, 8192));
    errno = 0;
    int r = mlock((void *)0x1000, 4096);
    printf("mlock unmapped: %d %s\n", r, strerrorname_np(errno));
    printf("mlockall bad flags: %d\n", mlockall(0) == -1 ? errno == EINVAL : 0);
    printf("munlockall: %d\n", munlockall());
    long q = syscall(SYS_membarrier, 0, 0, 0);
    printf("membarrier query has GLOBAL: %ld\n", q > 0 ? q & 1 : q);
    printf("membarrier global: %ld\n", syscall(SYS_membarrier, 1, 0, 0));
    errno = 0;
    r = msync((void *)0x1000, 4096, MS_SYNC);
    printf("msync unmapped: %d %s\n", r, strerrorname_np(errno));
    errno = 0;
    r = msync(m, 4096, MS_SYNC | MS_ASYNC);
    printf("msync both flags: %d %s\n", r, strerrorname_np(errno));
}

static void sysv(void) {
    int id = shmget(IPC_PRIVATE, 8192, IPC_CREAT | 0600);
    check(id >= 0, "shmget");
    char *a = shmat(id, NULL, 0);
    check(a != (void *)-1, "shmat");
    strcpy(a, "sysv");
    pid_t pid = fork();
    if (pid == 0) {
        char *b = shmat(id, NULL, 0);
        strcpy(b + 4, "+child");
        shmdt(b);
        _exit(0);
    }
    wait_child(pid);
    struct shmid_ds ds;
    check(shmctl(id, IPC_STAT, &ds) == 0, "IPC_STAT");
    printf("shm: %s size %zu nattch %lu\n", a, ds.shm_segsz, (unsigned long)ds.shm_nattch);
    char *ro = shmat(id, NULL, SHM_RDONLY);
    check(ro != (void *)-1, "shmat ro");
    printf("read-only attach sees: %s\n", ro);
    check(shmdt(ro) == 0 && shmdt(a) == 0, "shmdt");
    errno = 0;
    int r = shmdt(a);
    printf("shmdt again: %d %s\n", r, strerrorname_np(errno));
    check(shmctl(id, IPC_RMID, NULL) == 0, "IPC_RMID");
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: shm MODE DIR\n");
        return 2;
    }
    setvbuf(stdout, NULL, _IONBF, 0);
    dir = argv[2];
    const char *m = argv[1];
    int all = !strcmp(m, "all");
    if (all || !strcmp(m, "file")) file_mapping();
    if (all || !strcmp(m, "anon")) anon_shared();
    if (all || !strcmp(m, "sigbus")) sigbus();
    if (all || !strcmp(m, "memfd")) memfd();
    if (all || !strcmp(m, "sem")) semaphores();
    if (all || !strcmp(m, "reserve")) reserve();
    if (all || !strcmp(m, "misc")) misc();
    if (all || !strcmp(m, "sysv")) sysv();
    return 0;
}
