/* Pseudo-terminals through /dev/ptmx: posix_openpt/grantpt/unlockpt/ptsname, the slave's
   lock, openpty with a window size and attributes, TIOCGPTPEER, and a forkpty session:
   the child is a session leader whose controlling terminal is the slave (isatty,
   tcgetpgrp, TIOCGSID), its output read through the master until EIO. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pty.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

static const char *err(int r) { return r >= 0 ? "ok" : strerrorname_np(errno); }

/* Reads everything the master gives until EIO (the slave's last close) or EOF. */
static void drain(int m, const char *who) {
    char buf[4096];
    size_t n = 0;
    for (;;) {
        ssize_t r = read(m, buf + n, sizeof buf - 1 - n);
        if (r <= 0) {
            printf("%s: read ends with %s\n", who, r == 0 ? "EOF" : strerrorname_np(errno));
            break;
        }
        n += r;
    }
    buf[n] = 0;
    for (char *line = strtok(buf, "\r\n"); line; line = strtok(0, "\r\n")) printf("%s: | %s\n", who, line);
}

static void openpt(void) {
    int m = posix_openpt(O_RDWR | O_NOCTTY);
    printf("posix_openpt: %s, isatty %d\n", err(m), isatty(m));
    int locked = -1;
    int r0 = ioctl(m, TIOCGPTLCK, &locked);
    printf("TIOCGPTLCK: %s, locked %d\n", err(r0), locked);
    char *name = ptsname(m);
    printf("ptsname: /dev/pts/N %d\n", name && strncmp(name, "/dev/pts/", 9) == 0);
    unsigned n = 9999;
    ioctl(m, TIOCGPTN, &n);
    char want[64];
    snprintf(want, sizeof want, "/dev/pts/%u", n);
    printf("TIOCGPTN names it: %d\n", name && strcmp(name, want) == 0);
    printf("open while locked: %s\n", err(open(name, O_RDWR | O_NOCTTY)));
    printf("grantpt: %s, unlockpt: %s\n", err(grantpt(m)), err(unlockpt(m)));
    ioctl(m, TIOCGPTLCK, &locked);
    printf("locked after unlockpt: %d\n", locked);
    int s = open(name, O_RDWR | O_NOCTTY);
    printf("open slave: %s, isatty %d\n", err(s), isatty(s));
    char *tn = ttyname(s);
    printf("ttyname is ptsname: %d\n", tn && strcmp(tn, want) == 0);
    int peer = ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY);
    printf("TIOCGPTPEER: %s, isatty %d\n", err(peer), isatty(peer));
    /* A write to the slave reaches the master (output processing: \n becomes \r\n). */
    write(peer, "via peer\n", 9);
    char buf[64] = {0};
    ssize_t r = read(m, buf, sizeof buf - 1);
    printf("master read %zd: %s", r, buf[0] ? "" : "\n");
    for (ssize_t i = 0; i < r; i++) printf(buf[i] == '\r' ? "\\r" : buf[i] == '\n' ? "\\n\n" : "%c", buf[i]);
    /* Input from the master, read on the slave in canonical mode. */
    write(m, "typed line\n", 11);
    memset(buf, 0, sizeof buf);
    r = read(s, buf, sizeof buf - 1);
    printf("slave read %zd: %s", r, buf);
    int avail = -1;
    write(m, "abc", 3);
    usleep(20000);
    struct termios t;
    tcgetattr(s, &t);
    t.c_lflag &= ~(ICANON | ECHO);
    t.c_cc[VMIN] = 1;
    t.c_cc[VTIME] = 0;
    printf("tcsetattr raw: %s\n", err(tcsetattr(s, TCSANOW, &t)));
    struct termios back;
    tcgetattr(s, &back);
    printf("read back: icanon %d echo %d vmin %d, same cflag %d\n", !!(back.c_lflag & ICANON), !!(back.c_lflag & ECHO),
           back.c_cc[VMIN], back.c_cflag == t.c_cflag);
    ioctl(s, FIONREAD, &avail);
    printf("FIONREAD after raw: %d\n", avail);
    printf("tcflush input: %s\n", err(tcflush(s, TCIFLUSH)));
    ioctl(s, FIONREAD, &avail);
    printf("FIONREAD after flush: %d\n", avail);
    printf("tcdrain: %s\n", err(tcdrain(s)));
    close(peer);
    close(s);
    close(m);
}

static void session(void) {
    struct winsize ws = {33, 101, 0, 0};
    struct termios t;
    memset(&t, 0, sizeof t);
    int m, s;
    printf("openpty: %s\n", err(openpty(&m, &s, 0, 0, &ws)));
    struct winsize got;
    ioctl(s, TIOCGWINSZ, &got);
    printf("window size through the slave: %dx%d\n", got.ws_row, got.ws_col);
    ws.ws_row = 40;
    ioctl(m, TIOCSWINSZ, &ws);
    ioctl(s, TIOCGWINSZ, &got);
    printf("after TIOCSWINSZ on the master: %dx%d\n", got.ws_row, got.ws_col);
    close(s);
    close(m);

    pid_t c = forkpty(&m, 0, 0, &ws);
    if (c == 0) {
        printf("child: isatty 0 1 2: %d %d %d\n", isatty(0), isatty(1), isatty(2));
        printf("child: session leader: %d\n", getsid(0) == getpid());
        printf("child: foreground group is its own: %d\n", tcgetpgrp(0) == getpgrp());
        pid_t sid = -1;
        ioctl(0, TIOCGSID, &sid);
        printf("child: TIOCGSID is its session: %d\n", sid == getsid(0));
        struct winsize w;
        ioctl(1, TIOCGWINSZ, &w);
        printf("child: window %dx%d\n", w.ws_row, w.ws_col);
        printf("child: /dev/tty opens: %d\n", open("/dev/tty", O_RDWR) >= 0);
        printf("child: TIOCSCTTY again: %s\n", err(ioctl(0, TIOCSCTTY, 0)));
        printf("child: tcsetpgrp to its group: %s\n", err(tcsetpgrp(0, getpgrp())));
        fflush(stdout);
        _exit(7);
    }
    drain(m, "master");
    int st;
    waitpid(c, &st, 0);
    printf("child exited %d\n", WEXITSTATUS(st));
    close(m);
}

int main(void) {
    setvbuf(stdout, 0, _IONBF, 0);
    /* Not a terminal: the terminal requests fail as on Linux. */
    struct winsize w;
    int p[2];
    pipe(p);
    printf("TIOCGWINSZ on a pipe: %s\n", err(ioctl(p[0], TIOCGWINSZ, &w)));
    printf("tcgetpgrp on a pipe: %s\n", err(tcgetpgrp(p[0])));
    openpt();
    session();
    return 0;
}
