/* port: the serial line of one wired M-Bus segment (see port.h). */
#include "south/mbus/port.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/iochan.h"
#include "core/log.h"
#include "south/serial/serial_port.h"

#define MOD "mbus"
#define BITS_PER_BYTE 11 /* start + 8 data + parity + stop */
/* Neither a pty nor a UART driver says when the last bit has left the wire:
 * the estimate write time + n * 11 bit times is a lower bound (USB adapters,
 * FIFOs and scheduling add latency). The response timeout and the request gap
 * are minimums, so they are measured from this much later to stay minimums. */
#define TX_LATENCY_ALLOWANCE_NS (2 * NS_PER_MS)

typedef enum { ST_IDLE, ST_GAP, ST_SENDING, ST_ANSWER, ST_RECEIVING, ST_LISTEN } port_state;

struct mbus_port {
    const mbus_segment_cfg *cfg;
    gw_loop *loop;
    int fd;
    iochan *ch;                /* fd as a counted channel named after the device (virtual time) */
    long port_baud;            /* what the port is set to now */
    bool port_warned;          /* "cannot open" logged once per outage */
    bool want_write;           /* fd watched for LOOP_WRITE */
    port_state state;
    loop_timer_id timer;       /* the current state's timer */
    int64_t line_busy_until;   /* last byte received, or end of our transmission */
    /* the request on the line */
    const mbus_port_hooks *hooks;
    void *ctx;
    long baud;                 /* the meter's baud: the port and the timings follow it */
    bool answered;
    char label[2 * MBUS_NAME_MAX + 8];
    uint8_t next[MBUS_PORT_TX_MAX]; /* the request waiting for the gap */
    size_t next_len;
    uint8_t tx[MBUS_PORT_TX_MAX];   /* the request sent last (an echo is compared with it) */
    size_t tx_len, tx_off;
    size_t echo_seen;          /* echo: bytes of our request read back so far */
    int64_t tx_end_ns;
    mbus_rx rx;
    int64_t rx_deadline_ns;    /* a frame cannot take longer than this */
    mbus_port_stats stats;
};

static void on_fd(gw_loop *loop, int fd, unsigned events, void *arg);

int64_t mbus_port_bytes_ns(long baud, size_t n) {
    return mbus_bits_ns(baud, (int64_t)n * BITS_PER_BYTE);
}

static int64_t bytes_ns(const mbus_port *p, size_t n) {
    return mbus_port_bytes_ns(p->baud, n);
}

/* `auto` timings follow the meter's baud; the gap never gets shorter than
 * the segment's (the line may still carry a slower meter's last bits). */
static int64_t response_timeout_ns(const mbus_port *p) {
    return p->cfg->response_timeout_auto ? mbus_auto_response_timeout_ns(p->baud)
                                         : p->cfg->response_timeout_ns;
}

static int64_t request_gap_ns(const mbus_port *p) {
    if (!p->cfg->request_gap_auto || p->baud >= p->cfg->baud)
        return p->cfg->request_gap_ns;
    return mbus_auto_request_gap_ns(p->baud);
}

static void set_timer(mbus_port *p, int64_t at_ns, loop_timer_cb cb) {
    loop_timer_cancel(p->loop, p->timer);
    p->timer = loop_timer_at(p->loop, at_ns, cb, p);
}

static void cancel_timer(mbus_port *p) {
    loop_timer_cancel(p->loop, p->timer);
    p->timer = 0;
}

/* ---- the serial device ----------------------------------------------------- */

static void attach(mbus_port *p, int fd) {
    p->fd = fd;
    p->port_baud = p->cfg->baud;
    p->want_write = false;
}

