/* iec104_server: listening socket, masters' admission (allowed IPs, number of
 * cloned connections, synchronous initial poll), the datahub subscription
 * that turns point updates into spontaneous events for every started master,
 * the bounded buffer that keeps events while no master is started, and the
 * server's counters (published as points iec104/...). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/iochan.h"
#include "core/log.h"
#include "north/iec104/iec104_int.h"

/* ---- admission ---- */

/* "192.168.*.10" against a dotted address: each octet equal or '*'. */
static bool ip_matches(const char *pattern, const char *ip) {
    for (int part = 0; part < 4; part++) {
        size_t pl = strcspn(pattern, "."), il = strcspn(ip, ".");
        if (!(pl == 1 && pattern[0] == '*') && (pl != il || strncmp(pattern, ip, pl) != 0))
            return false;
        pattern += pl + (pattern[pl] == '.');
        ip += il + (ip[il] == '.');
    }
    return true;
}

static bool ip_allowed(const iec104_config *cfg, const char *ip) {
    for (size_t i = 0; i < cfg->n_allowed; i++)
        if (ip_matches(cfg->allowed[i], ip))
            return true;
    return false;
}

static size_t started_count(const iec104_server *srv) {
    size_t n = 0;
    for (size_t i = 0; i < srv->n_sessions; i++)
        n += iec104_conn_transferring(srv->sessions[i]->conn);
    return n;
}

/* A refused master is closed after a short drain: what it sent right after
 * connecting (its STARTDT) is read and counted, so the bench's virtual time
 * never waits for bytes nobody will read. */
#define REFUSE_DRAIN_NS (100 * NS_PER_MS)

typedef struct refused_conn {
    iec104_server *srv;
    int fd;
    iochan *ch;
    loop_timer_id timer;
    struct refused_conn *next;
} refused_conn;

static void refused_close(refused_conn *r) {
    iec104_server *srv = r->srv;
    for (refused_conn **p = &srv->refused_list; *p; p = &(*p)->next)
        if (*p == r) {
            *p = r->next;
            break;
        }
    if (r->timer)
        loop_timer_cancel(srv->loop, r->timer);
    loop_del_fd(srv->loop, r->fd);
    iochan_close(r->ch);
    close(r->fd);
    free(r);
}

static void refused_readable(gw_loop *loop, int fd, unsigned events, void *arg) {
    refused_conn *r = arg;
    uint8_t sink[512];
    ssize_t n = iochan_read(r->ch, sink, sizeof sink);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
        refused_close(r);
}

static void refused_timeout(gw_loop *loop, void *arg) {
    refused_conn *r = arg;
    r->timer = 0;
    refused_close(r);
}

static void refuse(iec104_server *srv, int fd, int port) {
    char name[64];
    snprintf(name, sizeof name, "tcp:%d:%d", srv->port, port);
    refused_conn *r = calloc(1, sizeof *r);
    if (!r || !(r->ch = iochan_open(fd, name, false)) ||
        loop_add_fd(srv->loop, fd, LOOP_READ, refused_readable, r) < 0) {
        if (r && r->ch)
            iochan_close(r->ch);
        free(r);
        close(fd);
        return;
    }
    r->srv = srv;
    r->fd = fd;
    r->next = srv->refused_list;
    srv->refused_list = r;
    r->timer = loop_timer_after(srv->loop, REFUSE_DRAIN_NS, refused_timeout, r);
}

