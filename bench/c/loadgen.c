/*
 * loadgen.c: the minimal C load client, the reference of bench/compare.sh's client check.
 *
 * One thread, one level-triggered epoll loop, non-blocking sockets, all buffers
 * allocated before the measurement starts (nothing is allocated per message). Every
 * echoed byte is compared with what was sent; failures are counted by kind.
 *
 *   loadgen pingpong --port P [--host H] [--connections 50] [--size 64]
 *                    [--warmup 2] [--duration 10] [--pid SERVER_PID]
 *   loadgen framed   --port P [--connections 50] [--size 64] [--pipeline 1]
 *                    [--warmup 2] [--duration 10] [--pid SERVER_PID]
 *   loadgen hold     --port P --pid SERVER_PID [--connections 10000] [--size 64]
 *                    [--warmup 2] [--settle 1] [--hold 2] [--window 256]
 *   loadgen burst    --port P [--clients 10000] [--size 100] [--timeout 60]
 *                    [--warmup 2] [--settle 1]
 *   loadgen wait     --port P [--pid PID] [--timeout 60]
 *
 * Common: --host (127.0.0.1), --src-net N / --no-spread (see "Source addresses").
 *
 * framed is pingpong over the framed protocol (EchoHost's framed endpoint): each connection
 * keeps --pipeline Echo requests in flight (a Request frame whose Message has Id 1, 2, 3...
 * per connection, Type 0x10, --size bytes of Data and no metadata) and checks every byte
 * of each answer: a Response with a request's Id must be that request's frame with Kind
 * 0x02. Anything else (another length, flags, Type or Data, an Id not in flight, an Error
 * frame or any other kind) counts as a mismatch or as unexpected and closes the connection.
 *
 * Output: one machine-readable line per result, "result workload=NAME key=value ...",
 * followed by a human-readable line starting with '#'. The first mismatches of a run are
 * described on stderr (where the bytes differ and which connection's message they are
 * from, if any). Exit status 0 when the run
 * completed without errors, 1 when errors were counted, 2 on bad usage or setup failure.
 *
 * Source addresses. burst and hold open 10,000 connections per run, and the client
 * side of each closed connection sits in TIME_WAIT for 60 s. To keep earlier runs from
 * exhausting or slowing the ephemeral-port search, these workloads spread their source
 * addresses over 127.N.x.y (IP_BIND_ADDRESS_NO_PORT keeps port choice at connect time,
 * so the kernel still picks a free 4-tuple). N defaults to a value derived from the
 * port and the process id; --no-spread uses the default source address.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
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

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

#define MAX_EVENTS 1024

/* ---------------------------------------------------------------- options -- */

static struct {
    const char *host;
    int port;
    int connections;
    int size;
    double warmup, duration, settle, hold, timeout;
    int window;
    int pipeline;
    long pid;
    int spread;
    int src_net;
} opt = {
    .host = "127.0.0.1", .port = 0, .connections = -1, .size = -1,
    .warmup = 2, .duration = 10, .settle = 1, .hold = 2, .timeout = -1,
    .window = 256, .pipeline = -1, .pid = 0, .spread = -1, .src_net = 0,
};

static void usage(void)
{
    fprintf(stderr,
            "usage:\n"
            "  loadgen pingpong --port P [--host H] [--connections 50] [--size 64] [--warmup 2] [--duration 10]\n"
            "                   [--pid SERVER_PID]  (reports the server's CPU use)\n"
            "  loadgen framed   --port P [--host H] [--connections 50] [--size 64] [--pipeline 1]\n"
            "                   [--warmup 2] [--duration 10] [--pid SERVER_PID]  (framed Echo requests)\n"
            "  loadgen hold     --port P --pid SERVER_PID [--connections 10000] [--size 64]\n"
            "                   [--warmup 2] [--settle 1] [--hold 2] [--window 256]\n"
            "  loadgen burst    --port P [--clients 10000] [--size 100] [--timeout 60]\n"
            "                   [--warmup 2] [--settle 1]\n"
            "  loadgen wait     --port P [--pid PID] [--timeout 60]\n"
            "  common: --host H (127.0.0.1), --src-net N (1-254), --no-spread\n");
    exit(2);
}