/* Reopen after a loss. */
static bool reopen(mbus_port *p) {
    char err[256];
    int fd = serial_open(p->cfg->device, p->cfg->baud, err, sizeof err);
    if (fd < 0) {
        if (!p->port_warned)
            log_warn(MOD, "%s: %s", p->cfg->name, err);
        p->port_warned = true;
        return false;
    }
    if (loop_add_fd(p->loop, fd, LOOP_READ, on_fd, p) != 0) {
        log_warn(MOD, "%s: cannot watch %s", p->cfg->name, p->cfg->device);
        close(fd);
        return false;
    }
    attach(p, fd);
    p->ch = iochan_open(fd, p->cfg->device, false);
    if (p->port_warned)
        log_info(MOD, "%s: %s open again", p->cfg->name, p->cfg->device);
    p->port_warned = false;
    return true;
}

static void close_fd(mbus_port *p) {
    if (p->fd < 0)
        return;
    loop_del_fd(p->loop, p->fd);
    iochan_close(p->ch);
    p->ch = NULL;
    close(p->fd);
    p->fd = -1;
}

/* The line went away (pty master closed, USB adapter unplugged). Requests are
 * still timed as usual, so meters end up not_read; each request tries to
 * reopen the port. */
static void port_lost(mbus_port *p, const char *why) {
    log_warn(MOD, "%s: %s: %s", p->cfg->name, p->cfg->device, why);
    p->port_warned = true;
    close_fd(p);
}

mbus_port *mbus_port_open(const mbus_segment_cfg *cfg, gw_loop *loop, char *err, size_t errlen) {
    mbus_port *p = calloc(1, sizeof *p);
    if (!p) {
        snprintf(err, errlen, "%s: out of memory", cfg->name);
        return NULL;
    }
    p->cfg = cfg;
    p->loop = loop;
    p->fd = -1;
    int fd = serial_open(cfg->device, cfg->baud, err, errlen);
    if (fd < 0 || loop_add_fd(loop, fd, LOOP_READ, on_fd, p) != 0) {
        if (fd >= 0) {
            snprintf(err, errlen, "%s: cannot watch the port", cfg->device);
            close(fd);
        }
        free(p);
        return NULL;
    }
    attach(p, fd);
    p->ch = iochan_open(fd, cfg->device, false);
    if (!p->ch) {
        snprintf(err, errlen, "%s: out of memory", cfg->device);
        loop_del_fd(loop, fd);
        close(fd);
        free(p);
        return NULL;
    }
    p->baud = cfg->baud;
    p->line_busy_until = clock_mono_ns();
    return p;
}

void mbus_port_close(mbus_port *p) {
    if (!p)
        return;
    cancel_timer(p);
    close_fd(p);
    free(p);
}

/* ---- requests ------------------------------------------------------------- */

static void on_answer_timeout(gw_loop *loop, void *arg) {
    mbus_port *p = arg;
    p->timer = 0;
    p->stats.timeouts++;
    p->state = ST_GAP;
    p->hooks->timeout(p->ctx);
}

/* The whole request is in the port: time the answer from when it has left the wire. */
static void request_sent(mbus_port *p) {
    if (p->state != ST_SENDING)
        return;
    p->line_busy_until = p->tx_end_ns;
    if (!p->answered) {
        p->state = ST_GAP;
        p->hooks->sent(p->ctx);
        return;
    }
    p->state = ST_ANSWER;
    set_timer(p, p->tx_end_ns + response_timeout_ns(p), on_answer_timeout);
}

static void watch_write(mbus_port *p, bool on) {
    if (p->want_write != on && p->fd >= 0)
        loop_mod_fd(p->loop, p->fd, on ? LOOP_READ | LOOP_WRITE : LOOP_READ);
    p->want_write = on;
}

static void write_pending(mbus_port *p) {
    while (p->fd >= 0 && p->tx_off < p->tx_len) {
        ssize_t n = iochan_write(p->ch, p->tx + p->tx_off, p->tx_len - p->tx_off);
        if (n > 0) {
            int64_t now = clock_mono_ns();
            int64_t from = p->tx_end_ns > now ? p->tx_end_ns : now;
            p->tx_end_ns = from + bytes_ns(p, (size_t)n);
            p->tx_off += (size_t)n;
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            watch_write(p, true);
            return;
        } else {
            /* The answer timeout will report the lost request. */
            log_warn(MOD, "%s: write to %s failed: %s", p->cfg->name, p->cfg->device,
                     n < 0 ? strerror(errno) : "nothing written");
            break;
        }
    }
    watch_write(p, false);
    p->tx_end_ns += TX_LATENCY_ALLOWANCE_NS;
    request_sent(p);
}

