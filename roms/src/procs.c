/* Process trees: fork, wait statuses, execve (of another program, of #! scripts), pipes
 * between processes, close-on-exec, /proc/self/exe, SIGCHLD, posix_spawn, system().
 * Nothing printed depends on pids, paths of the checkout or timing.
 *   procs wait | waitid | stop | exec PROGRAM | script DIR | pipe | cloexec | exe DIR | sigchld |
 *         spawn | system | vfork
 * (internal modes, used when the rom runs itself: -x ... (as #! interpreter), cloexec-check,
 *  exe-child, child-hello) */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;
static const char *self; /* absolute path of this program */

static void say(const char *fmt, ...) {
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n > (int)sizeof buf - 1)
        n = sizeof buf - 1;
    if (write(1, buf, n) < 0)
        _exit(99);
}

static void die(const char *what) {
    say("%s failed: %s\n", what, strerror(errno));
    exit(3);
}

static void describe(const char *what, int st) {
    if (WIFEXITED(st))
        say("%s: exited status=%d\n", what, WEXITSTATUS(st));
    else if (WIFSIGNALED(st))
        say("%s: signaled sig=%d (%s) core=%d\n", what, WTERMSIG(st), strsignal(WTERMSIG(st)), WCOREDUMP(st) != 0);
    else if (WIFSTOPPED(st))
        say("%s: stopped sig=%d\n", what, WSTOPSIG(st));
    else if (WIFCONTINUED(st))
        say("%s: continued\n", what);
    else
        say("%s: raw status %#x\n", what, st);
}

static pid_t child(void (*fn)(int), int arg) {
    pid_t p = fork();
    if (p < 0)
        die("fork");
    if (p == 0) {
        fn(arg);
        _exit(111);
    }
    return p;
}

static void do_exit(int code) { exit(code); }
static void do_raise(int sig) { raise(sig); }
static void do_segv(int unused) { *(volatile int *)0 = 1; }
static void do_abort(int unused) { abort(); }
static void do_pause(int unused) {
    for (;;)
        pause();
}

static void wait_mode(void) {
    /* No core files: WCOREDUMP is then off natively too. */
    struct rlimit rl = {0, 0};
    setrlimit(RLIMIT_CORE, &rl);
    pid_t me = getpid();
    static const struct { void (*fn)(int); int arg; const char *what; } cases[] = {
        {do_exit, 0, "exit(0)"},       {do_exit, 3, "exit(3)"},          {do_exit, 255, "exit(255)"},
        {do_exit, 256 + 4, "exit(260)"}, {do_raise, SIGTERM, "raise(SIGTERM)"}, {do_raise, SIGKILL, "raise(SIGKILL)"},
        {do_segv, 0, "null write"},    {do_abort, 0, "abort()"},         {do_raise, SIGUSR1, "raise(SIGUSR1)"},
    };
    for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        pid_t p = child(cases[i].fn, cases[i].arg);
        int st = -1;
        pid_t w = waitpid(p, &st, 0);
        if (w != p)
            die("waitpid");
        describe(cases[i].what, st);
    }
    /* A child that checks its parent. */
    pid_t p = fork();
    if (p == 0)
        _exit(getppid() == me ? 10 : 20);
    int st;
    waitpid(p, &st, 0);
    describe("getppid() == parent", st);
    /* WNOHANG on a running child, then kill it. */
    p = child(do_pause, 0);
    say("WNOHANG on a running child: %d\n", waitpid(p, &st, WNOHANG));
    kill(p, SIGKILL);
    waitpid(p, &st, 0);
    describe("killed by parent with SIGKILL", st);
    /* wait(-1) for several children, then ECHILD. */
    int sum = 0;
    for (int i = 1; i <= 4; i++)
        child(do_exit, i);
    for (int i = 0; i < 4; i++) {
        if (wait(&st) < 0)
            die("wait");
        sum += WEXITSTATUS(st);
    }
    say("four children: sum of statuses %d\n", sum);
    errno = 0;
    int r = wait(&st);
    say("wait with no children: %d %s\n", r, errno == ECHILD ? "ECHILD" : strerror(errno));
    /* wait4 with rusage. */
    p = child(do_exit, 1);
    struct rusage ru;
    say("wait4 ok=%d\n", wait4(p, &st, 0, &ru) == p);
}