static void parse_options(int argc, char **argv)
{
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--no-spread")) {
            opt.spread = 0;
            continue;
        }
        if (i + 1 >= argc)
            usage();
        const char *v = argv[++i];
        if (!strcmp(a, "--host")) opt.host = v;
        else if (!strcmp(a, "--port")) opt.port = atoi(v);
        else if (!strcmp(a, "--connections") || !strcmp(a, "--clients")) opt.connections = atoi(v);
        else if (!strcmp(a, "--size")) opt.size = atoi(v);
        else if (!strcmp(a, "--warmup")) opt.warmup = atof(v);
        else if (!strcmp(a, "--duration")) opt.duration = atof(v);
        else if (!strcmp(a, "--settle")) opt.settle = atof(v);
        else if (!strcmp(a, "--hold")) opt.hold = atof(v);
        else if (!strcmp(a, "--timeout")) opt.timeout = atof(v);
        else if (!strcmp(a, "--window")) opt.window = atoi(v);
        else if (!strcmp(a, "--pipeline")) opt.pipeline = atoi(v);
        else if (!strcmp(a, "--pid")) opt.pid = atol(v);
        else if (!strcmp(a, "--src-net")) { opt.src_net = atoi(v); opt.spread = 1; }
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

static void sleep_s(double s)
{
    if (s <= 0)
        return;
    struct timespec ts = { .tv_sec = (time_t)s, .tv_nsec = (long)((s - (double)(time_t)s) * 1e9) };
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
    }
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

/* VmRSS of a process in KiB, or -1. */
static long read_rss_kib(long pid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%ld/status", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    long kib = -1;
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, "VmRSS:", 6)) {
            kib = strtol(line + 6, NULL, 10);
            break;
        }
    fclose(f);
    return kib;
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

static long count_fds(long pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%ld/fd", pid);
    DIR *d = opendir(path);
    if (!d)
        return -1;
    long n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n;
}

/* A counter from /proc/net/netstat ("TcpExt") or /proc/net/snmp ("Tcp"), or -1. */
static long long read_net_counter(const char *file, const char *section, const char *name)
{
    FILE *f = fopen(file, "r");
    if (!f)
        return -1;
    static char hdr[8192], val[8192];
    long long result = -1;
    size_t sl = strlen(section);
    while (fgets(hdr, sizeof hdr, f) && fgets(val, sizeof val, f)) {
        if (strncmp(hdr, section, sl) || hdr[sl] != ':')
            continue;
        char *hs, *vs;
        char *h = strtok_r(hdr + sl + 1, " \n", &hs);
        char *v = strtok_r(val + sl + 1, " \n", &vs);
        while (h && v) {
            if (!strcmp(h, name)) {
                result = atoll(v);
                break;
            }
            h = strtok_r(NULL, " \n", &hs);
            v = strtok_r(NULL, " \n", &vs);
        }
        break;
    }
    fclose(f);
    return result;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static int cmp_long(const void *a, const void *b)
{
    long x = *(const long *)a, y = *(const long *)b;
    return x < y ? -1 : x > y;
}

/* ------------------------------------------------------------ connections -- */

enum state { ST_FREE, ST_CONNECTING, ST_ACTIVE, ST_IDLE, ST_CLOSED };
enum mode { M_PINGPONG, M_HOLD_OPEN, M_HOLD_CHECK, M_BURST, M_FRAMED };
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
    uint64_t t_start;  /* burst: connect issued; pingpong: message sent */
};

static int ep = -1;
static struct conn *C;
static int NC;          /* connections in the arrays */
static size_t MSG;      /* message size */
static unsigned char *sarena, *rarena;
static enum mode mode;
static uint64_t g_now;  /* time of the last epoll_wait return */
static long errors[E_COUNT];
static struct sockaddr_in server_addr;
static int src_net;
static volatile sig_atomic_t interrupted;

/* pingpong */
static int stopping, inflight;
static int measuring;
static uint64_t pp_msgs, pp_rtt_sum_ns;
/* hold: connections started / finished (opened or failed) / opened and verified */
static int hold_next, hold_done, hold_ok, check_next, check_done;
/* burst */
static int burst_done, burst_ok;
static uint32_t *lat_us;
static uint64_t last_completion;

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

static void framed_start(int i);
static void framed_event(int i, uint32_t ev);

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
    switch (mode) {
    case M_PINGPONG:
    case M_FRAMED:
        if (was == ST_ACTIVE || was == ST_CONNECTING)
            inflight--;
        break;
    case M_HOLD_OPEN:
        if (was == ST_CONNECTING || was == ST_ACTIVE)
            hold_done++;
        break;
    case M_HOLD_CHECK:
        if (was == ST_ACTIVE)
            check_done++;
        break;
    case M_BURST:
        burst_done++;
        last_completion = g_now;
        break;
    }
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
    switch (mode) {
    case M_PINGPONG:
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
        break;
    case M_HOLD_OPEN:
        c->state = ST_IDLE;
        hold_ok++;
        hold_done++;
        break;
    case M_HOLD_CHECK:
        c->state = ST_IDLE;
        check_done++;
        break;
    case M_BURST: {
        uint64_t t = now_ns();
        lat_us[burst_ok++] = (uint32_t)((t - c->t_start) / 1000);
        burst_done++;
        last_completion = t;
        finish(i);
        break;
    }
    case M_FRAMED: /* framed_response() completes framed requests */
        break;
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
    if (mode == M_FRAMED) {
        framed_start(i);
        return;
    }
    uint64_t t0 = c->t_start;
    start_message(i);
    if (mode == M_BURST)
        c->t_start = t0; /* burst latency counts from the connect */
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
    if (mode == M_FRAMED) {
        framed_event(i, ev);
        return;
    }
    if (ev & (EPOLLIN | EPOLLERR | EPOLLHUP | EPOLLRDHUP))
        do_read(i);
    if (c->state == ST_ACTIVE && (ev & EPOLLOUT) && c->sent < MSG)
        do_send(i);
}

