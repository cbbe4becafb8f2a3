/* dlms_link_tcp: the IEC 62056-47 wrapper over TCP (see dlms_link.h).
 *
 * One connection per meter, opened when the session first sends and kept
 * across jobs (DLMS over TCP associates on an open connection; reconnecting for
 * every poll would only add round trips). The connect is non-blocking and
 * completes on the loop; APDUs sent meanwhile wait in the output buffer. TCP is
 * a stream, so answers are reassembled from the 8-byte wrapper header's length.
 *
 * A refused connect, a reset, an EOF or bytes that are not a wrapper close the
 * connection and are reported to the session (on_error) from a zero-delay
 * timer: never from inside dlms_link_send, and never from an fd callback whose
 * fd number a reconnect could reuse in the same loop iteration. After such a
 * failure no new connect is tried before the network's reconnect_delay.
 *
 * Channel name "tcp:<meter port>:<our port>" (docs/virtual-time.md), the same
 * the bench gives its end of the connection. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/clock.h"
#include "south/dlms/dlms_link.h"
#include "codec/dlms/dlms_wrapper.h"
#include "core/iochan.h"
#include "core/log.h"

#define MOD "dlms"
#define FRAME_MAX (WRAPPER_HEADER + 4096) /* larger than any APDU we negotiate */
#define OUT_MAX (4 * FRAME_MAX)

typedef enum { TCP_DOWN, TCP_CONNECTING, TCP_UP } tcp_state;

/* Starts with the network pointer like every link (dlms_link.c dispatches on it). */
struct dlms_link {
    const dlms_network_cfg *net;
    const dlms_meter_cfg *meter;
    gw_loop *loop;
    dlms_apdu_cb on_apdu;
    dlms_link_error_cb on_error;
    void *arg;
    tcp_state state;
    int fd;
    iochan *ch;
    int64_t not_before;        /* no connect before this (reconnect delay) */
    loop_timer_id error_timer;
    char why[160];             /* the failure the timer reports */
    uint8_t out[OUT_MAX];      /* waiting for the connect, or for room in the socket */
    size_t out_len;
    uint8_t rx[FRAME_MAX];     /* a wrapper frame being reassembled */
    size_t rx_len;
};

static void on_event(gw_loop *loop, int fd, unsigned events, void *arg);

static void disconnect(dlms_link *l) {
    if (l->fd >= 0) {
        loop_del_fd(l->loop, l->fd);
        close(l->fd);
    }
    if (l->ch) iochan_close(l->ch);
    l->fd = -1;
    l->ch = NULL;
    l->state = TCP_DOWN;
    l->out_len = l->rx_len = 0;
}

static void report_error(gw_loop *loop, void *arg) {
    dlms_link *l = arg;
    l->error_timer = 0;
    l->on_error(l->arg, l->why);
}

/* Close, hold off reconnects, and tell the session at this instant. */
static void fail_link(dlms_link *l, const char *fmt, const char *detail) {
    disconnect(l);
    l->not_before = clock_mono_ns() + l->net->reconnect_delay_ns;
    snprintf(l->why, sizeof l->why, fmt, detail);
    log_debug(MOD, "%s: %s", l->meter->name, l->why);
    if (!l->error_timer) l->error_timer = loop_timer_at(l->loop, clock_mono_ns(), report_error, l);
}

/* Write what is buffered; watch for room when the socket is full. */
static void flush(dlms_link *l) {
    size_t off = 0;
    while (off < l->out_len) {
        ssize_t w = iochan_write(l->ch, l->out + off, l->out_len - off);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
        if (w <= 0) {
            fail_link(l, "connection lost: %s", w < 0 ? strerror(errno) : "nothing written");
            return;
        }
        off += (size_t)w;
    }
    memmove(l->out, l->out + off, l->out_len - off);
    l->out_len -= off;
    loop_mod_fd(l->loop, l->fd, l->out_len ? LOOP_READ | LOOP_WRITE : LOOP_READ);
}

static bool start_connect(dlms_link *l) {
    struct sockaddr_in peer = {.sin_family = AF_INET, .sin_port = htons(l->meter->port)};
    if (inet_pton(AF_INET, l->net->host, &peer.sin_addr) != 1) return false; /* checked at open */
    l->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (l->fd < 0) {
        fail_link(l, "cannot create a socket: %s", strerror(errno));
        return false;
    }
    if (connect(l->fd, (struct sockaddr *)&peer, sizeof peer) != 0 && errno != EINPROGRESS) {
        fail_link(l, "connect: %s", strerror(errno));
        return false;
    }
    struct sockaddr_in local;
    socklen_t len = sizeof local;
    char name[48];
    getsockname(l->fd, (struct sockaddr *)&local, &len);
    snprintf(name, sizeof name, "tcp:%u:%u", l->meter->port, ntohs(local.sin_port));
    l->ch = iochan_open(l->fd, name, false);
    if (!l->ch || loop_add_fd(l->loop, l->fd, LOOP_READ | LOOP_WRITE, on_event, l) != 0) {
        fail_link(l, "%s", "cannot watch the connection");
        return false;
    }
    l->state = TCP_CONNECTING;
    return true;
}

