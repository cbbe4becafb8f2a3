/* modbus_server: TCP and RTU I/O of the Modbus server (see modbus_server.h).
 *
 * Requests are read through iochan on the event loop and framed with the codec
 * (a TCP request is complete when its MBAP length says so, an RTU request when
 * its function code's length is in; an RTU fragment is dropped after 3.5
 * characters of silence). libmodbus's own receive is not used: it waits inside
 * select() for the rest of a frame, which the loop (and virtual time) must never
 * do. Answers are built and sent by libmodbus (modbus_reply /
 * modbus_reply_exception) from a small mapping filled with exactly the items
 * asked for; their lengths are counted on the channel. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <modbus.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "core/clock.h"
#include "core/event_limit.h"
#include "core/iochan.h"
#include "core/log.h"
#include "north/modbus/modbus_server_int.h"

#define MOD "modbus-server"
#define MAX_CONNS 80

typedef struct mbs_conn {
    struct modbus_server *srv;
    int fd;
    iochan *ch;
    uint8_t buf[2 * MB_ADU_MAX];
    size_t len;
    int64_t last_ns;      /* the last complete request, or the accept */
    bool asked;           /* sent a complete request at all */
    loop_timer_id idle_timer;
} mbs_conn;

struct modbus_server {
    const modbus_server_config *cfg;
    gw_loop *loop;
    datahub *hub;
    int sub;
    mbs_state st;
    modbus_mapping_t *map;
    mbs_decision *dec; /* one decision buffer (2000 items), reused */
    /* TCP */
    modbus_t *tcp;
    int listen_fd;
    int port;
    mbs_conn *conns[MAX_CONNS]; /* oldest first */
    size_t n_conns;
    /* RTU */
    modbus_t *rtu;
    int rtu_fd;
    iochan *rtu_ch;
    uint8_t rtu_buf[MB_ADU_MAX];
    size_t rtu_len;
    bool rtu_resync;           /* bytes of an unknown frame: wait for silence */
    int64_t rtu_silence_ns;
    loop_timer_id rtu_timer;
    int64_t exception_event_ns; /* last exception event (rate limit) */
    uint64_t exception_events;
    /* A flood of connections (the limit making room, garbage) must not fill the
     * events table and the log: each told EVENT_LIMIT_BURST times a minute, then
     * summed up (core/event_limit.h); the counts stay exact. */
    event_limit closed_limit;   /* connections the gateway closed: log line and event */
    event_limit churn_limit;    /* connected / closed by the master or idle: log lines */
    uint64_t closed_by_gateway, connections;
};

/* ---- answering ---------------------------------------------------------------- */

/* Something a master did that an operator should see: an event (stored). */
static void server_event(modbus_server *srv, const char *kind, const char *text) {
    dh_event e = {.source = "modbus_server", .kind = kind, .text = text, .ts_ns = clock_wall_ns()};
    datahub_event(srv->hub, &e);
}


/* Fill the libmodbus mapping with exactly the items of the request. */
static void fill_mapping(modbus_mapping_t *map, const mbs_decision *d) {
    map->nb_bits = map->nb_input_bits = map->nb_registers = map->nb_input_registers = 0;
    unsigned n = d->req.count;
    switch (d->req.function) {
    case MB_FC_READ_COILS:
        map->start_bits = d->req.address;
        map->nb_bits = (int)n;
        for (unsigned i = 0; i < n; i++) map->tab_bits[i] = d->items[i] ? 1 : 0;
        break;
    case MB_FC_READ_DISCRETE:
        map->start_input_bits = d->req.address;
        map->nb_input_bits = (int)n;
        for (unsigned i = 0; i < n; i++) map->tab_input_bits[i] = d->items[i] ? 1 : 0;
        break;
    case MB_FC_READ_INPUT:
        map->start_input_registers = d->req.address;
        map->nb_input_registers = (int)n;
        memcpy(map->tab_input_registers, d->items, n * sizeof *d->items);
        break;
    default:
        map->start_registers = d->req.address;
        map->nb_registers = (int)n;
        memcpy(map->tab_registers, d->items, n * sizeof *d->items);
        break;
    }
}