/* Creates a non-blocking socket for connection i and issues connect(). */
static int start_connect(int i, int spread)
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
    if (spread) {
        setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
        struct sockaddr_in src = { .sin_family = AF_INET };
        uint32_t hi = ((uint32_t)i / 250) % 256, lo = (uint32_t)i % 250 + 1;
        src.sin_addr.s_addr = htonl((127u << 24) | ((uint32_t)src_net << 16) | (hi << 8) | lo);
        if (bind(fd, (struct sockaddr *)&src, sizeof src) < 0) {
            fail(i, classify(errno));
            return -1;
        }
    }
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

/* ----------------------------------------------------------------- framed -- */

/* The framed protocol: a frame is Length u32, Kind u8, Flags u8, Reserved u16, then Length bytes;
 * a Message is Id u64, Type u8, DataLength u32, Data, MetadataCount u16, then the entries.
 * All integers big-endian. The requests here carry no metadata, so a request and its Echo
 * response are both FRAME = 8 + 15 + size bytes and differ only in Kind. */
#define FR_HEADER 8
#define FR_MESSAGE_FIXED 15
#define FR_KIND_REQUEST 0x01
#define FR_KIND_RESPONSE 0x02
#define FR_KIND_ERROR 0x03
#define FR_TYPE_ECHO 0x10

struct fconn {
    uint64_t last_id;      /* Id of the last request queued (the first is 1) */
    size_t out_off;        /* out[]: bytes sent */
    size_t out_len;        /* out[]: bytes queued */
    size_t in_len;         /* in[]: bytes received and not parsed yet */
    uint32_t outstanding;  /* requests queued and not answered */
};

static struct fconn *F;
static int FP;                     /* requests in flight per connection */
static size_t FDATA, FRAME;        /* Data bytes of a request; bytes of a request frame */
static size_t f_out_cap, f_in_cap; /* per connection */
static unsigned char *f_req;       /* per connection, FP slots: the request frame in flight */
static unsigned char *f_out, *f_in;
static uint64_t *f_id, *f_t;       /* per slot: Id in flight (0 = free slot), time queued */

static inline void put_be16(unsigned char *p, uint32_t v) { p[0] = (unsigned char)(v >> 8); p[1] = (unsigned char)v; }
static inline void put_be32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24); p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8); p[3] = (unsigned char)v;
}
static inline void put_be64(unsigned char *p, uint64_t v)
{
    put_be32(p, (uint32_t)(v >> 32));
    put_be32(p + 4, (uint32_t)v);
}
static inline uint32_t get_be16(const unsigned char *p) { return (uint32_t)p[0] << 8 | p[1]; }
static inline uint32_t get_be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline uint64_t get_be64(const unsigned char *p) { return (uint64_t)get_be32(p) << 32 | get_be32(p + 4); }

static inline unsigned char *f_slot(int i, int s) { return f_req + ((size_t)i * (size_t)FP + (size_t)s) * FRAME; }
static inline unsigned char *f_outbuf(int i) { return f_out + (size_t)i * f_out_cap; }
static inline unsigned char *f_inbuf(int i) { return f_in + (size_t)i * f_in_cap; }

static void framed_setup(int n, int size, int pipeline)
{
    FP = pipeline;
    FDATA = (size_t)size;
    FRAME = FR_HEADER + FR_MESSAGE_FIXED + FDATA;
    f_out_cap = (size_t)FP * FRAME;
    /* Room for every answer in flight, and for an Error frame's text. */
    f_in_cap = f_out_cap > 16384 ? f_out_cap : 16384;
    size_t slots = (size_t)n * (size_t)FP;
    F = calloc((size_t)n, sizeof *F);
    f_req = malloc(slots * FRAME);
    f_out = malloc((size_t)n * f_out_cap);
    f_in = malloc((size_t)n * f_in_cap);
    f_id = calloc(slots, sizeof *f_id);
    f_t = calloc(slots, sizeof *f_t);
    if (!F || !f_req || !f_out || !f_in || !f_id || !f_t) {
        fprintf(stderr, "loadgen: out of memory\n");
        exit(2);
    }
}

