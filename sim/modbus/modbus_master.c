/* modbus_master: scripted Modbus masters on the bench (see modbus_master.h). */
#include "sim/modbus/modbus_master.h"
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "codec/modbus/modbus_adu.h"
#include "core/clock.h"
#include "sim/modbus/modbus_meter.h"
#include "sim/core/tx_pacer.h"
#include "sim/core/wire.h"

static void note(modbus_master *m, const char *what) {
    int64_t now = clock_mono_ns();
    trace_add(m->tr, m->spec->name, TRACE_NOTE, 0, now, now, NULL, 0, what);
}

static const mb_read_step *step_of(const modbus_master *m, size_t i) { return &m->spec->reads[i]; }

/* ---- sending ---- */

static void on_send(gw_loop *loop, void *arg);

/* Writing is a bench event: always from a timer (docs/virtual-time.md). */
static void pump(modbus_master *m, int64_t at) {
    if (m->waiting || m->n_queue == 0 || m->send_timer) return;
    m->send_timer = loop_timer_at(m->loop, at, on_send, m);
}

static void on_timeout(gw_loop *loop, void *arg) {
    modbus_master *m = arg;
    m->timeout_timer = 0;
    m->waiting = false;
    m->rx_len = 0;
    m->timeouts++;
    char what[96];
    snprintf(what, sizeof what, "timeout %s", m->what);
    note(m, what);
    pump(m, clock_mono_ns());
}

static void connect_now(modbus_master *m);

static void send_request(modbus_master *m, size_t step) {
    const mb_read_step *s = step_of(m, step);
    uint8_t adu[MB_ADU_MAX + 8];
    size_t len;
    modbus_describe_request(s->unit, s->pdu, s->pdu_len, m->what, sizeof m->what);
    int64_t now = clock_mono_ns(), wire_end = now;
    if (m->spec->line.tcp) {
        len = mb_tcp_wrap(++m->tid, s->unit, s->pdu, s->pdu_len, adu);
        trace_add(m->tr, m->spec->name, TRACE_BUS_TO_GW, 0, now, now, adu, len, m->what);
        if (iochan_write(m->io, adu, len) != (ssize_t)len) note(m, "request not written");
    } else {
        len = mb_rtu_wrap(s->unit, s->pdu, s->pdu_len, adu);
        wa_byte bytes[MB_ADU_MAX + 8];
        for (size_t i = 0; i < len; i++) bytes[i] = (wa_byte){now + (int64_t)i * m->byte_ns, adu[i]};
        tx_pacer_send(&m->pacer, bytes, len, m->what); /* traced when it is on the wire */
        wire_end = now + (int64_t)len * m->byte_ns;
    }
    m->requests++;
    m->current = step;
    m->waiting = true;
    m->rx_len = 0;
    m->timeout_timer = loop_timer_at(m->loop, wire_end + m->spec->timeout_ns, on_timeout, m);
}

static void on_send(gw_loop *loop, void *arg) {
    modbus_master *m = arg;
    m->send_timer = 0;
    if (m->waiting || m->n_queue == 0) return;
    if (m->spec->line.tcp && !m->connected) {
        connect_now(m); /* sends once connected */
        return;
    }
    size_t step = m->queue[0];
    memmove(m->queue, m->queue + 1, (m->n_queue - 1) * sizeof m->queue[0]);
    m->n_queue--;
    send_request(m, step);
}

/* ---- receiving ---- */

static void take_answer(modbus_master *m, size_t len) {
    bool tcp = m->spec->line.tcp;
    const uint8_t *pdu = m->rx + (tcp ? MB_TCP_HEADER : 1);
    size_t pdu_len = len - (tcp ? MB_TCP_HEADER : 3);
    char what[96];
    int64_t now = clock_mono_ns();
    bool match = tcp ? (uint16_t)(m->rx[0] << 8 | m->rx[1]) == m->tid : mb_rtu_crc_ok(m->rx, len);
    if (!match || pdu_len == 0) {
        trace_add(m->tr, m->spec->name, TRACE_GW_TO_BUS, tcp ? 0 : m->spec->line.baud, now, now, m->rx,
                  len, tcp ? "answer to another transaction" : "answer with a bad CRC");
        return;
    }
    if (pdu[0] & 0x80) {
        snprintf(what, sizeof what, "exception %u %s %s", pdu_len > 1 ? pdu[1] : 0, m->what, tcp ? "tcp" : "rtu");
        m->exceptions++;
    } else {
        snprintf(what, sizeof what, "answer %s %s", m->what, tcp ? "tcp" : "rtu");
        m->answers++;
    }
    trace_add(m->tr, m->spec->name, TRACE_GW_TO_BUS, tcp ? 0 : m->spec->line.baud, now, now, m->rx, len, what);
    loop_timer_cancel(m->loop, m->timeout_timer);
    m->timeout_timer = 0;
    m->waiting = false;
    /* RTU: the next request after 3.5 characters of silence */
    pump(m, now + (tcp ? 0 : 35 * m->byte_ns / 10));
}

