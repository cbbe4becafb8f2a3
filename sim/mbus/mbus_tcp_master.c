/* mbus_tcp_master: the bench's M-Bus masters over TCP (see mbus_tcp_master.h). */
#include "sim/mbus/mbus_tcp_master.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "codec/mbus/mbus_app.h"
#include "codec/mbus/mbus_link.h"
#include "core/clock.h"
#include "core/iochan.h"
#include "sim/core/timemaster.h"
#include "sim/dlms/hplc_net.h"

#define MAX_FOUND 512
#define STACK_MAX 128
#define GARBLE_QUIET_NS (100 * NS_PER_MS) /* bytes that are no frame end after this silence */

/* What came back for a request. */
typedef enum { ANS_NONE, ANS_ACK, ANS_FRAME, ANS_GARBLED } answer_kind;

typedef struct probe { uint8_t id[8]; int pos; } probe; /* id nibbles 0..7 (0xF wildcard) */

typedef enum { PH_IDLE, PH_SCAN_SELECT, PH_SCAN_REQ, PH_READ_SELECT, PH_READ_NKE, PH_READ_REQ } phase;

typedef struct master {
    struct mbus_tcp_bench *bench;
    const mt_master_spec *spec;
    char ch[32];
    int port;
    int fd;
    iochan *io;
    bool connecting, connected, held;
    size_t step;              /* next step */
    loop_timer_id step_timer, answer_timer, write_timer;
    /* the request in flight */
    uint8_t tx[64];
    size_t tx_len;
    uint8_t rx[2 * MBUS_FRAME_MAX];
    size_t rx_len;
    bool waiting;
    phase ph;
    /* the scan */
    probe stack[STACK_MAX];
    size_t n_stack;
    probe current;
    mbus_secondary found[MAX_FOUND];
    size_t n_found, reading;  /* meter being read after the scan */
    /* reading one meter */
    int primary;              /* MT_READ target, or -1 for a selected one */
    int page;
    bool fcb;
} master;

struct mbus_tcp_bench {
    gw_loop *loop;
    trace *tr;
    const mbus_tcp_plan *plan;
    master *masters;
    char (*port_names)[64];
    char (*port_texts)[16];
    char (*var_names)[72];
    int *ports;
    size_t n_ports;
};

static void next_step(master *m);
static void step_done(master *m);
static void on_answer(master *m, answer_kind kind);

/* ---- plan ------------------------------------------------------------------------- */

static bool parse_step(const cfg_node *s, mt_step *st, cfg_err *err) {
    static const char *const keys[] = {"at", "scan", "read", "close", NULL};
    long long primary;
    if (s->kind != CFG_MAP || !cfg_only_keys(s, keys, err) ||
        !cfg_duration_ns(s, "at", 0, &st->at_ns, err))
        return s->kind == CFG_MAP ? false : cfg_fail(err, s, "a step is a map {at, scan|read|close}");
    if (cfg_get(s, "scan")) {
        const char *mode;
        if (!cfg_str(s, "scan", NULL, &mode, err))
            return false;
        if (strcmp(mode, "secondary") != 0)
            return cfg_fail(err, cfg_get(s, "scan"), "scan: only secondary");
        st->kind = MT_SCAN;
    } else if (cfg_get(s, "read")) {
        if (!cfg_int(s, "read", 0, 0, 250, &primary, err))
            return false;
        st->kind = MT_READ;
        st->primary = (int)primary;
    } else if (cfg_get(s, "close")) {
        st->kind = MT_CLOSE;
    } else {
        return cfg_fail(err, s, "a step needs scan, read or close");
    }
    return true;
}

