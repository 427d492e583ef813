/*
 * loadgen.c: the minimal C load client, the reference of bench/compare.sh's client check.
 *
 * One thread, one level-triggered epoll loop, non-blocking sockets, all buffers
 * allocated before the measurement starts (nothing is allocated per message). Every
 * echoed byte is compared with what was sent; failures are counted by kind.
 *
 *   loadgen pingpong --port P [--host H] [--connections 50] [--size 64]
 *                    [--warmup 2] [--duration 10] [--pid SERVER_PID]
 *
 * Each connection sends a message, waits for all of it to come back, checks it and sends
 * the next; --pid reports the server's CPU use over the measured window.
 *
 * Output: one machine-readable line per result, "result workload=NAME key=value ...",
 * followed by a human-readable line starting with '#'. The first mismatches of a run are
 * described on stderr (where the bytes differ and which connection's message they are
 * from, if any). Exit status 0 when the run
 * completed without errors, 1 when errors were counted, 2 on bad usage or setup failure.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
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
#include <time.h>
#include <unistd.h>

#define MAX_EVENTS 1024

/* ---------------------------------------------------------------- options -- */

static struct {
    const char *host;
    int port;
    int connections;
    int size;
    double warmup, duration;
    long pid;
} opt = {
    .host = "127.0.0.1", .port = 0, .connections = -1, .size = -1, .warmup = 2, .duration = 10, .pid = 0,
};

static void usage(void)
{
    fprintf(stderr,
            "usage:\n"
            "  loadgen pingpong --port P [--host H] [--connections 50] [--size 64] [--warmup 2] [--duration 10]\n"
            "                   [--pid SERVER_PID]  (reports the server's CPU use)\n");
    exit(2);
}

static void parse_options(int argc, char **argv)
{
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        if (i + 1 >= argc)
            usage();
        const char *v = argv[++i];
        if (!strcmp(a, "--host")) opt.host = v;
        else if (!strcmp(a, "--port")) opt.port = atoi(v);
        else if (!strcmp(a, "--connections")) opt.connections = atoi(v);
        else if (!strcmp(a, "--size")) opt.size = atoi(v);
        else if (!strcmp(a, "--warmup")) opt.warmup = atof(v);
        else if (!strcmp(a, "--duration")) opt.duration = atof(v);
        else if (!strcmp(a, "--pid")) opt.pid = atol(v);
        else {
            fprintf(stderr, "loadgen: unknown option %s\n", a);
            usage();
        }
    }
    if (opt.port <= 0 || opt.port > 65535) {
        fprintf(stderr, "loadgen: --port is required\n");
        usage();
    }
}

/* ------------------------------------------------------------------ utils -- */

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void raise_nofile(int needed)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
        return;
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    getrlimit(RLIMIT_NOFILE, &rl);
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < (rlim_t)needed + 64)
        fprintf(stderr, "loadgen: warning: descriptor limit %llu is below the %d connections asked for\n",
                (unsigned long long)rl.rlim_cur, needed);
}

