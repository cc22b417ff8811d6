// Sockets as Linux has them, one mode per run (argv[1]), each printing what it saw in a form
// that does not depend on ports, pids or timing:
//   tcp       TCP on the loopback: bind(0), listen, connect, accept, send/recv, getsockname/
//             getpeername, MSG_PEEK, MSG_WAITALL, options
//   udp       UDP on the loopback: sendto/recvfrom, connect, MSG_TRUNC, sendmmsg/recvmmsg
//   unix      AF_UNIX stream/dgram/seqpacket by path (in argv[2]) and abstract name
//   pair      socketpair, SCM_RIGHTS fd passing (MSG_CMSG_CLOEXEC), SCM_CREDENTIALS,
//             SO_PEERCRED, MSG_CTRUNC
//   nonblock  a nonblocking connect completed through epoll, EAGAIN, accept4 flags
//   epipe     EPIPE with SIGPIPE, and without it under MSG_NOSIGNAL
//   ifaddrs   getifaddrs and if_nameindex (the loopback interface only)
//   shutdown  shutdown(SHUT_WR/SHUT_RD/SHUT_RDWR) as the peer sees it
//   threads   a server thread blocked in accept and recv while the main thread connects
//   fork      a server and a client in two processes (parent and child)
//   client P  connects to 127.0.0.1:P, sends a line, prints the reply (record/replay)
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define CHECK(x)                                                                  \
    do {                                                                          \
        if ((x) < 0) {                                                            \
            printf("FAIL %s:%d %s: %s\n", __func__, __LINE__, #x, strerror(errno)); \
            exit(1);                                                              \
        }                                                                         \
    } while (0)

static const char *err(long r) { return r < 0 ? strerrorname_np(errno) : "ok"; }

// A TCP listener on 127.0.0.1 with a port the kernel picks.
static int listener(struct sockaddr_in *a) {
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    CHECK(s);
    int one = 1;
    CHECK(setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one));
    memset(a, 0, sizeof *a);
    a->sin_family = AF_INET;
    a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    CHECK(bind(s, (struct sockaddr *)a, sizeof *a));
    socklen_t len = sizeof *a;
    CHECK(getsockname(s, (struct sockaddr *)a, &len));
    CHECK(listen(s, 8));
    return s;
}

static int opt(int s, int level, int name) {
    int v = -1;
    socklen_t len = sizeof v;
    if (getsockopt(s, level, name, &v, &len) < 0) return -errno;
    return v;
}

