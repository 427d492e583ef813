/*
 * kqueue(2) and kevent(2) for Linux, over epoll: the library the transport's tests load in place of macOS's
 * libSystem and FreeBSD's libc, so that the kqueue engine runs the conformance suite on this machine.
 *
 * Built twice by the tests: by default with macOS's struct kevent (32 bytes) and EVFILT_USER (-10); with
 * -DKEVENT_FREEBSD with FreeBSD 12+'s (64 bytes, ext[4]) and EVFILT_USER (-11).
 *
 * What it does, as kqueue(2) documents it:
 *   - EVFILT_READ and EVFILT_WRITE on sockets: EV_ADD (adding again modifies udata), EV_DELETE, EV_CLEAR (state reset
 *     once reported: epoll's EPOLLET), level-triggered without EV_CLEAR. EV_EOF on the read filter when the peer has
 *     sent FIN, on both when the connection is shut down both ways or failed; with a failure, fflags holds an error.
 *   - EVFILT_USER: EV_ADD, EV_DELETE, EV_CLEAR, NOTE_TRIGGER (from any thread).
 *   - Changes are applied in order before waiting. A change that fails, or any change with EV_RECEIPT, is answered
 *     with an entry whose flags are EV_ERROR and data the errno (0 for success); then the call returns those entries
 *     without waiting. With no room for an error, the call fails with it. ENOENT for a filter not added, EBADF for a
 *     descriptor not open, EINVAL for what is not emulated.
 *   - Timeouts: NULL waits for ever, {0, 0} polls; nevents == 0 returns after the changes.
 *   - close() of a queue (exported here, since the queue's state lives here) releases it.
 *
 * Where Linux cannot tell what a BSD kernel would say:
 *   - fflags of EV_EOF is ECONNRESET whenever epoll reports EPOLLERR: Linux gives the pending error only through
 *     SO_ERROR, which clears it and would hide it from the recv or send that must report it.
 *   - epoll reports a descriptor's whole readiness on each edge, so a filter may be reported though its own state did
 *     not change (a write event along with new data). kqueue reports fewer events; a correct engine treats every event
 *     as a hint to make its call.
 *   - data is the bytes readable (FIONREAD) for the read filter of a connected socket, 0 otherwise.
 *   - A descriptor closed without EV_DELETE leaves its epoll registration to the kernel, as kqueue does, but its
 *     state here until the number is added again.
 * Anything else (other filters, EV_ENABLE, EV_DISABLE, EV_ONESHOT, EV_DISPATCH, other fflags) is refused with EINVAL,
 * so that an engine that starts to use it fails its tests instead of passing on an emulation that ignores it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define EXPORT __attribute__((visibility("default")))

struct kevent {
    uintptr_t ident;
    int16_t filter;
    uint16_t flags;
    uint32_t fflags;
#ifdef KEVENT_FREEBSD
    int64_t data;
    void *udata;
    uint64_t ext[4];
#else
    intptr_t data;
    void *udata;
#endif
};

#ifdef KEVENT_FREEBSD
_Static_assert(sizeof(struct kevent) == 64, "FreeBSD 12+'s struct kevent is 64 bytes");
#define EVFILT_USER (-11)
#else
_Static_assert(sizeof(struct kevent) == 32, "macOS's struct kevent is 32 bytes");
#define EVFILT_USER (-10)
#endif

#define EVFILT_READ (-1)
#define EVFILT_WRITE (-2)
#define EV_ADD 0x0001
#define EV_DELETE 0x0002
#define EV_CLEAR 0x0020
#define EV_RECEIPT 0x0040
#define EV_ERROR 0x4000
#define EV_EOF 0x8000
#define NOTE_TRIGGER 0x01000000u

#define SUPPORTED_FLAGS (EV_ADD | EV_DELETE | EV_CLEAR | EV_RECEIPT)
#define USER_KEY UINT64_MAX
#define MAX_USER_EVENTS 4
#define MAX_EPOLL_EVENTS 256

struct filter_state {
    int active;
    uint16_t flags; /* EV_ADD and EV_CLEAR as registered, returned with each event */
    void *udata;
};

struct fd_state {
    struct filter_state read, write;
    int in_epoll;
};

struct user_event {
    int active, triggered;
    uintptr_t ident;
    uint16_t flags;
    void *udata;
};

struct queue {
    pthread_mutex_t lock;
    int refs;
    int epfd, eventfd;
    struct fd_state *fds;
    size_t fd_capacity;
    struct user_event users[MAX_USER_EVENTS];
    struct kevent pending[MAX_USER_EVENTS + 1]; /* what a wait found and had no room for */
    int pending_count;
};