static bool parse_master(const cfg_node *m, mt_master_spec *ms, cfg_err *err) {
    static const char *const keys[] = {"name", "port", "timeout", "max_pages", "steps", NULL};
    const char *name, *port;
    long long pages;
    if (m->kind != CFG_MAP)
        return cfg_fail(err, m, "an mbus_tcp master is a map");
    if (!cfg_only_keys(m, keys, err) || !cfg_require(m, "name", CFG_SCALAR, err) ||
        !cfg_require(m, "port", CFG_SCALAR, err) || !cfg_str(m, "name", NULL, &name, err) ||
        !cfg_str(m, "port", NULL, &port, err) ||
        !cfg_duration_ns(m, "timeout", 3 * NS_PER_S, &ms->timeout_ns, err) ||
        !cfg_int(m, "max_pages", 8, 1, 64, &pages, err))
        return false;
    ms->name = strdup(name);
    ms->port = strdup(port);
    ms->max_pages = (int)pages;
    const cfg_node *steps = cfg_require(m, "steps", CFG_SEQ, err);
    if (!steps || !ms->name || !ms->port)
        return false;
    ms->steps = calloc(steps->n ? steps->n : 1, sizeof *ms->steps);
    if (!ms->steps)
        return cfg_fail(err, steps, "out of memory");
    for (size_t i = 0; i < steps->n; i++, ms->n_steps++)
        if (!parse_step(steps->items[i], &ms->steps[i], err))
            return false;
    return true;
}

mbus_tcp_plan *mbus_tcp_plan_parse(const cfg_node *node, cfg_err *err) {
    static const char *const keys[] = {"masters", NULL};
    mbus_tcp_plan *p = calloc(1, sizeof *p);
    const cfg_node *list = node->kind == CFG_MAP ? cfg_get(node, "masters") : NULL;
    if (!p || node->kind != CFG_MAP || !cfg_only_keys(node, keys, err) || !list ||
        list->kind != CFG_SEQ) {
        if (p && (node->kind != CFG_MAP || !list || list->kind != CFG_SEQ))
            cfg_fail(err, node, "mbus_tcp: expected {masters: [...]}");
        free(p);
        return NULL;
    }
    p->masters = calloc(list->n ? list->n : 1, sizeof *p->masters);
    if (!p->masters) {
        free(p);
        return NULL;
    }
    for (size_t i = 0; i < list->n; i++) {
        p->n++;
        if (!parse_master(list->items[i], &p->masters[i], err)) {
            mbus_tcp_plan_free(p);
            return NULL;
        }
    }
    return p;
}

void mbus_tcp_plan_free(mbus_tcp_plan *p) {
    if (!p)
        return;
    for (size_t i = 0; i < p->n; i++) {
        free(p->masters[i].name);
        free(p->masters[i].port);
        free(p->masters[i].steps);
    }
    free(p->masters);
    free(p);
}

/* ---- the connection ------------------------------------------------------------- */

static void note(master *m, const char *what) {
    int64_t now = clock_mono_ns();
    trace_add(m->bench->tr, m->ch, TRACE_NOTE, 0, now, now, NULL, 0, what);
}

static void hold(master *m, bool on) {
    if (on == m->held)
        return;
    m->held = on;
    if (on)
        timemaster_hold();
    else
        timemaster_release();
}

static void disconnect(master *m, const char *why) {
    if (m->fd < 0)
        return;
    loop_del_fd(m->bench->loop, m->fd);
    if (m->io)
        iochan_close(m->io);
    close(m->fd);
    m->io = NULL;
    m->fd = -1;
    m->connected = m->connecting = false;
    hold(m, false);
    note(m, why);
}

static void describe(const uint8_t *b, size_t n, char *out, size_t cap) {
    mbus_frame f;
    mbus_error err;
    if (mbus_frame_parse_exact(b, n, &f, &err) != MBUS_OK) {
        snprintf(out, cap, "garbled (%zu bytes)", n);
        return;
    }
    switch (f.kind) {
    case MBUS_FRAME_ACK: snprintf(out, cap, "E5"); break;
    case MBUS_FRAME_SHORT: snprintf(out, cap, "short C=%02X A=%u", f.c, f.a); break;
    default: snprintf(out, cap, "long C=%02X A=%u CI=%02X", f.c, f.a, f.ci); break;
    }
}

