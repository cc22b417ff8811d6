/* Process groups, sessions and job control, printed as relations between ids (never the
   ids themselves): setpgid/getpgid/getpgrp/setsid/getsid and their errors, kill(0) and
   kill(-pgrp) reaching exactly the group's members, and stops and continues by SIGTSTP,
   SIGSTOP and SIGCONT as waitpid reports them (WUNTRACED, WCONTINUED), with handlers and
   default actions. Every signal to a group is sent inside a group this program made. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *err(int r) { return r == 0 ? "ok" : strerrorname_np(errno); }

static void status(const char *what, int st) {
    if (WIFEXITED(st)) printf("%s: exited %d\n", what, WEXITSTATUS(st));
    else if (WIFSIGNALED(st)) printf("%s: killed by %s\n", what, sigabbrev_np(WTERMSIG(st)));
    else if (WIFSTOPPED(st)) printf("%s: stopped by %s\n", what, sigabbrev_np(WSTOPSIG(st)));
    else if (WIFCONTINUED(st)) printf("%s: continued\n", what);
}

static volatile sig_atomic_t usr1, usr2, tstp, cont;
static void on_usr1(int s) { (void)s; usr1++; }
static void on_usr2(int s) { (void)s; usr2++; }
static void on_tstp(int s) { (void)s; tstp++; }
static void on_cont(int s) { (void)s; cont++; }

static void handle(int sig, void (*f)(int)) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = f;
    sigaction(sig, &sa, 0);
}

/* Waits for a byte on `fd` (a child tells its parent it is ready). */
static void await(int fd) { char c; if (read(fd, &c, 1) != 1) exit(99); }
static void ready(int fd) { if (write(fd, "r", 1) != 1) exit(98); }

static void ids(void) {
    printf("getpgrp() == getpgid(0): %d\n", getpgrp() == getpgid(0));
    printf("getpgid(getpid()) == getpgrp(): %d\n", getpgid(getpid()) == getpgrp());
    printf("getsid(0) == getsid(getpid()): %d\n", getsid(0) == getsid(getpid()));
    printf("getpgid(-1): %s\n", err(getpgid(-1) < 0 ? -1 : 0));
    printf("getsid(-1): %s\n", err(getsid(-1) < 0 ? -1 : 0));
    printf("setpgid(0, -1): %s\n", err(setpgid(0, -1)));
    printf("setpgid(-5, 0): %s\n", err(setpgid(-5, 0)));
}

/* A child makes its own group, then a session; the parent watches. */
static void groups(void) {
    int p[2], q[2];
    pipe(p);
    pipe(q);
    pid_t c = fork();
    if (c == 0) {
        pid_t parent_group = getpgrp();
        printf("child: same group as parent: %d\n", parent_group == getpgid(getppid()));
        printf("child: setpgid(0, 0): %s\n", err(setpgid(0, 0)));
        printf("child: leads its group: %d\n", getpgrp() == getpid());
        printf("child: setsid as group leader: %s\n", err(setsid() < 0 ? -1 : 0));
        printf("child: back to the parent's group: %s\n", err(setpgid(0, parent_group)));
        printf("child: in the parent's group: %d\n", getpgrp() == parent_group);
        fflush(stdout);
        ready(p[1]);
        await(q[0]);
        pid_t s = setsid();
        printf("child: setsid returns its pid: %d\n", s == getpid());
        printf("child: leads session and group: %d %d\n", getsid(0) == getpid(), getpgrp() == getpid());
        printf("child: parent's session differs: %d\n", getsid(getppid()) != getsid(0));
        printf("child: setpgid as session leader: %s\n", err(setpgid(0, 0)));
        printf("child: setsid again: %s\n", err(setsid() < 0 ? -1 : 0));
        fflush(stdout);
        _exit(0);
    }
    await(p[0]);
    printf("parent: child in its group: %d\n", getpgid(c) == getpgrp());
    printf("parent: setpgid(child, child): %s\n", err(setpgid(c, c)));
    printf("parent: child leads a group: %d\n", getpgid(c) == c);
    printf("parent: setpgid(child, own group): %s\n", err(setpgid(c, getpgrp())));
    ready(q[1]);
    int st;
    waitpid(c, &st, 0);
    status("groups child", st);
    printf("parent: setpgid of a reaped child: %s\n", err(setpgid(c, c)));
}

