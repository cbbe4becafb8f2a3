/* iec104_conn: one master's connection — the APCI state machine of
 * IEC 60870-5-104 clause 5: STARTDT/STOPDT/TESTFR, send and receive sequence
 * numbers, the k window (unacknowledged I frames sent) and w (acknowledge
 * after w received), timers t1 (ack / TESTFR con), t2 (our S frame) and t3
 * (idle → TESTFR act), all on the loop's monotonic clock so a wall-clock
 * jump never drops a connection.
 *
 * Sending order when the window opens: command responses (high-priority
 * queue), spontaneous events, then interrogation responses. Bytes wait in an
 * output buffer and leave when the socket is writable: everything produced in
 * one loop iteration goes out in one write. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/iochan.h"
#include "core/log.h"
#include "north/iec104/iec104_conn.h"

#define MOD_IEC104 "iec104"

/* Command responses and other ASDUs that must not wait behind measurements. */
typedef struct asdu_slot {
    uint8_t len;
    uint8_t bytes[IEC104_ASDU_MAX];
} asdu_slot;

#define HP_SLOTS 64

struct iec104_conn {
    const iec104_conn_params *p;
    iec104_conn_hooks h;
    int fd;
    iochan *ch;
    char peer[64];
    int peer_port;
    bool started, stopping, closing;
    /* sequence state (15 bits) */
    uint16_t vs, vr, va;   /* next send, next receive, oldest unacknowledged sent */
    int64_t *sent_at;      /* send times of unacknowledged I frames, by N(S) % k */
    unsigned rx_unacked;   /* I frames received since our last N(R) */
    int64_t rx_first_unacked_ns;
    int64_t last_rx_ns;
    int64_t last_apdu_ns;  /* the master's last complete APDU (idle_timeout) */
    bool test_pending;
    int64_t test_sent_ns;
    loop_timer_id timer;
    int64_t timer_at;
    /* buffers */
    uint8_t rx[2 * IEC104_APDU_MAX];
    size_t rx_len;
    uint8_t *out;
    size_t out_len, out_cap, out_off;
    asdu_slot hp[HP_SLOTS];
    size_t hp_head, hp_n;
    event_ring spont;
};

