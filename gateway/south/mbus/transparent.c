/* transparent: a TCP client's frames on the wired segment (see transparent.h). */
#include "south/mbus/transparent.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "codec/mbus/mbus_stream.h"
#include "core/clock.h"
#include "core/iochan.h"
#include "core/log.h"
#include "core/tcp_listen.h"

#define MOD "mbus"
#define QUEUE_MAX 4096 /* client requests waiting for the line */

struct mbus_transparent {
    const mbus_segment_cfg *cfg;
    const mbus_transparent_cfg *tc;
    gw_loop *loop;
    mbus_port *port;
    const mbus_transparent_hooks *hooks;
    void *ctx;
    int listen_fd;
    int fd;                   /* the client, -1 when none */
    iochan *ch;
    char name[64];
    mbus_stream stream;       /* packing mbus */
    uint8_t raw[MBUS_PORT_TX_MAX]; /* packing raw: bytes since the last request */
    size_t raw_len;
    loop_timer_id pack_timer;
    uint8_t queue[QUEUE_MAX]; /* requests as [len lo, len hi, bytes...] */
    size_t queue_len;
    bool asked, granted, busy;
    int64_t last_ns;          /* the last request or answer */
    loop_timer_id idle_timer;
    mbus_transparent_stats stats;
};

static void kick(mbus_transparent *t);

/* ---- the line ------------------------------------------------------------------ */

static void to_client(mbus_transparent *t, const uint8_t *bytes, size_t n) {
    if (t->fd >= 0 && n && iochan_write(t->ch, bytes, n) != (ssize_t)n)
        log_debug(MOD, "%s: transparent: answer not written whole", t->cfg->name);
}

static void give_back(mbus_transparent *t, const char *why);

static void request_over(mbus_transparent *t) {
    t->busy = false;
    t->last_ns = clock_mono_ns();
    if (t->fd < 0)
        give_back(t, "client gone");
    else
        kick(t);
}

static void on_sent(void *ctx) {
    request_over(ctx);
}

static void on_frame(void *ctx, const mbus_frame *f) {
    mbus_transparent *t = ctx;
    const mbus_rx *rx = mbus_port_rx(t->port);
    t->stats.answers++;
    to_client(t, rx->buf, rx->frame_len);
    request_over(t);
}

static void on_timeout(void *ctx) {
    mbus_transparent *t = ctx;
    t->stats.timeouts++;
    request_over(t);
}

/* A garbled answer (a collision, noise) is passed on as it came. */
static void on_bad(void *ctx, const char *why) {
    mbus_transparent *t = ctx;
    const mbus_rx *rx = mbus_port_rx(t->port);
    t->stats.garbled++;
    log_debug(MOD, "%s: transparent: %s", t->cfg->name, why);
    to_client(t, rx->buf, rx->len);
    request_over(t);
}

static const mbus_port_hooks line_hooks = {
    .sent = on_sent, .frame = on_frame, .timeout = on_timeout, .bad = on_bad};

/* Broadcasts (A = 0xFF) and acknowledgements get no answer. */
static bool answered(const uint8_t *req, size_t len) {
    mbus_frame f;
    mbus_error err;
    if (mbus_frame_parse_exact(req, len, &f, &err) != MBUS_OK)
        return true; /* raw bytes: wait for whatever comes */
    return f.kind != MBUS_FRAME_ACK && f.a != MBUS_ADDR_BROADCAST;
}

static void send_next(mbus_transparent *t) {
    size_t len = (size_t)t->queue[0] | (size_t)t->queue[1] << 8;
    uint8_t req[MBUS_PORT_TX_MAX];
    memcpy(req, t->queue + 2, len);
    memmove(t->queue, t->queue + 2 + len, t->queue_len - 2 - len);
    t->queue_len -= 2 + len;
    mbus_port_request r = {.bytes = req, .len = len, .baud = t->cfg->baud,
                           .answered = answered(req, len), .label = "transparent client"};
    t->busy = true;
    t->stats.requests++;
    mbus_port_send(t->port, &r, &line_hooks, t);
}

