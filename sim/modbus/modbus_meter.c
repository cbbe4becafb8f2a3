/* modbus_meter: the Modbus meter emulator (see modbus_meter.h). */
#include "sim/modbus/modbus_meter.h"
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
#include "sim/core/wire.h"

typedef struct mbm_pending {
    modbus_meter *m;
    int slot;
    unsigned generation;
    uint8_t adu[MB_ADU_MAX + 8];
    size_t len;
    loop_timer_id timer;
    char what[96];
    struct mbm_pending *next;
} mbm_pending;

/* ---- the answer (pure) ---- */

void modbus_describe_request(int unit, const uint8_t *pdu, size_t len, char *out, size_t cap) {
    if (len >= 5 && pdu[0] >= 1 && pdu[0] <= 4)
        snprintf(out, cap, "fc=%u u=%d a=%u n=%u", pdu[0], unit, pdu[1] << 8 | pdu[2], pdu[3] << 8 | pdu[4]);
    else snprintf(out, cap, "fc=%u u=%d len=%zu", len ? pdu[0] : 0, unit, len);
}

static bool silent_at(const mb_meter_spec *s, int64_t t_ns) {
    return s->silent || (t_ns >= s->silent_from_ns && t_ns < s->silent_until_ns);
}

static int rule_exception(const mb_meter_spec *s, const uint8_t *pdu, size_t len) {
    unsigned a = len >= 5 ? (unsigned)(pdu[1] << 8 | pdu[2]) : 0;
    unsigned n = len >= 5 ? (unsigned)(pdu[3] << 8 | pdu[4]) : 0;
    for (size_t i = 0; i < s->n_exceptions; i++) {
        const mb_exception_rule *r = &s->exceptions[i];
        if (r->function >= 0 && r->function != pdu[0]) continue;
        if (r->address >= 0 && !(len >= 5 && r->address >= a && r->address < (long long)a + n)) continue;
        return r->code;
    }
    return 0;
}

static double value_at(const mb_value *v, int64_t t_ns) {
    return v->value + v->per_hour * ((double)t_ns / 3600e9);
}

/* Fill items[0..n) of the bank from the map; false when an address is not mapped. */
static bool read_items(const mb_meter_spec *s, mb_bank bank, unsigned first, unsigned n, int64_t t_ns,
                       uint16_t *items) {
    for (unsigned i = 0; i < n; i++) {
        unsigned addr = first + i;
        const mb_value *hit = NULL;
        for (size_t k = 0; k < s->n_values && !hit; k++) {
            const mb_value *v = &s->values[k];
            if (v->bank == bank && addr >= v->address && addr < v->address + mr_registers(v->format))
                hit = v;
        }
        if (!hit) return false;
        uint16_t regs[4];
        mr_encode(value_at(hit, t_ns), hit->format, hit->order, regs);
        items[i] = regs[addr - hit->address];
    }
    return true;
}

size_t modbus_meter_answer(const mb_meter_spec *s, int64_t t_ns, int unit, const uint8_t *pdu,
                           size_t len, uint8_t *out) {
    if (len == 0 || silent_at(s, t_ns) || unit == 0) return 0;
    if (s->unit_id >= 0 && unit != s->unit_id) return 0;
    int code = rule_exception(s, pdu, len);
    if (code) return mb_build_exception(pdu[0], (uint8_t)code, out);
    if (pdu[0] < 1 || pdu[0] > 4) return mb_build_exception(pdu[0], MB_EX_ILLEGAL_FUNCTION, out);
    mb_read_req req;
    if (!mb_parse_read_req(pdu, len, &req)) return mb_build_exception(pdu[0], MB_EX_ILLEGAL_VALUE, out);
    unsigned limit = req.function <= 2 ? MB_MAX_READ_BITS : MB_MAX_READ_REGISTERS;
    if (req.count == 0 || req.count > limit || req.address + req.count > 65536)
        return mb_build_exception(pdu[0], MB_EX_ILLEGAL_VALUE, out);
    static const mb_bank banks[] = {MB_BANK_COILS, MB_BANK_COILS, MB_BANK_DISCRETE, MB_BANK_HOLDING,
                                    MB_BANK_INPUT};
    uint16_t items[MB_MAX_READ_BITS];
    if (!read_items(s, banks[req.function], req.address, req.count, t_ns, items))
        return mb_build_exception(pdu[0], MB_EX_ILLEGAL_ADDRESS, out);
    if (req.function <= 2)
        for (unsigned i = 0; i < req.count; i++) items[i] = items[i] != 0;
    return mb_build_read_rsp(req.function, items, req.count, out);
}

