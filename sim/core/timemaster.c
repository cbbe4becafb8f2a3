/* timemaster: virtual-time co-simulation with the gateway (see timemaster.h). */
#include "sim/core/timemaster.h"
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include "core/clock.h"
#include "core/iochan.h"
#include "core/vclock.h"

/* Real time the sync phase waits in one poll: short enough to check the watchdog. */
#define WAIT_SLICE_NS (200 * NS_PER_MS)

static void tm_fail(timemaster *tm, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void tm_fail(timemaster *tm, const char *fmt, ...) {
    if (tm->failed) return;
    tm->failed = true;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tm->why, sizeof tm->why, fmt, ap);
    va_end(ap);
}

/* ---- counters ------------------------------------------------------------------ */

static void bench_counters(const char *name, uint64_t *tx, uint64_t *rx) {
    *tx = *rx = 0;
    for (size_t i = 0; i < iochan_count(); i++) {
        const iochan *ch = iochan_at(i);
        if (strcmp(iochan_name(ch), name) != 0) continue;
        *tx += iochan_tx(ch);
        *rx += iochan_rx(ch);
    }
}

static bool bench_open(const char *name) {
    for (size_t i = 0; i < iochan_count(); i++)
        if (iochan_is_open(iochan_at(i)) && strcmp(iochan_name(iochan_at(i)), name) == 0) return true;
    return false;
}

static const tm_counter *gw_counter(const timemaster *tm, const char *name) {
    for (size_t i = 0; i < tm->n_gw; i++)
        if (strcmp(tm->gw[i].name, name) == 0) return &tm->gw[i];
    return NULL;
}

/* Every channel either side knows: what one side wrote the other has read. */
static bool counters_agree(const timemaster *tm) {
    for (size_t i = 0; i < tm->n_gw; i++) {
        uint64_t tx, rx;
        bench_counters(tm->gw[i].name, &tx, &rx);
        if (tx != tm->gw[i].rx || rx != tm->gw[i].tx) return false;
        if (tm->gw[i].closed && bench_open(tm->gw[i].name)) return false; /* EOF not read yet */
    }
    for (size_t i = 0; i < iochan_count(); i++) {
        const iochan *ch = iochan_at(i);
        if (gw_counter(tm, iochan_name(ch))) continue;
        if (strncmp(iochan_name(ch), TM_BENCH_PREFIX, strlen(TM_BENCH_PREFIX)) == 0) {
            /* between two bench endpoints (the radio air): in step when read as written */
            uint64_t tx, rx;
            bench_counters(iochan_name(ch), &tx, &rx);
            if (tx != rx) return false;
            continue;
        }
        if (iochan_tx(ch) || iochan_rx(ch)) return false; /* a channel the gateway never used */
        /* a TCP connection the gateway has not accepted (or connected) yet */
        if (iochan_is_open(ch) && strncmp(iochan_name(ch), "tcp:", 4) == 0) return false;
    }
    return true;
}

void timemaster_describe_counters(const timemaster *tm, char *out, size_t cap) {
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < iochan_count() && used < cap; i++) {
        const char *name = iochan_name(iochan_at(i));
        bool dup = false;
        for (size_t k = 0; k < i; k++) dup = dup || strcmp(iochan_name(iochan_at(k)), name) == 0;
        if (dup) continue;
        uint64_t tx, rx;
        bench_counters(name, &tx, &rx);
        const tm_counter *g = gw_counter(tm, name);
        int n = snprintf(out + used, cap - used, "%s%s bench tx/rx %" PRIu64 "/%" PRIu64
                         ", gateway tx/rx %s%" PRIu64 "/%" PRIu64,
                         used ? "; " : "", name, tx, rx, g ? "" : "(never reported) ",
                         g ? g->tx : 0, g ? g->rx : 0);
        if (n < 0) break;
        used += (size_t)n;
    }
    if (!out[0]) snprintf(out, cap, "no channels");
}