/* waitid reports through siginfo. */
static void waitid_mode(void) {
    struct rlimit rl = {0, 0};
    setrlimit(RLIMIT_CORE, &rl);
    pid_t p = child(do_exit, 9);
    siginfo_t si;
    memset(&si, 0, sizeof si);
    waitid(P_PID, p, &si, WEXITED);
    say("waitid: signo=%d code=%s status=%d pid_ok=%d\n", si.si_signo,
        si.si_code == CLD_EXITED ? "CLD_EXITED" : "?", si.si_status, si.si_pid == p);
    p = child(do_raise, SIGTERM);
    memset(&si, 0, sizeof si);
    waitid(P_PID, p, &si, WEXITED);
    say("waitid: signo=%d code=%s status=%d\n", si.si_signo, si.si_code == CLD_KILLED ? "CLD_KILLED" : "?",
        si.si_status);
    p = child(do_segv, 0);
    memset(&si, 0, sizeof si);
    waitid(P_ALL, 0, &si, WEXITED);
    say("waitid(P_ALL): signo=%d code=%s status=%d pid_ok=%d\n", si.si_signo,
        si.si_code == CLD_KILLED ? "CLD_KILLED" : si.si_code == CLD_DUMPED ? "CLD_DUMPED" : "?", si.si_status,
        si.si_pid == p);
    /* WNOWAIT leaves the child waitable. */
    p = child(do_exit, 4);
    memset(&si, 0, sizeof si);
    waitid(P_PID, p, &si, WEXITED | WNOWAIT);
    int st = 0;
    pid_t w = waitpid(p, &st, 0);
    say("WNOWAIT: signo=%d status=%d; then waitpid: %d status=%d\n", si.si_signo, si.si_status, w == p,
        WEXITSTATUS(st));
}

static void do_stop_then_pause(int unused) {
    raise(SIGSTOP);
    do_pause(0);
}

static void stop_mode(void) {
    pid_t p = child(do_stop_then_pause, 0);
    int st;
    waitpid(p, &st, WUNTRACED);
    describe("raise(SIGSTOP)", st);
    kill(p, SIGCONT);
    waitpid(p, &st, WCONTINUED);
    describe("after SIGCONT", st);
    kill(p, SIGKILL);
    waitpid(p, &st, 0);
    describe("then SIGKILL", st);
}

static void exec_mode(const char *prog) {
    say("before execve of %s\n", prog);
    char *argv[] = {(char *)prog, "from", "procs", NULL};
    execve(prog, argv, environ);
    die("execve");
}

/* Runs as a #! interpreter: argv is interpreter, [its argument], script, script's arguments. */
static int interp_mode(int argc, char **argv) {
    say("interpreter: argc=%d\n", argc);
    for (int i = 1; i < argc; i++) {
        char *a = strdup(argv[i]);
        /* the script path is absolute: print its name only */
        say("  argv[%d]=%s\n", i, strchr(a, '/') ? basename(a) : a);
    }
    return 0;
}

static void write_script(const char *path, const char *line1) {
    FILE *f = fopen(path, "w");
    if (!f)
        die("fopen script");
    fprintf(f, "%s\nthis is not run\n", line1);
    fclose(f);
    chmod(path, 0755);
}

static void script_mode(const char *dir) {
    char path[PATH_MAX], line[PATH_MAX + 64];
    struct { const char *name, *suffix; } scripts[] = {
        {"with-arg.sh", " -x"}, {"with-two-words.sh", " -x  two words "}, {"no-arg.sh", ""}, {"tab.sh", "\t-x"},
    };
    for (unsigned i = 0; i < sizeof scripts / sizeof scripts[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, scripts[i].name);
        snprintf(line, sizeof line, "#!%s%s", self, scripts[i].suffix);
        write_script(path, line);
        say("exec %s\n", scripts[i].name);
        pid_t p = fork();
        if (p == 0) {
            char *argv[] = {path, "one", "two three", NULL};
            execve(path, argv, environ);
            die("execve script");
        }
        int st;
        waitpid(p, &st, 0);
        describe(scripts[i].name, st);
    }
    /* A script whose interpreter does not exist, and one that is not executable. */
    snprintf(path, sizeof path, "%s/bad-interp.sh", dir);
    write_script(path, "#!/nonexistent/interpreter");
    char *argv[] = {path, NULL};
    errno = 0;
    execve(path, argv, environ);
    say("bad interpreter: %s\n", errno == ENOENT ? "ENOENT" : strerror(errno));
    snprintf(path, sizeof path, "%s/not-exec.sh", dir);
    write_script(path, "#!/bin/sh");
    chmod(path, 0644);
    errno = 0;
    execve(path, argv, environ);
    say("not executable: %s\n", errno == EACCES ? "EACCES" : strerror(errno));
    /* The script as the program run by a fork of this one, through execv + PATH-less path. */
}

