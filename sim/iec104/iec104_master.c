/* iec104_master: scripted IEC 104 masters on the bench (see iec104_master.h). */
#include "sim/iec104/iec104_master.h"
#include "sim/core/port_reserve.h"
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "core/clock.h"
#include "codec/iec104/iec104.h"
#include "core/iochan.h"
#include "sim/dlms/hplc_net.h"
#include "sim/core/timemaster.h"

typedef struct master {
    iec104_bench *bench;
    const iec104_master_spec *spec;
    char ch_name[48];        /* trace channel */
    int fd;
    iochan *io;
    bool connecting, connected;
    bool closing;            /* half-closed by the master: waiting for the gateway's close */
    bool reconnect;          /* connect again once the closing connection is gone */
    bool held;               /* holds the time master's sync (connecting or closing) */
    uint16_t vs, vr;
    uint16_t nr_told;        /* the N(R) last sent: held back while acks are off */
    unsigned rx_unacked;
    bool ack, answer_testfr;
    loop_timer_id t2_timer, step_timer, retry_timer, storm_timer;
    size_t next_step;
    const iec104_step *retrying; /* connect step being retried */
    int storm_left;
    int64_t storm_every;
    uint8_t rx[2 * IEC104_APDU_MAX];
    size_t rx_len;
} master;

struct iec104_bench {
    gw_loop *loop;
    trace *tr;
    int port;
    master *masters;
    size_t n;
};

int iec104_bench_free_port(void) {
    return port_reserve(); /* locked: parallel bench runs never share one */
}

static void note(master *m, const char *what) {
    int64_t now = clock_mono_ns();
    trace_add(m->bench->tr, m->ch_name, TRACE_NOTE, 0, now, now, NULL, 0, what);
}

/* ---- APDUs ---- */

static void describe_apdu(const uint8_t *bytes, size_t len, char *out, size_t cap) {
    iec104_apdu f;
    int rc = iec104_apdu_parse(bytes, len, &f);
    if (rc < 0) {
        snprintf(out, cap, "bad APDU: %s", iec104_strerror(rc));
        return;
    }
    if (f.kind == IEC104_FRAME_S) {
        snprintf(out, cap, "S(%u)", f.nr);
        return;
    }
    if (f.kind == IEC104_FRAME_U) {
        static const struct { uint8_t u; const char *n; } names[] = {
            {IEC104_U_STARTDT_ACT, "STARTDT_ACT"}, {IEC104_U_STARTDT_CON, "STARTDT_CON"},
            {IEC104_U_STOPDT_ACT, "STOPDT_ACT"},   {IEC104_U_STOPDT_CON, "STOPDT_CON"},
            {IEC104_U_TESTFR_ACT, "TESTFR_ACT"},   {IEC104_U_TESTFR_CON, "TESTFR_CON"}};
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
            if (names[i].u == f.u)
                snprintf(out, cap, "%s", names[i].n);
        return;
    }
    static iec104_asdu a;
    int n = snprintf(out, cap, "I(%u,%u) ", f.ns, f.nr);
    if (n < 0 || (size_t)n >= cap)
        return;
    rc = iec104_asdu_decode(f.asdu, f.asdu_len, &a);
    if (rc < 0 && rc != IEC104_ERR_TYPE)
        snprintf(out + n, cap - (size_t)n, "bad ASDU: %s", iec104_strerror(rc));
    else
        iec104_asdu_describe(&a, out + n, cap - (size_t)n);
}

static void send_bytes(master *m, const uint8_t *bytes, size_t len) {
    if (!m->connected)
        return;
    char what[512];
    describe_apdu(bytes, len, what, sizeof what);
    int64_t now = clock_mono_ns();
    trace_add(m->bench->tr, m->ch_name, TRACE_BUS_TO_GW, 0, now, now, bytes, len, what);
    size_t off = 0;
    while (off < len) {
        ssize_t n = iochan_write(m->io, bytes + off, len - off);
        if (n <= 0) {
            note(m, "write failed");
            return;
        }
        off += (size_t)n;
    }
}

static void send_s(master *m) {
    uint8_t f[6];
    iec104_encode_s(f, m->vr);
    m->nr_told = m->vr;
    m->rx_unacked = 0;
    send_bytes(m, f, 6);
}

static void send_u(master *m, uint8_t u) {
    uint8_t f[6];
    iec104_encode_u(f, u);
    send_bytes(m, f, 6);
}