static void frames(modbus_master *m) {
    while (m->rx_len > 0) {
        int need = m->spec->line.tcp ? mb_tcp_adu_length(m->rx, m->rx_len)
                                     : mb_rtu_response_length(m->rx, m->rx_len);
        if (need < 0 || need > MBMA_RX_CAP) {
            int64_t now = clock_mono_ns();
            trace_add(m->tr, m->spec->name, TRACE_GW_TO_BUS, 0, now, now, m->rx, m->rx_len, "not a Modbus answer");
            m->rx_len = 0;
            return;
        }
        if (need == 0 || m->rx_len < (size_t)need) return;
        if (m->waiting) take_answer(m, (size_t)need);
        else {
            int64_t now = clock_mono_ns();
            trace_add(m->tr, m->spec->name, TRACE_GW_TO_BUS, 0, now, now, m->rx, (size_t)need, "late answer");
        }
        memmove(m->rx, m->rx + need, m->rx_len - (size_t)need);
        m->rx_len -= (size_t)need;
    }
}

static void disconnect(modbus_master *m, const char *why);

static void on_readable(modbus_master *m, iochan *io) {
    for (;;) {
        if (m->rx_len == sizeof m->rx) m->rx_len = 0;
        ssize_t n = iochan_read(io, m->rx + m->rx_len, sizeof m->rx - m->rx_len);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) return;
        if (n <= 0) {
            if (m->spec->line.tcp) disconnect(m, n == 0 ? "closed by the gateway" : "connection reset");
            return;
        }
        m->rx_len += (size_t)n;
        frames(m);
    }
}

/* ---- TCP connection ---- */

static void disconnect(modbus_master *m, const char *why) {
    if (m->fd < 0) return;
    loop_del_fd(m->loop, m->fd);
    if (m->io) iochan_close(m->io);
    m->io = NULL;
    close(m->fd);
    m->fd = -1;
    m->connected = m->connecting = false;
    /* Only a close that matters is traced: one at the gateway's stop (or the bench's)
     * happens in an order no byte fixes, and the trace must be the same on every run. */
    if (why && (m->waiting || m->n_queue)) note(m, why);
}

static void on_connected(modbus_master *m) {
    struct sockaddr_in local;
    socklen_t len = sizeof local;
    getsockname(m->fd, (struct sockaddr *)&local, &len);
    char name[48];
    snprintf(name, sizeof name, "tcp:%d:%d", m->port, ntohs(local.sin_port));
    m->io = iochan_open(m->fd, name, false);
    m->connected = true;
    m->connecting = false;
    m->rx_len = 0;
    note(m, "connected"); /* not named by ports: the trace must not depend on the run */
    loop_mod_fd(m->loop, m->fd, LOOP_READ);
    pump(m, clock_mono_ns());
}

static void on_fd(gw_loop *loop, int fd, unsigned events, void *arg) {
    modbus_master *m = arg;
    if (m->connecting) {
        int error = 0;
        socklen_t len = sizeof error;
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len);
        if (!error) return on_connected(m);
        char what[96];
        snprintf(what, sizeof what, "connect refused (%s)", strerror(error));
        disconnect(m, what);
        /* the queued reads are dropped: each counts as a timeout */
        while (m->n_queue) {
            modbus_describe_request(step_of(m, m->queue[0])->unit, step_of(m, m->queue[0])->pdu,
                                    step_of(m, m->queue[0])->pdu_len, m->what, sizeof m->what);
            snprintf(what, sizeof what, "timeout %s", m->what);
            note(m, what);
            m->timeouts++;
            memmove(m->queue, m->queue + 1, --m->n_queue * sizeof m->queue[0]);
        }
        return;
    }
    if (m->io) on_readable(m, m->io);
}