/* CPU time (user + system) of a process in seconds, or -1. */
static double proc_cpu_seconds(long pid)
{
    char path[64], line[1024];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    char *ok = fgets(line, sizeof line, f);
    fclose(f);
    char *p = ok ? strrchr(line, ')') : NULL; /* the command name may contain spaces */
    if (!p)
        return -1;
    unsigned long long ut = 0, st = 0;
    /* after ") ": state(3) ... utime(14) stime(15) */
    if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
        return -1;
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static double self_cpu_seconds(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           ru.ru_stime.tv_usec / 1e6;
}

/* ------------------------------------------------------------ connections -- */

enum state { ST_FREE, ST_CONNECTING, ST_ACTIVE, ST_IDLE, ST_CLOSED };
enum err {
    E_REFUSED, E_RESET, E_TIMEOUT, E_EOF, E_MISMATCH, E_UNEXPECTED, E_EXHAUSTED, E_OTHER, E_COUNT
};
/* refused: ECONNREFUSED; reset: ECONNRESET/EPIPE; timeouts: not done by the deadline;
 * eof: the server closed early; mismatch: an echoed byte differs; unexpected: bytes
 * that were not asked for; exhausted: no port, address or descriptor left. */
static const char *err_names[E_COUNT] = {
    "refused", "reset", "timeouts", "eof", "mismatch", "unexpected", "exhausted", "other"
};

struct conn {
    int fd;
    uint8_t state;
    uint8_t want_out;  /* EPOLLOUT in the interest set */
    uint32_t sent;     /* bytes of the current message sent */
    uint32_t rcvd;     /* bytes of the current message received */
    uint32_t seq;      /* messages completed on this connection */
    uint64_t t_start;  /* message sent */
};

static int ep = -1;
static struct conn *C;
static int NC;          /* connections in the arrays */
static size_t MSG;      /* message size */
static unsigned char *sarena, *rarena;
static uint64_t g_now;  /* time of the last epoll_wait return */
static long errors[E_COUNT];
static struct sockaddr_in server_addr;
static volatile sig_atomic_t interrupted;

static int stopping, inflight;
static int measuring;
static uint64_t pp_msgs, pp_rtt_sum_ns;

static inline unsigned char *sbuf(int i) { return sarena + (size_t)i * MSG; }
static inline unsigned char *rbuf(int i) { return rarena + (size_t)i * MSG; }

/* The message for (connection, sequence): a cheap pseudo-random pattern, so that a
 * byte echoed from the wrong place or the wrong connection is noticed. */
static void pattern_n(int i, uint32_t seq, unsigned char *p, size_t len)
{
    uint32_t x = (uint32_t)i * 2654435761u ^ (seq + 1) * 2246822519u;
    for (size_t j = 0; j < len; j++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        p[j] = (unsigned char)x;
    }
}

static void pattern(int i, uint32_t seq, unsigned char *p) { pattern_n(i, seq, p, MSG); }

static void fill_message(int i) { pattern(i, C[i].seq, sbuf(i)); }

/* Explains a mismatch on stderr (the first few of a run): where the received message
 * first differs, and whether it is another message (an earlier or later one of the same
 * connection, or another connection's) rather than corrupted bytes. */
static int mismatches_described;
static void describe_mismatch(int i)
{
    if (mismatches_described++ >= 5)
        return;
    struct conn *c = &C[i];
    const unsigned char *got = rbuf(i), *want = sbuf(i);
    size_t off = 0;
    while (off < MSG && got[off] == want[off])
        off++;
    size_t same = 0;
    for (size_t j = 0; j < MSG; j++)
        same += got[j] == want[j];
    fprintf(stderr, "loadgen: mismatch: connection %d, message %u (%zu bytes): first difference at byte %zu,"
            " %zu of %zu bytes equal; got", i, c->seq, MSG, off, same, MSG);
    for (size_t j = off; j < MSG && j < off + 16; j++)
        fprintf(stderr, " %02x", got[j]);
    fprintf(stderr, " expected");
    for (size_t j = off; j < MSG && j < off + 16; j++)
        fprintf(stderr, " %02x", want[j]);
    fprintf(stderr, "\n");
    /* Where do these bytes come from? Search the recent messages of every connection
     * for the first 8 received bytes (a message of another connection or an earlier one,
     * possibly shifted, points at a buffer reused too early or a lost/duplicated read). */
    size_t probe = MSG < 8 ? MSG : 8;
    unsigned char *m = malloc(MSG);
    int found = 0;
    for (int k = 0; m && k < NC && found < 3; k++) {
        uint32_t hi = C[k].seq + 1, lo = hi > 20000 ? hi - 20000 : 0;
        for (uint32_t q = lo; q <= hi && found < 3; q++) {
            pattern(k, q, m);
            unsigned char *at = memmem(m, MSG, got, probe);
            if (at) {
                found++;
                fprintf(stderr, "loadgen: mismatch: the received bytes start like connection %d's message %u"
                        " at byte %td%s\n", k, q, at - m,
                        (at == m && memcmp(m, got, MSG) == 0) ? " (the whole message)" : "");
            }
        }
    }
    if (m && !found)
        fprintf(stderr, "loadgen: mismatch: the received bytes are not from any recent message\n");
    free(m);
}

static void set_interest(int i, uint32_t events)
{
    struct epoll_event ev = { .events = events, .data.u32 = (uint32_t)i };
    epoll_ctl(ep, EPOLL_CTL_MOD, C[i].fd, &ev);
}

static enum err classify(int e)
{
    switch (e) {
    case ECONNREFUSED: return E_REFUSED;
    case ECONNRESET: case EPIPE: case ECONNABORTED: return E_RESET;
    case ETIMEDOUT: return E_TIMEOUT;
    case EADDRNOTAVAIL: case EADDRINUSE: case EMFILE: case ENFILE: case ENOBUFS: return E_EXHAUSTED;
    default: return E_OTHER;
    }
}

/* A connection ends (successfully or not). */
static void finish(int i)
{
    struct conn *c = &C[i];
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    c->state = ST_CLOSED;
}

static void fail(int i, enum err kind)
{
    struct conn *c = &C[i];
    int was = c->state;
    errors[kind]++;
    finish(i);
    if (was == ST_ACTIVE || was == ST_CONNECTING)
        inflight--;
}

/*
 * After a recv that returned no data (n <= 0, not EINTR): fails the connection on EOF or an error and returns 1;
 * returns 0 when the socket is merely empty (EAGAIN).
 */
static int recv_ended(int i, ssize_t n)
{
    if (n == 0) {
        fail(i, E_EOF);
        return 1;
    }
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
        fail(i, classify(errno));
        return 1;
    }
    return 0;
}