static void send_asdu_raw(master *m, const uint8_t *asdu, size_t len) {
    uint8_t f[IEC104_APDU_MAX];
    if (len > IEC104_ASDU_MAX)
        return;
    memcpy(f + 6, asdu, len);
    /* an I frame acknowledges too, unless acknowledgements are held back */
    if (m->ack) {
        m->nr_told = m->vr;
        m->rx_unacked = 0;
    }
    iec104_encode_i_header(f, len, m->vs, m->nr_told);
    m->vs = (uint16_t)((m->vs + 1) % IEC104_SEQ_MOD);
    send_bytes(m, f, len + 6);
}

static void send_asdu(master *m, const iec104_asdu *a) {
    uint8_t buf[IEC104_ASDU_MAX];
    int len = iec104_asdu_encode(a, buf, sizeof buf);
    if (len > 0)
        send_asdu_raw(m, buf, (size_t)len);
    else
        note(m, "cannot encode the step's ASDU");
}

/* ---- receiving ---- */

static void disconnect(master *m, const char *why);

/* Connecting and closing are not proven by byte counters: the time master's sync
 * waits until the kernel and the gateway have finished them (docs/virtual-time.md). */
static void hold(master *m, bool on) {
    if (on == m->held)
        return;
    m->held = on;
    if (on)
        timemaster_hold();
    else
        timemaster_release();
}

/* One master writes per co-simulation step (the bench's shared gate, hplc_net.h):
 * two masters' frames of one instant would reach the gateway, and its answers the
 * bench, in kernel order. false: the timer in *slot runs cb again at this instant. */
static bool gate(master *m, loop_timer_cb cb, loop_timer_id *slot) {
    if (hplc_gate_pass(m->bench->loop))
        return true;
    *slot = loop_timer_at(m->bench->loop, clock_mono_ns(), cb, m);
    return false;
}

static void on_t2(gw_loop *loop, void *arg) {
    master *m = arg;
    m->t2_timer = 0;
    if (!gate(m, on_t2, &m->t2_timer))
        return;
    if (m->rx_unacked && m->ack)
        send_s(m);
}

static void on_apdu(master *m, const uint8_t *bytes, size_t len) {
    char what[512];
    describe_apdu(bytes, len, what, sizeof what);
    int64_t now = clock_mono_ns();
    trace_add(m->bench->tr, m->ch_name, TRACE_GW_TO_BUS, 0, now, now, bytes, len, what);
    iec104_apdu f;
    if (iec104_apdu_parse(bytes, len, &f) < 0)
        return;
    if (f.kind == IEC104_FRAME_U && f.u == IEC104_U_TESTFR_ACT && m->answer_testfr)
        send_u(m, IEC104_U_TESTFR_CON);
    if (f.kind != IEC104_FRAME_I)
        return;
    m->vr = (uint16_t)((f.ns + 1) % IEC104_SEQ_MOD);
    m->rx_unacked++;
    if (!m->ack)
        return;
    if (m->rx_unacked >= (unsigned)m->spec->w)
        send_s(m);
    else if (!m->t2_timer)
        m->t2_timer = loop_timer_after(m->bench->loop, m->spec->t2_ns, on_t2, m);
}

static void on_readable(master *m) {
    ssize_t n = iochan_read(m->io, m->rx + m->rx_len, sizeof m->rx - m->rx_len);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (n <= 0) {
        disconnect(m, n == 0 ? "closed by the gateway" : "connection reset");
        return;
    }
    m->rx_len += (size_t)n;
    size_t off = 0;
    while (off < m->rx_len) {
        int need = iec104_apdu_needed(m->rx + off, m->rx_len - off);
        if (need < 0) {
            trace_add(m->bench->tr, m->ch_name, TRACE_GW_TO_BUS, 0, clock_mono_ns(),
                      clock_mono_ns(), m->rx + off, m->rx_len - off, "bad APDU start");
            off = m->rx_len;
            break;
        }
        if (need == 0 || (size_t)need > m->rx_len - off)
            break;
        on_apdu(m, m->rx + off, (size_t)need);
        if (!m->connected)
            return;
        off += (size_t)need;
    }
    memmove(m->rx, m->rx + off, m->rx_len - off);
    m->rx_len -= off;
}

static void on_connected(master *m) {
    struct sockaddr_in local;
    socklen_t len = sizeof local;
    getsockname(m->fd, (struct sockaddr *)&local, &len);
    char name[64];
    snprintf(name, sizeof name, "tcp:%d:%d", m->bench->port, ntohs(local.sin_port));
    m->io = iochan_open(m->fd, name, false);
    m->connected = true;
    m->connecting = false;
    hold(m, false);
    m->vs = m->vr = m->nr_told = 0;
    m->rx_unacked = 0;
    m->rx_len = 0;
    /* Ports change from run to run: the trace says "connected" only, so replays of a
     * scenario stay byte-identical. */
    note(m, "connected");
    loop_mod_fd(m->bench->loop, m->fd, LOOP_READ);
    if (m->storm_left > 0)
        send_u(m, IEC104_U_STARTDT_ACT);
}