/* ---- common ---- */

static int64_t scenario_ns(const modbus_meter *m) { return clock_mono_ns() - m->t0_ns; }

static void trace_request(modbus_meter *m, int64_t start, int64_t end, const uint8_t *adu, size_t len,
                          int unit, const uint8_t *pdu, size_t pdu_len, const char *extra) {
    char what[96];
    modbus_describe_request(unit, pdu, pdu_len, what, sizeof what);
    if (extra) snprintf(what + strlen(what), sizeof what - strlen(what), " %s", extra);
    trace_add(m->tr, m->spec->name, TRACE_GW_TO_BUS, m->spec->line.tcp ? 0 : m->spec->line.baud, start,
              end, adu, len, what);
}

static void describe_answer(const uint8_t *pdu, size_t len, char *out, size_t cap) {
    if (len >= 2 && (pdu[0] & 0x80)) snprintf(out, cap, "exception %u fc=%u", pdu[1], pdu[0] & 0x7F);
    else snprintf(out, cap, "answer fc=%u", len ? pdu[0] : 0);
}

/* ---- TCP ---- */

static void on_pending(gw_loop *loop, void *arg) {
    mbm_pending *p = arg;
    modbus_meter *m = p->m;
    mbm_pending **link = &m->pending;
    while (*link != p) link = &(*link)->next;
    *link = p->next;
    mbm_conn *c = &m->conns[p->slot];
    if (c->fd >= 0 && c->generation == p->generation) {
        int64_t now = clock_mono_ns();
        if (iochan_write(c->io, p->adu, p->len) != (ssize_t)p->len)
            trace_add(m->tr, m->spec->name, TRACE_NOTE, 0, now, now, NULL, 0, "answer not written");
        else {
            trace_add(m->tr, m->spec->name, TRACE_BUS_TO_GW, 0, now, now, p->adu, p->len, p->what);
            m->answers++;
        }
    }
    free(p);
}

static void tcp_request(modbus_meter *m, int slot, const uint8_t *adu, size_t len) {
    int64_t now = clock_mono_ns();
    const uint8_t *pdu = adu + MB_TCP_HEADER;
    size_t pdu_len = len - MB_TCP_HEADER;
    m->requests++;
    uint8_t out[MB_ADU_MAX];
    size_t n = modbus_meter_answer(m->spec, scenario_ns(m), adu[6], pdu, pdu_len, out);
    trace_request(m, now, now, adu, len, adu[6], pdu, pdu_len, n ? NULL : "(no answer)");
    if (n == 0) return;
    mbm_pending *p = calloc(1, sizeof *p);
    if (!p) return;
    p->m = m;
    p->slot = slot;
    p->generation = m->conns[slot].generation;
    p->len = mb_tcp_wrap((uint16_t)(adu[0] << 8 | adu[1]), adu[6], out, n, p->adu);
    describe_answer(out, n, p->what, sizeof p->what);
    p->next = m->pending;
    m->pending = p;
    /* even an immediate answer is a bench event of this instant (docs/virtual-time.md) */
    p->timer = loop_timer_at(m->loop, now + m->spec->response_delay_ns, on_pending, p);
}

static void conn_close(modbus_meter *m, int slot) {
    mbm_conn *c = &m->conns[slot];
    /* Not traced: a close carries no byte, so nothing orders it against the other
     * channels' events of its instant, nor the gateway's last closes at its stop;
     * the trace must be the same on every run. */
    loop_del_fd(m->loop, c->fd);
    iochan_close(c->io);
    close(c->fd);
    c->fd = -1;
    c->io = NULL;
}

static void on_conn(gw_loop *loop, int fd, unsigned events, void *arg) {
    modbus_meter *m = arg;
    int slot = 0;
    while (slot < MBM_MAX_CONNS && m->conns[slot].fd != fd) slot++;
    if (slot == MBM_MAX_CONNS) return;
    mbm_conn *c = &m->conns[slot];
    for (;;) {
        if (c->len == sizeof c->rx) c->len = 0; /* cannot happen with valid framing */
        ssize_t n = iochan_read(c->io, c->rx + c->len, sizeof c->rx - c->len);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) return;
        if (n <= 0) return conn_close(m, slot);
        c->len += (size_t)n;
        for (;;) {
            int need = mb_tcp_adu_length(c->rx, c->len);
            if (need < 0) {
                trace_add(m->tr, m->spec->name, TRACE_GW_TO_BUS, 0, clock_mono_ns(), clock_mono_ns(), c->rx,
                          c->len, "not Modbus TCP: connection closed");
                return conn_close(m, slot);
            }
            if (need == 0 || c->len < (size_t)need) break;
            tcp_request(m, slot, c->rx, (size_t)need);
            memmove(c->rx, c->rx + need, c->len - (size_t)need);
            c->len -= (size_t)need;
        }
    }
}