static bool add_gw_counter(timemaster *tm, const char *name, uint64_t tx, uint64_t rx,
                           bool closed) {
    if (tm->n_gw == tm->cap_gw) {
        size_t cap = tm->cap_gw ? tm->cap_gw * 2 : 8;
        tm_counter *grown = realloc(tm->gw, cap * sizeof *grown);
        if (!grown) return false;
        tm->gw = grown;
        tm->cap_gw = cap;
    }
    tm_counter *c = &tm->gw[tm->n_gw++];
    snprintf(c->name, sizeof c->name, "%s", name);
    c->tx = tx;
    c->rx = rx;
    c->closed = closed;
    return true;
}

/* "idle seq=N deadline=D name=tx/rx ..." (names never contain blanks). */
bool timemaster_take_idle(timemaster *tm, const char *line) {
    char text[32];
    if (strncmp(line, "idle ", 5) != 0 || !vclock_field(line, "seq", text, sizeof text)) return false;
    uint64_t seq = strtoull(text, NULL, 10);
    if (!vclock_field(line, "deadline", text, sizeof text)) return false;
    int64_t deadline = strtoll(text, NULL, 10);
    tm->n_gw = 0;
    for (const char *p = strchr(line, ' '); p && *p;) {
        while (*p == ' ') p++;
        size_t len = strcspn(p, " ");
        if (len == 0) break;
        char word[256];
        if (len >= sizeof word) return false;
        memcpy(word, p, len);
        word[len] = '\0';
        p += len;
        if (!strncmp(word, "seq=", 4) || !strncmp(word, "deadline=", 9)) continue;
        char *eq = strrchr(word, '='), *slash = eq ? strchr(eq, '/') : NULL;
        if (!eq || !slash) return false;
        *eq = '\0';
        char *flag = strchr(slash + 1, '/');
        if (!add_gw_counter(tm, word, strtoull(eq + 1, NULL, 10), strtoull(slash + 1, NULL, 10),
                            flag && strcmp(flag, "/closed") == 0))
            return false;
    }
    tm->idle_seen = true;
    tm->idle_seq = seq;
    tm->gw_deadline = deadline;
    snprintf(tm->last_idle, sizeof tm->last_idle, "%s", line);
    return true;
}

/* Things the counters cannot prove (a TCP connection being set up or closed):
 * emulators hold the sync until they see the outcome on their fd. */
static unsigned bench_holds;

void timemaster_hold(void) { bench_holds++; }

void timemaster_release(void) {
    if (bench_holds > 0) bench_holds--;
}

unsigned timemaster_holds(void) { return bench_holds; }

bool timemaster_synced(const timemaster *tm) {
    return tm->fd >= 0 && tm->idle_seen && tm->idle_seq == tm->seq && bench_holds == 0 &&
           counters_agree(tm);
}

/* ---- socket ---------------------------------------------------------------------- */

static bool send_text(timemaster *tm, const char *line) {
    size_t len = strlen(line), off = 0;
    while (off < len) {
        ssize_t n = send(tm->fd, line + off, len - off, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) continue; /* tiny lines: drains at once */
        if (n <= 0) {
            tm_fail(tm, "cannot write to the gateway's clock socket: %s",
                    n < 0 ? strerror(errno) : "closed");
            return false;
        }
        off += (size_t)n;
    }
    return true;
}

static void drop_connection(timemaster *tm) {
    if (tm->fd < 0) return;
    loop_del_fd(tm->loop, tm->fd);
    close(tm->fd);
    tm->fd = -1;
}

static void handle_line(timemaster *tm, const char *line) {
    if (!timemaster_take_idle(tm, line))
        tm_fail(tm, "bad message from the gateway on the clock socket: %.300s", line);
}