static void pipe_mode(void) {
    int down[2], up[2];
    if (pipe(down) || pipe(up))
        die("pipe");
    pid_t p = fork();
    if (p == 0) {
        close(down[1]);
        close(up[0]);
        char buf[256];
        ssize_t n;
        while ((n = read(down[0], buf, sizeof buf)) > 0) {
            for (ssize_t i = 0; i < n; i++)
                buf[i] = toupper((unsigned char)buf[i]);
            if (write(up[1], buf, n) != n)
                _exit(5);
        }
        _exit(n == 0 ? 0 : 6);
    }
    close(down[0]);
    close(up[1]);
    const char *lines[] = {"first line\n", "second, longer line\n", "third\n"};
    for (int i = 0; i < 3; i++)
        if (write(down[1], lines[i], strlen(lines[i])) < 0)
            die("write");
    close(down[1]);
    char got[512];
    size_t total = 0;
    ssize_t n;
    while ((n = read(up[0], got + total, sizeof got - 1 - total)) > 0)
        total += n;
    got[total] = 0;
    say("child returned:\n%s", got);
    int st;
    waitpid(p, &st, 0);
    describe("filter child", st);
    close(up[0]);

    /* The child's stdout on a pipe, then exec of another program. */
    if (pipe(up))
        die("pipe");
    p = fork();
    if (p == 0) {
        dup2(up[1], 1);
        close(up[0]);
        close(up[1]);
        char *argv[] = {(char *)self, "child-hello", NULL};
        execve(self, argv, environ);
        _exit(7);
    }
    close(up[1]);
    total = 0;
    while ((n = read(up[0], got + total, sizeof got - 1 - total)) > 0)
        total += n;
    got[total] = 0;
    close(up[0]);
    waitpid(p, &st, 0);
    say("exec'd child wrote: %s", got);
    describe("exec'd child", st);

    /* Writing to a pipe nobody reads: SIGPIPE by default, EPIPE when ignored. */
    if (pipe(up))
        die("pipe");
    close(up[0]);
    p = fork();
    if (p == 0) {
        (void)!write(up[1], "x", 1);
        _exit(0);
    }
    waitpid(p, &st, 0);
    describe("write to a closed pipe", st);
    signal(SIGPIPE, SIG_IGN);
    errno = 0;
    ssize_t w = write(up[1], "x", 1);
    say("with SIGPIPE ignored: %zd %s\n", w, errno == EPIPE ? "EPIPE" : strerror(errno));
}

static void cloexec_mode(void) {
    int a[2], b[2];
    if (pipe2(a, O_CLOEXEC) || pipe(b))
        die("pipe");
    int c = fcntl(b[0], F_DUPFD_CLOEXEC, 20);
    int d = dup3(b[1], 30, O_CLOEXEC);
    int e = dup2(a[0], 40); /* dup2 clears the flag */
    int f = open("/dev/null", O_RDONLY | O_CLOEXEC);
    fcntl(f, F_SETFD, 0); /* ... and so does F_SETFD */
    int g = open("/dev/null", O_RDONLY);
    fcntl(g, F_SETFD, FD_CLOEXEC);
    say("before exec: cloexec a0=%d b0=%d c=%d d=%d e=%d f=%d g=%d\n", fcntl(a[0], F_GETFD), fcntl(b[0], F_GETFD),
        fcntl(c, F_GETFD), fcntl(d, F_GETFD), fcntl(e, F_GETFD), fcntl(f, F_GETFD), fcntl(g, F_GETFD));
    /* Handlers are reset by execve, ignored signals and the mask are kept. */
    signal(SIGUSR1, do_exit);
    signal(SIGUSR2, SIG_IGN);
    sigset_t m;
    sigemptyset(&m);
    sigaddset(&m, SIGWINCH);
    sigprocmask(SIG_BLOCK, &m, NULL);
    char fds[7][16], pid[32];
    int all[7] = {a[0], b[0], c, d, e, f, g};
    for (int i = 0; i < 7; i++)
        snprintf(fds[i], sizeof fds[i], "%d", all[i]);
    snprintf(pid, sizeof pid, "%d", getpid());
    char *argv[] = {(char *)self, "cloexec-check", pid, fds[0], fds[1], fds[2], fds[3], fds[4], fds[5], fds[6], NULL};
    execve(self, argv, environ);
    die("execve");
}