static void framed_teardown(void)
{
    free(F); free(f_req); free(f_out); free(f_in); free(f_id); free(f_t);
    F = NULL;
    f_req = f_out = f_in = NULL;
    f_id = f_t = NULL;
}

/* Builds the next request of connection i in a free slot and queues it for sending
 * (the caller sends). A slot is free: fewer than FP requests are in flight. */
static void framed_queue(int i)
{
    struct fconn *f = &F[i];
    uint64_t *ids = f_id + (size_t)i * (size_t)FP;
    int s = 0;
    while (ids[s])
        s++;
    uint64_t id = ++f->last_id;
    unsigned char *p = f_slot(i, s);
    put_be32(p, (uint32_t)(FRAME - FR_HEADER));
    p[4] = FR_KIND_REQUEST;
    p[5] = p[6] = p[7] = 0;
    put_be64(p + 8, id);
    p[16] = FR_TYPE_ECHO;
    put_be32(p + 17, (uint32_t)FDATA);
    pattern_n(i, (uint32_t)id, p + 21, FDATA);
    put_be16(p + 21 + FDATA, 0);
    ids[s] = id;
    f_t[(size_t)i * (size_t)FP + (size_t)s] = g_now;

    unsigned char *out = f_outbuf(i);
    if (f->out_len + FRAME > f_out_cap) {
        /* Only requests not answered yet are unsent, so compacting makes room. */
        memmove(out, out + f->out_off, f->out_len - f->out_off);
        f->out_len -= f->out_off;
        f->out_off = 0;
    }
    memcpy(out + f->out_len, p, FRAME);
    f->out_len += FRAME;
    f->outstanding++;
}

/* Sends what is queued. */
static void framed_send(int i)
{
    struct fconn *f = &F[i];
    if (send_pending(i, f_outbuf(i), f->out_len, &f->out_off))
        f->out_off = f->out_len = 0;
}

static void framed_start(int i)
{
    C[i].state = ST_ACTIVE;
    for (int k = 0; k < FP && !stopping; k++)
        framed_queue(i);
    if (F[i].outstanding == 0) { /* stopped before it was connected */
        C[i].state = ST_IDLE;
        C[i].want_out = 0;
        set_interest(i, EPOLLIN);
        inflight--;
        return;
    }
    framed_send(i);
}

static const char *kind_name(unsigned k)
{
    static const char *names[] = { "0x00", "Request", "Response", "Error", "Ping", "Pong", "GoAway" };
    return k < sizeof names / sizeof names[0] ? names[k] : "unknown";
}

/* Prints up to max bytes as text, other bytes as '?'. */
static void print_text(const unsigned char *p, size_t n, size_t max)
{
    for (size_t j = 0; j < n && j < max; j++)
        fputc(p[j] >= 0x20 && p[j] < 0x7f ? p[j] : '?', stderr);
    if (n > max)
        fputs("...", stderr);
}

/* Describes on stderr (the first few of a run) a frame that is not an answer in flight:
 * its header and, for an Error frame that was read whole, its Id, Type, code and text. */
static void describe_frame(int i, const unsigned char *p, size_t avail, const char *why)
{
    if (mismatches_described++ >= 5)
        return;
    uint32_t len = get_be32(p);
    fprintf(stderr, "loadgen: framed: connection %d (last Id sent %llu, %u in flight): %s: Kind 0x%02x (%s)"
            " Flags 0x%02x Reserved 0x%04x Length %u (a Response here has Length %zu)",
            i, (unsigned long long)F[i].last_id, F[i].outstanding, why, p[4], kind_name(p[4]), p[5],
            get_be16(p + 6), len, FRAME - FR_HEADER);
    const unsigned char *m = p + FR_HEADER;
    if (len >= FR_MESSAGE_FIXED && avail >= FR_HEADER + (size_t)len &&
        (p[4] == FR_KIND_ERROR || p[4] == FR_KIND_RESPONSE)) {
        uint32_t dlen = get_be32(m + 9);
        fprintf(stderr, "; Id %llu Type 0x%02x DataLength %u", (unsigned long long)get_be64(m), m[8], dlen);
        if ((size_t)dlen + FR_MESSAGE_FIXED <= len) {
            const unsigned char *d = m + 13, *e = m + len, *q = d + dlen;
            uint32_t count = get_be16(q);
            q += 2;
            fprintf(stderr, " MetadataCount %u", count);
            for (uint32_t k = 0; k < count && k < 8 && q + 2 <= e; k++) {
                uint32_t kl = get_be16(q);
                if (q + 2 + kl + 2 > e)
                    break;
                uint32_t vl = get_be16(q + 2 + kl);
                if (q + 4 + kl + vl > e)
                    break;
                fputc(' ', stderr);
                print_text(q + 2, kl, 40);
                fputc('=', stderr);
                print_text(q + 4 + kl, vl, 60);
                q += 4 + kl + vl;
            }
            if (p[4] == FR_KIND_ERROR) {
                fputs("; text: ", stderr);
                print_text(d, dlen, 200);
            }
        }
    }
    fputc('\n', stderr);
}