static void connected(dlms_link *l) {
    int soerr = 0;
    socklen_t len = sizeof soerr;
    if (getsockopt(l->fd, SOL_SOCKET, SO_ERROR, &soerr, &len) != 0) soerr = errno;
    if (soerr) {
        fail_link(l, "connect: %s", strerror(soerr));
        return;
    }
    l->state = TCP_UP;
    log_debug(MOD, "%s: connected (%s)", l->meter->name, iochan_name(l->ch));
    flush(l);
}

/* Hand up every complete wrapper frame in rx; false when the stream is not a wrapper. */
static bool take_frames(dlms_link *l) {
    size_t off = 0;
    for (;;) {
        wrapper_pdu p;
        const char *why = "";
        long used = wrapper_decode(l->rx + off, l->rx_len - off, &p, &why);
        if (used < 0) {
            fail_link(l, "not a wrapper stream: %s", why);
            return false;
        }
        if (used == 0) break;
        off += (size_t)used;
        if (p.dst != l->meter->client || p.src != l->meter->logical)
            log_debug(MOD, "%s: frame for wPort %u from %u dropped", l->meter->name, p.dst, p.src);
        else l->on_apdu(l->arg, p.apdu, p.len);
        if (l->state != TCP_UP) return false; /* the session gave up on the link */
    }
    memmove(l->rx, l->rx + off, l->rx_len - off);
    l->rx_len -= off;
    if (l->rx_len == sizeof l->rx) {
        fail_link(l, "%s", "wrapper frame larger than the receive buffer");
        return false;
    }
    return true;
}

static void receive(dlms_link *l) {
    for (;;) {
        ssize_t n = iochan_read(l->ch, l->rx + l->rx_len, sizeof l->rx - l->rx_len);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
        if (n <= 0) {
            fail_link(l, "connection closed by the meter%s", n < 0 ? " (reset)" : "");
            return;
        }
        l->rx_len += (size_t)n;
        if (!take_frames(l)) return;
    }
}

static void on_event(gw_loop *loop, int fd, unsigned events, void *arg) {
    dlms_link *l = arg;
    if (l->state == TCP_CONNECTING) {
        connected(l);
        if (l->state != TCP_UP) return;
    }
    if (events & LOOP_READ) receive(l);
    if (l->state == TCP_UP && (events & LOOP_WRITE) && l->out_len) flush(l);
}

dlms_link *dlms_link_tcp_open(const dlms_network_cfg *n, const dlms_meter_cfg *m, gw_loop *loop,
                              dlms_apdu_cb on_apdu, dlms_link_error_cb on_error, void *arg,
                              char *err, size_t errlen) {
    struct in_addr probe;
    if (inet_pton(AF_INET, n->host, &probe) != 1) {
        snprintf(err, errlen, "dlms %s: host %s is not an IPv4 address", n->name, n->host);
        return NULL;
    }
    dlms_link *l = calloc(1, sizeof *l);
    if (!l) {
        snprintf(err, errlen, "dlms %s: out of memory", n->name);
        return NULL;
    }
    l->net = n;
    l->meter = m;
    l->loop = loop;
    l->on_apdu = on_apdu;
    l->on_error = on_error;
    l->arg = arg;
    l->fd = -1;
    return l;
}

int dlms_link_tcp_send(dlms_link *l, const uint8_t *apdu, size_t len) {
    uint8_t frame[FRAME_MAX];
    size_t n = dlms_link_wrap(l->net, l->meter, apdu, len, frame, sizeof frame);
    if (!n) return -1;
    if (l->state == TCP_DOWN) {
        if (clock_mono_ns() < l->not_before) return -1; /* reconnect delay: counted as lost */
        if (!start_connect(l)) return -1;
    }
    if (l->out_len + n > sizeof l->out) return -1; /* the meter is not reading: as if lost */
    memcpy(l->out + l->out_len, frame, n);
    l->out_len += n;
    if (l->state == TCP_UP) flush(l);
    return 0;
}

size_t dlms_link_tcp_max_apdu(const dlms_link *l) {
    return l->net->max_bytes - WRAPPER_HEADER;
}

/* No reconnect delay here: the session waits its own before the next job. */
void dlms_link_tcp_drop(dlms_link *l) {
    if (l->state == TCP_DOWN) return;
    log_debug(MOD, "%s: connection closed after the session gave up", l->meter->name);
    disconnect(l);
}

void dlms_link_tcp_free(dlms_link *l) {
    if (!l) return;
    disconnect(l);
    loop_timer_cancel(l->loop, l->error_timer);
    free(l);
}
