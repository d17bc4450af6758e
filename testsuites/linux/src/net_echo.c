/* Networking: a TCP echo over loopback (a forked client, an accept4 server), the same server
 * driven by epoll (the event's 64-bit data must survive: riscv64's struct epoll_event is not
 * packed like x86-64's), UDP with sendto/recvfrom and sendmmsg/recvmmsg, sendmsg/recvmsg with
 * two iovecs and an SCM_RIGHTS descriptor over a socketpair, a path-named AF_UNIX socket
 * (bind/connect/getsockname), eventfd, select (pselect6), getsockopt/setsockopt and
 * shutdown. Output is deterministic (no port numbers). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define CHECK(c)                                                        \
    do {                                                                \
        if (!(c)) {                                                     \
            printf("FAILED line %d: %s (errno %d)\n", __LINE__, #c, errno); \
            exit(1);                                                    \
        }                                                               \
    } while (0)

static int tcp_listener(struct sockaddr_in *addr)
{
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    CHECK(s >= 0);
    int one = 1;
    CHECK(setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == 0);
    memset(addr, 0, sizeof *addr);
    addr->sin_family = AF_INET;
    addr->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    CHECK(bind(s, (struct sockaddr *)addr, sizeof *addr) == 0);
    CHECK(listen(s, 8) == 0);
    socklen_t len = sizeof *addr;
    CHECK(getsockname(s, (struct sockaddr *)addr, &len) == 0);
    CHECK(len == sizeof *addr && addr->sin_port != 0);
    return s;
}

static void client(const struct sockaddr_in *addr, int n)
{
    for (int i = 0; i < n; i++) {
        int c = socket(AF_INET, SOCK_STREAM, 0);
        CHECK(c >= 0);
        CHECK(connect(c, (const struct sockaddr *)addr, sizeof *addr) == 0);
        char msg[32], back[32];
        int len = snprintf(msg, sizeof msg, "ping %d", i);
        CHECK(send(c, msg, len, 0) == len);
        CHECK(shutdown(c, SHUT_WR) == 0);
        int got = 0, r;
        while ((r = recv(c, back + got, sizeof back - 1 - got, 0)) > 0)
            got += r;
        back[got] = 0;
        printf("client %d got \"%s\"\n", i, back);
        fflush(stdout);
        close(c);
    }
}

static void echo_one(int conn)
{
    char buf[64];
    int r;
    while ((r = recv(conn, buf, sizeof buf, 0)) > 0)
        for (int k = 0; k < r; k++)
            buf[k] = buf[k] >= 'a' && buf[k] <= 'z' ? buf[k] - 32 : buf[k];
    /* Echo everything back in one piece (the client shut down its side). */
    (void)r;
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);

    /* 1. TCP echo: forked client, accept4 server. */
    struct sockaddr_in addr;
    int ls = tcp_listener(&addr);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        close(ls);
        client(&addr, 3);
        _exit(0);
    }
    for (int i = 0; i < 3; i++) {
        struct sockaddr_in peer;
        socklen_t plen = sizeof peer;
        int conn = accept4(ls, (struct sockaddr *)&peer, &plen, SOCK_CLOEXEC);
        CHECK(conn >= 0);
        CHECK(plen == sizeof peer && peer.sin_addr.s_addr == htonl(INADDR_LOOPBACK));
        char buf[64];
        int got = 0, r;
        while ((r = recv(conn, buf + got, sizeof buf - got, 0)) > 0)
            got += r;
        for (int k = 0; k < got; k++)
            if (buf[k] >= 'a' && buf[k] <= 'z')
                buf[k] -= 32;
        CHECK(send(conn, buf, got, 0) == got);
        close(conn);
    }
    int st;
    CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
    (void)echo_one;

    /* 2. epoll: the listener and the connections, with data we can recognise. */
    pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        close(ls);
        client(&addr, 2);
        _exit(0);
    }
    int ep = epoll_create1(EPOLL_CLOEXEC);
    CHECK(ep >= 0);
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 0x1122334455667788ull};
    CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev) == 0);
    int served = 0, conns[2] = {-1, -1};
    char cbuf[2][64];
    int cgot[2] = {0, 0};
    while (served < 2) {
        struct epoll_event out[4];
        memset(out, 0xaa, sizeof out);
        int n = epoll_wait(ep, out, 4, 5000);
        CHECK(n > 0);
        for (int k = 0; k < n; k++) {
            if (out[k].data.u64 == 0x1122334455667788ull) {
                CHECK(out[k].events == EPOLLIN);
                int slot = conns[0] < 0 ? 0 : 1;
                conns[slot] = accept(ls, NULL, NULL);
                CHECK(conns[slot] >= 0);
                struct epoll_event cev = {.events = EPOLLIN | EPOLLRDHUP,
                                          .data.u64 = 0xc0ffee0000000000ull | (uint64_t)slot};
                CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, conns[slot], &cev) == 0);
                printf("epoll: accepted connection %d\n", slot);
            } else {
                CHECK((out[k].data.u64 >> 32) == 0xc0ffee00ull);
                int slot = (int)(out[k].data.u64 & 0xffffffff);
                CHECK(slot == 0 || slot == 1);
                int r = recv(conns[slot], cbuf[slot] + cgot[slot], 64 - cgot[slot], 0);
                CHECK(r >= 0);
                cgot[slot] += r;
                if (r == 0) {
                    CHECK(epoll_ctl(ep, EPOLL_CTL_DEL, conns[slot], NULL) == 0);
                    for (int j = 0; j < cgot[slot]; j++)
                        if (cbuf[slot][j] >= 'a' && cbuf[slot][j] <= 'z')
                            cbuf[slot][j] -= 32;
                    CHECK(send(conns[slot], cbuf[slot], cgot[slot], 0) == cgot[slot]);
                    close(conns[slot]);
                    served++;
                }
            }
        }
    }
    CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
    close(ep);
    close(ls);

    /* 3. UDP: sendto/recvfrom, sendmmsg/recvmmsg. */
    int u1 = socket(AF_INET, SOCK_DGRAM, 0), u2 = socket(AF_INET, SOCK_DGRAM, 0);
    CHECK(u1 >= 0 && u2 >= 0);
    struct sockaddr_in a2 = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    CHECK(bind(u2, (struct sockaddr *)&a2, sizeof a2) == 0);
    socklen_t alen = sizeof a2;
    CHECK(getsockname(u2, (struct sockaddr *)&a2, &alen) == 0);
    CHECK(sendto(u1, "datagram", 8, 0, (struct sockaddr *)&a2, sizeof a2) == 8);
    char dbuf[32];
    struct sockaddr_in from;
    socklen_t flen = sizeof from;
    ssize_t dn = recvfrom(u2, dbuf, sizeof dbuf, 0, (struct sockaddr *)&from, &flen);
    CHECK(dn == 8 && flen == sizeof from && from.sin_family == AF_INET);
    printf("udp: \"%.*s\" from loopback %d\n", (int)dn, dbuf,
           from.sin_addr.s_addr == htonl(INADDR_LOOPBACK));
    CHECK(connect(u1, (struct sockaddr *)&a2, sizeof a2) == 0);
    struct mmsghdr mm[3];
    struct iovec mi[3];
    const char *words[3] = {"one", "two!", "three"};
    memset(mm, 0, sizeof mm);
    for (int i = 0; i < 3; i++) {
        mi[i].iov_base = (void *)words[i];
        mi[i].iov_len = strlen(words[i]);
        mm[i].msg_hdr.msg_iov = &mi[i];
        mm[i].msg_hdr.msg_iovlen = 1;
    }
    CHECK(sendmmsg(u1, mm, 3, 0) == 3);
    printf("sendmmsg: lengths %u %u %u\n", mm[0].msg_len, mm[1].msg_len, mm[2].msg_len);
    char rb[3][16];
    memset(mm, 0, sizeof mm);
    for (int i = 0; i < 3; i++) {
        mi[i].iov_base = rb[i];
        mi[i].iov_len = sizeof rb[i];
        mm[i].msg_hdr.msg_iov = &mi[i];
        mm[i].msg_hdr.msg_iovlen = 1;
    }
    CHECK(recvmmsg(u2, mm, 3, MSG_WAITFORONE, NULL) >= 1);
    int more = 0;
    while (mm[0].msg_len && (mm[1].msg_len == 0 || mm[2].msg_len == 0) && more++ < 3) {
        /* Datagrams may arrive one by one: take the rest. */
        int have = mm[1].msg_len ? 2 : 1;
        CHECK(recvmmsg(u2, mm + have, 3 - have, MSG_WAITFORONE, NULL) >= 1);
    }
    printf("recvmmsg: \"%.*s\" \"%.*s\" \"%.*s\"\n", (int)mm[0].msg_len, rb[0],
           (int)mm[1].msg_len, rb[1], (int)mm[2].msg_len, rb[2]);
    close(u1);
    close(u2);

    /* 4. sendmsg/recvmsg with two iovecs and SCM_RIGHTS over a socketpair. */
    int sp[2];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == 0);
    int pfd[2];
    CHECK(pipe(pfd) == 0);
    struct iovec iov[2] = {{"hello ", 6}, {"fds", 3}};
    union {
        struct cmsghdr h;
        char b[CMSG_SPACE(sizeof(int))];
    } ctl;
    memset(&ctl, 0, sizeof ctl);
    struct msghdr mh = {.msg_iov = iov, .msg_iovlen = 2, .msg_control = ctl.b,
                        .msg_controllen = sizeof ctl.b};
    struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cm), &pfd[1], sizeof(int));
    CHECK(sendmsg(sp[0], &mh, 0) == 9);
    char r1[4], r2[16];
    struct iovec riov[2] = {{r1, sizeof r1}, {r2, sizeof r2}};
    union {
        struct cmsghdr h;
        char b[CMSG_SPACE(sizeof(int))];
    } rctl;
    struct msghdr rh = {.msg_iov = riov, .msg_iovlen = 2, .msg_control = rctl.b,
                        .msg_controllen = sizeof rctl.b};
    ssize_t rn = recvmsg(sp[1], &rh, 0);
    CHECK(rn == 9);
    struct cmsghdr *rc = CMSG_FIRSTHDR(&rh);
    CHECK(rc && rc->cmsg_level == SOL_SOCKET && rc->cmsg_type == SCM_RIGHTS);
    int passed;
    memcpy(&passed, CMSG_DATA(rc), sizeof passed);
    CHECK(passed != pfd[1] && write(passed, "via passed fd", 13) == 13);
    char pb[32];
    CHECK(read(pfd[0], pb, sizeof pb) == 13);
    printf("recvmsg: \"%.4s|%.5s\" flags %d, passed fd works: \"%.13s\"\n", r1, r2,
           rh.msg_flags, pb);
    close(passed);
    close(pfd[0]);
    close(pfd[1]);
    close(sp[0]);
    close(sp[1]);

    /* 5. A path-named AF_UNIX socket in the current directory. */
    unlink("net_echo.sock");
    int us = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un ua = {.sun_family = AF_UNIX};
    strcpy(ua.sun_path, "net_echo.sock");
    CHECK(bind(us, (struct sockaddr *)&ua, sizeof ua) == 0);
    CHECK(listen(us, 1) == 0);
    int uc = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK(connect(uc, (struct sockaddr *)&ua, sizeof ua) == 0);
    int ua_conn = accept(us, NULL, NULL);
    CHECK(ua_conn >= 0 && write(uc, "unix!", 5) == 5);
    char ub[8];
    CHECK(read(ua_conn, ub, sizeof ub) == 5);
    struct sockaddr_un back;
    socklen_t blen = sizeof back;
    CHECK(getpeername(uc, (struct sockaddr *)&back, &blen) == 0);
    printf("unix: \"%.5s\", peer family %d\n", ub, back.sun_family);
    close(uc);
    close(ua_conn);
    close(us);
    CHECK(unlink("net_echo.sock") == 0);

    /* 6. eventfd and select. */
    int efd = eventfd(0, EFD_CLOEXEC);
    CHECK(efd >= 0);
    uint64_t v = 3;
    CHECK(write(efd, &v, 8) == 8 && write(efd, &v, 8) == 8);
    fd_set rs;
    FD_ZERO(&rs);
    FD_SET(efd, &rs);
    struct timeval tv = {.tv_sec = 5};
    CHECK(select(efd + 1, &rs, NULL, NULL, &tv) == 1 && FD_ISSET(efd, &rs));
    CHECK(read(efd, &v, 8) == 8);
    FD_ZERO(&rs);
    FD_SET(efd, &rs);
    tv.tv_sec = 0;
    tv.tv_usec = 1000;
    int sel = select(efd + 1, &rs, NULL, NULL, &tv);
    printf("eventfd: read %llu, then select says %d ready\n", (unsigned long long)v, sel);

    /* 7. Options. */
    int t = socket(AF_INET, SOCK_STREAM, 0), on = 1, val = 0;
    socklen_t vl = sizeof val;
    CHECK(setsockopt(t, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on) == 0);
    CHECK(getsockopt(t, IPPROTO_TCP, TCP_NODELAY, &val, &vl) == 0);
    int type = 0;
    socklen_t tl = sizeof type;
    CHECK(getsockopt(t, SOL_SOCKET, SO_TYPE, &type, &tl) == 0);
    printf("sockopt: nodelay %d (len %u), type stream %d\n", val != 0, vl, type == SOCK_STREAM);
    errno = 0;
    int bad = getsockopt(t, SOL_SOCKET, SO_TYPE, (void *)16, &tl);
    printf("getsockopt into a bad pointer: %d errno EFAULT %d\n", bad, errno == EFAULT);
    close(t);
    printf("done\n");
    return 0;
}