static void on_accept(gw_loop *loop, int fd, unsigned events, void *arg) {
    iec104_server *srv = arg;
    struct sockaddr_in peer;
    socklen_t plen = sizeof peer;
    int cfd = accept4(fd, (struct sockaddr *)&peer, &plen, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (cfd < 0) {
        if (errno != EAGAIN && errno != EINTR)
            log_warn(MOD_IEC104, "accept: %s", strerror(errno));
        return;
    }
    char ip[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &peer.sin_addr, ip, sizeof ip);
    int port = ntohs(peer.sin_port);
    if (!ip_allowed(srv->cfg, ip) || srv->n_sessions >= (size_t)srv->cfg->connections) {
        const char *why = srv->n_sessions >= (size_t)srv->cfg->connections ? "all connections in use"
                                                                        : "address not allowed";
        srv->refused++;
        if (iec104_hostile_take(srv, IEC104_HOSTILE_REFUSED)) { /* a flood: summed up */
            log_warn(MOD_IEC104, "%s:%d refused: %s", ip, port, why);
            iec104_notice(srv->hub, "refused", "%s:%d refused: %s", ip, port, why);
        }
        refuse(srv, cfd, port);
        return;
    }
    int one = 1;
    setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (!iec104_server_adopt(srv, cfd, ip, port)) {
        log_error(MOD_IEC104, "%s:%d: out of resources", ip, port);
        close(cfd);
        return;
    }
    log_info(MOD_IEC104, "%s:%d connected (%zu of %d)", ip, port, srv->n_sessions,
             srv->cfg->connections);
}

/* ---- listening ---- */

static int open_listener(iec104_server *srv, char *err, size_t errlen) {
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)srv->cfg->port)};
    if (inet_pton(AF_INET, srv->cfg->bind, &addr.sin_addr) != 1) {
        snprintf(err, errlen, "iec104: bind address %s is not an IPv4 address", srv->cfg->bind);
        return -1;
    }
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
        bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
        snprintf(err, errlen, "iec104: cannot bind %s:%d: %s", srv->cfg->bind, srv->cfg->port,
                 strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    socklen_t alen = sizeof addr;
    getsockname(fd, (struct sockaddr *)&addr, &alen);
    srv->port = ntohs(addr.sin_port);
    srv->listen_fd = fd;
    srv->conn_params.local_port = srv->port;
    return 0;
}

/* Synchronous initial poll (CU-XE): masters are accepted only once every
 * mapped point was polled — all have a value, or the first readout cycle ended. */
static void maybe_listen(iec104_server *srv) {
    if (srv->listening)
        return;
    if (srv->cfg->sync_initial_poll && srv->n_valued < srv->n_monitor && !srv->cycle_seen)
        return;
    if (listen(srv->listen_fd, 16) < 0 ||
        loop_add_fd(srv->loop, srv->listen_fd, LOOP_READ, on_accept, srv) < 0) {
        log_error(MOD_IEC104, "cannot listen on port %d: %s", srv->port, strerror(errno));
        return;
    }
    srv->listening = true;
    log_info(MOD_IEC104, "listening on %s:%d (%zu objects mapped)", srv->cfg->bind, srv->port,
             srv->n_map);
}

/* ---- events ---- */

static void distribute(iec104_server *srv, const iec104_event *e) {
    bool any = false;
    for (size_t i = 0; i < srv->n_sessions; i++) {
        iec104_conn *c = srv->sessions[i]->conn;
        if (iec104_conn_transferring(c)) {
            iec104_conn_queue_event(c, e);
            any = true;
        }
    }
    if (!any && ring_push(&srv->offline, e))
        srv->offline_dropped++;
}

static void on_point(iec104_server *srv, const dp *point) {
    for (long i = iec104_map_find_point(srv, point->id); i >= 0; i = srv->map[i].next_same_point) {
        iec104_map *m = &srv->map[i];
        bool first = !m->has_value;
        bool push = iec104_map_update(m, point);
        if (first && !iec104_map_is_command(m->type)) {
            srv->n_valued++;
            maybe_listen(srv);
        }
        if (!push)
            continue;
        iec104_event e = {.map = (uint32_t)i, .cot = COT_SPONTANEOUS, .type = m->type};
        if (srv->cfg->timestamps)
            e.type = iec104_type_with_time(m->type);
        iec104_map_fill(m, e.type, &e.io);
        iec104_map_transmitted(m);
        distribute(srv, &e);
    }
}

static void publish_counter(iec104_server *srv, const char *name, uint64_t value) {
    char id[64];
    snprintf(id, sizeof id, "iec104/%s", name);
    dp p = {.id = id, .value = {.type = DP_INT, .i = (int64_t)value}, .unit = "",
            .ts_ns = clock_wall_ns()};
    p.origin.record = -1;
    datahub_publish(srv->hub, &p);
}