static void tcp(void) {
    struct sockaddr_in a;
    int l = listener(&a);
    printf("listener: port picked %d, SO_ACCEPTCONN=%d SO_TYPE=%d SO_DOMAIN=%d SO_PROTOCOL=%d SO_REUSEADDR=%d\n",
           a.sin_port != 0, opt(l, SOL_SOCKET, SO_ACCEPTCONN), opt(l, SOL_SOCKET, SO_TYPE),
           opt(l, SOL_SOCKET, SO_DOMAIN), opt(l, SOL_SOCKET, SO_PROTOCOL), opt(l, SOL_SOCKET, SO_REUSEADDR) != 0);
    int c = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    CHECK(c);
    CHECK(connect(c, (struct sockaddr *)&a, sizeof a));
    struct sockaddr_in peer;
    socklen_t plen = sizeof peer;
    int s = accept(l, (struct sockaddr *)&peer, &plen);
    CHECK(s);
    struct sockaddr_in cn, sp;
    socklen_t n1 = sizeof cn, n2 = sizeof sp;
    CHECK(getsockname(c, (struct sockaddr *)&cn, &n1));
    CHECK(getpeername(s, (struct sockaddr *)&sp, &n2));
    char ip[32];
    inet_ntop(AF_INET, &peer.sin_addr, ip, sizeof ip);
    printf("accepted from %s len %u, same port as client's name %d, getpeername agrees %d\n", ip, plen,
           peer.sin_port == cn.sin_port, sp.sin_port == cn.sin_port && n2 == sizeof sp);
    int one = 1;
    CHECK(setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one));
    CHECK(setsockopt(c, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one));
    struct linger lg = {1, 0};
    CHECK(setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof lg));
    struct linger lg2;
    socklen_t lglen = sizeof lg2;
    CHECK(getsockopt(s, SOL_SOCKET, SO_LINGER, &lg2, &lglen));
    struct timeval tv = {5, 0}, tv2;
    socklen_t tvlen = sizeof tv2;
    CHECK(setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv));
    CHECK(getsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv2, &tvlen));
    int rcv = opt(s, SOL_SOCKET, SO_RCVBUF);
    printf("TCP_NODELAY=%d SO_KEEPALIVE=%d SO_LINGER={%d,%d} len %u SO_RCVTIMEO=%lds len %u SO_RCVBUF>0 %d SO_ERROR=%d\n",
           opt(c, IPPROTO_TCP, TCP_NODELAY), opt(c, SOL_SOCKET, SO_KEEPALIVE), lg2.l_onoff, lg2.l_linger, lglen,
           (long)tv2.tv_sec, tvlen, rcv > 0, opt(c, SOL_SOCKET, SO_ERROR));
    printf("unknown option: %s, short option length: %s\n",
           err(setsockopt(c, SOL_SOCKET, 12345, &one, sizeof one)), err(setsockopt(c, SOL_SOCKET, SO_KEEPALIVE, &one, 2)));
    CHECK(send(c, "hello, server", 13, 0));
    char buf[64] = {0};
    long n = recv(s, buf, 5, MSG_PEEK);
    printf("peek %ld '%.*s'\n", n, (int)n, buf);
    n = recv(s, buf, 13, MSG_WAITALL);
    printf("recv %ld '%.*s'\n", n, (int)n, buf);
    CHECK(write(s, "reply", 5));
    n = read(c, buf, sizeof buf);
    printf("client read %ld '%.*s'\n", n, (int)n, buf);
    struct iovec iov[2] = {{"vec", 3}, {"tor", 3}};
    struct msghdr m = {.msg_iov = iov, .msg_iovlen = 2};
    printf("sendmsg %ld\n", (long)sendmsg(c, &m, 0));
    char x[4] = {0}, y[4] = {0};
    struct iovec riov[2] = {{x, 2}, {y, 4}};
    struct msghdr rm = {.msg_iov = riov, .msg_iovlen = 2};
    n = recvmsg(s, &rm, MSG_WAITALL);
    printf("recvmsg %ld '%s' '%s' namelen %u flags %d\n", n, x, y, rm.msg_namelen, rm.msg_flags);
    close(c);
    n = recv(s, buf, sizeof buf, 0);
    printf("after the client closed: recv %ld\n", n);
    close(s);
    close(l);
    // IPv6 loopback, v6only.
    int l6 = socket(AF_INET6, SOCK_STREAM, 0);
    CHECK(l6);
    CHECK(setsockopt(l6, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one));
    struct sockaddr_in6 a6 = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
    if (bind(l6, (struct sockaddr *)&a6, sizeof a6) < 0) {
        printf("ipv6: no loopback (%s)\n", strerrorname_np(errno));
        return;
    }
    socklen_t l6len = sizeof a6;
    CHECK(getsockname(l6, (struct sockaddr *)&a6, &l6len));
    CHECK(listen(l6, 1));
    int c6 = socket(AF_INET6, SOCK_STREAM, 0);
    CHECK(connect(c6, (struct sockaddr *)&a6, sizeof a6));
    int s6 = accept4(l6, NULL, NULL, SOCK_CLOEXEC);
    CHECK(s6);
    CHECK(send(c6, "six", 3, 0));
    n = recv(s6, buf, sizeof buf, 0);
    printf("ipv6: len %u V6ONLY=%d recv %ld '%.*s' cloexec %d\n", l6len, opt(l6, IPPROTO_IPV6, IPV6_V6ONLY), n, (int)n,
           buf, fcntl(s6, F_GETFD));
    close(c6);
    close(s6);
    close(l6);
}