/* In a group of its own, a leader signals its group and another group. */
static void kill_groups(void) {
    pid_t leader = fork();
    if (leader == 0) {
        setpgid(0, 0);
        handle(SIGUSR1, on_usr1);
        handle(SIGUSR2, on_usr2);
        /* Blocked until each process waits for them in sigsuspend. */
        sigset_t both, none;
        sigemptyset(&both);
        sigemptyset(&none);
        sigaddset(&both, SIGUSR1);
        sigaddset(&both, SIGUSR2);
        sigprocmask(SIG_BLOCK, &both, 0);
        int p[2];
        pipe(p);
        pid_t member = fork();
        if (member == 0) {
            ready(p[1]);
            sigsuspend(&none);
            _exit(usr1 * 10 + usr2);
        }
        pid_t other = fork();
        if (other == 0) {
            setpgid(0, 0);
            ready(p[1]);
            sigsuspend(&none);
            _exit(usr1 * 10 + usr2);
        }
        await(p[0]);
        await(p[0]);
        printf("leader: kill(0, SIGUSR1): %s\n", err(kill(0, SIGUSR1)));
        sigprocmask(SIG_UNBLOCK, &both, 0);
        printf("leader: got it: %d\n", usr1);
        printf("leader: kill(-other, SIGUSR2): %s\n", err(kill(-other, SIGUSR2)));
        printf("leader: kill(-member) (no such group): %s\n", err(kill(-member, SIGUSR2)));
        printf("leader: kill(0, 0): %s\n", err(kill(0, 0)));
        int st;
        waitpid(member, &st, 0);
        status("member (usr1*10+usr2)", st);
        waitpid(other, &st, 0);
        status("other group (usr1*10+usr2)", st);
        printf("leader: got SIGUSR2: %d\n", usr2);
        fflush(stdout);
        _exit(0);
    }
    int st;
    waitpid(leader, &st, 0);
    status("leader", st);
}

/* Stops and continues, as waitpid reports them. */
static void job_control(void) {
    int p[2];
    pipe(p);
    pid_t c = fork();
    if (c == 0) {
        setpgid(0, 0);
        ready(p[1]);
        for (;;) pause();
    }
    await(p[0]);
    int st;
    kill(c, SIGTSTP);
    waitpid(c, &st, WUNTRACED);
    status("SIGTSTP, default", st);
    kill(c, SIGCONT);
    waitpid(c, &st, WCONTINUED);
    status("SIGCONT", st);
    kill(-c, SIGSTOP);
    waitpid(-c, &st, WUNTRACED);
    status("SIGSTOP to the group", st);
    kill(-c, SIGCONT);
    waitpid(c, &st, WCONTINUED);
    status("SIGCONT to the group", st);
    kill(c, SIGTERM);
    waitpid(c, &st, 0);
    status("SIGTERM", st);

    /* Handlers for SIGTSTP and SIGCONT; then the default SIGTSTP raised by the child. */
    int q[2];
    pipe(p);
    pipe(q);
    c = fork();
    if (c == 0) {
        setpgid(0, 0);
        handle(SIGTSTP, on_tstp);
        handle(SIGCONT, on_cont);
        sigset_t tstp_set, none;
        sigemptyset(&tstp_set);
        sigemptyset(&none);
        sigaddset(&tstp_set, SIGTSTP);
        sigprocmask(SIG_BLOCK, &tstp_set, 0);
        ready(p[1]);
        while (!tstp) sigsuspend(&none);
        sigprocmask(SIG_UNBLOCK, &tstp_set, 0);
        signal(SIGTSTP, SIG_DFL);
        raise(SIGTSTP);
        /* Continued: the SIGCONT handler ran. It ends when the parent saw the continue. */
        await(q[0]);
        _exit(10 * tstp + cont);
    }
    await(p[0]);
    kill(c, SIGTSTP);
    waitpid(c, &st, WUNTRACED);
    status("raise(SIGTSTP) after a handled one", st);
    kill(c, SIGCONT);
    waitpid(c, &st, WCONTINUED);
    status("SIGCONT", st);
    ready(q[1]);
    waitpid(c, &st, 0);
    status("handled tstp*10+cont", st);

    /* An ignored SIGTSTP does nothing. */
    pipe(p);
    c = fork();
    if (c == 0) {
        setpgid(0, 0);
        signal(SIGTSTP, SIG_IGN);
        ready(p[1]);
        pause();
        _exit(0);
    }
    await(p[0]);
    kill(c, SIGTSTP);
    usleep(100000);
    printf("ignored SIGTSTP: not stopped: %d\n", waitpid(c, &st, WUNTRACED | WNOHANG) == 0);
    kill(c, SIGKILL);
    waitpid(c, &st, 0);
    status("SIGKILL", st);
}

int main(void) {
    setvbuf(stdout, 0, _IONBF, 0);
    ids();
    groups();
    kill_groups();
    job_control();
    return 0;
}