static void kick(mbus_transparent *t) {
    if (t->busy || t->queue_len == 0)
        return;
    if (t->granted) {
        send_next(t);
        return;
    }
    if (!t->asked) {
        t->asked = true;
        log_info(MOD, "%s: transparent client waits for the bus", t->cfg->name);
        t->hooks->want_bus(t->ctx); /* may grant at once */
    }
}

/* ---- the bus, lent and given back ------------------------------------------------ */

static void give_back(mbus_transparent *t, const char *why) {
    if (!t->asked)
        return;
    bool was_granted = t->granted;
    t->asked = t->granted = false;
    loop_timer_cancel(t->loop, t->idle_timer);
    t->idle_timer = 0;
    if (was_granted)
        log_info(MOD, "%s: transparent client gives the bus back (%s)", t->cfg->name, why);
    t->hooks->released(t->ctx);
}

static void on_idle(gw_loop *loop, void *arg) {
    mbus_transparent *t = arg;
    t->idle_timer = 0;
    int64_t due = t->last_ns + t->tc->idle_timeout_ns;
    if (t->busy || t->queue_len || clock_mono_ns() < due) {
        t->idle_timer = loop_timer_at(loop, t->busy ? clock_mono_ns() + t->tc->idle_timeout_ns : due,
                                      on_idle, t);
        return;
    }
    give_back(t, "idle timeout");
}

void mbus_transparent_granted(mbus_transparent *t) {
    if (!t->asked || t->granted)
        return;
    t->granted = true;
    t->last_ns = clock_mono_ns();
    log_info(MOD, "%s: bus lent to the transparent client", t->cfg->name);
    t->idle_timer = loop_timer_at(t->loop, t->last_ns + t->tc->idle_timeout_ns, on_idle, t);
    kick(t);
}

/* ---- the client ------------------------------------------------------------------ */

static void enqueue(mbus_transparent *t, const uint8_t *bytes, size_t len) {
    if (len == 0 || len > MBUS_PORT_TX_MAX || t->queue_len + 2 + len > sizeof t->queue) {
        t->stats.dropped_bytes += len;
        return;
    }
    t->queue[t->queue_len++] = (uint8_t)len;
    t->queue[t->queue_len++] = (uint8_t)(len >> 8);
    memcpy(t->queue + t->queue_len, bytes, len);
    t->queue_len += len;
    t->last_ns = clock_mono_ns();
    kick(t);
}

static void on_client_frame(void *ctx, const uint8_t *bytes, size_t len, const mbus_frame *f) {
    enqueue(ctx, bytes, len);
}

static void on_pack_timer(gw_loop *loop, void *arg) {
    mbus_transparent *t = arg;
    t->pack_timer = 0;
    enqueue(t, t->raw, t->raw_len);
    t->raw_len = 0;
}

static void take_bytes(mbus_transparent *t, const uint8_t *bytes, size_t n) {
    if (t->tc->packing == MBUS_PACK_MBUS) {
        uint64_t skipped = t->stream.skipped;
        mbus_stream_push(&t->stream, bytes, n, on_client_frame, t);
        t->stats.dropped_bytes += t->stream.skipped - skipped;
        return;
    }
    size_t room = sizeof t->raw - t->raw_len, k = n < room ? n : room;
    memcpy(t->raw + t->raw_len, bytes, k);
    t->raw_len += k;
    t->stats.dropped_bytes += n - k;
    loop_timer_cancel(t->loop, t->pack_timer);
    t->pack_timer = loop_timer_after(t->loop, t->tc->packing_interval_ns, on_pack_timer, t);
}