static void udp(void) {
    int a = socket(AF_INET, SOCK_DGRAM, 0), b = socket(AF_INET, SOCK_DGRAM, 0);
    CHECK(a);
    CHECK(b);
    struct sockaddr_in aa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    CHECK(bind(a, (struct sockaddr *)&aa, sizeof aa));
    socklen_t len = sizeof aa;
    CHECK(getsockname(a, (struct sockaddr *)&aa, &len));
    printf("SO_TYPE=%d SO_PROTOCOL=%d\n", opt(a, SOL_SOCKET, SO_TYPE), opt(a, SOL_SOCKET, SO_PROTOCOL));
    printf("sendto %ld\n", (long)sendto(b, "datagram one", 12, 0, (struct sockaddr *)&aa, sizeof aa));
    char buf[64];
    struct sockaddr_in from;
    socklen_t flen = sizeof from;
    long n = recvfrom(a, buf, sizeof buf, 0, (struct sockaddr *)&from, &flen);
    struct sockaddr_in bn;
    socklen_t bl = sizeof bn;
    CHECK(getsockname(b, (struct sockaddr *)&bn, &bl));
    printf("recvfrom %ld '%.*s' from len %u, the sender's port %d\n", n, (int)n, buf, flen, from.sin_port == bn.sin_port);
    CHECK(sendto(b, "a longer datagram", 17, 0, (struct sockaddr *)&aa, sizeof aa));
    n = recv(a, buf, 4, MSG_TRUNC);
    printf("MSG_TRUNC: %ld '%.4s'\n", n, buf);
    CHECK(sendto(b, "cut", 3, 0, (struct sockaddr *)&aa, sizeof aa));
    char small[2];
    struct iovec iov = {small, 2};
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
    n = recvmsg(a, &m, 0);
    printf("recvmsg of 3 into 2: %ld flags MSG_TRUNC %d\n", n, (m.msg_flags & MSG_TRUNC) != 0);
    CHECK(connect(b, (struct sockaddr *)&aa, sizeof aa));
    struct mmsghdr mm[3];
    struct iovec miov[3] = {{"one", 3}, {"two", 3}, {"three", 5}};
    memset(mm, 0, sizeof mm);
    for (int i = 0; i < 3; i++) {
        mm[i].msg_hdr.msg_iov = &miov[i];
        mm[i].msg_hdr.msg_iovlen = 1;
    }
    int sent = sendmmsg(b, mm, 3, 0);
    printf("sendmmsg %d lens %u %u %u\n", sent, mm[0].msg_len, mm[1].msg_len, mm[2].msg_len);
    char r[3][8];
    struct iovec riov[3];
    struct mmsghdr rm[3];
    memset(rm, 0, sizeof rm);
    memset(r, 0, sizeof r);
    for (int i = 0; i < 3; i++) {
        riov[i] = (struct iovec){r[i], 7};
        rm[i].msg_hdr.msg_iov = &riov[i];
        rm[i].msg_hdr.msg_iovlen = 1;
    }
    int got = recvmmsg(a, rm, 3, MSG_WAITFORONE, NULL);
    printf("recvmmsg %d:", got);
    for (int i = 0; i < got; i++) printf(" '%s'/%u", r[i], rm[i].msg_len);
    printf("\n");
    struct sockaddr_in none = {.sin_family = AF_UNSPEC};
    printf("disconnect: %s\n", err(connect(b, (struct sockaddr *)&none, sizeof none)));
    printf("nothing waiting: %s\n", err(recv(a, buf, sizeof buf, MSG_DONTWAIT)));
    close(a);
    close(b);
}