/* Queues by descriptor (their epoll instance's), under g_lock; each queue's own state under its lock. */
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static struct queue **g_queues;
static size_t g_queue_capacity;

static int sys_close(int fd) { return (int)syscall(SYS_close, fd); }

static void destroy(struct queue *q)
{
    sys_close(q->eventfd);
    pthread_mutex_destroy(&q->lock);
    free(q->fds);
    free(q);
}

static struct queue *acquire(int kq)
{
    struct queue *q = NULL;
    pthread_mutex_lock(&g_lock);
    if (kq >= 0 && (size_t)kq < g_queue_capacity && (q = g_queues[kq]) != NULL)
        q->refs++;
    pthread_mutex_unlock(&g_lock);
    return q;
}

static void release(struct queue *q)
{
    pthread_mutex_lock(&g_lock);
    int last = --q->refs == 0;
    pthread_mutex_unlock(&g_lock);
    if (last)
        destroy(q);
}

static int grow(void **array, size_t *capacity, size_t index, size_t element)
{
    if (index < *capacity)
        return 0;
    size_t next = *capacity ? *capacity : 64;
    while (next <= index)
        next *= 2;
    void *grown = realloc(*array, next * element);
    if (!grown)
        return ENOMEM;
    memset((char *)grown + *capacity * element, 0, (next - *capacity) * element);
    *array = grown;
    *capacity = next;
    return 0;
}

EXPORT int kqueue(void)
{
    struct queue *q = calloc(1, sizeof *q);
    if (!q)
        return errno = ENOMEM, -1;
    q->refs = 1;
    pthread_mutex_init(&q->lock, NULL);
    q->epfd = epoll_create1(EPOLL_CLOEXEC);
    q->eventfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    struct epoll_event wake = { .events = EPOLLIN, .data.u64 = USER_KEY };
    int error = q->epfd < 0 || q->eventfd < 0 || epoll_ctl(q->epfd, EPOLL_CTL_ADD, q->eventfd, &wake) < 0 ? errno : 0;
    if (!error) {
        pthread_mutex_lock(&g_lock);
        error = grow((void **)&g_queues, &g_queue_capacity, (size_t)q->epfd, sizeof *g_queues);
        if (!error)
            g_queues[q->epfd] = q;
        pthread_mutex_unlock(&g_lock);
    }
    if (error) {
        if (q->epfd >= 0)
            sys_close(q->epfd);
        if (q->eventfd >= 0)
            sys_close(q->eventfd);
        pthread_mutex_destroy(&q->lock);
        free(q);
        return errno = error, -1;
    }
    return q->epfd;
}

EXPORT int close(int fd)
{
    struct queue *q = NULL;
    pthread_mutex_lock(&g_lock);
    if (fd >= 0 && (size_t)fd < g_queue_capacity) {
        q = g_queues[fd];
        g_queues[fd] = NULL;
    }
    pthread_mutex_unlock(&g_lock);
    int result = sys_close(fd);
    int error = errno;
    if (q)
        release(q);
    errno = error;
    return result;
}

/* Makes the descriptor's epoll registration what its filters ask for. */
static int sync_epoll(struct queue *q, int fd, struct fd_state *s)
{
    if (!s->read.active && !s->write.active) {
        if (s->in_epoll)
            epoll_ctl(q->epfd, EPOLL_CTL_DEL, fd, NULL);
        s->in_epoll = 0;
        return 0;
    }
    uint16_t read_clear = s->read.flags & EV_CLEAR, write_clear = s->write.flags & EV_CLEAR;
    if (s->read.active && s->write.active && read_clear != write_clear)
        return EINVAL; /* one epoll registration per descriptor: both filters edge or both level */
    struct epoll_event ev = { .events = EPOLLRDHUP, .data.u64 = (uint64_t)fd };
    if (s->read.active)
        ev.events |= EPOLLIN;
    if (s->write.active)
        ev.events |= EPOLLOUT;
    if ((s->read.active && read_clear) || (s->write.active && write_clear))
        ev.events |= EPOLLET;
    int r;
    if (s->in_epoll) {
        r = epoll_ctl(q->epfd, EPOLL_CTL_MOD, fd, &ev);
        if (r < 0 && errno == ENOENT) /* closed and reopened without EV_DELETE */
            r = epoll_ctl(q->epfd, EPOLL_CTL_ADD, fd, &ev);
    } else {
        r = epoll_ctl(q->epfd, EPOLL_CTL_ADD, fd, &ev);
        if (r < 0 && errno == EEXIST)
            r = epoll_ctl(q->epfd, EPOLL_CTL_MOD, fd, &ev);
    }
    if (r < 0)
        return errno;
    s->in_epoll = 1;
    return 0;
}

