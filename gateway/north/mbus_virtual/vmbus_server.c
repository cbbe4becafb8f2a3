/* vmbus_server: listen, accept, frames in, answers out (see vmbus_server.h). */
#include "north/mbus_virtual/vmbus_server.h"

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
#include "north/mbus_virtual/vmbus_directory.h"
#include "north/mbus_virtual/vmbus_session.h"
#include "north/mbus_virtual/vmbus_telegram.h"

#define MOD "mbus-virtual"

typedef struct vmbus_conn {
    vmbus_server *srv;
    int fd;
    iochan *ch;
    mbus_stream stream;
    vmbus_session session;
    int64_t last_ns;
    loop_timer_id idle_timer;
} vmbus_conn;

struct vmbus_server {
    const vmbus_config *cfg;
    gw_loop *loop;
    datahub *hub;
    int sub;
    int listen_fd;
    vmbus_directory dir;
    vmbus_slaves slaves;
    vmbus_conn **conns; /* oldest first */
    size_t n_conns;
};

/* ---- the meters, for the sessions ------------------------------------------ */

static size_t slaves_count(void *ctx) {
    vmbus_server *srv = ctx;
    return srv->dir.n;
}

static bool slaves_address(void *ctx, size_t i, int *primary, mbus_secondary *sa,
                           bool *has_secondary) {
    vmbus_server *srv = ctx;
    const vmbus_entry *e = &srv->dir.entries[i];
    *primary = e->primary;
    *sa = e->secondary;
    *has_secondary = e->has_secondary;
    return e->has_secondary || e->primary >= 0;
}

static size_t slaves_rsp_ud(void *ctx, size_t i, uint8_t a, unsigned page, uint8_t *out,
                            size_t cap, bool *more) {
    vmbus_server *srv = ctx;
    vmbus_entry *e = &srv->dir.entries[i];
    vmbus_telegram_in in = {.hub = srv->hub,
                            .meter = e->name,
                            .address = e->secondary,
                            .primary = a,
                            .access = e->access,
                            .now_wall_ns = clock_wall_ns(),
                            .expiration_ns = srv->cfg->value_expiration_ns};
    size_t n = vmbus_telegram_build(&in, page, out, cap, more);
    if (n)
        e->access++;
    return n;
}

static void on_hub(const dh_update *u, void *arg) {
    vmbus_server *srv = arg;
    if (u->kind == DH_METER)
        vmbus_directory_meter(&srv->dir, u->meter);
}

/* ---- connections -------------------------------------------------------------- */