/* Decide and send the answer to one complete request ADU on ctx/fd. */
static void answer(modbus_server *srv, modbus_t *ctx, iochan *ch, const uint8_t *adu, size_t len,
                   bool tcp) {
    size_t hdr = tcp ? MB_TCP_HEADER : 1;
    size_t pdu_len = len - hdr - (tcp ? 0 : 2);
    mbs_map_refresh_clock(&srv->st, clock_wall_ns());
    mbs_decision *d = srv->dec;
    mbs_decide(&srv->st, adu[hdr - 1], tcp, adu + hdr, pdu_len, d);
    int rc = 0;
    switch (d->kind) {
    case MBS_REPLY_NONE: return;
    case MBS_REPLY_READ:
        fill_mapping(srv->map, d);
        rc = modbus_reply(ctx, adu, (int)len, srv->map);
        break;
    case MBS_REPLY_EXCEPTION:
        log_debug(MOD, "unit %u function 0x%02X: exception %d", adu[hdr - 1], adu[hdr], d->exception);
        /* at most one event a minute: a master looping over bad requests must not fill the store */
        if (clock_mono_ns() - srv->exception_event_ns >= 60 * 1000000000LL || !srv->exception_events) {
            char text[160];
            snprintf(text, sizeof text, "%s: unit %u function 0x%02X refused with exception %d%s",
                     iochan_name(ch), adu[hdr - 1], adu[hdr], d->exception,
                     srv->exception_events ? " (and earlier ones)" : "");
            server_event(srv, "exception", text);
            srv->exception_event_ns = clock_mono_ns();
        }
        srv->exception_events++;
        rc = modbus_reply_exception(ctx, adu, (unsigned)d->exception);
        break;
    case MBS_REPLY_DEVICE_ID: {
        uint8_t out[MB_ADU_MAX + 8];
        size_t n = tcp ? mb_tcp_wrap((uint16_t)(adu[0] << 8 | adu[1]), adu[6], d->pdu, d->pdu_len, out)
                       : mb_rtu_wrap(adu[0], d->pdu, d->pdu_len, out);
        rc = (int)iochan_write(ch, out, n);
        return;
    }
    }
    if (rc > 0) iochan_count_tx(ch, (uint64_t)rc);
    else log_warn(MOD, "%s: cannot answer: %s", iochan_name(ch), modbus_strerror(errno));
}

/* ---- TCP connections ---------------------------------------------------------- */

static void closed_summary(void *arg, uint64_t left_out, int64_t interval_ns) {
    modbus_server *srv = arg;
    char text[200];
    snprintf(text, sizeof text,
             "%llu more connections closed by the gateway in %lld s not told one by one"
             " (%llu since the start)", (unsigned long long)left_out,
             (long long)(interval_ns / NS_PER_S), (unsigned long long)srv->closed_by_gateway);
    log_warn(MOD, "%s", text);
    server_event(srv, "closed", text);
}

static void churn_summary(void *arg, uint64_t left_out, int64_t interval_ns) {
    modbus_server *srv = arg;
    log_info(MOD, "%llu more connections opened or closed in %lld s not logged one by one"
                  " (%llu connections since the start)", (unsigned long long)left_out,
             (long long)(interval_ns / NS_PER_S), (unsigned long long)srv->connections);
}

static void conn_close(modbus_server *srv, mbs_conn *c, const char *why) {
    bool routine = strcmp(why, "by the master") == 0 || strcmp(why, "idle") == 0;
    if (routine) {
        if (event_limit_take(&srv->churn_limit))
            log_info(MOD, "%s: closed (%s)", iochan_name(c->ch), why);
    } else {
        srv->closed_by_gateway++;
        if (event_limit_take(&srv->closed_limit)) {
            char text[160];
            snprintf(text, sizeof text, "%s: connection closed: %s", iochan_name(c->ch), why);
            log_info(MOD, "%s: closed (%s)", iochan_name(c->ch), why);
            server_event(srv, "closed", text);
        }
    }
    loop_del_fd(srv->loop, c->fd);
    loop_timer_cancel(srv->loop, c->idle_timer);
    iochan_close(c->ch);
    close(c->fd);
    for (size_t i = 0; i < srv->n_conns; i++)
        if (srv->conns[i] == c) {
            memmove(srv->conns + i, srv->conns + i + 1, (srv->n_conns - i - 1) * sizeof *srv->conns);
            srv->n_conns--;
            break;
        }
    free(c);
}