static int apply_socket(struct queue *q, const struct kevent *change)
{
    if (change->fflags != 0)
        return EINVAL;
    int fd = (int)change->ident;
    if (change->ident > INT_MAX || fcntl(fd, F_GETFD) < 0)
        return EBADF;
    int error = grow((void **)&q->fds, &q->fd_capacity, (size_t)fd, sizeof *q->fds);
    if (error)
        return error;
    struct fd_state next = q->fds[fd];
    struct filter_state *f = change->filter == EVFILT_READ ? &next.read : &next.write;
    if (change->flags & EV_DELETE) {
        if (!f->active)
            return ENOENT;
        f->active = 0;
    } else if (change->flags & EV_ADD) {
        f->active = 1;
        f->flags = change->flags & (EV_ADD | EV_CLEAR);
        f->udata = change->udata;
    } else {
        if (!f->active)
            return ENOENT;
        f->udata = change->udata;
    }
    error = sync_epoll(q, fd, &next);
    if (!error)
        q->fds[fd] = next;
    return error;
}

static int apply_user(struct queue *q, const struct kevent *change)
{
    if (change->fflags & ~NOTE_TRIGGER)
        return EINVAL;
    struct user_event *u = NULL, *free_slot = NULL;
    for (int i = 0; i < MAX_USER_EVENTS; i++) {
        if (q->users[i].active && q->users[i].ident == change->ident)
            u = &q->users[i];
        else if (!q->users[i].active && !free_slot)
            free_slot = &q->users[i];
    }
    if (change->flags & EV_DELETE) {
        if (!u)
            return ENOENT;
        u->active = 0;
        return 0;
    }
    if (!u) {
        if (!(change->flags & EV_ADD))
            return ENOENT;
        if (!free_slot)
            return ENOMEM;
        u = free_slot;
        *u = (struct user_event){ .active = 1, .ident = change->ident };
    }
    if (change->flags & EV_ADD)
        u->flags = change->flags & (EV_ADD | EV_CLEAR);
    u->udata = change->udata; /* as FreeBSD: every change to a knote sets its udata */
    if (change->fflags & NOTE_TRIGGER) {
        u->triggered = 1;
        uint64_t one = 1;
        if (write(q->eventfd, &one, sizeof one) < 0 && errno != EAGAIN)
            return errno;
    }
    return 0;
}

static int apply(struct queue *q, const struct kevent *change)
{
    if (change->flags & ~SUPPORTED_FLAGS)
        return EINVAL;
    switch (change->filter) {
    case EVFILT_READ:
    case EVFILT_WRITE:
        return apply_socket(q, change);
    case EVFILT_USER:
        return apply_user(q, change);
    default:
        return EINVAL;
    }
}

static struct kevent make_event(uintptr_t ident, int16_t filter, uint16_t flags, uint32_t fflags, intptr_t data, void *udata)
{
    struct kevent ev;
    memset(&ev, 0, sizeof ev);
    ev.ident = ident;
    ev.filter = filter;
    ev.flags = flags;
    ev.fflags = fflags;
    ev.data = data;
    ev.udata = udata;
    return ev;
}

/* Adds one event to the caller's list, or to the queue's pending ones when the list is full. */
static void emit(struct queue *q, struct kevent *events, int nevents, int *count, struct kevent ev)
{
    if (*count < nevents)
        events[(*count)++] = ev;
    else
        q->pending[q->pending_count++] = ev;
}

static void translate_user(struct queue *q, struct kevent *events, int nevents, int *count)
{
    uint64_t value;
    while (read(q->eventfd, &value, sizeof value) > 0) {
    }
    int still_triggered = 0;
    for (int i = 0; i < MAX_USER_EVENTS; i++) {
        struct user_event *u = &q->users[i];
        if (!u->active || !u->triggered)
            continue;
        emit(q, events, nevents, count, make_event(u->ident, EVFILT_USER, u->flags, 0, 0, u->udata));
        if (u->flags & EV_CLEAR)
            u->triggered = 0;
        else
            still_triggered = 1;
    }
    if (still_triggered) { /* level-triggered: reported again by the next wait */
        uint64_t one = 1;
        (void)!write(q->eventfd, &one, sizeof one);
    }
}

