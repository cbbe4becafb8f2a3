/* loop: poll(2)-family event loop with a timer min-heap and signals via signalfd.
 *
 * Determinism matters (scenarios replay byte-identically), so:
 *  - fds are dispatched in registration order,
 *  - timers fire in (deadline, creation sequence) order, so equal deadlines
 *    fire in the order they were created.
 * Callbacks may add or remove fds and timers at any time: fd readiness is
 * snapshotted before dispatch and each registration carries a generation
 * number, so a watch removed (or replaced) during dispatch is never called
 * with stale readiness.
 *
 * Virtual clock: waiting cannot make virtual time pass, so loop_run_once never
 * waits for a timer deadline in virtual mode; it waits on fds for max_wait_ns
 * (-1 = until an fd is ready) unless a timer is already due (then it polls
 * without waiting). The time master advances the clock and calls again. */
#include "core/loop.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/log.h"

typedef struct fd_watch {
    int fd;
    unsigned events;
    loop_fd_cb cb;
    void *arg;
    uint64_t gen; /* unique per registration */
} fd_watch;

/* Timers live in slots (stable storage, reused through a free list); the heap
 * orders slot indices. A timer id is (slot generation << 32) | slot index, so
 * cancel finds its slot in O(1) and a stale id never matches a reused slot. */
typedef struct timer_slot {
    int64_t deadline;
    uint64_t seq;
    loop_timer_cb cb;
    void *arg;
    uint32_t gen;
    uint32_t heap_pos;
    bool pending;
    uint32_t next_free;
} timer_slot;

#define NO_SLOT UINT32_MAX

struct signal_handler {
    loop_signal_cb cb;
    void *arg;
};

struct gw_loop {
    fd_watch *fds;
    size_t n_fds, cap_fds;
    uint64_t next_fd_gen;

    timer_slot *slots;
    uint32_t n_slots, cap_slots, free_head;
    uint32_t *heap;
    uint32_t heap_len;
    uint64_t next_seq;

    int signal_fd;
    sigset_t signal_set, old_mask;
    bool mask_saved;
    struct signal_handler signals[_NSIG];

    struct pollfd *pfds; /* dispatch snapshot */
    uint64_t *pgens;
    size_t cap_pfds;

    bool stopped;
    int status;
};

gw_loop *loop_new(void) {
    gw_loop *loop = calloc(1, sizeof *loop);
    if (!loop)
        return NULL;
    loop->signal_fd = -1;
    loop->free_head = NO_SLOT;
    loop->next_seq = 1;
    loop->next_fd_gen = 1;
    sigemptyset(&loop->signal_set);
    return loop;
}

void loop_free(gw_loop *loop) {
    if (!loop)
        return;
    if (loop->signal_fd >= 0)
        close(loop->signal_fd);
    if (loop->mask_saved)
        sigprocmask(SIG_SETMASK, &loop->old_mask, NULL);
    free(loop->fds);
    free(loop->slots);
    free(loop->heap);
    free(loop->pfds);
    free(loop->pgens);
    free(loop);
}

/* ---- file descriptors ---- */

static fd_watch *find_fd(gw_loop *loop, int fd) {
    for (size_t i = 0; i < loop->n_fds; i++)
        if (loop->fds[i].fd == fd)
            return &loop->fds[i];
    return NULL;
}

int loop_add_fd(gw_loop *loop, int fd, unsigned events, loop_fd_cb cb, void *arg) {
    if (!loop || fd < 0 || !cb) {
        errno = EINVAL;
        return -1;
    }
    if (find_fd(loop, fd)) {
        errno = EEXIST;
        return -1;
    }
    if (loop->n_fds == loop->cap_fds) {
        size_t cap = loop->cap_fds ? loop->cap_fds * 2 : 8;
        fd_watch *grown = realloc(loop->fds, cap * sizeof *grown);
        if (!grown)
            return -1;
        loop->fds = grown;
        loop->cap_fds = cap;
    }
    loop->fds[loop->n_fds++] =
        (fd_watch){.fd = fd, .events = events, .cb = cb, .arg = arg, .gen = loop->next_fd_gen++};
    return 0;
}