static int cloexec_check(int argc, char **argv) {
    say("after exec: same pid=%d\n", atoi(argv[2]) == getpid());
    const char *names = "a0 b0 c d e f g";
    for (int i = 3; i < argc; i++) {
        int fd = atoi(argv[i]);
        errno = 0;
        int fl = fcntl(fd, F_GETFD);
        say("  %.*s open=%d\n", (int)strcspn(names + 3 * (i - 3) - (i > 5 ? i - 5 : 0), " "),
            names + 3 * (i - 3) - (i > 5 ? i - 5 : 0), fl >= 0);
    }
    struct sigaction sa;
    sigaction(SIGUSR1, NULL, &sa);
    say("  SIGUSR1 handler reset to default=%d\n", sa.sa_handler == SIG_DFL);
    sigaction(SIGUSR2, NULL, &sa);
    say("  SIGUSR2 still ignored=%d\n", sa.sa_handler == SIG_IGN);
    sigset_t m;
    sigprocmask(SIG_BLOCK, NULL, &m);
    say("  SIGWINCH still blocked=%d\n", sigismember(&m, SIGWINCH));
    return 0;
}

static char *exe_name(void) {
    static char buf[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
    if (n < 0)
        return "<readlink failed>";
    buf[n] = 0;
    return buf;
}

static void exe_mode(const char *dir) {
    char *e = exe_name();
    say("/proc/self/exe before: %s (is this program: %d)\n", basename(strdup(e)), strcmp(e, self) == 0);
    /* A copy of this program under another name. */
    char copy[PATH_MAX];
    snprintf(copy, sizeof copy, "%s/procs-copy", dir);
    int in = open(self, O_RDONLY), out = open(copy, O_WRONLY | O_CREAT | O_TRUNC, 0755);
    if (in < 0 || out < 0)
        die("open");
    char buf[65536];
    ssize_t n;
    while ((n = read(in, buf, sizeof buf)) > 0)
        if (write(out, buf, n) != n)
            die("write copy");
    close(in);
    close(out);
    char *argv[] = {"renamed-argv0", "exe-child", copy, NULL};
    execve(copy, argv, environ);
    die("execve copy");
}

static int exe_child(const char *copy) {
    char *e = exe_name();
    char real[PATH_MAX];
    realpath(copy, real);
    say("/proc/self/exe after: %s (is the copy: %d) argv0 kept\n", basename(strdup(e)), strcmp(e, real) == 0);
    return 0;
}

static volatile int chld_seen, chld_code, chld_status, chld_pid_ok;
static volatile pid_t chld_expect;

static void on_chld(int sig, siginfo_t *si, void *uc) {
    chld_seen++;
    chld_code = si->si_code;
    chld_status = si->si_status;
    chld_pid_ok = si->si_pid == chld_expect;
}

static void sigchld_mode(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_chld;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigaction(SIGCHLD, &sa, NULL);
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGCHLD);
    for (int i = 0; i < 2; i++) {
        sigprocmask(SIG_BLOCK, &block, &old);
        pid_t p = fork();
        if (p == 0) {
            if (i == 0)
                _exit(42);
            raise(SIGTERM);
            _exit(1);
        }
        chld_expect = p;
        while (!chld_seen)
            sigsuspend(&old);
        sigprocmask(SIG_SETMASK, &old, NULL);
        say("SIGCHLD: count=%d code=%s status=%d pid_ok=%d\n", chld_seen,
            chld_code == CLD_EXITED ? "CLD_EXITED" : chld_code == CLD_KILLED ? "CLD_KILLED" : "?", chld_status,
            chld_pid_ok);
        int st;
        waitpid(p, &st, 0);
        describe("child", st);
        chld_seen = 0;
    }
    /* SIG_IGN for SIGCHLD: children are reaped automatically, wait gives ECHILD. */
    signal(SIGCHLD, SIG_IGN);
    pid_t p = fork();
    if (p == 0)
        _exit(0);
    int st;
    errno = 0;
    pid_t r = waitpid(p, &st, 0);
    say("SIGCHLD ignored: waitpid=%d %s\n", r == p ? 1 : r, errno == ECHILD ? "ECHILD" : "");
}