static void conn_close(vmbus_conn *c, const char *why) {
    vmbus_server *srv = c->srv;
    log_info(MOD, "%s: closed (%s; %llu answers, %llu collisions, %llu bytes skipped)",
             iochan_name(c->ch), why, (unsigned long long)c->session.answers,
             (unsigned long long)c->session.collisions, (unsigned long long)c->stream.skipped);
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

static void arm_idle(vmbus_conn *c) {
    int64_t t = c->srv->cfg->idle_timeout_ns;
    if (t > 0)
        c->idle_timer = loop_timer_at(c->srv->loop, c->last_ns + t, on_idle, c);
}

static void on_idle(gw_loop *loop, void *arg) {
    vmbus_conn *c = arg;
    c->idle_timer = 0;
    if (clock_mono_ns() - c->last_ns >= c->srv->cfg->idle_timeout_ns)
        conn_close(c, "idle");
    else
        arm_idle(c);
}

static void on_frame(void *ctx, const uint8_t *bytes, size_t len, const mbus_frame *f) {
    vmbus_conn *c = ctx;
    uint8_t out[MBUS_FRAME_MAX];
    c->last_ns = clock_mono_ns(); /* a whole frame, not stray bytes, keeps the link alive */
    size_t n = vmbus_session_handle(&c->session, &c->srv->slaves, f, out, sizeof out);
    if (n && iochan_write(c->ch, out, n) != (ssize_t)n)
        log_debug(MOD, "%s: answer not written whole", iochan_name(c->ch));
}

static void on_conn(gw_loop *loop, int fd, unsigned events, void *arg) {
    vmbus_conn *c = arg;
    uint8_t buf[512];
    ssize_t n = iochan_read(c->ch, buf, sizeof buf);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (n <= 0) {
        conn_close(c, n == 0 ? "by the master" : strerror(errno));
        return;
    }
    mbus_stream_push(&c->stream, buf, (size_t)n, on_frame, c);
}

static void on_accept(gw_loop *loop, int fd, unsigned events, void *arg) {
    vmbus_server *srv = arg;
    char name[64];
    int cfd = tcp_listen_accept(fd, (int)srv->cfg->port, name, sizeof name);
    if (cfd < 0)
        return;
    if (srv->n_conns == (size_t)srv->cfg->max_connections)
        conn_close(srv->conns[0], "connection limit: the oldest makes room");
    vmbus_conn *c = calloc(1, sizeof *c);
    if (!c || !(c->ch = iochan_open(cfd, name, false)) ||
        loop_add_fd(loop, cfd, LOOP_READ, on_conn, c) < 0) {
        if (c && c->ch)
            iochan_close(c->ch);
        free(c);
        close(cfd);
        return;
    }
    c->srv = srv;
    c->fd = cfd;
    c->last_ns = clock_mono_ns();
    vmbus_session_init(&c->session);
    srv->conns[srv->n_conns++] = c;
    arm_idle(c);
    log_info(MOD, "%s: master connected (%zu meters known)", name, srv->dir.n);
}

/* ---- life cycle ----------------------------------------------------------------- */

vmbus_server *vmbus_server_start(const vmbus_config *cfg, gw_loop *loop, datahub *hub, char *err,
                                 size_t cap) {
    vmbus_server *srv = calloc(1, sizeof *srv);
    if (srv)
        srv->conns = calloc((size_t)cfg->max_connections, sizeof *srv->conns);
    if (!srv || !srv->conns) {
        free(srv);
        snprintf(err, cap, "mbus_virtual: out of memory");
        return NULL;
    }
    srv->cfg = cfg;
    srv->loop = loop;
    srv->hub = hub;
    srv->sub = -1;
    vmbus_directory_init(&srv->dir, cfg);
    srv->slaves = (vmbus_slaves){.count = slaves_count, .address = slaves_address,
                                 .rsp_ud = slaves_rsp_ud, .ctx = srv};
    char why[200];
    srv->listen_fd = tcp_listen_open(cfg->bind, (int)cfg->port, why, sizeof why);
    if (srv->listen_fd < 0 || loop_add_fd(loop, srv->listen_fd, LOOP_READ, on_accept, srv) < 0) {
        snprintf(err, cap, "mbus_virtual: %s", srv->listen_fd < 0 ? why : "cannot watch the port");
        vmbus_server_stop(srv);
        return NULL;
    }
    srv->sub = datahub_subscribe(hub, on_hub, srv);
    for (size_t i = 0; i < datahub_meter_count(hub); i++) /* meters known before the start */
        vmbus_directory_meter(&srv->dir, datahub_meter_at(hub, i));
    log_info(MOD, "virtual M-Bus on %s:%lld", cfg->bind, cfg->port);
    return srv;
}

void vmbus_server_stop(vmbus_server *srv) {
    if (!srv)
        return;
    while (srv->n_conns)
        conn_close(srv->conns[0], "gateway stopping");
    if (srv->sub >= 0)
        datahub_unsubscribe(srv->hub, srv->sub);
    if (srv->listen_fd >= 0) {
        loop_del_fd(srv->loop, srv->listen_fd);
        close(srv->listen_fd);
    }
    vmbus_directory_free(&srv->dir);
    free(srv->conns);
    free(srv);
}
