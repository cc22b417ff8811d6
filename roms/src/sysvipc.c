/* System V semaphores and message queues (issue 14), between a process and its children:
 * values set and read back, a parent blocked in semop until a child posts, semtimedop
 * timing out, IPC_NOWAIT, SEM_UNDO undone at a child's exit, IPC_STAT fields, removal
 * waking a blocked waiter with EIDRM; messages by type, MSG_NOERROR truncation, E2BIG,
 * a receiver blocked until a child sends, a signal interrupting msgrcv (EINTR, never
 * restarted). Prints only what is the same on every run and machine.
 *
 *   sysvipc sem | msg | all
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

union semun {
    int val;
    struct semid_ds *buf;
    unsigned short *array;
};

static void check(int ok, const char *what) {
    if (!ok) printf("FAILED %s: %s\n", what, strerrorname_np(errno));
}

static int child_status(pid_t pid) {
    int st;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void semaphores(void) {
    int id = semget(IPC_PRIVATE, 3, IPC_CREAT | 0600);
    check(id >= 0, "semget");
    unsigned short init[3] = {0, 5, 7};
    check(semctl(id, 0, SETALL, (union semun){.array = init}) == 0, "SETALL");
    unsigned short got[3];
    check(semctl(id, 0, GETALL, (union semun){.array = got}) == 0, "GETALL");
    printf("getall: %u %u %u\n", got[0], got[1], got[2]);
    check(semctl(id, 1, SETVAL, (union semun){.val = 9}) == 0, "SETVAL");
    printf("getval 1: %d\n", semctl(id, 1, GETVAL));
    struct semid_ds ds;
    check(semctl(id, 0, IPC_STAT, (union semun){.buf = &ds}) == 0, "IPC_STAT");
    printf("nsems %lu mode %o\n", (unsigned long)ds.sem_nsems, ds.sem_perm.mode & 0777);

    struct sembuf take = {0, -1, IPC_NOWAIT};
    errno = 0;
    int r = semop(id, &take, 1);
    printf("nowait on 0: %d %s\n", r, strerrorname_np(errno));

    struct timespec ts = {0, 30 * 1000 * 1000};
    take.sem_flg = 0;
    errno = 0;
    r = semtimedop(id, &take, 1, &ts);
    printf("timed on 0: %d %s\n", r, strerrorname_np(errno));

    /* The parent blocks until the child posts. */
    pid_t pid = fork();
    if (pid == 0) {
        usleep(50 * 1000);
        struct sembuf post = {0, 2, 0};
        _exit(semop(id, &post, 1) == 0 ? 0 : 1);
    }
    r = semop(id, &take, 1);
    printf("blocked take: %d, value now %d, child %d\n", r, semctl(id, 0, GETVAL), child_status(pid));
    printf("getpid is the last to operate (this process): %d\n", semctl(id, 0, GETPID) == getpid());

    /* Two operations at once: all or nothing. */
    struct sembuf two[2] = {{1, -9, IPC_NOWAIT}, {2, -8, IPC_NOWAIT}};
    errno = 0;
    r = semop(id, two, 2);
    printf("all-or-nothing: %d %s, values %d %d\n", r, strerrorname_np(errno), semctl(id, 1, GETVAL),
           semctl(id, 2, GETVAL));

    /* SEM_UNDO: the child's decrement is undone when it exits. */
    pid = fork();
    if (pid == 0) {
        struct sembuf undo = {2, -3, SEM_UNDO};
        semop(id, &undo, 1);
        _exit(semctl(id, 2, GETVAL));
    }
    printf("child saw %d, after its exit %d\n", child_status(pid), semctl(id, 2, GETVAL));

    /* Removal wakes a waiter with EIDRM. */
    pid = fork();
    if (pid == 0) {
        struct sembuf wait0 = {0, -5, 0};
        errno = 0;
        int rr = semop(id, &wait0, 1);
        _exit(rr == -1 && errno == EIDRM ? 0 : 1);
    }
    usleep(50 * 1000);
    check(semctl(id, 0, IPC_RMID) == 0, "IPC_RMID");
    printf("waiter got EIDRM: %s\n", child_status(pid) == 0 ? "yes" : "no");
    errno = 0;
    r = semctl(id, 0, GETVAL);
    printf("after removal: %d %s\n", r, strerrorname_np(errno));
}