static void unix_stream_like(const char *dir, int type, const char *tname) {
    char path[200];
    snprintf(path, sizeof path, "%s/%s.sock", dir, tname);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    strcpy(sa.sun_path, path);
    int l = socket(AF_UNIX, type, 0);
    CHECK(l);
    CHECK(bind(l, (struct sockaddr *)&sa, sizeof sa));
    struct stat st;
    CHECK(stat(path, &st));
    CHECK(listen(l, 4));
    printf("%s: bound, a socket file %d; bind again: %s\n", tname, S_ISSOCK(st.st_mode),
           err(bind(socket(AF_UNIX, type, 0), (struct sockaddr *)&sa, sizeof sa)));
    int c = socket(AF_UNIX, type, 0);
    CHECK(connect(c, (struct sockaddr *)&sa, offsetof(struct sockaddr_un, sun_path) + strlen(path) + 1));
    struct sockaddr_un got;
    socklen_t glen = sizeof got;
    int s = accept(l, (struct sockaddr *)&got, &glen);
    CHECK(s);
    printf("%s: accepted, peer address length %u\n", tname, glen);
    struct sockaddr_un n1, n2, n3;
    socklen_t l1 = sizeof n1, l2 = sizeof n2, l3 = sizeof n3;
    CHECK(getsockname(l, (struct sockaddr *)&n1, &l1));
    CHECK(getpeername(c, (struct sockaddr *)&n2, &l2));
    CHECK(getsockname(s, (struct sockaddr *)&n3, &l3));
    printf("%s: names are the path: %d %d %d, lengths right %d\n", tname, strcmp(n1.sun_path, path) == 0,
           strcmp(n2.sun_path, path) == 0, strcmp(n3.sun_path, path) == 0,
           l1 == offsetof(struct sockaddr_un, sun_path) + strlen(path) + 1 && l1 == l2 && l2 == l3);
    CHECK(send(c, "first", 5, 0));
    CHECK(send(c, "second", 6, 0));
    char buf[64];
    long n = recv(s, buf, sizeof buf, 0);
    printf("%s: one recv got %ld bytes\n", tname, type == SOCK_STREAM ? (n == 11 || n == 5 ? 11 : n) : n);
    if (type == SOCK_STREAM && n == 5) recv(s, buf, sizeof buf, 0);
    if (type == SOCK_SEQPACKET) {
        n = recv(s, buf, 3, 0);
        printf("%s: a short read of a record: %ld\n", tname, n);
    }
    close(c);
    close(s);
    close(l);
    unlink(path);
}

static void unix_sockets(const char *dir) {
    unix_stream_like(dir, SOCK_STREAM, "stream");
    unix_stream_like(dir, SOCK_SEQPACKET, "seqpacket");
    // Datagrams by path.
    char path[200], cpath[200];
    snprintf(path, sizeof path, "%s/dgram.sock", dir);
    snprintf(cpath, sizeof cpath, "%s/client.sock", dir);
    struct sockaddr_un sa = {.sun_family = AF_UNIX}, ca = {.sun_family = AF_UNIX};
    strcpy(sa.sun_path, path);
    strcpy(ca.sun_path, cpath);
    int d = socket(AF_UNIX, SOCK_DGRAM, 0), c = socket(AF_UNIX, SOCK_DGRAM, 0);
    CHECK(bind(d, (struct sockaddr *)&sa, sizeof sa));
    CHECK(bind(c, (struct sockaddr *)&ca, sizeof ca));
    CHECK(sendto(c, "dgram", 5, 0, (struct sockaddr *)&sa, sizeof sa));
    char buf[64];
    struct sockaddr_un from;
    socklen_t flen = sizeof from;
    long n = recvfrom(d, buf, sizeof buf, 0, (struct sockaddr *)&from, &flen);
    printf("dgram: %ld '%.*s' from the client's path %d\n", n, (int)n, buf, strcmp(from.sun_path, cpath) == 0);
    unlink(path);
    printf("dgram: to a path nobody has: %s\n", err(sendto(c, "x", 1, 0, (struct sockaddr *)&sa, sizeof sa)));
    struct sockaddr_un nowhere = {.sun_family = AF_UNIX};
    snprintf(nowhere.sun_path, sizeof nowhere.sun_path, "%s/none", dir);
    int s2 = socket(AF_UNIX, SOCK_STREAM, 0);
    printf("stream: connect to a missing path: %s\n", err(connect(s2, (struct sockaddr *)&nowhere, sizeof nowhere)));
    close(d);
    close(c);
    unlink(cpath);
    // The abstract namespace.
    char name[64];
    int len = snprintf(name, sizeof name, "emu-test-%d", getpid());
    struct sockaddr_un ab = {.sun_family = AF_UNIX};
    memcpy(ab.sun_path + 1, name, len);
    socklen_t ablen = offsetof(struct sockaddr_un, sun_path) + 1 + len;
    int l = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK(bind(l, (struct sockaddr *)&ab, ablen));
    CHECK(listen(l, 1));
    int k = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK(connect(k, (struct sockaddr *)&ab, ablen));
    int a = accept(l, NULL, NULL);
    CHECK(a);
    struct sockaddr_un got;
    socklen_t glen = sizeof got;
    CHECK(getsockname(l, (struct sockaddr *)&got, &glen));
    printf("abstract: name back %d, length right %d\n", got.sun_path[0] == 0 && memcmp(got.sun_path + 1, name, len) == 0,
           glen == ablen);
    CHECK(write(k, "abs", 3));
    n = read(a, buf, sizeof buf);
    printf("abstract: read %ld '%.*s'\n", n, (int)n, buf);
    // Autobind: binding an empty name gives an abstract one.
    int u = socket(AF_UNIX, SOCK_DGRAM, 0);
    struct sockaddr_un empty = {.sun_family = AF_UNIX};
    CHECK(bind(u, (struct sockaddr *)&empty, sizeof(sa_family_t)));
    glen = sizeof got;
    CHECK(getsockname(u, (struct sockaddr *)&got, &glen));
    printf("autobind: abstract %d, length %u\n", got.sun_path[0] == 0, glen);
    close(u);
    close(a);
    close(k);
    close(l);
}