static void translate_socket(struct queue *q, int fd, uint32_t happened, struct kevent *events, int nevents, int *count)
{
    if ((size_t)fd >= q->fd_capacity)
        return;
    struct fd_state *s = &q->fds[fd];
    uint32_t failed = happened & EPOLLERR ? ECONNRESET : 0;
    if (s->read.active && (happened & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))) {
        int readable = 0;
        if (ioctl(fd, FIONREAD, &readable) < 0)
            readable = 0;
        uint16_t eof = happened & (EPOLLRDHUP | EPOLLHUP | EPOLLERR) ? EV_EOF : 0;
        emit(q, events, nevents, count, make_event((uintptr_t)fd, EVFILT_READ, s->read.flags | eof, eof ? failed : 0, readable, s->read.udata));
    }
    if (s->write.active && (happened & (EPOLLOUT | EPOLLHUP | EPOLLERR))) {
        uint16_t eof = happened & (EPOLLHUP | EPOLLERR) ? EV_EOF : 0;
        emit(q, events, nevents, count, make_event((uintptr_t)fd, EVFILT_WRITE, s->write.flags | eof, eof ? failed : 0, 0, s->write.udata));
    }
}

static int64_t now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static int collect(struct queue *q, struct kevent *events, int nevents, const struct timespec *timeout)
{
    pthread_mutex_lock(&q->lock);
    if (q->pending_count > 0) {
        int count = q->pending_count < nevents ? q->pending_count : nevents;
        memcpy(events, q->pending, (size_t)count * sizeof *events);
        memmove(q->pending, q->pending + count, (size_t)(q->pending_count - count) * sizeof *events);
        q->pending_count -= count;
        pthread_mutex_unlock(&q->lock);
        return count;
    }
    pthread_mutex_unlock(&q->lock);

    int64_t wait_ms = -1;
    if (timeout) {
        int64_t ms = (int64_t)timeout->tv_sec * 1000 + (timeout->tv_nsec + 999999) / 1000000;
        wait_ms = ms > INT_MAX ? INT_MAX : ms;
    }
    int64_t deadline = wait_ms >= 0 ? now_ms() + wait_ms : 0;

    /* A descriptor gives at most two events: ask epoll for half the room. */
    int max = nevents / 2 > 0 ? nevents / 2 : 1;
    if (max > MAX_EPOLL_EVENTS)
        max = MAX_EPOLL_EVENTS;
    struct epoll_event happened[MAX_EPOLL_EVENTS];
    for (;;) {
        int remaining = wait_ms < 0 ? -1 : (int)(deadline - now_ms() > 0 ? deadline - now_ms() : 0);
        int n = epoll_wait(q->epfd, happened, max, remaining);
        if (n < 0)
            return -1;
        int count = 0;
        pthread_mutex_lock(&q->lock);
        for (int i = 0; i < n; i++) {
            if (happened[i].data.u64 == USER_KEY)
                translate_user(q, events, nevents, &count);
            else
                translate_socket(q, (int)happened[i].data.u64, happened[i].events, events, nevents, &count);
        }
        pthread_mutex_unlock(&q->lock);
        /* Events of filters deleted meanwhile give nothing: wait for the rest of the time. */
        if (count > 0 || n == 0 || remaining == 0)
            return count;
    }
}

EXPORT int kevent(int kq, const struct kevent *changes, int nchanges, struct kevent *events, int nevents, const struct timespec *timeout)
{
    if (nchanges < 0 || nevents < 0)
        return errno = EINVAL, -1;
    struct queue *q = acquire(kq);
    if (!q)
        return errno = EBADF, -1;

    int answered = 0;
    pthread_mutex_lock(&q->lock);
    for (int i = 0; i < nchanges; i++) {
        int error = apply(q, &changes[i]);
        if (!error && !(changes[i].flags & EV_RECEIPT))
            continue;
        if (answered == nevents) {
            if (!error)
                continue;
            pthread_mutex_unlock(&q->lock);
            release(q);
            return errno = error, -1;
        }
        struct kevent receipt = changes[i];
        receipt.flags = EV_ERROR;
        receipt.data = error;
        events[answered++] = receipt;
    }
    pthread_mutex_unlock(&q->lock);

    int result = answered > 0 || nevents == 0 ? answered : collect(q, events, nevents, timeout);
    int error = errno;
    release(q);
    errno = error;
    return result;
}