/* The answer is complete (a whole valid frame), garbled, or not yet known. */
static void check_rx(master *m) {
    mbus_error err = {0};
    size_t need = mbus_frame_needed(m->rx, m->rx_len, &err);
    if (err.code != MBUS_OK)
        return; /* garbage: wait for the line to be quiet */
    if (need == 0 || m->rx_len < need)
        return;
    mbus_frame f;
    if (m->rx_len == need && mbus_frame_parse_exact(m->rx, need, &f, &err) == MBUS_OK) {
        loop_timer_cancel(m->bench->loop, m->answer_timer);
        m->answer_timer = 0;
        char what[64];
        describe(m->rx, m->rx_len, what, sizeof what);
        int64_t now = clock_mono_ns();
        trace_add(m->bench->tr, m->ch, TRACE_GW_TO_BUS, 0, now, now, m->rx, m->rx_len, what);
        m->waiting = false;
        on_answer(m, f.kind == MBUS_FRAME_ACK ? ANS_ACK : ANS_FRAME);
    }
}

static void on_answer_timer(gw_loop *loop, void *arg) {
    master *m = arg;
    m->answer_timer = 0;
    if (!m->waiting)
        return;
    m->waiting = false;
    if (m->rx_len) {
        int64_t now = clock_mono_ns();
        trace_add(m->bench->tr, m->ch, TRACE_GW_TO_BUS, 0, now, now, m->rx, m->rx_len, "garbled");
    }
    on_answer(m, m->rx_len ? ANS_GARBLED : ANS_NONE);
}

static void on_readable(master *m) {
    if (m->rx_len == sizeof m->rx)
        m->rx_len = 0;
    ssize_t n = iochan_read(m->io, m->rx + m->rx_len, sizeof m->rx - m->rx_len);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (n <= 0) {
        disconnect(m, "closed by the gateway");
        return;
    }
    if (!m->waiting) {
        int64_t now = clock_mono_ns();
        trace_add(m->bench->tr, m->ch, TRACE_GW_TO_BUS, 0, now, now, m->rx + m->rx_len, (size_t)n,
                  "unasked bytes");
        return;
    }
    m->rx_len += (size_t)n;
    /* bytes that cannot end well are garbled once the gateway is quiet */
    loop_timer_cancel(m->bench->loop, m->answer_timer);
    m->answer_timer = loop_timer_after(m->bench->loop, GARBLE_QUIET_NS, on_answer_timer, m);
    check_rx(m);
}

static void on_fd(gw_loop *loop, int fd, unsigned events, void *arg);

static void connected(master *m) {
    struct sockaddr_in local;
    socklen_t len = sizeof local;
    getsockname(m->fd, (struct sockaddr *)&local, &len);
    char name[64];
    snprintf(name, sizeof name, "tcp:%d:%d", m->port, ntohs(local.sin_port));
    m->io = iochan_open(m->fd, name, false);
    m->connected = true;
    m->connecting = false;
    hold(m, false);
    note(m, "connected");
    loop_mod_fd(m->bench->loop, m->fd, LOOP_READ);
    next_step(m);
}

static void on_fd(gw_loop *loop, int fd, unsigned events, void *arg) {
    master *m = arg;
    if (m->connecting) {
        int error = 0;
        socklen_t len = sizeof error;
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len);
        if (error) {
            disconnect(m, "connect refused");
            step_done(m);
            return;
        }
        connected(m);
        return;
    }
    if (events & LOOP_READ)
        on_readable(m);
}

static void connect_now(master *m) {
    m->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)m->port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (m->fd < 0) {
        note(m, "no socket");
        return;
    }
    int rc = connect(m->fd, (struct sockaddr *)&a, sizeof a);
    m->connecting = true;
    hold(m, true);
    loop_add_fd(m->bench->loop, m->fd, LOOP_WRITE, on_fd, m);
    if (rc < 0 && errno != EINPROGRESS) {
        disconnect(m, "connect refused");
        step_done(m);
    }
}