/* Describes a Response whose Id is in flight but whose other bytes differ from the request. */
static void describe_framed_mismatch(int i, int s, const unsigned char *got)
{
    if (mismatches_described++ >= 5)
        return;
    const unsigned char *want = f_slot(i, s);
    size_t off = 16;
    while (off < FRAME && got[off] == want[off])
        off++;
    const char *field = off == 16 ? "Type" : off < 21 ? "DataLength" : off < 21 + FDATA ? "Data" : "MetadataCount";
    fprintf(stderr, "loadgen: framed mismatch: connection %d, Id %llu (%zu-byte frames): first difference at byte %zu"
            " of the frame (%s); got", i, (unsigned long long)get_be64(want + 8), FRAME, off, field);
    for (size_t j = off; j < FRAME && j < off + 16; j++)
        fprintf(stderr, " %02x", got[j]);
    fprintf(stderr, " expected");
    for (size_t j = off; j < FRAME && j < off + 16; j++)
        fprintf(stderr, " %02x", want[j]);
    fprintf(stderr, "\n");
    /* Whose request do these bytes answer? (answers swapped between Ids or connections) */
    for (int k = 0; k < NC; k++)
        for (int t = 0; t < FP; t++)
            if (f_id[(size_t)k * (size_t)FP + (size_t)t] && memcmp(got + 16, f_slot(k, t) + 16, FRAME - 16) == 0)
                fprintf(stderr, "loadgen: framed mismatch: the Data is that of connection %d's request Id %llu\n",
                        k, (unsigned long long)f_id[(size_t)k * (size_t)FP + (size_t)t]);
}

/* A whole Response frame of the expected length, flags and reserved bytes; returns -1 when
 * it failed the connection. */
static int framed_response(int i, const unsigned char *p)
{
    struct conn *c = &C[i];
    struct fconn *f = &F[i];
    uint64_t id = get_be64(p + 8);
    uint64_t *ids = f_id + (size_t)i * (size_t)FP;
    int s = 0;
    while (s < FP && ids[s] != id)
        s++;
    if (id == 0 || s == FP) {
        describe_frame(i, p, FRAME, "a Response to an Id not in flight");
        fail(i, E_UNEXPECTED);
        return -1;
    }
    if (memcmp(p + 16, f_slot(i, s) + 16, FRAME - 16) != 0) {
        describe_framed_mismatch(i, s, p);
        fail(i, E_MISMATCH);
        return -1;
    }
    ids[s] = 0;
    f->outstanding--;
    c->seq++;
    if (measuring) {
        pp_msgs++;
        pp_rtt_sum_ns += g_now - f_t[(size_t)i * (size_t)FP + (size_t)s];
    }
    if (!stopping)
        framed_queue(i);
    else if (f->outstanding == 0) {
        c->state = ST_IDLE;
        inflight--;
    }
    return 0;
}

/* Consumes the whole frames in in[]; returns -1 when it failed the connection. */
static int framed_parse(int i)
{
    struct fconn *f = &F[i];
    unsigned char *in = f_inbuf(i), *p = in;
    size_t avail = f->in_len;
    while (avail >= FR_HEADER) {
        uint32_t len = get_be32(p);
        if (p[4] == FR_KIND_RESPONSE && len == FRAME - FR_HEADER && p[5] == 0 && p[6] == 0 && p[7] == 0) {
            if (avail < FRAME)
                break;
            if (framed_response(i, p) < 0)
                return -1;
            p += FRAME;
            avail -= FRAME;
            continue;
        }
        /* Anything else fails the connection; an Error frame is read whole first, to
         * show its code and text. */
        if (p[4] == FR_KIND_ERROR && (size_t)len <= f_in_cap - FR_HEADER && avail < FR_HEADER + (size_t)len)
            break;
        describe_frame(i, p, avail, p[4] == FR_KIND_RESPONSE ? "a Response of another shape" : "not a Response");
        fail(i, p[4] == FR_KIND_RESPONSE ? E_MISMATCH : E_UNEXPECTED);
        return -1;
    }
    if (avail && C[i].state == ST_IDLE) {
        if (mismatches_described++ < 5)
            fprintf(stderr, "loadgen: framed: connection %d: %zu bytes after the last answer\n", i, avail);
        fail(i, E_UNEXPECTED);
        return -1;
    }
    if (avail && p != in)
        memmove(in, p, avail);
    f->in_len = avail;
    return 0;
}

