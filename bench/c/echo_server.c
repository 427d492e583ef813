/*
 * echo_server.c: a minimal single-threaded epoll TCP echo server.
 *
 * The "C on the same machine" reference of bench/compare.sh: one thread, one
 * level-triggered epoll set, non-blocking sockets, TCP_NODELAY, a listen backlog as
 * large as the kernel allows (net.core.somaxconn caps it). Bytes are echoed back in
 * order; when the peer cannot take them, the rest is kept and reading from that
 * connection stops until it drains (back-pressure). A peer's FIN is honoured after
 * everything pending has been written (half-close), then the connection is closed.
 *
 * Usage: echo_server PORT [BIND_ADDRESS] [BACKLOG]
 *        (defaults: 127.0.0.1, 65535). SIGINT/SIGTERM stop it cleanly.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_EVENTS 1024
#define READ_BUF (64 * 1024)
#define ACCEPTS_PER_WAKEUP 256

struct conn {
    char *pending;    /* bytes read but not yet written back (NULL when none) */
    uint32_t off;     /* first unsent byte in pending */
    uint32_t len;     /* bytes in pending */
    uint8_t peer_eof; /* the peer sent FIN: close once pending drains */
};

static volatile sig_atomic_t stop_requested;
static struct conn *conns; /* indexed by descriptor */
static size_t max_fds;
static int ep = -1;
static int spare_fd = -1; /* released to shed a connection when out of descriptors */
static char buf[READ_BUF];

static void on_signal(int sig) { (void)sig; stop_requested = 1; }

static void close_conn(int fd)
{
    struct conn *c = &conns[fd];
    free(c->pending);
    memset(c, 0, sizeof *c);
    /* close() removes fd from the epoll set (no dup'd descriptors exist). */
    close(fd);
}

static int set_interest(int fd, uint32_t events)
{
    struct epoll_event ev = { .events = events, .data.fd = fd };
    return epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
}

static void accept_all(int lfd)
{
    for (int i = 0; i < ACCEPTS_PER_WAKEUP; i++) {
        int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            if ((errno == EMFILE || errno == ENFILE) && spare_fd >= 0) {
                /* Out of descriptors: accept and drop one connection so the listen
                 * socket stops being readable, instead of spinning on it. */
                close(spare_fd);
                fd = accept(lfd, NULL, NULL);
                if (fd >= 0)
                    close(fd);
                spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
                continue;
            }
            return; /* EAGAIN or a transient error: wait for the next readiness */
        }
        if ((size_t)fd >= max_fds) {
            close(fd);
            continue;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP, .data.fd = fd };
        if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0)
            close(fd);
    }
}

/* Writes what is pending. Returns 0 when drained, 1 when more remains, -1 on error. */
static int flush_pending(int fd)
{
    struct conn *c = &conns[fd];
    while (c->off < c->len) {
        ssize_t n = send(fd, c->pending + c->off, c->len - c->off, MSG_NOSIGNAL);
        if (n > 0) {
            c->off += (uint32_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return 1;
        return -1;
    }
    free(c->pending);
    c->pending = NULL;
    c->off = c->len = 0;
    return 0;
}

static void on_readable(int fd)
{
    struct conn *c = &conns[fd];
    for (;;) {
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n > 0) {
            ssize_t w = send(fd, buf, (size_t)n, MSG_NOSIGNAL);
            if (w < 0) {
                if (errno != EAGAIN && errno != EWOULDBLOCK) {
                    close_conn(fd);
                    return;
                }
                w = 0;
            }
            if (w < n) {
                /* The peer is not reading fast enough: keep the rest, stop reading. */
                c->len = (uint32_t)(n - w);
                c->off = 0;
                c->pending = malloc(c->len);
                if (!c->pending) {
                    close_conn(fd);
                    return;
                }
                memcpy(c->pending, buf + w, c->len);
                if (set_interest(fd, EPOLLOUT) < 0)
                    close_conn(fd);
                return;
            }
            if ((size_t)n < sizeof buf)
                return; /* level-triggered: anything left will be reported again */
            continue;
        }
        if (n == 0) { /* peer finished sending; everything read has been written */
            close_conn(fd);
            return;
        }
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            close_conn(fd);
        return;
    }
}

static void on_writable(int fd)
{
    struct conn *c = &conns[fd];
    int r = flush_pending(fd);
    if (r < 0) {
        close_conn(fd);
    } else if (r == 0) {
        if (c->peer_eof)
            close_conn(fd);
        else if (set_interest(fd, EPOLLIN | EPOLLRDHUP) < 0)
            close_conn(fd);
    }
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s PORT [BIND_ADDRESS] [BACKLOG]\n", argv[0]);
        return 2;
    }
    int port = atoi(argv[1]);
    const char *addr = argc > 2 ? argv[2] : "127.0.0.1";
    int backlog = argc > 3 ? atoi(argv[3]) : 65535;

    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
        getrlimit(RLIMIT_NOFILE, &rl);
    }
    max_fds = rl.rlim_cur == RLIM_INFINITY ? 1048576 : (size_t)rl.rlim_cur;
    conns = calloc(max_fds, sizeof *conns);
    if (!conns) {
        perror("calloc");
        return 1;
    }

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal; /* no SA_RESTART: epoll_wait returns EINTR */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (lfd < 0) {
        perror("socket");
        return 1;
    }
    int one = 1;
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    if (inet_pton(AF_INET, addr, &sin.sin_addr) != 1) {
        fprintf(stderr, "echo_server: bad address %s\n", addr);
        return 2;
    }
    if (bind(lfd, (struct sockaddr *)&sin, sizeof sin) < 0) {
        fprintf(stderr, "echo_server: bind %s:%d: %s\n", addr, port, strerror(errno));
        return 1;
    }
    if (listen(lfd, backlog) < 0) {
        perror("listen");
        return 1;
    }
    spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

    ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event lev = { .events = EPOLLIN, .data.fd = lfd };
    if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &lev) < 0) {
        perror("epoll");
        return 1;
    }
    fprintf(stderr, "echo_server: listening on %s:%d (backlog %d, fd limit %zu)\n",
            addr, port, backlog, max_fds);

    static struct epoll_event events[MAX_EVENTS];
    while (!stop_requested) {
        int n = epoll_wait(ep, events, MAX_EVENTS, -1);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            perror("epoll_wait");
            break;
        }
        for (int i = 0; i < n; i++) {
            int fd = events[i].data.fd;
            uint32_t ev = events[i].events;
            if (fd == lfd) {
                accept_all(lfd);
                continue;
            }
            if (conns[fd].pending) {
                /* Waiting for the peer to take our output; remember a FIN. */
                if (ev & (EPOLLERR | EPOLLHUP)) {
                    close_conn(fd);
                    continue;
                }
                if (ev & EPOLLRDHUP)
                    conns[fd].peer_eof = 1;
                if (ev & EPOLLOUT)
                    on_writable(fd);
                continue;
            }
            if (ev & (EPOLLIN | EPOLLRDHUP | EPOLLERR | EPOLLHUP))
                on_readable(fd); /* recv reports the error or the FIN */
        }
    }

    for (size_t fd = 0; fd < max_fds; fd++)
        if (conns[fd].pending)
            free(conns[fd].pending);
    close(lfd);
    close(ep);
    fprintf(stderr, "echo_server: stopped\n");
    return 0;
}