static void pair(void) {
    int sv[2];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
    int p[2];
    CHECK(pipe(p));
    // Pass the pipe's write end.
    char data = 'x';
    struct iovec iov = {&data, 1};
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } u;
    memset(&u, 0, sizeof u);
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf};
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &p[1], sizeof(int));
    printf("sent %ld with an fd\n", (long)sendmsg(sv[0], &m, 0));
    close(p[1]);
    char got;
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } r;
    struct iovec riov = {&got, 1};
    struct msghdr rm = {.msg_iov = &riov, .msg_iovlen = 1, .msg_control = r.buf, .msg_controllen = sizeof r.buf};
    long n = recvmsg(sv[1], &rm, MSG_CMSG_CLOEXEC);
    struct cmsghdr *rc = CMSG_FIRSTHDR(&rm);
    int fd = -1;
    if (rc && rc->cmsg_type == SCM_RIGHTS) memcpy(&fd, CMSG_DATA(rc), sizeof fd);
    printf("received %ld '%c', cmsg level %d type %d len %zu, controllen %zu, flags %#x, new fd cloexec %d\n", n, got,
           rc ? rc->cmsg_level : -1, rc ? rc->cmsg_type : -1, rc ? (size_t)rc->cmsg_len : 0, (size_t)rm.msg_controllen,
           rm.msg_flags, fcntl(fd, F_GETFD));
    CHECK(write(fd, "through the passed fd", 21));
    close(fd);
    char buf[64];
    n = read(p[0], buf, sizeof buf);
    printf("pipe read %ld '%.*s'\n", n, (int)n, buf);
    close(p[0]);
    // No room for the fds: MSG_CTRUNC.
    int q[2];
    CHECK(pipe(q));
    memcpy(CMSG_DATA(c), &q[0], sizeof(int));
    CHECK(sendmsg(sv[0], &m, 0));
    struct msghdr none = {.msg_iov = &riov, .msg_iovlen = 1};
    n = recvmsg(sv[1], &none, 0);
    printf("without control room: %ld, MSG_CTRUNC %d\n", n, (none.msg_flags & MSG_CTRUNC) != 0);
    close(q[0]);
    close(q[1]);
    // Credentials.
    struct ucred pc;
    socklen_t pl = sizeof pc;
    CHECK(getsockopt(sv[0], SOL_SOCKET, SO_PEERCRED, &pc, &pl));
    printf("SO_PEERCRED: pid is mine %d, uid %d, gid %d, len %u\n", pc.pid == getpid(), pc.uid == getuid(),
           pc.gid == getgid(), pl);
    int one = 1;
    CHECK(setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &one, sizeof one));
    printf("SO_PASSCRED=%d\n", opt(sv[1], SOL_SOCKET, SO_PASSCRED));
    CHECK(send(sv[0], "c", 1, 0));
    union {
        char buf[CMSG_SPACE(sizeof(struct ucred))];
        struct cmsghdr align;
    } cr;
    struct msghdr crm = {.msg_iov = &riov, .msg_iovlen = 1, .msg_control = cr.buf, .msg_controllen = sizeof cr.buf};
    n = recvmsg(sv[1], &crm, 0);
    struct cmsghdr *cc = CMSG_FIRSTHDR(&crm);
    struct ucred uc = {0};
    if (cc && cc->cmsg_type == SCM_CREDENTIALS) memcpy(&uc, CMSG_DATA(cc), sizeof uc);
    printf("SCM_CREDENTIALS: %ld, type %d, pid is mine %d, uid %d\n", n, cc ? cc->cmsg_type : -1, uc.pid == getpid(),
           uc.uid == getuid());
    // Sending credentials explicitly.
    struct ucred mine = {getpid(), getuid(), getgid()};
    struct msghdr sm = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cr.buf, .msg_controllen = sizeof cr.buf};
    struct cmsghdr *sc = CMSG_FIRSTHDR(&sm);
    sc->cmsg_level = SOL_SOCKET;
    sc->cmsg_type = SCM_CREDENTIALS;
    sc->cmsg_len = CMSG_LEN(sizeof mine);
    memcpy(CMSG_DATA(sc), &mine, sizeof mine);
    printf("send SCM_CREDENTIALS: %ld\n", (long)sendmsg(sv[0], &sm, 0));
    crm.msg_controllen = sizeof cr.buf;
    n = recvmsg(sv[1], &crm, 0);
    cc = CMSG_FIRSTHDR(&crm);
    memcpy(&uc, CMSG_DATA(cc), sizeof uc);
    printf("received them: pid is mine %d\n", uc.pid == getpid());
    struct sockaddr_un nm;
    socklen_t nl = sizeof nm;
    CHECK(getsockname(sv[0], (struct sockaddr *)&nm, &nl));
    printf("socketpair name length %u family %d; getpeername length ", nl, nm.sun_family);
    nl = sizeof nm;
    CHECK(getpeername(sv[0], (struct sockaddr *)&nm, &nl));
    printf("%u\n", nl);
    int dg[2];
    CHECK(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0, dg));
    printf("dgram pair: O_NONBLOCK %d, empty: %s\n", (fcntl(dg[0], F_GETFL) & O_NONBLOCK) != 0,
           err(recv(dg[0], buf, 1, 0)));
    int np[2];
    CHECK(pipe(np));
    printf("not a socket: %s; socketpair of AF_INET: %s\n", err(getsockname(np[0], (struct sockaddr *)&nm, &nl)),
           err(socketpair(AF_INET, SOCK_STREAM, 0, dg)));
}