static void connect_now(master *m);

static void on_retry(gw_loop *loop, void *arg) {
    master *m = arg;
    m->retry_timer = 0;
    if (!gate(m, on_retry, &m->retry_timer))
        return;
    connect_now(m);
}

static void connect_failed(master *m, int error) {
    char what[128];
    snprintf(what, sizeof what, "connect refused (%s)", strerror(error));
    note(m, what);
    hold(m, false);
    loop_del_fd(m->bench->loop, m->fd);
    close(m->fd);
    m->fd = -1;
    m->connecting = false;
    if (m->retrying && m->retrying->retry_ns > 0)
        m->retry_timer = loop_timer_after(m->bench->loop, m->retrying->retry_ns, on_retry, m);
}

/* Half-closed by the master: read (and count) what the gateway still sent until
 * its end closes too; only then is the connection gone on both sides. */
static void on_closing_readable(master *m) {
    uint8_t sink[512];
    ssize_t n;
    while ((n = iochan_read(m->io, sink, sizeof sink)) > 0)
        ;
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    hold(m, false);
    loop_del_fd(m->bench->loop, m->fd);
    iochan_close(m->io);
    m->io = NULL;
    close(m->fd);
    m->fd = -1;
    m->closing = false;
    if (m->reconnect) {
        /* a bench event of this instant, after the sync that saw the close */
        m->reconnect = false;
        m->retry_timer = loop_timer_at(m->bench->loop, clock_mono_ns(), on_retry, m);
    }
}

static void on_fd(gw_loop *loop, int fd, unsigned events, void *arg) {
    master *m = arg;
    if (m->closing) {
        on_closing_readable(m);
        return;
    }
    if (m->connecting) {
        int error = 0;
        socklen_t len = sizeof error;
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len);
        if (error)
            connect_failed(m, error);
        else
            on_connected(m);
        return;
    }
    if (events & LOOP_READ)
        on_readable(m);
}

static void connect_now(master *m) {
    if (m->closing) { /* the gateway must see the old connection go first */
        m->reconnect = true;
        return;
    }
    if (m->connected || m->connecting)
        return;
    m->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)m->bench->port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (m->fd < 0) {
        note(m, "no socket");
        return;
    }
    int rc = connect(m->fd, (struct sockaddr *)&a, sizeof a);
    m->connecting = true;
    hold(m, true);
    loop_add_fd(m->bench->loop, m->fd, LOOP_WRITE, on_fd, m);
    if (rc < 0 && errno != EINPROGRESS)
        connect_failed(m, errno);
}

static void disconnect(master *m, const char *why) {
    if (m->fd < 0)
        return;
    if (m->t2_timer)
        loop_timer_cancel(m->bench->loop, m->t2_timer);
    m->t2_timer = 0;
    hold(m, false);
    m->closing = m->reconnect = false;
    loop_del_fd(m->bench->loop, m->fd);
    if (m->io)
        iochan_close(m->io);
    m->io = NULL;
    close(m->fd);
    m->fd = -1;
    m->connected = m->connecting = false;
    note(m, why);
}

/* The master ends a connection: FIN now, the socket is closed once the gateway
 * has closed its end. Until then the time master does not sync, so whatever the
 * bench does next at this instant (a new connection) reaches a gateway that has
 * already seen this one go, on every run. */
static void close_by_master(master *m, const char *why) {
    if (!m->connected) {
        disconnect(m, why);
        return;
    }
    if (m->t2_timer)
        loop_timer_cancel(m->bench->loop, m->t2_timer);
    m->t2_timer = 0;
    m->connected = false;
    note(m, why);
    if (shutdown(m->fd, SHUT_WR) < 0) {
        disconnect(m, "shutdown failed");
        return;
    }
    m->closing = true;
    hold(m, true);
}

/* ---- steps ---- */

static void storm_tick(gw_loop *loop, void *arg) {
    master *m = arg;
    m->storm_timer = 0;
    if (!gate(m, storm_tick, &m->storm_timer))
        return;
    close_by_master(m, "disconnected (storm)");
    if (m->storm_left-- <= 0)
        return;
    connect_now(m);
    m->storm_timer = loop_timer_after(loop, m->storm_every, storm_tick, m);
}