/*
 * Sends buf[*off, len) on connection i, advancing *off; switches EPOLLOUT on while the socket is full and off once
 * all is sent. Returns 1 when everything was sent, 0 when it waits for EPOLLOUT or the connection failed.
 */
static int send_pending(int i, const unsigned char *buf, size_t len, size_t *off)
{
    struct conn *c = &C[i];
    while (*off < len) {
        ssize_t n = send(c->fd, buf + *off, len - *off, MSG_NOSIGNAL);
        if (n > 0) {
            *off += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if (!c->want_out) {
                c->want_out = 1;
                set_interest(i, EPOLLIN | EPOLLOUT);
            }
            return 0;
        }
        fail(i, classify(errno));
        return 0;
    }
    if (c->want_out) {
        c->want_out = 0;
        set_interest(i, EPOLLIN);
    }
    return 1;
}

/* Sends what remains of the current message. */
static void do_send(int i)
{
    struct conn *c = &C[i];
    size_t off = c->sent;
    send_pending(i, sbuf(i), MSG, &off);
    c->sent = (uint32_t)off;
}

static void start_message(int i)
{
    struct conn *c = &C[i];
    c->state = ST_ACTIVE;
    c->sent = c->rcvd = 0;
    fill_message(i);
    c->t_start = g_now;
    do_send(i);
}

static void complete_message(int i)
{
    struct conn *c = &C[i];
    c->seq++;
    if (measuring) {
        pp_msgs++;
        pp_rtt_sum_ns += g_now - c->t_start;
    }
    if (stopping) {
        c->state = ST_IDLE;
        inflight--;
    } else {
        start_message(i);
    }
}

static void do_read(int i)
{
    struct conn *c = &C[i];
    for (;;) {
        if (c->state == ST_IDLE) {
            /* Nothing is expected on an idle connection: data or EOF is an error. */
            char scratch[256];
            ssize_t n = recv(c->fd, scratch, sizeof scratch, 0);
            if (n > 0) fail(i, E_UNEXPECTED);
            else if (n == 0) fail(i, E_EOF);
            else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) fail(i, classify(errno));
            return;
        }
        ssize_t n = recv(c->fd, rbuf(i) + c->rcvd, MSG - c->rcvd, 0);
        if (n > 0) {
            c->rcvd += (uint32_t)n;
            if (c->rcvd > c->sent) {
                if (mismatches_described++ < 5)
                    fprintf(stderr, "loadgen: connection %d: %u bytes echoed of %u sent\n", i, c->rcvd, c->sent);
                fail(i, E_UNEXPECTED); /* echoed more than was sent */
                return;
            }
            if (c->rcvd == MSG) {
                if (memcmp(rbuf(i), sbuf(i), MSG) != 0) {
                    describe_mismatch(i);
                    fail(i, E_MISMATCH);
                    return;
                }
                complete_message(i);
                return;
            }
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        recv_ended(i, n);
        return;
    }
}

static void on_connected(int i)
{
    struct conn *c = &C[i];
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
        err = errno;
    if (err) {
        fail(i, classify(err));
        return;
    }
    /* The message goes out now; EPOLLIN replaces EPOLLOUT unless the send blocks. */
    c->want_out = 1;
    start_message(i);
}