/* ---- requests --------------------------------------------------------------------- */

static void write_now(gw_loop *loop, void *arg) {
    master *m = arg;
    m->write_timer = 0;
    if (!hplc_gate_pass(loop)) { /* one writer per co-simulation step */
        m->write_timer = loop_timer_at(loop, clock_mono_ns(), write_now, m);
        return;
    }
    char what[64];
    describe(m->tx, m->tx_len, what, sizeof what);
    int64_t now = clock_mono_ns();
    trace_add(m->bench->tr, m->ch, TRACE_BUS_TO_GW, 0, now, now, m->tx, m->tx_len, what);
    m->rx_len = 0;
    m->waiting = true;
    if (iochan_write(m->io, m->tx, m->tx_len) != (ssize_t)m->tx_len)
        note(m, "request not written whole");
    m->answer_timer = loop_timer_after(loop, m->spec->timeout_ns, on_answer_timer, m);
}

static void request(master *m, const uint8_t *bytes, size_t n) {
    if (!m->connected) {
        step_done(m);
        return;
    }
    memcpy(m->tx, bytes, n);
    m->tx_len = n;
    write_now(m->bench->loop, m);
}

static void send_short(master *m, uint8_t c, uint8_t a) {
    uint8_t b[5];
    request(m, b, mbus_encode_short(b, sizeof b, c, a));
}

/* SND_UD CI 0x52 to 0xFD: id nibbles (F = wildcard), manufacturer, version, medium all wildcards. */
static void send_select(master *m, const uint8_t id[8], const mbus_secondary *full) {
    uint8_t data[8], b[32];
    if (full) {
        mbus_secondary_encode(full, data);
    } else {
        for (int i = 0; i < 4; i++) /* id LSB first: byte 0 holds digits 7 and 6 */
            data[i] = (uint8_t)(id[7 - 2 * i - 1] << 4 | id[7 - 2 * i]);
        memset(data + 4, 0xFF, 4);
    }
    request(m, b, mbus_encode_long(b, sizeof b, 0x53, 0xFD, 0x52, data, 8));
}

static void req_ud2(master *m, uint8_t a) {
    send_short(m, (uint8_t)(0x5B | (m->fcb ? 0x20 : 0)), a);
}

/* ---- the scan: a tree of id digits -------------------------------------------------- */

static void push(master *m, const probe *p) {
    if (m->n_stack < STACK_MAX)
        m->stack[m->n_stack++] = *p;
    else
        note(m, "scan: stack full, a branch is lost");
}

static void descend(master *m) {
    if (m->current.pos >= 8) {
        note(m, "scan: collision with every id digit fixed (meters share an id)");
        return;
    }
    for (int d = 9; d >= 0; d--) { /* popped 0 first */
        probe p = m->current;
        p.id[p.pos] = (uint8_t)d;
        p.pos++;
        push(m, &p);
    }
}

static void start_read(master *m);

static void scan_next(master *m) {
    if (m->n_stack == 0) {
        char what[48];
        snprintf(what, sizeof what, "scan done: %zu meters", m->n_found);
        note(m, what);
        m->reading = 0;
        start_read(m);
        return;
    }
    m->current = m->stack[--m->n_stack];
    m->ph = PH_SCAN_SELECT;
    send_select(m, m->current.id, NULL);
}

static void found(master *m) {
    mbus_data *d = malloc(sizeof *d);
    mbus_frame f;
    mbus_error err;
    if (d && mbus_frame_parse_exact(m->rx, m->rx_len, &f, &err) == MBUS_OK &&
        mbus_app_decode(f.ci, f.data, f.data_len, d, &err) != MBUS_ERR_CI && d->hdr.is_long &&
        m->n_found < MAX_FOUND) {
        mbus_secondary sa = {d->hdr.id_bcd, d->hdr.manufacturer, d->hdr.version, d->hdr.medium};
        char text[MBUS_SECONDARY_TEXT], what[48];
        mbus_secondary_format(&sa, text);
        snprintf(what, sizeof what, "found %s", text);
        note(m, what);
        m->found[m->n_found++] = sa;
    } else {
        note(m, "scan: an answer without a long header");
    }
    free(d);
}