static void on_message(gw_loop *loop, int fd, unsigned events, void *arg) {
    timemaster *tm = arg;
    ssize_t n;
    do {
        n = read(fd, tm->in + tm->in_len, sizeof tm->in - tm->in_len - 1);
    } while (n < 0 && errno == EINTR);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    if (n <= 0) {
        /* The gateway exited (SIGCHLD tells how) or closed the socket. */
        drop_connection(tm);
        return;
    }
    tm->in_len += (size_t)n;
    tm->in[tm->in_len] = '\0';
    char *start = tm->in, *nl;
    while ((nl = strchr(start, '\n')) != NULL) {
        *nl = '\0';
        handle_line(tm, start);
        start = nl + 1;
    }
    tm->in_len -= (size_t)(start - tm->in);
    memmove(tm->in, start, tm->in_len);
    if (tm->in_len == sizeof tm->in - 1) {
        tm_fail(tm, "line too long from the gateway on the clock socket");
        tm->in_len = 0;
    }
}

static void on_connect(gw_loop *loop, int fd, unsigned events, void *arg) {
    timemaster *tm = arg;
    int conn = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (conn < 0) return;
    if (tm->fd >= 0 || tm->stopping) { /* one gateway per scenario */
        close(conn);
        return;
    }
    if (loop_add_fd(loop, conn, LOOP_READ, on_message, tm) < 0) {
        close(conn);
        return;
    }
    tm->fd = conn;
    char hello[96];
    snprintf(hello, sizeof hello, "hello v=1 wall=%" PRId64 "\n", tm->wall_start_ns);
    send_text(tm, hello);
}

int timemaster_listen(timemaster *tm, gw_loop *loop, const char *socket_path,
                      int64_t wall_start_ns, int64_t watchdog_ns, char *err, size_t errlen) {
    memset(tm, 0, sizeof *tm);
    tm->loop = loop;
    tm->fd = tm->listen_fd = -1;
    tm->wall_start_ns = wall_start_ns;
    tm->watchdog_ns = watchdog_ns;
    tm->gw_deadline = -1;
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    if (strlen(socket_path) >= sizeof addr.sun_path || strlen(socket_path) >= sizeof tm->path) {
        snprintf(err, errlen, "clock socket path too long (%zu characters, at most %zu): %.200s",
                 strlen(socket_path), sizeof addr.sun_path - 1, socket_path);
        return -1;
    }
    memcpy(addr.sun_path, socket_path, strlen(socket_path) + 1);
    snprintf(tm->path, sizeof tm->path, "%s", socket_path);
    unlink(socket_path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(fd, 4) < 0 ||
        loop_add_fd(loop, fd, LOOP_READ, on_connect, tm) < 0) {
        snprintf(err, errlen, "cannot listen on %s: %s", socket_path, strerror(errno));
        if (fd >= 0) close(fd);
        return -1;
    }
    tm->listen_fd = fd;
    tm->host_start_ns = clock_host_mono_ns();
    return 0;
}

/* ---- the cycle --------------------------------------------------------------------- */

static void fail_stuck(timemaster *tm) {
    char counters[1200];
    timemaster_describe_counters(tm, counters, sizeof counters);
    double secs = (double)tm->watchdog_ns / 1e9;
    if (tm->fd < 0 && !tm->idle_seen)
        tm_fail(tm, "co-simulation stuck at t=%" PRId64 " ns: the gateway did not connect to the clock "
                "socket within %.1f s (is it started with --clock virtual:SOCKET?)",
                clock_mono_ns(), secs);
    else if (!tm->idle_seen || tm->idle_seq != tm->seq)
        tm_fail(tm, "co-simulation stuck at t=%" PRId64 " ns: no idle report for advance seq=%" PRIu64
                " within %.1f s; gateway last said \"%s\"; counters: %s", clock_mono_ns(), tm->seq,
                secs, tm->idle_seen ? tm->last_idle : "nothing", counters);
    else if (bench_holds > 0)
        tm_fail(tm, "co-simulation stuck at t=%" PRId64 " ns: %u bench connection(s) still waiting "
                "within %.1f s for the gateway to accept or close them; gateway last said \"%s\"",
                clock_mono_ns(), bench_holds, secs, tm->last_idle);
    else
        tm_fail(tm, "co-simulation stuck at t=%" PRId64 " ns: channel counters did not agree within "
                "%.1f s (bytes in flight that one side never read); gateway last said \"%s\"; "
                "counters: %s", clock_mono_ns(), secs, tm->last_idle, counters);
}

