/* The edges of --deterministic and --record/--replay (tests/replay.rs), by argv[1]:
 *   cpu        CPU time (times, getrusage, CLOCK_PROCESS_CPUTIME_ID) and the si_uid of
 *              a signal sent to itself;
 *   kill [read|pause] a child that loops (or blocks reading a pipe, or waits in pause)
 *              until its parent kills it with SIGKILL;
 *   extkill F  a child that writes its pid to file F, then loops until killed from
 *              outside; the parent reports how it died;
 *   alarm      alarm(1) interrupts a read from a pipe that never gets data;
 *   futex      alarm(1) interrupts a futex wait no thread will ever wake;
 *   wait       alarm(1) interrupts a wait for a child that never ends by itself. */
#include <errno.h>
#include <linux/futex.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/times.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile unsigned long spin;
static volatile int got_uid = -1, alarms;

static void on_usr1(int sig, siginfo_t *si, void *uc) { got_uid = (int)si->si_uid; }
static void on_alarm(int sig) { alarms++; }

static void work(unsigned long n) {
    for (unsigned long i = 0; i < n; i++)
        spin += i;
}

static void report(pid_t pid) {
    int st;
    if (waitpid(pid, &st, 0) != pid) {
        perror("waitpid");
        exit(1);
    }
    if (WIFSIGNALED(st))
        printf("child killed by signal %d\n", WTERMSIG(st));
    else
        printf("child exited %d\n", WEXITSTATUS(st));
}

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "cpu";
    setvbuf(stdout, NULL, _IONBF, 0);
    if (!strcmp(mode, "cpu")) {
        work(3000000);
        struct tms t;
        clock_t now = times(&t);
        struct rusage ru;
        getrusage(RUSAGE_SELF, &ru);
        struct timespec cpu;
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu);
        printf("times %ld utime %ld\n", (long)now, (long)t.tms_utime);
        printf("rusage %ld.%06ld\n", (long)ru.ru_utime.tv_sec, (long)ru.ru_utime.tv_usec);
        printf("cputime %ld.%09ld\n", (long)cpu.tv_sec, cpu.tv_nsec);
        struct sigaction sa = {0};
        sa.sa_sigaction = on_usr1;
        sa.sa_flags = SA_SIGINFO;
        sigaction(SIGUSR1, &sa, NULL);
        kill(getpid(), SIGUSR1);
        printf("si_uid %d getuid %d\n", got_uid, (int)getuid());
        return 0;
    }
    if (!strcmp(mode, "kill")) {
        int blocked = argc > 2 && !strcmp(argv[2], "read");
        int paused = argc > 2 && !strcmp(argv[2], "pause");
        int p[2];
        if (pipe(p))
            return 1;
        pid_t pid = fork();
        if (pid == 0) {
            char b;
            if (blocked)
                read(p[0], &b, 1);
            if (paused)
                pause();
            for (;;)
                spin++;
        }
        printf("forked\n");
        struct timespec nap = {0, 50000000};
        nanosleep(&nap, NULL);
        kill(pid, SIGKILL);
        report(pid);
        return 0;
    }
    if (!strcmp(mode, "extkill") && argc > 2) {
        pid_t pid = fork();
        if (pid == 0) {
            char tmp[4096], line[32];
            printf("child running\n"); /* before the pid: once that is there, it dies */
            snprintf(tmp, sizeof tmp, "%s.tmp", argv[2]);
            int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
            int n = snprintf(line, sizeof line, "%d\n", (int)getpid());
            if (fd < 0 || write(fd, line, n) != n || close(fd) || rename(tmp, argv[2]))
                _exit(2);
            for (;;)
                spin++;
        }
        report(pid);
        return 0;
    }
    if (!strcmp(mode, "alarm")) {
        struct sigaction sa = {0};
        sa.sa_handler = on_alarm;
        sigaction(SIGALRM, &sa, NULL); /* no SA_RESTART: the read fails with EINTR */
        int p[2];
        if (pipe(p))
            return 1;
        alarm(1);
        char b[16];
        ssize_t n = read(p[0], b, sizeof b);
        printf("read %ld %s alarms %d\n", (long)n, n < 0 && errno == EINTR ? "EINTR" : "?", alarms);
        return 0;
    }
    if (!strcmp(mode, "futex")) {
        struct sigaction sa = {0};
        sa.sa_handler = on_alarm;
        sigaction(SIGALRM, &sa, NULL);
        alarm(1);
        int word = 0;
        long r = syscall(SYS_futex, &word, FUTEX_WAIT, 0, NULL, NULL, 0);
        printf("futex %ld %s alarms %d\n", r, r < 0 && errno == EINTR ? "EINTR" : "?", alarms);
        return 0;
    }
    if (!strcmp(mode, "wait")) {
        struct sigaction sa = {0};
        sa.sa_handler = on_alarm;
        sigaction(SIGALRM, &sa, NULL);
        pid_t pid = fork();
        if (pid == 0) {
            for (;;)
                pause();
        }
        alarm(1);
        int st;
        pid_t r = waitpid(pid, &st, 0);
        printf("wait %d %s alarms %d\n", (int)r, r < 0 && errno == EINTR ? "EINTR" : "?", alarms);
        kill(pid, SIGKILL);
        report(pid);
        return 0;
    }
    fprintf(stderr, "usage: replayedge cpu|kill|extkill FILE|alarm|futex|wait\n");
    return 2;
}