static void on_idle(gw_loop *loop, void *arg);

static void arm_idle(modbus_server *srv, mbs_conn *c) {
    if (srv->cfg->idle_timeout_ns <= 0) return;
    c->idle_timer = loop_timer_at(srv->loop, c->last_ns + srv->cfg->idle_timeout_ns, on_idle, c);
}

static void on_idle(gw_loop *loop, void *arg) {
    mbs_conn *c = arg;
    c->idle_timer = 0;
    if (clock_mono_ns() - c->last_ns >= c->srv->cfg->idle_timeout_ns) conn_close(c->srv, c, "idle");
    else arm_idle(c->srv, c);
}

/* Serve every complete request in the buffer; false when the stream is not Modbus. */
static bool conn_serve(modbus_server *srv, mbs_conn *c) {
    while (c->len > 0) {
        int need = mb_tcp_adu_length(c->buf, c->len);
        if (need < 0) return false;
        if (need == 0 || c->len < (size_t)need) return true;
        c->last_ns = clock_mono_ns(); /* a whole request: bytes alone (slowloris) keep nothing alive */
        c->asked = true;
        modbus_set_socket(srv->tcp, c->fd);
        answer(srv, srv->tcp, c->ch, c->buf, (size_t)need, true);
        memmove(c->buf, c->buf + need, c->len - (size_t)need);
        c->len -= (size_t)need;
    }
    return true;
}

static void on_conn(gw_loop *loop, int fd, unsigned events, void *arg) {
    mbs_conn *c = arg;
    modbus_server *srv = c->srv;
    ssize_t n = iochan_read(c->ch, c->buf + c->len, sizeof c->buf - c->len);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
    if (n <= 0) return conn_close(srv, c, n == 0 ? "by the master" : strerror(errno));
    c->len += (size_t)n;
    if (!conn_serve(srv, c)) conn_close(srv, c, "not a Modbus TCP stream");
}

/* The connection limit is reached: the oldest connection makes room (MUC500), or with
 * when_full: drop_idlest first the oldest of those that never sent a whole request,
 * else the one whose last request is the oldest, so a flood of connections cannot push
 * out a master that keeps polling. */
static bool idler(const mbs_conn *a, const mbs_conn *b) {
    if (a->asked != b->asked) return !a->asked;
    return a->last_ns < b->last_ns;
}

static void make_room(modbus_server *srv) {
    mbs_conn *victim = srv->conns[0];
    if (srv->cfg->drop_idlest)
        for (size_t i = 1; i < srv->n_conns; i++)
            if (idler(srv->conns[i], victim)) victim = srv->conns[i];
    conn_close(srv, victim, srv->cfg->drop_idlest ? "connection limit: the idlest makes room"
                                                  : "connection limit: the oldest makes room");
}

static int port_of(const struct sockaddr_in *a) { return ntohs(a->sin_port); }