/* Meters with their own baud: the port follows the meter being asked. */
static void set_port_baud(mbus_port *p) {
    if (p->fd < 0 || p->baud == p->port_baud)
        return;
    if (!serial_set_baud(p->fd, p->baud)) {
        log_warn(MOD, "%s: cannot set %s to %ld baud: %s", p->cfg->name, p->cfg->device, p->baud,
                 strerror(errno));
        return;
    }
    p->port_baud = p->baud;
}

static void send_request(mbus_port *p) {
    mbus_rx_reset(&p->rx);
    memcpy(p->tx, p->next, p->next_len);
    p->tx_len = p->next_len;
    p->tx_off = 0;
    p->echo_seen = p->cfg->echo ? 0 : p->tx_len;
    p->tx_end_ns = clock_mono_ns();
    p->stats.requests++;
    p->state = ST_SENDING;
    if (log_get_level() >= LOG_LVL_DEBUG) {
        char what[4 * MBUS_NAME_MAX + 16];
        snprintf(what, sizeof what, "%s > %s", p->cfg->name, p->label);
        log_hex(LOG_LVL_DEBUG, MOD, what, p->tx, p->tx_len);
    }
    if (p->fd < 0)
        reopen(p); /* on failure the request times out like a silent meter */
    set_port_baud(p);
    write_pending(p);
}

static void on_gap_timer(gw_loop *loop, void *arg) {
    mbus_port *p = arg;
    p->timer = 0;
    int64_t quiet_at = p->line_busy_until + request_gap_ns(p);
    if (clock_mono_ns() < quiet_at) { /* bytes arrived meanwhile: wait on */
        set_timer(p, quiet_at, on_gap_timer);
        return;
    }
    send_request(p);
}

void mbus_port_send(mbus_port *p, const mbus_port_request *req, const mbus_port_hooks *hooks,
                       void *ctx) {
    p->hooks = hooks;
    p->ctx = ctx;
    p->baud = req->baud;
    p->answered = req->answered;
    snprintf(p->label, sizeof p->label, "%s", req->label);
    p->next_len = req->len < sizeof p->next ? req->len : sizeof p->next;
    memcpy(p->next, req->bytes, p->next_len);
    p->state = ST_GAP;
    set_timer(p, p->line_busy_until + request_gap_ns(p), on_gap_timer);
}

static void on_listen_quiet(gw_loop *loop, void *arg) {
    mbus_port *p = arg;
    p->timer = 0;
    p->state = ST_GAP;
    p->hooks->quiet(p->ctx);
}

void mbus_port_await_more(mbus_port *p) {
    int64_t quiet = clock_mono_ns() + request_gap_ns(p);
    int64_t window = p->tx_end_ns + response_timeout_ns(p);
    p->state = ST_LISTEN;
    set_timer(p, window > quiet ? window : quiet, on_listen_quiet);
}

void mbus_port_idle(mbus_port *p) {
    cancel_timer(p);
    p->state = ST_IDLE;
}

const mbus_rx *mbus_port_rx(const mbus_port *p) {
    return &p->rx;
}

void mbus_port_get_stats(const mbus_port *p, mbus_port_stats *out) {
    *out = p->stats;
}

/* ---- answers -------------------------------------------------------------- */

static void frame_complete(mbus_port *p) {
    mbus_frame f;
    mbus_error err = {0};
    cancel_timer(p);
    p->state = ST_GAP;
    if (log_get_level() >= LOG_LVL_DEBUG) {
        char what[4 * MBUS_NAME_MAX + 16];
        snprintf(what, sizeof what, "%s < %s", p->cfg->name, p->label);
        log_hex(LOG_LVL_DEBUG, MOD, what, p->rx.buf, p->rx.frame_len);
    }
    if (p->rx.dropped)
        log_debug(MOD, "%s: %zu bytes after the frame ignored", p->cfg->name, p->rx.dropped);
    if (mbus_frame_parse(p->rx.buf, p->rx.frame_len, &f, &err) != MBUS_OK) {
        p->hooks->bad(p->ctx, err.msg[0] ? err.msg : mbus_err_name(err.code));
        return;
    }
    p->hooks->frame(p->ctx, &f);
}