/* Something to record, formatted as the creator's event text. */
static void record(iec104_conn *c, const char *kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void record(iec104_conn *c, const char *kind, const char *fmt, ...) {
    char text[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    c->h.on_event(c->h.ctx, kind, text);
}

/* A master broke the protocol: an event says who and how, before the
 * connection is closed (the server logs it, and limits a flood of them). */
static void protocol_error(iec104_conn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void protocol_error(iec104_conn *c, const char *fmt, ...) {
    char what[192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    record(c, "protocol_error", "%s:%d: %s, connection closed", c->peer, c->peer_port, what);
}

/* ---- output ---- */

/* Room for len more bytes at the end of the output buffer; NULL (and the
 * connection closing) when memory runs out. */
static uint8_t *out_reserve(iec104_conn *c, size_t len) {
    if (c->out_off && c->out_off == c->out_len)
        c->out_off = c->out_len = 0;
    if (c->out_len + len > c->out_cap) {
        size_t cap = c->out_cap ? c->out_cap * 2 : 4096;
        while (cap < c->out_len + len)
            cap *= 2;
        uint8_t *grown = realloc(c->out, cap);
        if (!grown) {
            log_error(MOD_IEC104, "%s: out of memory, closing", c->peer);
            c->closing = true;
            return NULL;
        }
        c->out = grown;
        c->out_cap = cap;
    }
    return c->out + c->out_len;
}

static void out_append(iec104_conn *c, const uint8_t *bytes, size_t len) {
    uint8_t *at = out_reserve(c, len);
    if (!at)
        return;
    memcpy(at, bytes, len);
    c->out_len += len;
    loop_mod_fd(c->p->loop, c->fd, LOOP_READ | LOOP_WRITE);
}

static uint16_t seq_diff(uint16_t a, uint16_t b) {
    return (uint16_t)((a - b + IEC104_SEQ_MOD) % IEC104_SEQ_MOD);
}

static unsigned unacked(const iec104_conn *c) {
    return seq_diff(c->vs, c->va);
}

static void arm_timer(iec104_conn *c);

static void send_s(iec104_conn *c) {
    uint8_t f[6];
    out_append(c, f, iec104_encode_s(f, c->vr));
    c->rx_unacked = 0;
}

static void send_u(iec104_conn *c, uint8_t function) {
    uint8_t f[6];
    out_append(c, f, iec104_encode_u(f, function));
}

/* The I frame whose ASDU (len octets) was written at f + 6 in the output
 * buffer joins it. An I frame carries our N(R): it acknowledges what we
 * received. The caller asks for LOOP_WRITE once per batch. */
static void commit_i(iec104_conn *c, uint8_t *f, size_t len, int64_t now) {
    iec104_encode_i_header(f, len, c->vs, c->vr);
    c->sent_at[c->vs % (unsigned)c->p->k] = now;
    c->vs = (uint16_t)((c->vs + 1) % IEC104_SEQ_MOD);
    c->rx_unacked = 0;
    c->p->stats->asdus_sent++;
    c->out_len += 6 + len;
}

static void send_i(iec104_conn *c, const uint8_t *asdu, size_t len, int64_t now) {
    uint8_t *f = out_reserve(c, 6 + len);
    if (!f)
        return;
    memcpy(f + 6, asdu, len);
    commit_i(c, f, len, now);
}

static bool window_open(const iec104_conn *c) {
    return c->started && !c->stopping && !c->closing &&
           unacked(c) < (unsigned)c->p->k;
}

/* Consecutive events of the same type and cause could share one ASDU; spontaneous
 * ones go one per ASDU so each keeps its own place in time. Encoded straight
 * into the output buffer. */
static void send_event(iec104_conn *c, const iec104_event *e, int64_t now) {
    uint8_t *f = out_reserve(c, IEC104_APDU_MAX);
    if (!f)
        return;
    iec104_asdu a;
    a.type = e->type;
    a.sq = false;
    a.n = 1;
    a.cot = e->cot;
    a.negative = a.test = false;
    a.oa = 0;
    a.ca = c->p->ca;
    a.io[0] = e->io;
    int len = iec104_asdu_encode(&a, f + 6, IEC104_ASDU_MAX);
    if (len > 0)
        commit_i(c, f, (size_t)len, now);
}

/* Everything the window allows goes into the output buffer in one batch (one
 * write() when the loop turn ends, or at once after an acknowledgement). */
void iec104_conn_pump(iec104_conn *c) {
    if (!window_open(c))
        return;
    int64_t now = clock_mono_ns();
    bool sent = false;
    while (window_open(c)) {
        iec104_event e;
        iec104_asdu a;
        if (c->hp_n) {
            asdu_slot *s = &c->hp[c->hp_head];
            send_i(c, s->bytes, s->len, now);
            c->hp_head = (c->hp_head + 1) % HP_SLOTS;
            c->hp_n--;
        } else if (ring_pop(&c->spont, &e)) {
            send_event(c, &e, now);
        } else if (c->h.next_interrogation(c->h.ctx, &a)) {
            iec104_conn_send_asdu_hp(c, &a);
        } else if (!c->hp_n) {
            break; /* (a finished interrogation may just have queued its ACT_TERM) */
        }
        sent = true;
    }
    if (sent) {
        loop_mod_fd(c->p->loop, c->fd, LOOP_READ | LOOP_WRITE);
        arm_timer(c);
    }
}

void iec104_conn_send_hp(iec104_conn *c, const uint8_t *asdu, size_t len) {
    if (c->hp_n == HP_SLOTS) {
        log_warn(MOD_IEC104, "%s: command response queue full, response dropped", c->peer);
        return;
    }
    asdu_slot *s = &c->hp[(c->hp_head + c->hp_n) % HP_SLOTS];
    memcpy(s->bytes, asdu, len);
    s->len = (uint8_t)len;
    c->hp_n++;
}

void iec104_conn_send_asdu_hp(iec104_conn *c, const iec104_asdu *a) {
    uint8_t buf[IEC104_ASDU_MAX];
    int len = iec104_asdu_encode(a, buf, sizeof buf);
    if (len < 0) {
        log_error(MOD_IEC104, "cannot encode a response: %s", iec104_strerror(len));
        return;
    }
    iec104_conn_send_hp(c, buf, (size_t)len);
}

void iec104_conn_queue_event(iec104_conn *c, const iec104_event *e) {
    if (ring_push(&c->spont, e))
        c->p->stats->spont_dropped++;
    iec104_conn_pump(c);
}

/* ---- timers ---- */

static int64_t earliest_deadline(const iec104_conn *c) {
    const iec104_conn_params *p = c->p;
    int64_t at = c->last_rx_ns + p->t3_ns;
    if (unacked(c) && c->sent_at[c->va % (unsigned)p->k] + p->t1_ns < at)
        at = c->sent_at[c->va % (unsigned)p->k] + p->t1_ns;
    if (c->test_pending && c->test_sent_ns + p->t1_ns < at)
        at = c->test_sent_ns + p->t1_ns;
    if (c->rx_unacked && c->rx_first_unacked_ns + p->t2_ns < at)
        at = c->rx_first_unacked_ns + p->t2_ns;
    if (p->idle_timeout_ns && c->last_apdu_ns + p->idle_timeout_ns < at)
        at = c->last_apdu_ns + p->idle_timeout_ns;
    return at;
}

static void on_timer(gw_loop *loop, void *arg);

/* One timer per connection at the earliest deadline; a later deadline only
 * needs the timer to look again when it fires. */
static void arm_timer(iec104_conn *c) {
    int64_t at = earliest_deadline(c);
    if (c->timer && c->timer_at <= at)
        return;
    if (c->timer)
        loop_timer_cancel(c->p->loop, c->timer);
    c->timer_at = at;
    c->timer = loop_timer_at(c->p->loop, at, on_timer, c);
}

static void close_conn(iec104_conn *c, const char *why) {
    log_info(MOD_IEC104, "%s:%d: closing: %s", c->peer, c->peer_port, why);
    c->h.on_closed(c->h.ctx);
}

static void on_timer(gw_loop *loop, void *arg) {
    iec104_conn *c = arg;
    const iec104_conn_params *p = c->p;
    int64_t now = clock_mono_ns();
    c->timer = 0;
    /* a master that sends nothing whole (idle, or a byte now and then: slowloris)
     * would hold one of the `connections` slots for ever */
    if (p->idle_timeout_ns && now >= c->last_apdu_ns + p->idle_timeout_ns) {
        record(c, "idle_timeout", "%s:%d: no complete APDU for %.0f s, connection closed",
               c->peer, c->peer_port, (double)p->idle_timeout_ns / NS_PER_S);
        close_conn(c, "idle_timeout: no complete APDU");
        return;
    }
    if (unacked(c) && now >= c->sent_at[c->va % (unsigned)p->k] + p->t1_ns) {
        close_conn(c, "t1 expired: I frames not acknowledged");
        return;
    }
    if (c->test_pending && now >= c->test_sent_ns + p->t1_ns) {
        close_conn(c, "t1 expired: no TESTFR con");
        return;
    }
    if (c->rx_unacked && now >= c->rx_first_unacked_ns + p->t2_ns)
        send_s(c);
    if (now >= c->last_rx_ns + p->t3_ns && !c->test_pending) {
        send_u(c, IEC104_U_TESTFR_ACT);
        c->test_pending = true;
        c->test_sent_ns = now;
        c->last_rx_ns = now; /* t3 restarts; t1 now watches the TESTFR */
    }
    arm_timer(c);
}

/* ---- receiving ---- */

/* N(R) acknowledges our I frames up to N(R) - 1; it must lie in [V(A), V(S)]. */
static bool take_ack(iec104_conn *c, uint16_t nr) {
    if (seq_diff(nr, c->va) > unacked(c))
        return false;
    c->va = nr;
    if (c->stopping && !unacked(c)) {
        c->stopping = false;
        c->started = false;
        send_u(c, IEC104_U_STOPDT_CON);
        c->h.on_stopped(c->h.ctx);
    }
    return true;
}

static bool on_u(iec104_conn *c, uint8_t u) {
    switch (u) {
    case IEC104_U_STARTDT_ACT:
        send_u(c, IEC104_U_STARTDT_CON);
        if (!c->started) {
            c->started = true;
            c->stopping = false;
            c->h.on_started(c->h.ctx);
        }
        return true;
    case IEC104_U_STOPDT_ACT:
        if (!c->started) {
            send_u(c, IEC104_U_STOPDT_CON);
            return true;
        }
        /* confirm once everything sent is acknowledged (clause 5.3) */
        c->stopping = true;
        if (!unacked(c))
            take_ack(c, c->va);
        return true;
    case IEC104_U_TESTFR_ACT: send_u(c, IEC104_U_TESTFR_CON); return true;
    case IEC104_U_TESTFR_CON: c->test_pending = false; return true;
    default:
        protocol_error(c, "unexpected U frame %02X", u);
        return false;
    }
}

static bool on_i(iec104_conn *c, const iec104_apdu *f) {
    if (f->ns != c->vr) {
        protocol_error(c, "N(S)=%u, expected %u", f->ns, c->vr);
        return false;
    }
    if (!c->started) {
        protocol_error(c, "I frame before STARTDT");
        return false;
    }
    c->vr = (uint16_t)((c->vr + 1) % IEC104_SEQ_MOD);
    if (!c->rx_unacked)
        c->rx_first_unacked_ns = clock_mono_ns();
    c->rx_unacked++;
    if (!c->h.on_asdu(c->h.ctx, f->asdu, f->asdu_len)) {
        protocol_error(c, "I frame with an ASDU of %zu octets, shorter than its header", f->asdu_len);
        return false;
    }
    if (c->rx_unacked >= (unsigned)c->p->w)
        send_s(c);
    return true;
}

static bool on_apdu(iec104_conn *c, const iec104_apdu *f) {
    switch (f->kind) {
    case IEC104_FRAME_U: return on_u(c, f->u);
    case IEC104_FRAME_S:
        if (!take_ack(c, f->nr)) {
            protocol_error(c, "S frame N(R)=%u outside [%u, %u]", f->nr, c->va,
                     c->vs);
            return false;
        }
        return true;
    case IEC104_FRAME_I:
        if (!take_ack(c, f->nr)) {
            protocol_error(c, "I frame N(R)=%u outside [%u, %u]", f->nr, c->va,
                     c->vs);
            return false;
        }
        return on_i(c, f);
    }
    return false;
}

/* Parse every complete APDU in the receive buffer. False: close. */
static bool consume(iec104_conn *c) {
    size_t off = 0;
    while (off < c->rx_len) {
        int need = iec104_apdu_needed(c->rx + off, c->rx_len - off);
        if (need < 0) {
            protocol_error(c, "%s", iec104_strerror(need));
            return false;
        }
        if (need == 0 || (size_t)need > c->rx_len - off)
            break;
        iec104_apdu f;
        int rc = iec104_apdu_parse(c->rx + off, (size_t)need, &f);
        if (rc < 0) {
            log_hex(LOG_LVL_WARN, MOD_IEC104, iec104_strerror(rc), c->rx + off, (size_t)need);
            protocol_error(c, "%s", iec104_strerror(rc));
            return false;
        }
        c->last_apdu_ns = clock_mono_ns();
        if (!on_apdu(c, &f))
            return false;
        off += (size_t)need;
    }
    memmove(c->rx, c->rx + off, c->rx_len - off);
    c->rx_len -= off;
    return true;
}

static bool on_writable(iec104_conn *c);

/* After an acknowledgement the window reopened: write at once rather than one
 * poll later (halves the round trip that bounds throughput with a small k). */
static bool flush_now(iec104_conn *c) {
    return c->out_len == c->out_off || on_writable(c);
}

static bool on_readable(iec104_conn *c) {
    ssize_t n = iochan_read(c->ch, c->rx + c->rx_len, sizeof c->rx - c->rx_len);
    if (n < 0)
        return errno == EAGAIN || errno == EINTR;
    if (n == 0) {
        log_info(MOD_IEC104, "%s:%d: closed by the master", c->peer, c->peer_port);
        return false;
    }
    c->rx_len += (size_t)n;
    c->last_rx_ns = clock_mono_ns();
    if (!consume(c))
        return false;
    iec104_conn_pump(c);
    arm_timer(c);
    return c->closing || flush_now(c);
}

static bool on_writable(iec104_conn *c) {
    while (c->out_off < c->out_len) {
        ssize_t n = iochan_write(c->ch, c->out + c->out_off, c->out_len - c->out_off);
        if (n < 0)
            return errno == EAGAIN || errno == EINTR;
        c->out_off += (size_t)n;
    }
    c->out_off = c->out_len = 0;
    loop_mod_fd(c->p->loop, c->fd, LOOP_READ);
    return true;
}

static void on_fd(gw_loop *loop, int fd, unsigned events, void *arg) {
    iec104_conn *c = arg;
    bool ok = true;
    if (events & LOOP_READ)
        ok = on_readable(c);
    if (ok && !c->closing && (events & LOOP_WRITE))
        ok = on_writable(c);
    if (!ok || c->closing)
        close_conn(c, ok ? "closing" : "connection ended");
}

iec104_conn *iec104_conn_new(const iec104_conn_params *p, const iec104_conn_hooks *h, int fd,
                             const char *peer, int peer_port) {
    iec104_conn *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    char name[64];
    snprintf(name, sizeof name, "tcp:%d:%d", p->local_port, peer_port);
    c->p = p;
    c->h = *h;
    c->fd = fd;
    c->peer_port = peer_port;
    snprintf(c->peer, sizeof c->peer, "%s", peer);
    c->sent_at = calloc((size_t)p->k, sizeof *c->sent_at);
    c->ch = iochan_open(fd, name, false);
    c->last_rx_ns = c->last_apdu_ns = clock_mono_ns();
    if (!c->sent_at || !c->ch || !ring_init(&c->spont, p->queue) ||
        loop_add_fd(p->loop, fd, LOOP_READ, on_fd, c) < 0) {
        c->fd = -1; /* still the caller's */
        iec104_conn_free(c);
        return NULL;
    }
    arm_timer(c);
    return c;
}

void iec104_conn_free(iec104_conn *c) {
    if (!c)
        return;
    if (c->timer)
        loop_timer_cancel(c->p->loop, c->timer);
    iochan_close(c->ch);
    if (c->fd >= 0) {
        loop_del_fd(c->p->loop, c->fd);
        close(c->fd);
    }
    ring_free(&c->spont);
    free(c->sent_at);
    free(c->out);
    free(c);
}

/* ---- what the creator may look at ---- */

const char *iec104_conn_peer(const iec104_conn *c) {
    return c->peer;
}

int iec104_conn_peer_port(const iec104_conn *c) {
    return c->peer_port;
}

bool iec104_conn_started(const iec104_conn *c) {
    return c->started;
}

bool iec104_conn_transferring(const iec104_conn *c) {
    return c->started && !c->stopping;
}

size_t iec104_conn_queued(const iec104_conn *c) {
    return c->spont.n;
}

size_t iec104_conn_unwritten(const iec104_conn *c) {
    return c->out_len;
}

bool iec104_conn_take_event(iec104_conn *c, iec104_event *e) {
    return ring_pop(&c->spont, e);
}