static void framed_read(int i)
{
    struct conn *c = &C[i];
    struct fconn *f = &F[i];
    unsigned char *in = f_inbuf(i);
    for (;;) {
        if (c->state == ST_IDLE) {
            do_read(i); /* nothing is expected: data or EOF is an error */
            return;
        }
        if (c->state != ST_ACTIVE)
            return;
        size_t room = f_in_cap - f->in_len;
        ssize_t n = recv(c->fd, in + f->in_len, room, 0);
        if (n > 0) {
            f->in_len += (size_t)n;
            if (framed_parse(i) < 0)
                return;
            /* A short read has (almost certainly) drained the socket; whatever is left is
             * reported again by the level-triggered epoll. One recv per answer, like pingpong. */
            if ((size_t)n < room)
                break;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (recv_ended(i, n))
            return;
        break;
    }
    if (c->state == ST_ACTIVE && f->out_off < f->out_len)
        framed_send(i);
}

static void framed_event(int i, uint32_t ev)
{
    if (ev & (EPOLLIN | EPOLLERR | EPOLLHUP | EPOLLRDHUP))
        framed_read(i);
    if (C[i].state == ST_ACTIVE && (ev & EPOLLOUT) && F[i].out_off < F[i].out_len)
        framed_send(i);
}

/* --------------------------------------------------------------- pingpong -- */

static int pp_all_stopped(void) { return inflight == 0; }
static int never(void) { return 0; }

struct pp_result {
    double msgs_per_sec, avg_rtt_us, seconds, client_cpu, server_cpu;
    uint64_t msgs;
    long errors;
};

/* pingpong, or framed with pipeline requests in flight per connection. */
static struct pp_result run_pp(enum mode m, int n, int size, int pipeline, double warmup, double duration)
{
    if (m == M_FRAMED) {
        setup(n, 1);
        framed_setup(n, size, pipeline);
    } else {
        setup(n, size);
    }
    mode = m;
    stopping = measuring = 0;
    pp_msgs = pp_rtt_sum_ns = 0;
    inflight = n;
    g_now = now_ns();
    for (int i = 0; i < n; i++)
        start_connect(i, 0);

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

static struct pp_result run_pingpong(int n, int size, double warmup, double duration)
{
    return run_pp(M_PINGPONG, n, size, 1, warmup, duration);
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

static int cmd_framed(void)
{
    int n = opt.connections > 0 ? opt.connections : 50;
    int size = opt.size >= 0 ? opt.size : 64;
    int pipeline = opt.pipeline > 0 ? opt.pipeline : 1;
    if (size > (1 << 24) || pipeline > 4096 || (double)pipeline * (size + 23) > 256e6) {
        fprintf(stderr, "loadgen framed: --size up to 16 MiB, --pipeline up to 4096, and their product up to 256 MB\n");
        return 2;
    }
    raise_nofile(n);
    struct pp_result r = run_pp(M_FRAMED, n, size, pipeline, opt.warmup, opt.duration);
    printf("result workload=framed msgs_per_sec=%.0f avg_rtt_us=%.1f messages=%llu seconds=%.3f"
           " connections=%d size=%d pipeline=%d client_cpu_pct=%.0f server_cpu_pct=%.0f",
           r.msgs_per_sec, r.avg_rtt_us, (unsigned long long)r.msgs, r.seconds, n, size, pipeline,
           r.client_cpu, r.server_cpu);
    print_errors();
    printf("\n# framed: %d connections x %d B Echo (%zu-byte frames, %d in flight each): %.0f msgs/s"
           " (avg round trip %.1f us) over %.2f s after %.1f s warm-up, %ld errors; CPU: client %.0f%%",
           n, size, FRAME, pipeline, r.msgs_per_sec, r.avg_rtt_us, r.seconds, opt.warmup, r.errors,
           r.client_cpu);
    if (r.server_cpu >= 0)
        printf(", server %.0f%%", r.server_cpu);
    printf("\n");
    teardown();
    framed_teardown();
    return r.errors ? 1 : 0;
}

/* ------------------------------------------------------------------- hold -- */

static int hold_target;

static int hold_window;

/* Keeps up to hold_window connections being opened at a time. */
static void refill_hold_open(void)
{
    while (hold_next < hold_target && hold_next - hold_done < hold_window)
        start_connect(hold_next++, opt.spread);
}

static int hold_all_open(void) { return hold_done >= hold_target; }

/* Keeps up to hold_window held connections echoing their check message at a time. */
static void refill_check(void)
{
    while (check_next < NC && check_next - check_done < hold_window) {
        int i = check_next++;
        if (C[i].state == ST_IDLE)
            start_message(i);
        else
            check_done++; /* already failed */
    }
}

static int check_all_done(void) { return check_done >= NC; }

/* Reports events that arrived on idle connections while holding (server closes). */
static void poll_idle(double seconds)
{
    uint64_t end = now_ns() + (uint64_t)(seconds * 1e9);
    run_loop(never, NULL, end);
}

static int cmd_hold(void)
{
    int n = opt.connections > 0 ? opt.connections : 10000;
    int size = opt.size > 0 ? opt.size : 64;
    double timeout = opt.timeout > 0 ? opt.timeout : 120;
    if (opt.pid <= 0) {
        fprintf(stderr, "loadgen hold: --pid SERVER_PID is required\n");
        return 2;
    }
    raise_nofile(n);
    if (read_rss_kib(opt.pid) < 0) {
        fprintf(stderr, "loadgen hold: cannot read /proc/%ld/status\n", opt.pid);
        return 2;
    }

    /* 1. Warm the server up (JIT, pools), then let it go idle. */
    struct pp_result warm = { 0 };
    if (opt.warmup > 0) {
        warm = run_pingpong(50, size, 0, opt.warmup);
        teardown();
    }
    sleep_s(opt.settle);
    long idle_rss = read_rss_kib(opt.pid);
    long idle_fds = count_fds(opt.pid);

    /* 2. Open the connections, a window at a time; each echoes one message. */
    setup(n, size);
    mode = M_HOLD_OPEN;
    hold_target = n;
    hold_next = hold_done = hold_ok = 0;
    uint64_t t0 = now_ns();
    g_now = t0;
    hold_window = opt.window > 0 ? opt.window : 256;
    int opened = run_loop(hold_all_open, refill_hold_open, t0 + (uint64_t)(timeout * 1e9));
    if (!opened)
        time_out_unfinished(1);
    double open_s = (double)(now_ns() - t0) / 1e9;

    /* 3. Hold them; sample the server's memory. */
    poll_idle(opt.hold);
    enum { SAMPLES = 5 };
    long samples[SAMPLES];
    for (int s = 0; s < SAMPLES; s++) {
        samples[s] = read_rss_kib(opt.pid);
        if (s + 1 < SAMPLES)
            poll_idle(0.2);
    }
    long held_fds = count_fds(opt.pid);
    long sorted[SAMPLES];
    memcpy(sorted, samples, sizeof sorted);
    qsort(sorted, SAMPLES, sizeof sorted[0], cmp_long);
    long held_rss = sorted[SAMPLES / 2];

    /* 4. Check that every held connection still echoes. */
    mode = M_HOLD_CHECK;
    check_next = check_done = 0;
    if (!run_loop(check_all_done, refill_check, now_ns() + (uint64_t)(timeout * 1e9)))
        time_out_unfinished(1);
    int alive = 0;
    for (int i = 0; i < n; i++)
        if (C[i].state == ST_IDLE && C[i].seq == 2)
            alive++;

    double per_conn = hold_ok > 0 ? (double)(held_rss - idle_rss) / hold_ok : 0;
    printf("result workload=hold kib_per_conn=%.2f idle_rss_kib=%ld held_rss_kib=%ld connections=%d"
           " held=%d alive_after_hold=%d open_seconds=%.2f idle_fds=%ld held_fds=%ld"
           " warmup_msgs_per_sec=%.0f warmup_errors=%ld",
           per_conn, idle_rss, held_rss, n, hold_ok, alive, open_s, idle_fds, held_fds,
           warm.msgs_per_sec, warm.errors);
    print_errors();
    printf("\n# hold: %d of %d connections open and verified in %.2f s; server RSS %ld KiB idle ->"
           " %ld KiB held (samples", hold_ok, n, open_s, idle_rss, held_rss);
    for (int s = 0; s < SAMPLES; s++)
        printf(" %ld", samples[s]);
    printf("): %.2f KiB per connection; %d still echoed after the hold; server fds %ld -> %ld\n",
           per_conn, alive, idle_fds, held_fds);
    long errs = total_errors() + warm.errors;
    teardown();
    return (errs || alive != n) ? 1 : 0;
}

/* ------------------------------------------------------------------ burst -- */

static int burst_all_done(void) { return burst_done >= NC; }

static int cmd_burst(void)
{
    int n = opt.connections > 0 ? opt.connections : 10000;
    int size = opt.size > 0 ? opt.size : 100;
    double timeout = opt.timeout > 0 ? opt.timeout : 60;
    raise_nofile(n);
    /* Warm the server up (JIT, pools), then let it go idle. */
    struct pp_result warm = { 0 };
    if (opt.warmup > 0) {
        warm = run_pingpong(50, 64, 0, opt.warmup);
        teardown();
        sleep_s(opt.settle);
    }
    setup(n, size);
    lat_us = calloc((size_t)n, sizeof *lat_us);
    if (!lat_us)
        return 2;
    mode = M_BURST;
    burst_done = burst_ok = 0;

    long long ovf0 = read_net_counter("/proc/net/netstat", "TcpExt", "ListenOverflows");
    long long drop0 = read_net_counter("/proc/net/netstat", "TcpExt", "ListenDrops");
    long long retr0 = read_net_counter("/proc/net/snmp", "Tcp", "RetransSegs");

    /* Every connect is issued before any event is serviced. */
    uint64_t t0 = now_ns();
    g_now = t0;
    for (int i = 0; i < n; i++)
        start_connect(i, opt.spread);
    uint64_t t_issued = now_ns();
    last_completion = t_issued;
    if (!run_loop(burst_all_done, NULL, t0 + (uint64_t)(timeout * 1e9)))
        time_out_unfinished(0);
    uint64_t wall = last_completion - t0;

    long long ovf1 = read_net_counter("/proc/net/netstat", "TcpExt", "ListenOverflows");
    long long drop1 = read_net_counter("/proc/net/netstat", "TcpExt", "ListenDrops");
    long long retr1 = read_net_counter("/proc/net/snmp", "Tcp", "RetransSegs");

    double avg_ms = 0, p50 = 0, p99 = 0, max = 0;
    if (burst_ok > 0) {
        uint64_t sum = 0;
        for (int k = 0; k < burst_ok; k++)
            sum += lat_us[k];
        qsort(lat_us, (size_t)burst_ok, sizeof lat_us[0], cmp_u32);
        avg_ms = (double)sum / burst_ok / 1000.0;
        p50 = lat_us[burst_ok / 2] / 1000.0;
        p99 = lat_us[(size_t)((burst_ok - 1) * 0.99)] / 1000.0;
        max = lat_us[burst_ok - 1] / 1000.0;
    }
    long fails = total_errors();
    printf("result workload=burst wall_ms=%.1f failures=%ld ok=%d clients=%d size=%d"
           " avg_latency_ms=%.2f p50_latency_ms=%.2f p99_latency_ms=%.2f max_latency_ms=%.2f"
           " connect_issue_ms=%.1f listen_overflows=%lld listen_drops=%lld retrans_segs=%lld"
           " warmup_errors=%ld",
           (double)wall / 1e6, fails, burst_ok, n, size, avg_ms, p50, p99, max,
           (double)(t_issued - t0) / 1e6, ovf1 - ovf0, drop1 - drop0, retr1 - retr0, warm.errors);
    print_errors();
    printf("\n# burst: %d clients x %d B: %d ok, %ld failed, all done in %.1f ms (connects issued in"
           " %.1f ms); latency avg %.2f ms, p50 %.2f, p99 %.2f, max %.2f ms; kernel (system-wide):"
           " %lld listen overflows, %lld retransmitted segments\n",
           n, size, burst_ok, fails, (double)wall / 1e6, (double)(t_issued - t0) / 1e6, avg_ms, p50, p99,
           max, ovf1 - ovf0, retr1 - retr0);
    teardown();
    free(lat_us);
    return (fails || warm.errors) ? 1 : 0;
}

/* ------------------------------------------------------------------- wait -- */

static int cmd_wait(void)
{
    double timeout = opt.timeout > 0 ? opt.timeout : 60;
    uint64_t end = now_ns() + (uint64_t)(timeout * 1e9);
    while (now_ns() < end && !interrupted) {
        if (opt.pid > 0 && kill((pid_t)opt.pid, 0) < 0 && errno == ESRCH) {
            fprintf(stderr, "loadgen wait: process %ld exited\n", opt.pid);
            return 1;
        }
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd >= 0 && connect(fd, (struct sockaddr *)&server_addr, sizeof server_addr) == 0) {
            close(fd);
            return 0;
        }
        if (fd >= 0)
            close(fd);
        sleep_s(0.05);
    }
    fprintf(stderr, "loadgen wait: %s:%d does not accept connections after %.0f s\n", opt.host,
            opt.port, timeout);
    return 1;
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
    int loopback = (ntohl(server_addr.sin_addr.s_addr) >> 24) == 127;
    if (opt.spread < 0)
        opt.spread = loopback;
    if (opt.spread && !loopback) {
        fprintf(stderr, "loadgen: source spreading needs a 127.x.x.x server; use --no-spread\n");
        return 2;
    }
    src_net = opt.src_net > 0 ? opt.src_net : 1 + (int)((opt.port * 7u + (unsigned)getpid()) % 254);
    if (src_net < 1 || src_net > 254) {
        fprintf(stderr, "loadgen: --src-net must be 1..254\n");
        return 2;
    }

    if (!strcmp(cmd, "pingpong")) return cmd_pingpong();
    if (!strcmp(cmd, "framed")) return cmd_framed();
    if (!strcmp(cmd, "hold")) return cmd_hold();
    if (!strcmp(cmd, "burst")) return cmd_burst();
    if (!strcmp(cmd, "wait")) return cmd_wait();
    usage();
    return 2;
}