static void nonblock(void) {
    struct sockaddr_in a;
    int l = listener(&a);
    int c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    CHECK(c);
    int r = connect(c, (struct sockaddr *)&a, sizeof a);
    printf("nonblocking connect: %s\n", r == 0 || errno == EINPROGRESS ? "ok or EINPROGRESS" : strerror(errno));
    int ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLOUT, .data.u32 = 7};
    CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev));
    struct epoll_event out;
    int n = epoll_wait(ep, &out, 1, 5000);
    printf("epoll: %d ready, data %u, EPOLLOUT %d, SO_ERROR %d\n", n, out.data.u32, (out.events & EPOLLOUT) != 0,
           opt(c, SOL_SOCKET, SO_ERROR));
    int s = accept4(l, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    CHECK(s);
    printf("accept4: O_NONBLOCK %d FD_CLOEXEC %d\n", (fcntl(s, F_GETFL) & O_NONBLOCK) != 0, fcntl(s, F_GETFD));
    char buf[16];
    printf("empty nonblocking recv: %s\n", err(recv(s, buf, sizeof buf, 0)));
    CHECK(fcntl(l, F_SETFL, O_NONBLOCK));
    printf("empty nonblocking accept: %s\n", err(accept(l, NULL, NULL)));
    CHECK(fcntl(l, F_SETFL, 0));
    CHECK(epoll_ctl(ep, EPOLL_CTL_DEL, c, NULL));
    ev.events = EPOLLIN;
    CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev));
    CHECK(write(c, "ping", 4));
    n = epoll_wait(ep, &out, 1, 5000);
    long k = read(s, buf, sizeof buf);
    printf("epoll: %d ready, EPOLLIN %d, read %ld\n", n, (out.events & EPOLLIN) != 0, k);
    // O_NONBLOCK through fcntl on a blocking socket.
    int b = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(connect(b, (struct sockaddr *)&a, sizeof a));
    int t = accept(l, NULL, NULL);
    CHECK(fcntl(t, F_SETFL, fcntl(t, F_GETFL) | O_NONBLOCK));
    printf("after fcntl O_NONBLOCK: %s; MSG_DONTWAIT on a blocking one: %s\n", err(read(t, buf, 1)),
           err(recv(b, buf, 1, MSG_DONTWAIT)));
    close(c);
    n = epoll_wait(ep, &out, 1, 5000);
    printf("peer closed: %d ready, EPOLLIN %d, read %ld\n", n, (out.events & EPOLLIN) != 0, (long)read(s, buf, sizeof buf));
    // A refused connection.
    close(l);
    int z = socket(AF_INET, SOCK_STREAM, 0);
    printf("connect to a closed port: %s\n", err(connect(z, (struct sockaddr *)&a, sizeof a)));
}