int loop_mod_fd(gw_loop *loop, int fd, unsigned events) {
    fd_watch *w = loop ? find_fd(loop, fd) : NULL;
    if (!w) {
        errno = ENOENT;
        return -1;
    }
    w->events = events;
    return 0;
}

void loop_del_fd(gw_loop *loop, int fd) {
    fd_watch *w = loop ? find_fd(loop, fd) : NULL;
    if (!w)
        return;
    /* Keep registration order (memmove, not swap) for deterministic dispatch. */
    size_t i = (size_t)(w - loop->fds);
    memmove(&loop->fds[i], &loop->fds[i + 1], (loop->n_fds - i - 1) * sizeof *w);
    loop->n_fds--;
}

/* ---- timers ---- */

static bool timer_before(const gw_loop *loop, uint32_t a, uint32_t b) {
    const timer_slot *x = &loop->slots[a], *y = &loop->slots[b];
    if (x->deadline != y->deadline)
        return x->deadline < y->deadline;
    return x->seq < y->seq;
}

static void heap_place(gw_loop *loop, uint32_t pos, uint32_t slot) {
    loop->heap[pos] = slot;
    loop->slots[slot].heap_pos = pos;
}

static void sift_up(gw_loop *loop, uint32_t pos) {
    uint32_t slot = loop->heap[pos];
    while (pos > 0) {
        uint32_t parent = (pos - 1) / 2;
        if (!timer_before(loop, slot, loop->heap[parent]))
            break;
        heap_place(loop, pos, loop->heap[parent]);
        pos = parent;
    }
    heap_place(loop, pos, slot);
}

static void sift_down(gw_loop *loop, uint32_t pos) {
    uint32_t slot = loop->heap[pos];
    for (;;) {
        uint32_t child = 2 * pos + 1;
        if (child >= loop->heap_len)
            break;
        if (child + 1 < loop->heap_len && timer_before(loop, loop->heap[child + 1], loop->heap[child]))
            child++;
        if (!timer_before(loop, loop->heap[child], slot))
            break;
        heap_place(loop, pos, loop->heap[child]);
        pos = child;
    }
    heap_place(loop, pos, slot);
}

static void heap_remove(gw_loop *loop, uint32_t pos) {
    uint32_t last = loop->heap[--loop->heap_len];
    if (pos == loop->heap_len)
        return;
    heap_place(loop, pos, last);
    sift_up(loop, pos);
    sift_down(loop, loop->slots[last].heap_pos);
}

static void release_slot(gw_loop *loop, uint32_t slot) {
    timer_slot *s = &loop->slots[slot];
    s->pending = false;
    s->gen++;
    if (s->gen == 0) /* keep ids nonzero even after 2^32 reuses */
        s->gen = 1;
    s->next_free = loop->free_head;
    loop->free_head = slot;
}

static bool grow_timers(gw_loop *loop) {
    uint32_t cap = loop->cap_slots ? loop->cap_slots * 2 : 16;
    timer_slot *slots = realloc(loop->slots, cap * sizeof *slots);
    if (!slots)
        return false;
    loop->slots = slots;
    uint32_t *heap = realloc(loop->heap, cap * sizeof *heap);
    if (!heap)
        return false;
    loop->heap = heap;
    loop->cap_slots = cap;
    return true;
}

static uint32_t take_slot(gw_loop *loop) {
    if (loop->free_head != NO_SLOT) {
        uint32_t slot = loop->free_head;
        loop->free_head = loop->slots[slot].next_free;
        return slot;
    }
    if (loop->n_slots == loop->cap_slots && !grow_timers(loop))
        return NO_SLOT;
    loop->slots[loop->n_slots].gen = 1;
    return loop->n_slots++;
}

loop_timer_id loop_timer_at(gw_loop *loop, int64_t mono_ns, loop_timer_cb cb, void *arg) {
    if (!loop || !cb)
        return 0;
    uint32_t slot = take_slot(loop);
    if (slot == NO_SLOT)
        return 0;
    timer_slot *s = &loop->slots[slot];
    s->deadline = mono_ns;
    s->seq = loop->next_seq++;
    s->cb = cb;
    s->arg = arg;
    s->pending = true;
    loop->heap[loop->heap_len] = slot;
    s->heap_pos = loop->heap_len++;
    sift_up(loop, s->heap_pos);
    return ((uint64_t)s->gen << 32) | slot;
}