static void scan_answer(master *m, answer_kind kind) {
    if (m->ph == PH_SCAN_SELECT) {
        if (kind == ANS_NONE)
            scan_next(m);
        else if (kind == ANS_ACK) {
            m->ph = PH_SCAN_REQ;
            m->fcb = true;
            req_ud2(m, 0xFD);
        } else {
            descend(m); /* several E5s garbled each other */
            scan_next(m);
        }
        return;
    }
    if (kind == ANS_FRAME)
        found(m);
    else
        descend(m); /* several RSP_UDs at once (or an ACK but no data) */
    scan_next(m);
}

/* ---- reading a meter: pages with the FCB toggled ---------------------------------------- */

static bool more_follows(const master *m) {
    mbus_frame f;
    mbus_error err;
    return mbus_frame_parse_exact(m->rx, m->rx_len, &f, &err) == MBUS_OK && f.data_len > 12 &&
           f.data[f.data_len - 1] == 0x1F;
}

static void start_read(master *m) {
    if (m->reading >= m->n_found) {
        step_done(m);
        return;
    }
    m->primary = -1;
    m->page = 0;
    m->ph = PH_READ_SELECT;
    send_select(m, NULL, &m->found[m->reading]);
}

static void read_answer(master *m, answer_kind kind) {
    uint8_t a = m->primary >= 0 ? (uint8_t)m->primary : 0xFD;
    if (m->ph == PH_READ_SELECT || m->ph == PH_READ_NKE) {
        if (kind != ANS_ACK && m->ph == PH_READ_SELECT) {
            note(m, "read: the select was not acknowledged");
            m->reading++;
            start_read(m);
            return;
        }
        m->ph = PH_READ_REQ;
        m->fcb = true;
        req_ud2(m, a);
        return;
    }
    bool more = kind == ANS_FRAME && more_follows(m) && ++m->page < m->spec->max_pages;
    if (more) {
        m->fcb = !m->fcb;
        req_ud2(m, a);
        return;
    }
    if (kind != ANS_FRAME)
        note(m, "read: no answer");
    if (m->primary >= 0) {
        step_done(m);
        return;
    }
    m->reading++;
    start_read(m);
}

static void on_answer(master *m, answer_kind kind) {
    switch (m->ph) {
    case PH_SCAN_SELECT:
    case PH_SCAN_REQ: scan_answer(m, kind); break;
    case PH_READ_SELECT:
    case PH_READ_NKE:
    case PH_READ_REQ: read_answer(m, kind); break;
    case PH_IDLE: break;
    }
}

/* ---- steps ----------------------------------------------------------------------------- */

static void run_step(master *m) {
    const mt_step *st = &m->spec->steps[m->step];
    switch (st->kind) {
    case MT_SCAN:
        note(m, "scan starts");
        m->n_stack = m->n_found = 0;
        probe all;
        memset(all.id, 0xF, sizeof all.id);
        all.pos = 0;
        push(m, &all);
        scan_next(m);
        break;
    case MT_READ:
        m->primary = st->primary;
        m->page = 0;
        m->ph = PH_READ_NKE;
        send_short(m, MBUS_C_SND_NKE, (uint8_t)st->primary);
        break;
    case MT_CLOSE:
        disconnect(m, "closed by the master");
        step_done(m);
        break;
    }
}

static void on_step_timer(gw_loop *loop, void *arg) {
    master *m = arg;
    m->step_timer = 0;
    if (m->spec->steps[m->step].kind != MT_CLOSE && !m->connected) {
        if (!m->connecting)
            connect_now(m); /* the step runs once connected */
        return;
    }
    run_step(m);
}