static void publish_counters(iec104_server *srv) {
    publish_counter(srv, "connections", srv->n_sessions);
    publish_counter(srv, "asdus_sent", srv->conn_stats.asdus_sent);
    publish_counter(srv, "spont_dropped", srv->conn_stats.spont_dropped);
    publish_counter(srv, "offline_dropped", srv->offline_dropped);
    publish_counter(srv, "offline_buffered", srv->offline.n);
    publish_counter(srv, "commands", srv->commands);
    publish_counter(srv, "refused", srv->refused);
    publish_counter(srv, "malformed_asdus", srv->malformed_asdus);
}

static void on_update(const dh_update *u, void *arg) {
    iec104_server *srv = arg;
    if (u->kind == DH_POINT && u->point) {
        on_point(srv, u->point);
    } else if (u->kind == DH_CYCLE_END && u->source && strncmp(u->source, "iec104", 6) != 0) {
        if (!srv->cycle_seen) {
            srv->cycle_seen = true;
            maybe_listen(srv);
        }
        publish_counters(srv);
    }
}

/* ---- connections: the hooks of each master's connection ---- */

static void on_started(void *ctx) {
    iec104_session *s = ctx;
    iec104_server *srv = s->srv;
    iec104_conn *c = s->conn;
    log_info(MOD_IEC104, "%s:%d: data transfer started", iec104_conn_peer(c), iec104_conn_peer_port(c));
    if (!srv->eoi_sent) {
        /* end of initialisation once per start of the gateway (COI 0: local power on) */
        iec104_asdu eoi = {.type = M_EI_NA_1, .n = 1, .cot = COT_INIT, .ca = srv->cfg->ca};
        iec104_conn_send_asdu_hp(c, &eoi);
        srv->eoi_sent = true;
    }
    iec104_event e;
    while (ring_pop(&srv->offline, &e))
        iec104_conn_queue_event(c, &e);
    iec104_conn_pump(c);
}

/* Events a stopped master did not get go back to the offline buffer when no
 * other master is started, so the next one receives them. */
static void on_stopped(void *ctx) {
    iec104_session *s = ctx;
    iec104_server *srv = s->srv;
    log_info(MOD_IEC104, "%s:%d: data transfer stopped", iec104_conn_peer(s->conn),
             iec104_conn_peer_port(s->conn));
    iec104_event e;
    bool keep = started_count(srv) == 0;
    while (iec104_conn_take_event(s->conn, &e))
        if (keep && ring_push(&srv->offline, &e))
            srv->offline_dropped++;
}

static void on_closed(void *ctx) {
    iec104_server_drop(ctx);
}

static void on_event(void *ctx, const char *kind, const char *text) {
    iec104_session *s = ctx;
    if (strcmp(kind, "protocol_error") == 0) {
        s->srv->protocol_errors++;
        if (!iec104_hostile_take(s->srv, IEC104_HOSTILE_PROTOCOL))
            return; /* a flood: summed up */
        log_warn(MOD_IEC104, "%s", text);
    }
    iec104_notice(s->srv->hub, kind, "%s", text);
}

static bool on_asdu(void *ctx, const uint8_t *asdu, size_t len) {
    return iec104_app_handle(ctx, asdu, len);
}

static bool next_interrogation(void *ctx, iec104_asdu *a) {
    return iec104_app_next_interrogation(ctx, a);
}

iec104_session *iec104_server_adopt(iec104_server *srv, int fd, const char *peer, int peer_port) {
    iec104_session *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->srv = srv;
    iec104_conn_hooks hooks = {.ctx = s, .on_asdu = on_asdu,
                               .next_interrogation = next_interrogation,
                               .on_started = on_started, .on_stopped = on_stopped,
                               .on_closed = on_closed, .on_event = on_event};
    s->conn = iec104_conn_new(&srv->conn_params, &hooks, fd, peer, peer_port);
    if (!s->conn) {
        free(s);
        return NULL;
    }
    srv->sessions[srv->n_sessions++] = s;
    return s;
}