/* Phase 1: only fds (the gateway's bytes and reports), in real time, under the watchdog. */
static void sync_with_gateway(timemaster *tm) {
    int64_t since = clock_host_mono_ns();
    while (!timemaster_synced(tm) && !tm->failed && !tm->stopping && !loop_stopped(tm->loop)) {
        int64_t waited = clock_host_mono_ns() - since;
        if (waited >= tm->watchdog_ns) {
            fail_stuck(tm);
            return;
        }
        int64_t slice = tm->watchdog_ns - waited;
        if (slice > WAIT_SLICE_NS) slice = WAIT_SLICE_NS;
        if (loop_run_fds_once(tm->loop, slice) < 0 && errno != EINTR) {
            tm_fail(tm, "bench loop failed: %s", strerror(errno));
            return;
        }
    }
}

/* Phase 3: on to the next instant anything is due. */
static void advance(timemaster *tm) {
    int64_t next = loop_next_deadline(tm->loop);
    if (tm->gw_deadline >= 0 && tm->gw_deadline < next) next = tm->gw_deadline;
    if (next == INT64_MAX) {
        tm_fail(tm, "co-simulation at t=%" PRId64 " ns: nothing will ever happen (no timer on "
                "either side)", clock_mono_ns());
        return;
    }
    if (next < clock_mono_ns()) next = clock_mono_ns();
    clock_virtual_advance(next);
    tm->seq++;
    tm->advances++;
    char line[96];
    snprintf(line, sizeof line, "advance seq=%" PRIu64 " t=%" PRId64 "\n", tm->seq, next);
    send_text(tm, line);
}

/* After stop: no more time; wait in real time for the gateway to exit. */
static void await_exit(timemaster *tm) {
    int64_t until = clock_host_mono_ns() + tm->grace_ns;
    while (!loop_stopped(tm->loop)) {
        int64_t left = until - clock_host_mono_ns();
        if (left <= 0) return; /* the runner kills it */
        loop_run_fds_once(tm->loop, left < WAIT_SLICE_NS ? left : WAIT_SLICE_NS);
    }
}

void timemaster_run(timemaster *tm) {
    while (!loop_stopped(tm->loop) && !tm->failed) {
        if (tm->stopping) {
            await_exit(tm);
            return;
        }
        sync_with_gateway(tm);
        if (tm->failed || tm->stopping || loop_stopped(tm->loop)) continue;
        if (tm->on_synced) tm->on_synced(tm->synced_arg);
        /* Phase 2: the bench's own timers at this instant. */
        int ran = loop_run_once(tm->loop, 0);
        if (ran < 0) {
            tm_fail(tm, "bench loop failed: %s", strerror(errno));
            return;
        }
        if (ran > 0 || tm->stopping || loop_stopped(tm->loop)) continue;
        advance(tm);
    }
}

/* The scenario ends at stop: the bench no longer watches its channels, so what the
 * gateway does while it shuts down (closing connections, last bytes) never reaches
 * an emulator, whether the kernel delivers it before or after the gateway's exit. */
static void stop_watching_channels(timemaster *tm) {
    for (size_t i = 0; i < iochan_count(); i++) {
        const iochan *ch = iochan_at(i);
        if (iochan_is_open(ch)) loop_del_fd(tm->loop, iochan_fd(ch));
    }
}

bool timemaster_stop(timemaster *tm, int64_t grace_ns) {
    tm->grace_ns = grace_ns;
    tm->stopping = true;
    stop_watching_channels(tm);
    if (tm->fd < 0) return false;
    return send_text(tm, "stop\n");
}

void timemaster_close(timemaster *tm) {
    drop_connection(tm);
    if (tm->listen_fd >= 0) {
        loop_del_fd(tm->loop, tm->listen_fd);
        close(tm->listen_fd);
        unlink(tm->path);
    }
    tm->listen_fd = -1;
    free(tm->gw);
    tm->gw = NULL;
    tm->n_gw = tm->cap_gw = 0;
}