static void connect_now(modbus_master *m) {
    if (m->connected || m->connecting) return;
    m->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (m->fd < 0) {
        note(m, "no socket");
        return;
    }
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)m->port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    m->connecting = true;
    loop_add_fd(m->loop, m->fd, LOOP_WRITE, on_fd, m);
    if (connect(m->fd, (struct sockaddr *)&a, sizeof a) < 0 && errno != EINPROGRESS)
        disconnect(m, "connect failed");
}

/* ---- RTU ---- */

static void on_pty(gw_loop *loop, int fd, unsigned events, void *arg) {
    modbus_master *m = arg;
    on_readable(m, m->pty.io);
}

/* ---- steps ---- */

static void on_step(gw_loop *loop, void *arg);

typedef struct mbma_step_ref {
    modbus_master *m;
    size_t i;
} step_ref;

static void arm_step(modbus_master *m, size_t i, step_ref *ref) {
    const mb_read_step *s = step_of(m, i);
    int64_t at = m->tr->t0_ns + s->at_ns + (int64_t)m->done[i] * s->every_ns;
    m->step_timers[i] = loop_timer_at(m->loop, at, on_step, ref);
}

static void on_step(gw_loop *loop, void *arg) {
    step_ref *ref = arg;
    modbus_master *m = ref->m;
    m->step_timers[ref->i] = 0;
    if (m->n_queue < MBMA_QUEUE) m->queue[m->n_queue++] = ref->i;
    else note(m, "queue full: read skipped");
    if (++m->done[ref->i] < step_of(m, ref->i)->times) arm_step(m, ref->i, ref);
    pump(m, clock_mono_ns());
}

/* ---- life cycle ---- */

int modbus_master_open(modbus_master *m, const mb_master_spec *spec, gw_loop *loop, trace *tr, int port,
                       char *err, size_t errlen) {
    memset(m, 0, sizeof *m);
    m->spec = spec;
    m->loop = loop;
    m->tr = tr;
    m->port = port;
    m->fd = -1;
    m->step_timers = calloc(spec->n_reads + 1, sizeof *m->step_timers);
    m->done = calloc(spec->n_reads + 1, sizeof *m->done);
    m->refs = calloc(spec->n_reads + 1, sizeof *m->refs);
    if (!m->step_timers || !m->done || !m->refs) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (spec->line.tcp) return 0;
    const mb_line *l = &spec->line;
    if (pty_channel_open(&m->pty, l->baud, err, errlen) < 0) return -1;
    m->has_pty = true;
    m->byte_ns = wire_bits_ns(l->baud, 1 + 8 + (l->parity != 'N') + l->stop_bits);
    tx_pacer_init(&m->pacer, loop, m->pty.io, tr, spec->name, l->baud);
    m->pacer.byte_ns = m->byte_ns;
    return 0;
}

int modbus_master_start(modbus_master *m) {
    if (m->has_pty && loop_add_fd(m->loop, m->pty.master, LOOP_READ, on_pty, m) < 0) return -1;
    for (size_t i = 0; i < m->spec->n_reads; i++) {
        m->refs[i] = (step_ref){m, i};
        arm_step(m, i, &m->refs[i]);
    }
    return 0;
}

const char *modbus_master_pty(const modbus_master *m) { return m->has_pty ? m->pty.path : NULL; }

void modbus_master_close(modbus_master *m) {
    for (size_t i = 0; m->step_timers && i < m->spec->n_reads; i++) loop_timer_cancel(m->loop, m->step_timers[i]);
    loop_timer_cancel(m->loop, m->timeout_timer);
    loop_timer_cancel(m->loop, m->send_timer);
    m->timeout_timer = m->send_timer = 0;
    disconnect(m, NULL);
    if (m->has_pty) {
        loop_del_fd(m->loop, m->pty.master);
        tx_pacer_free(&m->pacer);
        pty_channel_close(&m->pty);
        m->has_pty = false;
    }
    free(m->step_timers);
    free(m->done);
    free(m->refs);
    m->step_timers = NULL;
    m->done = NULL;
    m->refs = NULL;
}