void iec104_server_drop(iec104_session *s) {
    iec104_server *srv = s->srv;
    if (iec104_conn_started(s->conn))
        on_stopped(s);
    for (size_t i = 0; i < srv->n_sessions; i++)
        if (srv->sessions[i] == s) {
            memmove(&srv->sessions[i], &srv->sessions[i + 1],
                    (srv->n_sessions - i - 1) * sizeof s);
            srv->n_sessions--;
            break;
        }
    iec104_conn_free(s->conn);
    free(s);
}

/* ---- life cycle ---- */

iec104_server *iec104_server_start(const iec104_config *cfg, gw_loop *loop, datahub *hub,
                                   char *err, size_t errlen) {
    iec104_server *srv = calloc(1, sizeof *srv);
    if (!srv) {
        snprintf(err, errlen, "iec104: out of memory");
        return NULL;
    }
    srv->cfg = cfg;
    srv->loop = loop;
    srv->hub = hub;
    iec104_hostile_init(srv);
    srv->listen_fd = -1;
    srv->sub_id = -1;
    srv->n_map = cfg->n_map;
    srv->map = calloc(cfg->n_map ? cfg->n_map : 1, sizeof *srv->map);
    srv->sessions = calloc((size_t)cfg->connections, sizeof *srv->sessions);
    srv->conn_params = (iec104_conn_params){
        .loop = loop, .ca = cfg->ca, .k = cfg->k, .w = cfg->w, .t1_ns = cfg->t1_ns,
        .t2_ns = cfg->t2_ns, .t3_ns = cfg->t3_ns, .idle_timeout_ns = cfg->idle_timeout_ns,
        .queue = (size_t)cfg->queue, .stats = &srv->conn_stats};
    if (!srv->map || !srv->sessions || !ring_init(&srv->offline, (size_t)cfg->offline_buffer)) {
        snprintf(err, errlen, "iec104: out of memory");
        iec104_server_stop(srv);
        return NULL;
    }
    if (cfg->n_map) /* a server without a map has cfg->map NULL: memcpy must not see it */
        memcpy(srv->map, cfg->map, cfg->n_map * sizeof *srv->map);
    for (size_t i = 0; i < srv->n_map; i++)
        srv->n_monitor += !iec104_map_is_command(srv->map[i].type);
    if (iec104_map_index(srv) < 0 || open_listener(srv, err, errlen) < 0) {
        if (!err[0])
            snprintf(err, errlen, "iec104: out of memory");
        iec104_server_stop(srv);
        return NULL;
    }
    /* points published before the start (none in gwd today) count as polled */
    for (size_t i = 0; i < srv->n_map; i++) {
        const dp *p = datahub_get(hub, srv->map[i].point);
        if (p && !srv->map[i].has_value) {
            iec104_map_update(&srv->map[i], p);
            srv->n_valued += !iec104_map_is_command(srv->map[i].type);
        }
    }
    srv->sub_id = datahub_subscribe(hub, on_update, srv);
    maybe_listen(srv);
    if (!srv->listening)
        log_info(MOD_IEC104, "port %d: waiting for the initial poll before accepting masters",
                 srv->port);
    return srv;
}

int iec104_server_port(const iec104_server *srv) {
    return srv && srv->listen_fd >= 0 ? srv->port : -1;
}

void iec104_server_stop(iec104_server *srv) {
    if (!srv)
        return;
    if (srv->sub_id >= 0) {
        datahub_unsubscribe(srv->hub, srv->sub_id);
        publish_counters(srv);
    }
    while (srv->n_sessions)
        iec104_server_drop(srv->sessions[srv->n_sessions - 1]);
    while (srv->refused_list)
        refused_close(srv->refused_list);
    iec104_hostile_stop(srv);
    if (srv->listen_fd >= 0) {
        if (srv->listening)
            loop_del_fd(srv->loop, srv->listen_fd);
        close(srv->listen_fd);
    }
    ring_free(&srv->offline);
    free(srv->point_slots);
    free(srv->by_ioa);
    free(srv->sessions);
    free(srv->map);
    free(srv);
}