static void on_accept(gw_loop *loop, int fd, unsigned events, void *arg) {
    modbus_server *srv = arg;
    struct sockaddr_in peer;
    socklen_t plen = sizeof peer;
    int cfd = accept4(fd, (struct sockaddr *)&peer, &plen, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (cfd < 0) return;
    if (srv->n_conns == (size_t)srv->cfg->max_connections) make_room(srv);
    mbs_conn *c = calloc(1, sizeof *c);
    char name[64];
    snprintf(name, sizeof name, "tcp:%d:%d", srv->port, port_of(&peer));
    if (!c || !(c->ch = iochan_open(cfd, name, false)) ||
        loop_add_fd(loop, cfd, LOOP_READ, on_conn, c) < 0) {
        if (c && c->ch) iochan_close(c->ch);
        free(c);
        close(cfd);
        return;
    }
    c->srv = srv;
    c->fd = cfd;
    c->last_ns = clock_mono_ns();
    srv->conns[srv->n_conns++] = c;
    arm_idle(srv, c);
    srv->connections++;
    if (event_limit_take(&srv->churn_limit))
        log_info(MOD, "%s: master %s connected", name, inet_ntoa(peer.sin_addr));
}

static int start_tcp(modbus_server *srv, char *err, size_t errlen) {
    const modbus_server_config *cfg = srv->cfg;
    srv->tcp = modbus_new_tcp(cfg->bind, (int)cfg->port);
    if (!srv->tcp) {
        snprintf(err, errlen, "modbus_server: tcp %s:%lld: %s", cfg->bind, cfg->port, modbus_strerror(errno));
        return -1;
    }
    srv->listen_fd = modbus_tcp_listen(srv->tcp, 16);
    if (srv->listen_fd < 0) {
        snprintf(err, errlen, "modbus_server: cannot listen on %s:%lld: %s", cfg->bind, cfg->port,
                 modbus_strerror(errno));
        return -1;
    }
    fcntl(srv->listen_fd, F_SETFL, fcntl(srv->listen_fd, F_GETFL) | O_NONBLOCK);
    fcntl(srv->listen_fd, F_SETFD, FD_CLOEXEC);
    srv->port = (int)cfg->port;
    if (loop_add_fd(srv->loop, srv->listen_fd, LOOP_READ, on_accept, srv) < 0) {
        snprintf(err, errlen, "modbus_server: cannot watch the listening socket");
        return -1;
    }
    log_info(MOD, "listening on %s:%lld (Modbus TCP, at most %lld masters)", cfg->bind, cfg->port,
             cfg->max_connections);
    return 0;
}

/* ---- RTU ---------------------------------------------------------------------- */

static void rtu_serve(modbus_server *srv) {
    while (srv->rtu_len > 0 && !srv->rtu_resync) {
        int need = mb_rtu_request_length(srv->rtu_buf, srv->rtu_len);
        if (need < 0 || need > MB_ADU_MAX) {
            srv->rtu_resync = true; /* unknown frame: its end is the next silence */
            return;
        }
        if (need == 0 || srv->rtu_len < (size_t)need) return;
        uint8_t unit = srv->rtu_buf[0];
        bool mine = srv->cfg->muc.multi_slave ? unit != 0 : unit == srv->cfg->rtu_unit;
        if (!mb_rtu_crc_ok(srv->rtu_buf, (size_t)need)) {
            log_debug(MOD, "rtu: frame with a bad CRC dropped");
            srv->rtu_resync = true;
            return;
        }
        if (mine) answer(srv, srv->rtu, srv->rtu_ch, srv->rtu_buf, (size_t)need, false);
        memmove(srv->rtu_buf, srv->rtu_buf + need, srv->rtu_len - (size_t)need);
        srv->rtu_len -= (size_t)need;
    }
}

static void on_rtu_silence(gw_loop *loop, void *arg) {
    modbus_server *srv = arg;
    srv->rtu_timer = 0;
    srv->rtu_len = 0;
    srv->rtu_resync = false;
}

static void on_rtu(gw_loop *loop, int fd, unsigned events, void *arg) {
    modbus_server *srv = arg;
    uint8_t tmp[MB_ADU_MAX];
    ssize_t n = iochan_read(srv->rtu_ch, tmp, sizeof tmp);
    if (n <= 0) return;
    for (ssize_t i = 0; i < n; i++) {
        if (srv->rtu_len == sizeof srv->rtu_buf) srv->rtu_resync = true;
        if (!srv->rtu_resync) srv->rtu_buf[srv->rtu_len++] = tmp[i];
    }
    rtu_serve(srv);
    loop_timer_cancel(loop, srv->rtu_timer);
    srv->rtu_timer = loop_timer_after(loop, srv->rtu_silence_ns, on_rtu_silence, srv);
}

static int start_rtu(modbus_server *srv, char *err, size_t errlen) {
    const modbus_server_config *cfg = srv->cfg;
    srv->rtu = modbus_new_rtu(cfg->rtu_device, (int)cfg->rtu_baud, cfg->rtu_parity, 8,
                              (int)cfg->rtu_stop_bits);
    if (!srv->rtu || modbus_set_slave(srv->rtu, (int)cfg->rtu_unit) < 0 ||
        modbus_connect(srv->rtu) < 0) {
        snprintf(err, errlen, "modbus_server: rtu %s: %s", cfg->rtu_device, modbus_strerror(errno));
        return -1;
    }
    srv->rtu_fd = modbus_get_socket(srv->rtu);
    fcntl(srv->rtu_fd, F_SETFD, FD_CLOEXEC);
    srv->rtu_ch = iochan_open(srv->rtu_fd, cfg->rtu_device, false);
    /* 3.5 characters of 11 bits, at least 1.75 ms (the spec's value above 19200 baud) */
    srv->rtu_silence_ns = 35 * 11 * NS_PER_S / (10 * cfg->rtu_baud);
    if (srv->rtu_silence_ns < 1750 * NS_PER_US) srv->rtu_silence_ns = 1750 * NS_PER_US;
    if (!srv->rtu_ch || loop_add_fd(srv->loop, srv->rtu_fd, LOOP_READ, on_rtu, srv) < 0) {
        snprintf(err, errlen, "modbus_server: cannot watch %s", cfg->rtu_device);
        return -1;
    }
    log_info(MOD, "serving Modbus RTU on %s at %lld baud, unit %lld", cfg->rtu_device, cfg->rtu_baud,
             cfg->rtu_unit);
    return 0;
}

/* ---- life cycle --------------------------------------------------------------- */

static void on_update(const dh_update *u, void *arg) {
    modbus_server *srv = arg;
    mbs_map_update(&srv->st, u);
}

modbus_server *modbus_server_start(const modbus_server_config *cfg, gw_loop *loop, datahub *hub,
                                   char *err, size_t errlen) {
    modbus_server *srv = calloc(1, sizeof *srv);
    if (!srv) {
        snprintf(err, errlen, "modbus_server: out of memory");
        return NULL;
    }
    srv->cfg = cfg;
    srv->loop = loop;
    event_limit_init(&srv->closed_limit, loop, EVENT_LIMIT_BURST, EVENT_LIMIT_INTERVAL_NS,
                     closed_summary, srv);
    event_limit_init(&srv->churn_limit, loop, EVENT_LIMIT_BURST, EVENT_LIMIT_INTERVAL_NS,
                     churn_summary, srv);
    srv->hub = hub;
    srv->listen_fd = srv->rtu_fd = -1;
    srv->sub = -1;
    srv->st.cfg = cfg;
    srv->st.hub = hub;
    srv->dec = malloc(sizeof *srv->dec);
    srv->map = modbus_mapping_new(MB_MAX_READ_BITS, MB_MAX_READ_BITS, MB_MAX_READ_REGISTERS,
                                  MB_MAX_READ_REGISTERS);
    if (!srv->dec || !srv->map) {
        snprintf(err, errlen, "modbus_server: out of memory");
        modbus_server_stop(srv);
        return NULL;
    }
    mbs_map_rebuild(&srv->st);
    srv->sub = datahub_subscribe(hub, on_update, srv);
    if ((cfg->tcp && start_tcp(srv, err, errlen) < 0) ||
        (cfg->rtu_device && start_rtu(srv, err, errlen) < 0)) {
        modbus_server_stop(srv);
        return NULL;
    }
    return srv;
}

void modbus_server_stop(modbus_server *srv) {
    if (!srv) return;
    while (srv->n_conns) conn_close(srv, srv->conns[0], "gateway stopping");
    event_limit_flush(&srv->closed_limit);
    event_limit_flush(&srv->churn_limit);
    if (srv->listen_fd >= 0) {
        loop_del_fd(srv->loop, srv->listen_fd);
        close(srv->listen_fd);
    }
    if (srv->tcp) modbus_free(srv->tcp);
    if (srv->rtu_fd >= 0) loop_del_fd(srv->loop, srv->rtu_fd);
    loop_timer_cancel(srv->loop, srv->rtu_timer);
    if (srv->rtu_ch) iochan_close(srv->rtu_ch);
    if (srv->rtu) {
        modbus_close(srv->rtu);
        modbus_free(srv->rtu);
    }
    if (srv->sub >= 0) datahub_unsubscribe(srv->hub, srv->sub);
    if (srv->map) modbus_mapping_free(srv->map);
    mbs_image_free(&srv->st.img);
    free(srv->dec);
    free(srv);
}