static void client_gone(mbus_transparent *t, const char *why) {
    log_info(MOD, "%s: transparent client %s left (%s)", t->cfg->name, t->name, why);
    loop_del_fd(t->loop, t->fd);
    iochan_close(t->ch);
    close(t->fd);
    t->fd = -1;
    t->ch = NULL;
    loop_timer_cancel(t->loop, t->pack_timer);
    t->pack_timer = 0;
    t->queue_len = t->raw_len = 0;
    mbus_stream_reset(&t->stream);
    if (!t->busy) /* else the request on the line ends first, then the idle timer gives back */
        give_back(t, "client gone");
}

static void on_client(gw_loop *loop, int fd, unsigned events, void *arg) {
    mbus_transparent *t = arg;
    uint8_t buf[512];
    ssize_t n = iochan_read(t->ch, buf, sizeof buf);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (n <= 0) {
        client_gone(t, n == 0 ? "closed" : strerror(errno));
        return;
    }
    take_bytes(t, buf, (size_t)n);
}

static void on_accept(gw_loop *loop, int fd, unsigned events, void *arg) {
    mbus_transparent *t = arg;
    char name[64];
    int cfd = tcp_listen_accept(fd, t->tc->port, name, sizeof name);
    if (cfd < 0)
        return;
    if (t->fd >= 0 || t->asked) { /* one client at a time: the bus cannot serve two */
        log_warn(MOD, "%s: transparent: %s refused, %s is connected", t->cfg->name, name, t->name);
        t->stats.refused_clients++;
        close(cfd);
        return;
    }
    if (!(t->ch = iochan_open(cfd, name, false)) || loop_add_fd(loop, cfd, LOOP_READ, on_client, t) < 0) {
        iochan_close(t->ch);
        t->ch = NULL;
        close(cfd);
        return;
    }
    t->fd = cfd;
    snprintf(t->name, sizeof t->name, "%s", name);
    mbus_stream_reset(&t->stream);
    log_info(MOD, "%s: transparent client %s connected", t->cfg->name, name);
}

/* ---- life cycle -------------------------------------------------------------------- */

mbus_transparent *mbus_transparent_open(const mbus_segment_cfg *cfg, gw_loop *loop,
                                        mbus_port *port, const mbus_transparent_hooks *hooks,
                                        void *ctx, char *err, size_t errlen) {
    mbus_transparent *t = calloc(1, sizeof *t);
    if (!t) {
        snprintf(err, errlen, "%s: out of memory", cfg->name);
        return NULL;
    }
    *t = (mbus_transparent){.cfg = cfg, .tc = &cfg->transparent, .loop = loop, .port = port,
                            .hooks = hooks, .ctx = ctx, .fd = -1};
    char why[200];
    t->listen_fd = tcp_listen_open(t->tc->bind, t->tc->port, why, sizeof why);
    if (t->listen_fd < 0 || loop_add_fd(loop, t->listen_fd, LOOP_READ, on_accept, t) < 0) {
        snprintf(err, errlen, "%s: transparent: %s", cfg->name,
                 t->listen_fd < 0 ? why : "cannot watch the port");
        if (t->listen_fd >= 0)
            close(t->listen_fd);
        free(t);
        return NULL;
    }
    log_info(MOD, "%s: transparent M-Bus on %s:%d", cfg->name, t->tc->bind, t->tc->port);
    return t;
}

void mbus_transparent_close(mbus_transparent *t) {
    if (!t)
        return;
    if (t->fd >= 0) {
        loop_del_fd(t->loop, t->fd);
        iochan_close(t->ch);
        close(t->fd);
    }
    loop_timer_cancel(t->loop, t->pack_timer);
    loop_timer_cancel(t->loop, t->idle_timer);
    loop_del_fd(t->loop, t->listen_fd);
    close(t->listen_fd);
    free(t);
}

void mbus_transparent_get_stats(const mbus_transparent *t, mbus_transparent_stats *out) {
    *out = t->stats;
}