struct msg {
    long mtype;
    char text[32];
};

static void on_alarm(int sig) { (void)sig; }

static void messages(void) {
    int id = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
    check(id >= 0, "msgget");
    struct msg m = {2, "second"};
    check(msgsnd(id, &m, 7, 0) == 0, "msgsnd 2");
    m = (struct msg){1, "first"};
    check(msgsnd(id, &m, 6, 0) == 0, "msgsnd 1");
    m = (struct msg){3, "a longer third"};
    check(msgsnd(id, &m, 15, 0) == 0, "msgsnd 3");

    struct msqid_ds ds;
    check(msgctl(id, IPC_STAT, &ds) == 0, "IPC_STAT");
    printf("qnum %lu cbytes %lu\n", (unsigned long)ds.msg_qnum, (unsigned long)ds.__msg_cbytes);

    struct msg in;
    ssize_t n = msgrcv(id, &in, sizeof in.text, 1, 0);
    printf("type 1: %zd %ld %s\n", n, in.mtype, in.text);
    n = msgrcv(id, &in, sizeof in.text, 0, 0);
    printf("first in queue: %zd %ld %s\n", n, in.mtype, in.text);
    errno = 0;
    n = msgrcv(id, &in, 4, 3, 0);
    printf("too small: %zd %s\n", n, strerrorname_np(errno));
    memset(&in, 0, sizeof in);
    n = msgrcv(id, &in, 4, 3, MSG_NOERROR);
    printf("truncated: %zd %ld %.4s\n", n, in.mtype, in.text);
    errno = 0;
    n = msgrcv(id, &in, sizeof in.text, 0, IPC_NOWAIT);
    printf("empty nowait: %zd %s\n", n, strerrorname_np(errno));

    /* A receiver blocked until a child sends. */
    pid_t pid = fork();
    if (pid == 0) {
        usleep(50 * 1000);
        struct msg c = {7, "from child"};
        _exit(msgsnd(id, &c, 11, 0) == 0 ? 0 : 1);
    }
    n = msgrcv(id, &in, sizeof in.text, 7, 0);
    printf("blocked receive: %zd %s, child %d\n", n, in.text, child_status(pid));
    check(msgctl(id, IPC_STAT, &ds) == 0, "IPC_STAT");
    printf("lspid is child: %d\n", ds.msg_lspid == pid);

    /* A signal interrupts a blocked msgrcv, even with SA_RESTART. */
    struct sigaction sa = {0};
    sa.sa_handler = on_alarm;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGALRM, &sa, NULL);
    struct itimerval it = {{0, 0}, {0, 50 * 1000}};
    setitimer(ITIMER_REAL, &it, NULL);
    errno = 0;
    n = msgrcv(id, &in, sizeof in.text, 0, 0);
    printf("interrupted receive: %zd %s\n", n, strerrorname_np(errno));

    check(msgctl(id, IPC_RMID, NULL) == 0, "IPC_RMID");
    errno = 0;
    n = msgrcv(id, &in, sizeof in.text, 0, IPC_NOWAIT);
    printf("after removal: %zd %s\n", n, strerrorname_np(errno));
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: sysvipc sem|msg|all\n");
        return 2;
    }
    setvbuf(stdout, NULL, _IONBF, 0);
    int all = !strcmp(argv[1], "all");
    if (all || !strcmp(argv[1], "sem")) semaphores();
    if (all || !strcmp(argv[1], "msg")) messages();
    return 0;
}