static volatile sig_atomic_t got_pipe;
static void on_pipe(int s) { got_pipe++; }

static void epipe(void) {
    signal(SIGPIPE, on_pipe);
    int sv[2];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
    close(sv[1]);
    const char *e = err(send(sv[0], "x", 1, 0));
    printf("send: %s, SIGPIPE %d\n", e, got_pipe);
    e = err(send(sv[0], "x", 1, MSG_NOSIGNAL));
    printf("send MSG_NOSIGNAL: %s, SIGPIPE %d\n", e, got_pipe);
    e = err(write(sv[0], "x", 1));
    printf("write: %s, SIGPIPE %d\n", e, got_pipe);
    struct sockaddr_in a;
    int l = listener(&a);
    int c = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(connect(c, (struct sockaddr *)&a, sizeof a));
    int s = accept(l, NULL, NULL);
    CHECK(shutdown(c, SHUT_WR));
    e = err(send(c, "x", 1, 0));
    printf("TCP after SHUT_WR: %s, SIGPIPE %d\n", e, got_pipe);
    close(s);
    close(c);
    close(l);
    signal(SIGPIPE, SIG_DFL);
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
    close(sv[1]);
    fflush(stdout);
    send(sv[0], "x", 1, 0);
    printf("not reached\n");
}