static void on_event(int i, uint32_t ev)
{
    struct conn *c = &C[i];
    if (c->state == ST_CONNECTING) {
        if (ev & (EPOLLOUT | EPOLLERR | EPOLLHUP))
            on_connected(i);
        return;
    }
    if (c->state == ST_CLOSED || c->state == ST_FREE)
        return;
    if (ev & (EPOLLIN | EPOLLERR | EPOLLHUP | EPOLLRDHUP))
        do_read(i);
    if (c->state == ST_ACTIVE && (ev & EPOLLOUT) && c->sent < MSG)
        do_send(i);
}

/* Creates a non-blocking socket for connection i and issues connect(). */
static int start_connect(int i)
{
    struct conn *c = &C[i];
    memset(c, 0, sizeof *c);
    c->fd = -1;
    c->t_start = now_ns();
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        c->state = ST_CONNECTING;
        fail(i, classify(errno));
        return -1;
    }
    c->fd = fd;
    c->state = ST_CONNECTING;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    int r = connect(fd, (struct sockaddr *)&server_addr, sizeof server_addr);
    if (r < 0 && errno != EINPROGRESS) {
        fail(i, classify(errno));
        return -1;
    }
    struct epoll_event ev = { .events = EPOLLOUT | EPOLLIN, .data.u32 = (uint32_t)i };
    if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
        fail(i, E_OTHER);
        return -1;
    }
    return 0;
}

/* Waits for events until done() or the deadline (ns, 0 = none); returns 1 when done.
 * refill (may be NULL) starts new work after each batch of events. */
static int run_loop(int (*done)(void), void (*refill)(void), uint64_t deadline)
{
    static struct epoll_event events[MAX_EVENTS];
    g_now = now_ns();
    for (;;) {
        if (refill)
            refill();
        if (done())
            break;
        if (interrupted)
            return 0;
        int timeout = 100;
        if (deadline) {
            if (g_now >= deadline)
                return 0;
            uint64_t left_ms = (deadline - g_now) / 1000000 + 1;
            if (left_ms < (uint64_t)timeout)
                timeout = (int)left_ms;
        }
        int n = epoll_wait(ep, events, MAX_EVENTS, timeout);
        g_now = now_ns();
        if (n < 0) {
            if (errno == EINTR)
                continue;
            perror("epoll_wait");
            exit(2);
        }
        for (int k = 0; k < n; k++)
            on_event((int)events[k].data.u32, events[k].events);
    }
    return 1;
}

/* Closes every connection still open; returns how many were still open. */
static int close_all(void)
{
    int open = 0;
    for (int i = 0; i < NC; i++)
        if (C[i].fd >= 0) {
            close(C[i].fd);
            C[i].fd = -1;
            C[i].state = ST_CLOSED;
            open++;
        }
    return open;
}

/* Marks every connection not in an accepted state as timed out. */
static void time_out_unfinished(int accept_idle)
{
    for (int i = 0; i < NC; i++) {
        int s = C[i].state;
        if (s == ST_CONNECTING || s == ST_ACTIVE || (!accept_idle && s == ST_IDLE))
            fail(i, E_TIMEOUT);
    }
}

static void setup(int n, int size)
{
    NC = n;
    MSG = (size_t)size;
    C = calloc((size_t)n, sizeof *C);
    sarena = malloc((size_t)n * MSG);
    rarena = malloc((size_t)n * MSG);
    if (!C || !sarena || !rarena) {
        fprintf(stderr, "loadgen: out of memory\n");
        exit(2);
    }
    for (int i = 0; i < n; i++)
        C[i].fd = -1;
    memset(errors, 0, sizeof errors);
    if (ep < 0)
        ep = epoll_create1(EPOLL_CLOEXEC);
}

static void teardown(void)
{
    close_all();
    free(C);
    free(sarena);
    free(rarena);
    C = NULL;
    sarena = rarena = NULL;
    NC = 0;
}

static long total_errors(void)
{
    long t = 0;
    for (int k = 0; k < E_COUNT; k++)
        t += errors[k];
    return t;
}

static void print_errors(void)
{
    printf(" errors=%ld", total_errors());
    for (int k = 0; k < E_COUNT; k++)
        printf(" %s=%ld", err_names[k], errors[k]);
}