loop_timer_id loop_timer_after(gw_loop *loop, int64_t delay_ns, loop_timer_cb cb, void *arg) {
    if (delay_ns < 0)
        delay_ns = 0;
    return loop_timer_at(loop, clock_mono_ns() + delay_ns, cb, arg);
}

void loop_timer_cancel(gw_loop *loop, loop_timer_id id) {
    if (!loop || id == 0)
        return;
    uint32_t slot = (uint32_t)(id & 0xFFFFFFFFu);
    uint32_t gen = (uint32_t)(id >> 32);
    if (slot >= loop->n_slots)
        return;
    timer_slot *s = &loop->slots[slot];
    if (!s->pending || s->gen != gen)
        return;
    heap_remove(loop, s->heap_pos);
    release_slot(loop, slot);
}

int64_t loop_next_deadline(const gw_loop *loop) {
    if (!loop || loop->heap_len == 0)
        return INT64_MAX;
    return loop->slots[loop->heap[0]].deadline;
}

/* Fire due timers that existed when this phase began: a timer that re-arms
 * itself with zero delay runs on the next iteration, never in an endless loop. */
static int run_due_timers(gw_loop *loop) {
    int ran = 0;
    uint64_t seq_limit = loop->next_seq;
    int64_t now = clock_mono_ns();
    while (loop->heap_len > 0 && !loop->stopped) {
        uint32_t slot = loop->heap[0];
        timer_slot *s = &loop->slots[slot];
        if (s->deadline > now || s->seq >= seq_limit)
            break;
        loop_timer_cb cb = s->cb;
        void *arg = s->arg;
        heap_remove(loop, 0);
        release_slot(loop, slot);
        cb(loop, arg);
        ran++;
    }
    return ran;
}

/* ---- signals ---- */

static void on_signal_fd(gw_loop *loop, int fd, unsigned events, void *arg) {
    struct signalfd_siginfo info;
    while (read(fd, &info, sizeof info) == (ssize_t)sizeof info) {
        int signo = (int)info.ssi_signo;
        if (signo > 0 && signo < _NSIG && loop->signals[signo].cb)
            loop->signals[signo].cb(loop, signo, loop->signals[signo].arg);
    }
}