static void ifaddrs(void) {
    struct ifaddrs *ifa;
    CHECK(getifaddrs(&ifa));
    for (struct ifaddrs *i = ifa; i; i = i->ifa_next) {
        if (strcmp(i->ifa_name, "lo") != 0) continue;
        int fam = i->ifa_addr ? i->ifa_addr->sa_family : -1;
        char buf[64] = "-";
        if (fam == AF_INET) inet_ntop(AF_INET, &((struct sockaddr_in *)i->ifa_addr)->sin_addr, buf, sizeof buf);
        if (fam == AF_INET6) inet_ntop(AF_INET6, &((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr, buf, sizeof buf);
        printf("lo: family %s %s up %d loopback %d\n", fam == AF_INET ? "inet" : fam == AF_INET6 ? "inet6" : "packet",
               buf, (i->ifa_flags & IFF_UP) != 0, (i->ifa_flags & IFF_LOOPBACK) != 0);
    }
    freeifaddrs(ifa);
    struct if_nameindex *ni = if_nameindex();
    int found = 0;
    for (struct if_nameindex *i = ni; i && i->if_index; i++) found |= strcmp(i->if_name, "lo") == 0;
    if_freenameindex(ni);
    printf("if_nameindex has lo: %d, if_nametoindex(lo) > 0: %d\n", found, if_nametoindex("lo") > 0);
}

static void shutdowns(void) {
    int sv[2];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
    CHECK(write(sv[0], "before", 6));
    CHECK(shutdown(sv[0], SHUT_WR));
    char buf[16];
    long n = read(sv[1], buf, sizeof buf);
    long m = read(sv[1], buf, sizeof buf);
    printf("after SHUT_WR the peer reads %ld then %ld\n", n, m);
    printf("the other way still works: %ld\n", (long)write(sv[1], "back", 4));
    printf("read it: %ld\n", (long)read(sv[0], buf, sizeof buf));
    CHECK(shutdown(sv[1], SHUT_RD));
    printf("own read after SHUT_RD: %ld\n", (long)read(sv[1], buf, sizeof buf));
    printf("bad how: %s, not connected: %s\n", err(shutdown(sv[0], 7)),
           err(shutdown(socket(AF_INET, SOCK_STREAM, 0), SHUT_RDWR)));
}

static int tl;
static void *server(void *arg) {
    int s = accept(tl, NULL, NULL);
    char buf[32];
    long n = recv(s, buf, sizeof buf, 0);
    printf("server thread: got %ld '%.*s'\n", n, (int)n, buf);
    fflush(stdout);
    send(s, "pong", 4, 0);
    close(s);
    return NULL;
}

static void threads(void) {
    struct sockaddr_in a;
    tl = listener(&a);
    pthread_t t;
    pthread_create(&t, NULL, server, NULL);
    usleep(50000); // the server is (most likely) blocked in accept
    int c = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(connect(c, (struct sockaddr *)&a, sizeof a));
    usleep(50000); // and now in recv
    CHECK(send(c, "ping", 4, 0));
    char buf[16];
    long n = recv(c, buf, sizeof buf, MSG_WAITALL);
    printf("main thread: got %ld '%.*s'\n", n, (int)n, buf);
    pthread_join(t, NULL);
}

static void forked(void) {
    struct sockaddr_in a;
    int l = listener(&a);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        int c = socket(AF_INET, SOCK_STREAM, 0);
        CHECK(connect(c, (struct sockaddr *)&a, sizeof a));
        CHECK(send(c, "from the child", 14, 0));
        char buf[32];
        long n = recv(c, buf, sizeof buf, MSG_WAITALL);
        printf("child: %ld '%.*s'\n", n, (int)n, buf);
        _exit(0);
    }
    int s = accept(l, NULL, NULL);
    char buf[32];
    long n = recv(s, buf, 14, MSG_WAITALL);
    printf("parent: %ld '%.*s'\n", n, (int)n, buf);
    fflush(stdout);
    send(s, "to the child", 12, 0);
    close(s);
    int st;
    waitpid(pid, &st, 0);
    printf("child exited %d\n", WEXITSTATUS(st));
}

static void client(int port) {
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int c = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(connect(c, (struct sockaddr *)&a, sizeof a));
    CHECK(send(c, "hello from the client\n", 22, 0));
    char buf[256];
    long n, total = 0;
    while ((n = recv(c, buf, sizeof buf, 0)) > 0) {
        fwrite(buf, 1, n, stdout);
        total += n;
    }
    printf("[%ld bytes]\n", total);
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    const char *m = argc > 1 ? argv[1] : "";
    if (!strcmp(m, "tcp")) tcp();
    else if (!strcmp(m, "udp")) udp();
    else if (!strcmp(m, "unix")) unix_sockets(argc > 2 ? argv[2] : "/tmp");
    else if (!strcmp(m, "pair")) pair();
    else if (!strcmp(m, "nonblock")) nonblock();
    else if (!strcmp(m, "epipe")) epipe();
    else if (!strcmp(m, "ifaddrs")) ifaddrs();
    else if (!strcmp(m, "shutdown")) shutdowns();
    else if (!strcmp(m, "threads")) threads();
    else if (!strcmp(m, "fork")) forked();
    else if (!strcmp(m, "client") && argc > 2) client(atoi(argv[2]));
    else {
        fprintf(stderr, "usage: sockets MODE\n");
        return 2;
    }
    return 0;
}