static void on_accept(gw_loop *loop, int fd, unsigned events, void *arg) {
    modbus_meter *m = arg;
    for (;;) {
        struct sockaddr_in peer;
        socklen_t plen = sizeof peer;
        int cfd = accept4(fd, (struct sockaddr *)&peer, &plen, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (cfd < 0) return;
        int slot = 0;
        while (slot < MBM_MAX_CONNS && m->conns[slot].fd >= 0) slot++;
        if (slot == MBM_MAX_CONNS) {
            close(cfd); /* the gateway's connect succeeded in the kernel: it sees a close */
            continue;
        }
        mbm_conn *c = &m->conns[slot];
        char name[48], what[96];
        snprintf(name, sizeof name, "tcp:%d:%d", m->port, ntohs(peer.sin_port));
        c->io = iochan_open(cfd, name, false);
        c->fd = cfd;
        c->len = 0;
        c->generation = ++m->generation;
        loop_add_fd(loop, cfd, LOOP_READ, on_conn, m);
        int64_t now = clock_mono_ns();
        /* numbered, not named by ports: the trace must not depend on the run */
        snprintf(what, sizeof what, "connection %u accepted", c->generation);
        trace_add(m->tr, m->spec->name, TRACE_NOTE, 0, now, now, NULL, 0, what);
    }
}

static int open_tcp(modbus_meter *m, char *err, size_t errlen) {
    m->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    if (m->listen_fd < 0 || bind(m->listen_fd, (struct sockaddr *)&a, sizeof a) < 0 ||
        listen(m->listen_fd, 8) < 0 || getsockname(m->listen_fd, (struct sockaddr *)&a, &len) < 0) {
        snprintf(err, errlen, "modbus meter %s: cannot listen: %s", m->spec->name, strerror(errno));
        return -1;
    }
    m->port = ntohs(a.sin_port);
    snprintf(m->port_text, sizeof m->port_text, "%d", m->port);
    return 0;
}

/* ---- RTU ---- */

static void rtu_answer(modbus_meter *m, size_t len) {
    int64_t byte_ns = m->byte_ns;
    int64_t start = m->rx_end_ns - (int64_t)len * byte_ns;
    if (!mb_rtu_crc_ok(m->rx, len)) {
        trace_add(m->tr, m->spec->name, TRACE_GW_TO_BUS, m->spec->line.baud, start, m->rx_end_ns, m->rx,
                  len, "bad CRC: dropped");
        return;
    }
    m->requests++;
    unsigned seen = pty_channel_baud(&m->pty);
    bool baud_ok = seen == m->spec->line.baud;
    uint8_t out[MB_ADU_MAX];
    size_t n = baud_ok ? modbus_meter_answer(m->spec, scenario_ns(m), m->rx[0], m->rx + 1, len - 3, out) : 0;
    char extra[48];
    snprintf(extra, sizeof extra, "baud_mismatch %u", seen);
    trace_request(m, start, m->rx_end_ns, m->rx, len, m->rx[0], m->rx + 1, len - 3,
                  !baud_ok ? extra : n ? NULL : "(no answer)");
    if (n == 0) return;
    uint8_t adu[MB_ADU_MAX + 8];
    size_t alen = mb_rtu_wrap(m->rx[0], out, n, adu);
    wa_byte bytes[MB_ADU_MAX + 8];
    int64_t t = m->rx_end_ns + m->spec->response_delay_ns;
    if (t < m->line_busy_ns) t = m->line_busy_ns;
    for (size_t i = 0; i < alen; i++) bytes[i] = (wa_byte){t + (int64_t)i * byte_ns, adu[i]};
    m->line_busy_ns = t + (int64_t)alen * byte_ns;
    char what[96];
    describe_answer(out, n, what, sizeof what);
    if (tx_pacer_send(&m->pacer, bytes, alen, what) == 0) m->answers++;
}

static void rtu_frames(modbus_meter *m) {
    while (m->rx_len > 0 && !m->resync) {
        int need = mb_rtu_request_length(m->rx, m->rx_len);
        if (need < 0) {
            m->resync = true; /* its end is the next silence */
            return;
        }
        if (need == 0 || m->rx_len < (size_t)need) return;
        rtu_answer(m, (size_t)need);
        memmove(m->rx, m->rx + need, m->rx_len - (size_t)need);
        m->rx_len -= (size_t)need;
    }
}

static void on_rtu_silence(gw_loop *loop, void *arg) {
    modbus_meter *m = arg;
    m->rx_timer = 0;
    if (m->rx_len > 0)
        trace_add(m->tr, m->spec->name, TRACE_GW_TO_BUS, m->spec->line.baud, m->rx_end_ns, m->rx_end_ns,
                  m->rx, m->rx_len, m->resync ? "unknown frame dropped" : "incomplete frame dropped");
    m->rx_len = 0;
    m->resync = false;
}

static void on_rtu(gw_loop *loop, int fd, unsigned events, void *arg) {
    modbus_meter *m = arg;
    uint8_t buf[512];
    for (;;) {
        ssize_t n = iochan_read(m->pty.io, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        /* the bytes occupy the line from now (or when it is free) one character each */
        int64_t now = clock_mono_ns();
        int64_t start = now > m->line_busy_ns ? now : m->line_busy_ns;
        m->line_busy_ns = m->rx_end_ns = start + n * m->byte_ns;
        for (ssize_t i = 0; i < n; i++)
            if (m->rx_len < sizeof m->rx) m->rx[m->rx_len++] = buf[i];
        rtu_frames(m);
    }
    if (m->rx_timer) loop_timer_cancel(loop, m->rx_timer);
    m->rx_timer = 0;
    if (m->rx_len > 0)
        m->rx_timer = loop_timer_at(loop, m->rx_end_ns + 35 * m->byte_ns / 10, on_rtu_silence, m);
}

static int open_rtu(modbus_meter *m, char *err, size_t errlen) {
    const mb_line *l = &m->spec->line;
    if (pty_channel_open(&m->pty, l->baud, err, errlen) < 0) return -1;
    m->has_pty = true;
    unsigned bits = 1 + 8 + (l->parity != 'N') + l->stop_bits;
    m->byte_ns = wire_bits_ns(l->baud, bits);
    tx_pacer_init(&m->pacer, m->loop, m->pty.io, m->tr, m->spec->name, l->baud);
    m->pacer.byte_ns = m->byte_ns;
    return 0;
}

/* ---- life cycle ---- */

int modbus_meter_open(modbus_meter *m, const mb_meter_spec *spec, gw_loop *loop, trace *tr, char *err,
                      size_t errlen) {
    memset(m, 0, sizeof *m);
    m->spec = spec;
    m->loop = loop;
    m->tr = tr;
    m->t0_ns = tr->t0_ns;
    m->listen_fd = -1;
    for (int i = 0; i < MBM_MAX_CONNS; i++) m->conns[i].fd = -1;
    return spec->line.tcp ? open_tcp(m, err, errlen) : open_rtu(m, err, errlen);
}

int modbus_meter_start(modbus_meter *m) {
    if (m->spec->line.tcp) return loop_add_fd(m->loop, m->listen_fd, LOOP_READ, on_accept, m);
    return loop_add_fd(m->loop, m->pty.master, LOOP_READ, on_rtu, m);
}

const char *modbus_meter_address(const modbus_meter *m) {
    return m->spec->line.tcp ? m->port_text : m->pty.path;
}

void modbus_meter_close(modbus_meter *m) {
    while (m->pending) {
        mbm_pending *p = m->pending;
        m->pending = p->next;
        loop_timer_cancel(m->loop, p->timer);
        free(p);
    }
    for (int i = 0; i < MBM_MAX_CONNS; i++)
        if (m->conns[i].fd >= 0) conn_close(m, i);
    if (m->listen_fd >= 0) {
        loop_del_fd(m->loop, m->listen_fd);
        close(m->listen_fd);
        m->listen_fd = -1;
    }
    if (m->has_pty) {
        loop_del_fd(m->loop, m->pty.master);
        if (m->rx_timer) loop_timer_cancel(m->loop, m->rx_timer);
        tx_pacer_free(&m->pacer);
        pty_channel_close(&m->pty);
        m->has_pty = false;
    }
}