int loop_on_signal(gw_loop *loop, int signo, loop_signal_cb cb, void *arg) {
    if (!loop || signo <= 0 || signo >= _NSIG || !cb) {
        errno = EINVAL;
        return -1;
    }
    sigset_t set = loop->signal_set;
    sigaddset(&set, signo);
    /* Block first: the signal must stay pending for the signalfd, not kill us. */
    sigset_t one;
    sigemptyset(&one);
    sigaddset(&one, signo);
    sigset_t old;
    if (sigprocmask(SIG_BLOCK, &one, &old) != 0)
        return -1;
    if (!loop->mask_saved) {
        loop->old_mask = old;
        loop->mask_saved = true;
    }
    int fd = signalfd(loop->signal_fd, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    if (fd < 0)
        return -1;
    if (loop->signal_fd < 0) {
        if (loop_add_fd(loop, fd, LOOP_READ, on_signal_fd, NULL) != 0) {
            close(fd);
            return -1;
        }
        loop->signal_fd = fd;
    }
    loop->signal_set = set;
    loop->signals[signo] = (struct signal_handler){cb, arg};
    return 0;
}

/* ---- running ---- */

static unsigned to_poll_events(unsigned events) {
    return ((events & LOOP_READ) ? POLLIN : 0u) | ((events & LOOP_WRITE) ? POLLOUT : 0u);
}

/* Hang-up and errors are reported as readiness for what the watcher asked
 * for, so its read()/write() sees the EOF or the error. */
static unsigned from_poll_events(short revents, unsigned wanted) {
    unsigned out = 0;
    if (revents & POLLIN)
        out |= LOOP_READ;
    if (revents & POLLOUT)
        out |= LOOP_WRITE;
    if (revents & (POLLHUP | POLLERR))
        out |= wanted;
    return out & wanted;
}

static bool snapshot_fds(gw_loop *loop) {
    if (loop->n_fds > loop->cap_pfds) {
        size_t cap = loop->n_fds * 2;
        struct pollfd *p = realloc(loop->pfds, cap * sizeof *p);
        if (!p)
            return false;
        loop->pfds = p;
        uint64_t *g = realloc(loop->pgens, cap * sizeof *g);
        if (!g)
            return false;
        loop->pgens = g;
        loop->cap_pfds = cap;
    }
    for (size_t i = 0; i < loop->n_fds; i++) {
        loop->pfds[i] = (struct pollfd){.fd = loop->fds[i].fd,
                                        .events = (short)to_poll_events(loop->fds[i].events)};
        loop->pgens[i] = loop->fds[i].gen;
    }
    return true;
}

/* Wait in ns: -1 = forever. */
static int64_t wait_budget(const gw_loop *loop, int64_t max_wait_ns) {
    int64_t next = loop_next_deadline(loop);
    int64_t now = clock_mono_ns();
    if (next <= now)
        return 0;
    if (clock_is_virtual() || next == INT64_MAX)
        return max_wait_ns < 0 ? -1 : max_wait_ns;
    int64_t until_timer = next - now;
    if (max_wait_ns < 0 || until_timer < max_wait_ns)
        return until_timer;
    return max_wait_ns;
}

static int dispatch_fds(gw_loop *loop, size_t n) {
    int ran = 0;
    for (size_t i = 0; i < n && !loop->stopped; i++) {
        if (loop->pfds[i].revents == 0)
            continue;
        fd_watch *w = find_fd(loop, loop->pfds[i].fd);
        if (!w || w->gen != loop->pgens[i])
            continue; /* removed or replaced by an earlier callback */
        if (loop->pfds[i].revents & POLLNVAL) {
            /* Closed without loop_del_fd: drop it, or poll would spin on it. */
            log_error("loop", "fd %d closed while watched; watch removed", w->fd);
            loop_del_fd(loop, w->fd);
            continue;
        }
        unsigned ev = from_poll_events(loop->pfds[i].revents, w->events);
        if (!ev)
            continue;
        w->cb(loop, w->fd, ev, w->arg);
        ran++;
    }
    return ran;
}

/* Wait up to budget_ns (-1 = forever) and dispatch the ready fds. */
static int poll_and_dispatch(gw_loop *loop, int64_t budget) {
    if (budget < 0 && loop->n_fds == 0) {
        errno = EDEADLK; /* nothing could ever wake us */
        return -1;
    }
    if (!snapshot_fds(loop))
        return -1;
    size_t n = loop->n_fds;
    struct timespec ts, *tsp = NULL;
    if (budget >= 0) {
        ts.tv_sec = (time_t)(budget / NS_PER_S);
        ts.tv_nsec = (long)(budget % NS_PER_S);
        tsp = &ts;
    }
    int ready = ppoll(loop->pfds, (nfds_t)n, tsp, NULL);
    if (ready < 0) {
        if (errno != EINTR)
            return -1;
        ready = 0;
    }
    return ready > 0 ? dispatch_fds(loop, n) : 0;
}

int loop_run_once(gw_loop *loop, int64_t max_wait_ns) {
    if (!loop)
        return -1;
    int ran = poll_and_dispatch(loop, wait_budget(loop, max_wait_ns));
    if (ran < 0)
        return -1;
    return ran + run_due_timers(loop);
}

int loop_run_fds_once(gw_loop *loop, int64_t max_wait_ns) {
    if (!loop)
        return -1;
    return poll_and_dispatch(loop, max_wait_ns < 0 ? -1 : max_wait_ns);
}

int loop_run(gw_loop *loop) {
    if (!loop)
        return -1;
    while (!loop->stopped) {
        if (loop_run_once(loop, -1) < 0)
            return -1;
    }
    return loop->status;
}

void loop_stop(gw_loop *loop, int status) {
    if (!loop)
        return;
    loop->stopped = true;
    loop->status = status;
}

int loop_stopped(const gw_loop *loop) {
    return loop ? loop->stopped : 1;
}