static void spawn_mode(void) {
    int up[2];
    if (pipe(up))
        die("pipe");
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, up[1], 1);
    posix_spawn_file_actions_addclose(&fa, up[0]);
    char *argv[] = {(char *)self, "child-hello", NULL};
    pid_t p;
    int r = posix_spawn(&p, self, &fa, NULL, argv, environ);
    say("posix_spawn returned %d\n", r);
    close(up[1]);
    char got[256];
    ssize_t n, total = 0;
    while ((n = read(up[0], got + total, sizeof got - 1 - total)) > 0)
        total += n;
    got[total] = 0;
    say("spawned child wrote: %s", got);
    int st;
    waitpid(p, &st, 0);
    describe("spawned child", st);
    /* A program that does not exist: posix_spawn reports the exec error. */
    char *argv2[] = {"/nonexistent/prog", NULL};
    r = posix_spawn(&p, "/nonexistent/prog", NULL, NULL, argv2, environ);
    if (r == 0) {
        waitpid(p, &st, 0);
        describe("spawn of a missing program", st);
    } else {
        say("spawn of a missing program: %s\n", r == ENOENT ? "ENOENT" : strerror(r));
    }
}

static void system_mode(void) {
    fflush(stdout);
    int st = system("echo hello from sh; echo args: $0; exit 7");
    describe("system", st);
    st = system("kill -TERM $$");
    describe("system killed", st);
    say("system(NULL)=%d\n", system(NULL) != 0);
}

static void vfork_mode(void) {
    volatile int shared = 1;
    pid_t p = vfork();
    if (p == 0) {
        shared = 2; /* vfork shares memory until exec or _exit */
        _exit(12);
    }
    int st;
    waitpid(p, &st, 0);
    describe("vfork child", st);
    say("parent sees shared=%d\n", shared);
    p = vfork();
    if (p == 0) {
        char *argv[] = {(char *)self, "child-hello", NULL};
        execve(self, argv, environ);
        _exit(127);
    }
    waitpid(p, &st, 0);
    describe("vfork+exec child", st);
}

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "";
    if (!strcmp(mode, "exe-child") && argc > 2)
        return exe_child(argv[2]);
    static char selfbuf[PATH_MAX];
    if (!realpath(argv[0], selfbuf))
        die("realpath(argv[0])");
    self = selfbuf;
    if (strcmp(mode, "-x") == 0 || (argc > 1 && strstr(argv[1], ".sh")) || strncmp(mode, "-x ", 3) == 0)
        return interp_mode(argc, argv);
    if (!strcmp(mode, "child-hello")) {
        say("hello from the child\n");
        return 5;
    }
    if (!strcmp(mode, "cloexec-check"))
        return cloexec_check(argc, argv);
    if (!strcmp(mode, "wait"))
        wait_mode();
    else if (!strcmp(mode, "waitid"))
        waitid_mode();
    else if (!strcmp(mode, "stop"))
        stop_mode();
    else if (!strcmp(mode, "exec") && argc > 2)
        exec_mode(argv[2]);
    else if (!strcmp(mode, "script") && argc > 2)
        script_mode(argv[2]);
    else if (!strcmp(mode, "pipe"))
        pipe_mode();
    else if (!strcmp(mode, "cloexec"))
        cloexec_mode();
    else if (!strcmp(mode, "exe") && argc > 2)
        exe_mode(argv[2]);
    else if (!strcmp(mode, "sigchld"))
        sigchld_mode();
    else if (!strcmp(mode, "spawn"))
        spawn_mode();
    else if (!strcmp(mode, "system"))
        system_mode();
    else if (!strcmp(mode, "vfork"))
        vfork_mode();
    else {
        fprintf(stderr, "procs: unknown mode %s\n", mode);
        return 2;
    }
    return 0;
}