/* Silence inside a frame, or a receive that cannot end: the frame is bad. */
static void on_idle_timeout(gw_loop *loop, void *arg) {
    mbus_port *p = arg;
    char why[200];
    p->timer = 0;
    p->state = ST_GAP;
    if (p->rx.state == MBUS_RX_GARBAGE)
        snprintf(why, sizeof why, "garbage on the line: %s",
                 p->rx.err.msg[0] ? p->rx.err.msg : mbus_err_name(p->rx.err.code));
    else
        snprintf(why, sizeof why, "incomplete frame: %zu bytes, then silence", p->rx.len);
    p->hooks->bad(p->ctx, why);
}

static void receive(mbus_port *p, const uint8_t *bytes, size_t n, int64_t now) {
    if (p->state != ST_RECEIVING) /* first byte of the answer */
        p->rx_deadline_ns = now + bytes_ns(p, MBUS_FRAME_MAX) + p->cfg->idle_timeout_ns;
    if (mbus_rx_push(&p->rx, bytes, n) == MBUS_RX_COMPLETE) {
        frame_complete(p);
        return;
    }
    p->state = ST_RECEIVING;
    int64_t idle_end = now + p->cfg->idle_timeout_ns;
    set_timer(p, idle_end < p->rx_deadline_ns ? idle_end : p->rx_deadline_ns, on_idle_timeout);
}

/* An echoing level converter hands our request back before any answer: drop
 * those bytes while they match what we sent; the first byte that differs
 * (no echo after all, or an answer) ends the echo. Returns the bytes skipped. */
static size_t skip_echo(mbus_port *p, const uint8_t *bytes, size_t n) {
    size_t k = 0;
    while (k < n && p->echo_seen < p->tx_len && bytes[k] == p->tx[p->echo_seen]) {
        k++;
        p->echo_seen++;
    }
    if (k < n && p->echo_seen < p->tx_len) {
        log_debug(MOD, "%s: echo ends after %zu of %zu bytes", p->cfg->name, p->echo_seen,
                  p->tx_len);
        p->echo_seen = p->tx_len;
    }
    return k;
}

static void bytes_arrived(mbus_port *p, const uint8_t *bytes, size_t n) {
    int64_t now = clock_mono_ns();
    if (now > p->line_busy_until)
        p->line_busy_until = now;
    size_t echoed = skip_echo(p, bytes, n);
    bytes += echoed;
    n -= echoed;
    if (n == 0)
        return;
    switch (p->state) {
    case ST_LISTEN: /* another answer to the same request */
        cancel_timer(p);
        p->state = ST_GAP;
        p->hooks->more(p->ctx);
        break;
    case ST_SENDING:
    case ST_ANSWER:
    case ST_RECEIVING:
        receive(p, bytes, n, now);
        break;
    case ST_IDLE:
    case ST_GAP:
        log_hex(LOG_LVL_DEBUG, MOD, p->cfg->name, bytes, n); /* stray: discarded */
        break;
    }
}

static void on_fd(gw_loop *loop, int fd, unsigned events, void *arg) {
    mbus_port *p = arg;
    uint8_t buf[256];
    for (;;) {
        ssize_t n = iochan_read(p->ch, buf, sizeof buf);
        if (n > 0) {
            bytes_arrived(p, buf, (size_t)n);
            if (p->fd != fd)
                return;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        /* VMIN=1: a read of 0 is a hang-up, not "no data". */
        port_lost(p, n == 0 ? "hang-up" : strerror(errno));
        return;
    }
    if ((events & LOOP_WRITE) && p->state == ST_SENDING)
        write_pending(p);
}