static void next_step(master *m) {
    if (m->step >= m->spec->n_steps)
        return;
    int64_t at = m->bench->tr->t0_ns + m->spec->steps[m->step].at_ns;
    int64_t now = clock_mono_ns();
    m->step_timer = loop_timer_at(m->bench->loop, at > now ? at : now, on_step_timer, m);
}

static void step_done(master *m) {
    m->ph = PH_IDLE;
    m->step++;
    next_step(m);
}

/* ---- bench ------------------------------------------------------------------------------ */

static int free_port(void) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    int port = -1;
    if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    if (fd >= 0)
        close(fd);
    return port;
}

static int port_for(mbus_tcp_bench *b, const char *name) {
    for (size_t i = 0; i < b->n_ports; i++)
        if (strcmp(b->port_names[i], name) == 0)
            return b->ports[i];
    size_t i = b->n_ports++;
    snprintf(b->port_names[i], sizeof b->port_names[i], "%s", name);
    b->ports[i] = free_port();
    snprintf(b->port_texts[i], sizeof b->port_texts[i], "%d", b->ports[i]);
    snprintf(b->var_names[i], sizeof b->var_names[i], "port:%s", name);
    return b->ports[i];
}

mbus_tcp_bench *mbus_tcp_bench_new(const mbus_tcp_plan *plan, gw_loop *loop, trace *tr, char *err,
                                   size_t errlen) {
    mbus_tcp_bench *b = calloc(1, sizeof *b);
    size_t n = plan->n ? plan->n : 1;
    if (b) {
        b->masters = calloc(n, sizeof *b->masters);
        b->port_names = calloc(n, sizeof *b->port_names);
        b->port_texts = calloc(n, sizeof *b->port_texts);
        b->var_names = calloc(n, sizeof *b->var_names);
        b->ports = calloc(n, sizeof *b->ports);
    }
    if (!b || !b->masters || !b->port_names || !b->port_texts || !b->var_names || !b->ports) {
        mbus_tcp_bench_free(b);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    b->loop = loop;
    b->tr = tr;
    b->plan = plan;
    for (size_t i = 0; i < plan->n; i++) {
        master *m = &b->masters[i];
        m->bench = b;
        m->spec = &plan->masters[i];
        m->fd = -1;
        snprintf(m->ch, sizeof m->ch, "mbus_tcp:%s", m->spec->name);
        m->port = port_for(b, m->spec->port);
    }
    return b;
}

size_t mbus_tcp_bench_n_vars(const mbus_tcp_plan *plan) {
    return plan ? plan->n : 0;
}

size_t mbus_tcp_bench_vars(mbus_tcp_bench *b, subst_var *out, size_t cap) {
    size_t n = 0;
    for (size_t i = 0; i < b->n_ports && n < cap; i++)
        out[n++] = (subst_var){.name = b->var_names[i], .value = b->port_texts[i]};
    return n;
}

int mbus_tcp_bench_start(mbus_tcp_bench *b) {
    for (size_t i = 0; i < b->plan->n; i++)
        next_step(&b->masters[i]);
    return 0;
}

void mbus_tcp_bench_free(mbus_tcp_bench *b) {
    if (!b)
        return;
    for (size_t i = 0; b->masters && i < b->plan->n; i++) {
        master *m = &b->masters[i];
        loop_timer_cancel(b->loop, m->step_timer);
        loop_timer_cancel(b->loop, m->answer_timer);
        loop_timer_cancel(b->loop, m->write_timer);
        if (m->fd >= 0) {
            loop_del_fd(b->loop, m->fd);
            if (m->io)
                iochan_close(m->io);
            close(m->fd);
        }
        hold(m, false);
    }
    free(b->masters);
    free(b->port_names);
    free(b->port_texts);
    free(b->var_names);
    free(b->ports);
    free(b);
}