static void command_step(master *m, const iec104_step *s, iec104_asdu *a) {
    a->type = (uint8_t)s->type;
    a->cot = (uint8_t)s->cot;
    a->io[0].ioa = s->ioa;
    a->io[0].ival = s->value;
    a->io[0].q = s->select ? IEC104_CMD_SELECT : 0;
    if (iec104_type_has_time(a->type))
        iec104_cp56_from_ms((clock_wall_ns() - s->age_ns) / 1000000, &a->io[0].t);
}

static void run_step(master *m, const iec104_step *s) {
    static iec104_asdu a;
    memset(&a, 0, sizeof a);
    a.n = 1;
    a.ca = (uint16_t)(s->ca >= 0 ? s->ca : m->spec->ca);
    switch (s->kind) {
    case IS_CONNECT: m->retrying = s; connect_now(m); return;
    case IS_DISCONNECT: close_by_master(m, "disconnected by the master"); return;
    case IS_STARTDT: send_u(m, IEC104_U_STARTDT_ACT); return;
    case IS_STOPDT: send_u(m, IEC104_U_STOPDT_ACT); return;
    case IS_TESTFR: send_u(m, IEC104_U_TESTFR_ACT); return;
    case IS_ACK:
        m->ack = s->enabled;
        if (m->ack && m->rx_unacked)
            send_s(m);
        return;
    case IS_ANSWER_TESTFR: m->answer_testfr = s->enabled; return;
    case IS_STORM:
        m->storm_left = s->count;
        m->storm_every = s->every_ns;
        storm_tick(m->bench->loop, m);
        return;
    case IS_RAW: send_asdu_raw(m, s->raw, s->raw_len); return;
    case IS_GI: a.type = C_IC_NA_1; a.cot = (uint8_t)s->cot; a.io[0].ival = s->value; break;
    case IS_CI: a.type = C_CI_NA_1; a.cot = (uint8_t)s->cot; a.io[0].ival = s->value; break;
    case IS_CLOCK_SYNC:
        a.type = C_CS_NA_1;
        a.cot = COT_ACT;
        iec104_cp56_from_ms((clock_wall_ns() + s->offset_ns) / 1000000, &a.io[0].t);
        break;
    case IS_READ: a.type = C_RD_NA_1; a.cot = COT_REQUEST; a.io[0].ioa = s->ioa; break;
    case IS_COMMAND: command_step(m, s, &a); break;
    }
    send_asdu(m, &a);
}

static void schedule(master *m);

static void on_step(gw_loop *loop, void *arg) {
    master *m = arg;
    m->step_timer = 0;
    if (!gate(m, on_step, &m->step_timer))
        return;
    const iec104_step *s = &m->spec->steps[m->next_step++];
    run_step(m, s);
    schedule(m);
}

static void schedule(master *m) {
    if (m->next_step >= m->spec->n_steps)
        return;
    int64_t at = m->bench->tr->t0_ns + m->spec->steps[m->next_step].at_ns;
    m->step_timer = loop_timer_at(m->bench->loop, at, on_step, m);
}

iec104_bench *iec104_bench_start(const iec104_plan *plan, gw_loop *loop, trace *tr, int port,
                                 char *err, size_t errlen) {
    iec104_bench *b = calloc(1, sizeof *b);
    if (b)
        b->masters = calloc(plan->n_masters ? plan->n_masters : 1, sizeof *b->masters);
    if (!b || !b->masters) {
        free(b);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    b->loop = loop;
    b->tr = tr;
    b->port = port;
    b->n = plan->n_masters;
    for (size_t i = 0; i < b->n; i++) {
        master *m = &b->masters[i];
        m->bench = b;
        m->spec = &plan->masters[i];
        m->fd = -1;
        m->ack = m->answer_testfr = true;
        snprintf(m->ch_name, sizeof m->ch_name, "iec104:%s", m->spec->name);
        schedule(m);
    }
    return b;
}

void iec104_bench_free(iec104_bench *b) {
    if (!b)
        return;
    for (size_t i = 0; i < b->n; i++) {
        master *m = &b->masters[i];
        loop_timer_id timers[] = {m->t2_timer, m->step_timer, m->retry_timer, m->storm_timer};
        for (size_t k = 0; k < 4; k++)
            if (timers[k])
                loop_timer_cancel(b->loop, timers[k]);
        m->t2_timer = 0;
        if (m->fd >= 0 && m->closing)
            disconnect(m, "closed at the end of the scenario"); /* gateway never closed */
        else if (m->fd >= 0)
            disconnect(m, "end of scenario");
    }
    free(b->masters);
    free(b);
}