/* --------------------------------------------------------------- pingpong -- */

static int pp_all_stopped(void) { return inflight == 0; }
static int never(void) { return 0; }

struct pp_result {
    double msgs_per_sec, avg_rtt_us, seconds, client_cpu, server_cpu;
    uint64_t msgs;
    long errors;
};

static struct pp_result run_pingpong(int n, int size, double warmup, double duration)
{
    setup(n, size);
    stopping = measuring = 0;
    pp_msgs = pp_rtt_sum_ns = 0;
    inflight = n;
    g_now = now_ns();
    for (int i = 0; i < n; i++)
        start_connect(i);

    uint64_t t_measure = g_now + (uint64_t)(warmup * 1e9);
    run_loop(never, NULL, t_measure);
    measuring = 1;
    double cc0 = self_cpu_seconds();
    double sc0 = opt.pid > 0 ? proc_cpu_seconds(opt.pid) : -1;
    uint64_t t0 = now_ns();
    uint64_t t_end = t0 + (uint64_t)(duration * 1e9);
    run_loop(never, NULL, t_end);
    uint64_t t1 = now_ns();
    double cc1 = self_cpu_seconds();
    double sc1 = opt.pid > 0 ? proc_cpu_seconds(opt.pid) : -1;
    measuring = 0;
    stopping = 1;
    /* Let the messages in flight come back (and be verified), then close. */
    run_loop(pp_all_stopped, NULL, now_ns() + 5000000000ull);
    time_out_unfinished(1);

    struct pp_result r;
    r.seconds = (double)(t1 - t0) / 1e9;
    r.msgs = pp_msgs;
    r.msgs_per_sec = r.seconds > 0 ? (double)pp_msgs / r.seconds : 0;
    r.avg_rtt_us = pp_msgs ? (double)pp_rtt_sum_ns / (double)pp_msgs / 1000.0 : 0;
    r.errors = total_errors();
    r.client_cpu = r.seconds > 0 ? 100.0 * (cc1 - cc0) / r.seconds : 0;
    r.server_cpu = (sc0 >= 0 && sc1 >= 0 && r.seconds > 0) ? 100.0 * (sc1 - sc0) / r.seconds : -1;
    return r;
}

static int cmd_pingpong(void)
{
    int n = opt.connections > 0 ? opt.connections : 50;
    int size = opt.size > 0 ? opt.size : 64;
    raise_nofile(n);
    struct pp_result r = run_pingpong(n, size, opt.warmup, opt.duration);
    printf("result workload=pingpong msgs_per_sec=%.0f avg_rtt_us=%.1f messages=%llu seconds=%.3f"
           " connections=%d size=%d client_cpu_pct=%.0f server_cpu_pct=%.0f",
           r.msgs_per_sec, r.avg_rtt_us, (unsigned long long)r.msgs, r.seconds, n, size,
           r.client_cpu, r.server_cpu);
    print_errors();
    printf("\n# pingpong: %d connections x %d B: %.0f msgs/s (avg round trip %.1f us) over %.2f s"
           " after %.1f s warm-up, %ld errors; CPU: client %.0f%%",
           n, size, r.msgs_per_sec, r.avg_rtt_us, r.seconds, opt.warmup, r.errors, r.client_cpu);
    if (r.server_cpu >= 0)
        printf(", server %.0f%%", r.server_cpu);
    printf("\n");
    teardown();
    return r.errors ? 1 : 0;
}

/* ------------------------------------------------------------------- main -- */

static void on_signal(int sig) { (void)sig; interrupted = 1; }

int main(int argc, char **argv)
{
    if (argc < 2)
        usage();
    const char *cmd = argv[1];
    parse_options(argc, argv);
    setvbuf(stdout, NULL, _IOLBF, 0);
    signal(SIGPIPE, SIG_IGN);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    server_addr.sin_family = AF_INET;
    server_addr.sin_port = htons((uint16_t)opt.port);
    if (inet_pton(AF_INET, opt.host, &server_addr.sin_addr) != 1) {
        fprintf(stderr, "loadgen: --host must be an IPv4 address\n");
        return 2;
    }
    if (!strcmp(cmd, "pingpong")) return cmd_pingpong();
    usage();
    return 2;
}
