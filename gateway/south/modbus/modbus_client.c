/* modbus_client: links, polling timers and the request/answer state machine
 * (see modbus_client.h). */
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
#include "core/dp_address.h"
#include "core/iochan.h"
#include "core/log.h"
#include "south/modbus/modbus_client_int.h"

#define MOD "modbus"
#define MAX_JOBS 64

typedef struct mbc_link mbc_link;

typedef struct mbc_dev_state {
    const mbc_device *cfg;
    struct modbus_client *cl;
    mbc_link *link;
    loop_timer_id timer[MBC_GROUPS];
    bool queued[MBC_GROUPS];
    bool dead;
    bool announced;
} mbc_dev_state;

typedef struct mbc_job {
    mbc_dev_state *dev;
    int group;
} mbc_job;

struct mbc_link {
    struct modbus_client *cl;
    char name[128];          /* iochan name */
    const mbc_device *first; /* the device whose link settings open it */
    modbus_t *ctx;
    int fd;
    iochan *ch;
    bool tcp;
    mbc_job jobs[MAX_JOBS];
    size_t n_jobs;
    /* the job in progress */
    bool busy;
    mbc_block *blocks;
    size_t n_blocks, block;
    unsigned attempt;
    loop_timer_id timeout;
    uint8_t rx[MB_ADU_MAX + 8];
    size_t rx_len;
    bool waiting;            /* a request is out */
};

struct modbus_client {
    const modbus_client_config *cfg;
    gw_loop *loop;
    datahub *hub;
    mbc_dev_state *devs;
    mbc_link **links;
    size_t n_links;
};

static void link_next(mbc_link *l);

/* ---- publishing --------------------------------------------------------------- */

static void publish_meter(modbus_client *cl, mbc_dev_state *d, const char *status) {
    const mbc_device *c = d->cfg;
    const dh_meter *old = datahub_get_meter(cl->hub, c->name);
    dh_meter m = {.name = c->name, .interface = "modbus", .primary_address = (int)c->unit_id,
                  .serial = c->serial, .manufacturer = c->manufacturer, .medium = (int)c->medium,
                  .status = status,
                  .last_read_ns = strcmp(status, "ok") == 0 ? clock_wall_ns() : old ? old->last_read_ns : 0};
    datahub_meter(cl->hub, &m);
}

static const char *bank_name(uint8_t function) {
    static const char *const banks[] = {"", "coils", "discrete", "holding", "input"};
    return function < sizeof banks / sizeof banks[0] ? banks[function] : "";
}

static void publish_block(modbus_client *cl, mbc_dev_state *d, const mbc_block *b, const uint8_t *pdu) {
    int64_t now = clock_wall_ns();
    for (size_t i = b->first; i < b->first + b->n; i++) {
        const mbc_register *r = &d->cfg->regs[i];
        unsigned off = r->address - b->req.address;
        dp_value v = {.type = DP_DOUBLE};
        if (r->function <= 2) {
            v.type = DP_BOOL;
            v.b = mb_rsp_bit(pdu, off) != 0;
        } else {
            uint16_t regs[4];
            for (unsigned k = 0; k < mbv_registers(r->format); k++) regs[k] = mb_rsp_register(pdu, off + k);
            v.d = mbv_decode(regs, r->format, r->order) * r->scale;
        }
        char id[256], address[DP_ADDRESS_MAX];
        snprintf(id, sizeof id, "%s/%s", d->cfg->name, r->id);
        dp_modbus_address_format(bank_name(r->function), r->address, mbv_format_name(r->format),
                                 mbv_order_name(r->order), address, sizeof address);
        dp p = {.id = id, .value = v, .unit = r->unit, .ts_ns = now,
                .origin = {.meter = d->cfg->name, .record = (int)i, .protocol = DP_PROTO_MODBUS,
                           .address = address, .quantity = r->quantity, .function = "instantaneous"}};
        datahub_publish(cl->hub, &p);
    }
}

static void event(modbus_client *cl, const mbc_dev_state *d, const char *kind, const char *text) {
    char source[160];
    snprintf(source, sizeof source, "modbus:%s", d->cfg->name);
    dh_event e = {.source = source, .kind = kind, .meter = d->cfg->name, .text = text,
                  .ts_ns = clock_wall_ns()};
    datahub_event(cl->hub, &e);
}

/* ---- the link: one request at a time ------------------------------------------ */

static void link_disconnect(mbc_link *l) {
    if (l->fd >= 0) loop_del_fd(l->cl->loop, l->fd);
    if (l->ch) iochan_close(l->ch);
    l->ch = NULL;
    if (l->ctx) modbus_close(l->ctx);
    l->fd = -1;
}

static void on_readable(gw_loop *loop, int fd, unsigned events, void *arg);

static int local_port(int fd) {
    struct sockaddr_in a;
    socklen_t len = sizeof a;
    return getsockname(fd, (struct sockaddr *)&a, &len) == 0 ? ntohs(a.sin_port) : 0;
}

static bool link_connect(mbc_link *l, int64_t timeout_ns) {
    if (l->fd >= 0) return true;
    modbus_set_response_timeout(l->ctx, (uint32_t)(timeout_ns / NS_PER_S),
                                (uint32_t)(timeout_ns % NS_PER_S / NS_PER_US));
    if (modbus_connect(l->ctx) < 0) {
        log_warn(MOD, "%s: cannot connect: %s", l->name, modbus_strerror(errno));
        return false;
    }
    l->fd = modbus_get_socket(l->ctx);
    fcntl(l->fd, F_SETFL, fcntl(l->fd, F_GETFL) | O_NONBLOCK);
    fcntl(l->fd, F_SETFD, FD_CLOEXEC);
    char name[160];
    if (l->tcp) snprintf(name, sizeof name, "tcp:%lld:%d", l->first->port, local_port(l->fd));
    else snprintf(name, sizeof name, "%s", l->first->serial_device);
    l->ch = iochan_open(l->fd, name, false);
    loop_add_fd(l->cl->loop, l->fd, LOOP_READ, on_readable, l);
    return l->ch != NULL;
}

static void on_timeout(gw_loop *loop, void *arg);

static void send_block(mbc_link *l) {
    mbc_dev_state *d = l->jobs[0].dev;
    const mbc_block *b = &l->blocks[l->block];
    uint8_t raw[8];
    raw[0] = (uint8_t)d->cfg->unit_id;
    size_t n = 1 + mb_build_read_req(&b->req, raw + 1);
    l->rx_len = 0;
    l->waiting = true;
    l->timeout = loop_timer_after(l->cl->loop, d->cfg->timeout_ns, on_timeout, l);
    if (!link_connect(l, d->cfg->timeout_ns)) return; /* the timeout handles it */
    modbus_set_slave(l->ctx, (int)d->cfg->unit_id);
    int rc = modbus_send_raw_request(l->ctx, raw, (int)n);
    if (rc > 0) iochan_count_tx(l->ch, (uint64_t)rc);
    else log_warn(MOD, "%s: cannot send: %s", l->name, modbus_strerror(errno));
}

static void job_done(mbc_link *l, bool ok) {
    mbc_dev_state *d = l->jobs[0].dev;
    modbus_client *cl = l->cl;
    int group = l->jobs[0].group;
    d->queued[group] = false;
    memmove(l->jobs, l->jobs + 1, (l->n_jobs - 1) * sizeof *l->jobs);
    l->n_jobs--;
    free(l->blocks);
    l->blocks = NULL;
    l->busy = false;
    char source[160];
    snprintf(source, sizeof source, "modbus:%s", d->cfg->name);
    if (ok && (d->dead || !d->announced)) {
        if (d->dead) log_info(MOD, "%s: answers again", d->cfg->name);
        d->dead = false;
        d->announced = true;
        publish_meter(cl, d, "ok");
    } else if (ok) {
        publish_meter(cl, d, "ok");
    }
    datahub_cycle_end(cl->hub, source, clock_wall_ns());
    link_next(l);
}

static void mark_dead(mbc_link *l) {
    mbc_dev_state *d = l->jobs[0].dev;
    modbus_client *cl = l->cl;
    log_warn(MOD, "%s: no answer after %lld retries: not read", d->cfg->name, d->cfg->retries);
    datahub_set_meter_quality(cl->hub, d->cfg->name, DPQ_INVALID | DPQ_NOT_TOPICAL, clock_wall_ns());
    publish_meter(cl, d, "not_read");
    event(cl, d, "not_read", "no answer");
    d->dead = true;
    d->announced = true;
}

static void next_block(mbc_link *l) {
    l->waiting = false;
    l->attempt = 0;
    if (++l->block >= l->n_blocks) return job_done(l, true);
    send_block(l);
}

static void on_timeout(gw_loop *loop, void *arg) {
    mbc_link *l = arg;
    l->timeout = 0;
    l->waiting = false;
    mbc_dev_state *d = l->jobs[0].dev;
    /* TCP: a late answer must not be taken for the next one; start a fresh connection */
    if (l->tcp) link_disconnect(l);
    if (l->attempt++ < d->cfg->retries) {
        log_debug(MOD, "%s: timeout, retry %u", d->cfg->name, l->attempt);
        send_block(l);
        return;
    }
    mark_dead(l);
    job_done(l, false);
}

/* A complete answer ADU in l->rx: check it against the request and publish. */
static void handle_answer(mbc_link *l, size_t len) {
    mbc_dev_state *d = l->jobs[0].dev;
    const mbc_block *b = &l->blocks[l->block];
    size_t hdr = l->tcp ? MB_TCP_HEADER : 1;
    if (!l->tcp && !mb_rtu_crc_ok(l->rx, len)) return; /* noise: keep waiting */
    if (l->rx[hdr - 1] != (uint8_t)d->cfg->unit_id) return;
    const uint8_t *pdu = l->rx + hdr;
    size_t pdu_len = len - hdr - (l->tcp ? 0 : 2);
    int rc = mb_check_read_rsp(&b->req, pdu, pdu_len);
    if (rc < 0) return;
    loop_timer_cancel(l->cl->loop, l->timeout);
    l->timeout = 0;
    if (rc == 0) {
        publish_block(l->cl, d, b, pdu);
    } else {
        char text[128];
        snprintf(text, sizeof text, "exception %d to function %u address %u count %u", rc,
                 b->req.function, b->req.address, b->req.count);
        log_warn(MOD, "%s: %s", d->cfg->name, text);
        event(l->cl, d, "exception", text);
    }
    next_block(l);
}

static void on_readable(gw_loop *loop, int fd, unsigned events, void *arg) {
    mbc_link *l = arg;
    ssize_t n = iochan_read(l->ch, l->rx + l->rx_len, sizeof l->rx - l->rx_len);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
    if (n <= 0) {
        log_warn(MOD, "%s: connection closed by the device", l->name);
        link_disconnect(l);
        return; /* a pending request runs into its timeout */
    }
    if (!l->waiting) return; /* late bytes of an abandoned request */
    l->rx_len += (size_t)n;
    for (;;) {
        int need = l->tcp ? mb_tcp_adu_length(l->rx, l->rx_len) : mb_rtu_response_length(l->rx, l->rx_len);
        if (need < 0 || (size_t)need > sizeof l->rx) {
            l->rx_len = 0;
            return;
        }
        if (need == 0 || l->rx_len < (size_t)need) return;
        size_t len = (size_t)need;
        handle_answer(l, len);
        if (!l->waiting || l->rx_len < len) return;
        memmove(l->rx, l->rx + len, l->rx_len - len);
        l->rx_len -= len;
    }
}

static void link_next(mbc_link *l) {
    while (!l->busy && l->n_jobs > 0) {
        mbc_job *j = &l->jobs[0];
        l->blocks = calloc(j->dev->cfg->n_regs ? j->dev->cfg->n_regs : 1, sizeof *l->blocks);
        if (!l->blocks) return;
        l->n_blocks = mbc_plan(j->dev->cfg, j->group, l->cl->cfg->optimize, l->blocks, j->dev->cfg->n_regs);
        l->block = 0;
        l->attempt = 0;
        l->busy = true;
        if (l->n_blocks == 0) {
            job_done(l, true);
            return;
        }
        send_block(l);
    }
}

/* ---- polling timers: one per device and group ---------------------------------- */

static void poll_group(mbc_dev_state *d, int group) {
    mbc_link *l = d->link;
    if (!d->queued[group] && l->n_jobs < MAX_JOBS) {
        d->queued[group] = true;
        l->jobs[l->n_jobs++] = (mbc_job){d, group};
        link_next(l);
    }
}

#define GROUP_TIMER(g)                                                                  \
    static void on_group_##g(gw_loop *loop, void *arg) {                               \
        mbc_dev_state *d = arg;                                                          \
        d->timer[g] = loop_timer_after(loop, d->cl->cfg->interval_ns[g], on_group_##g, d); \
        poll_group(d, g);                                                                \
    }
GROUP_TIMER(0)
GROUP_TIMER(1)
GROUP_TIMER(2)
static const loop_timer_cb group_cb[MBC_GROUPS] = {on_group_0, on_group_1, on_group_2};

/* ---- life cycle --------------------------------------------------------------- */

static mbc_link *link_for(modbus_client *cl, const mbc_device *dev, char *err, size_t errlen) {
    char name[128];
    if (dev->host) snprintf(name, sizeof name, "tcp:%s:%lld", dev->host, dev->port);
    else snprintf(name, sizeof name, "%s", dev->serial_device);
    for (size_t i = 0; i < cl->n_links; i++)
        if (strcmp(cl->links[i]->name, name) == 0) return cl->links[i];
    mbc_link *l = calloc(1, sizeof *l);
    mbc_link **all = realloc(cl->links, (cl->n_links + 1) * sizeof *all);
    if (!l || !all) {
        free(l);
        snprintf(err, errlen, "modbus: out of memory");
        return NULL;
    }
    cl->links = all;
    cl->links[cl->n_links++] = l;
    snprintf(l->name, sizeof l->name, "%s", name);
    l->cl = cl;
    l->first = dev;
    l->fd = -1;
    l->tcp = dev->host != NULL;
    l->ctx = l->tcp ? modbus_new_tcp(dev->host, (int)dev->port)
                    : modbus_new_rtu(dev->serial_device, (int)dev->baud, dev->parity, 8, (int)dev->stop_bits);
    if (!l->ctx) {
        snprintf(err, errlen, "modbus: %s: %s", name, modbus_strerror(errno));
        return NULL;
    }
    return l;
}

modbus_client *modbus_client_start(const modbus_client_config *cfg, gw_loop *loop, datahub *hub,
                                   char *err, size_t errlen) {
    modbus_client *cl = calloc(1, sizeof *cl);
    if (!cl || !(cl->devs = calloc(cfg->n_devices ? cfg->n_devices : 1, sizeof *cl->devs))) {
        free(cl);
        snprintf(err, errlen, "modbus: out of memory");
        return NULL;
    }
    cl->cfg = cfg;
    cl->loop = loop;
    cl->hub = hub;
    for (size_t i = 0; i < cfg->n_devices; i++) {
        mbc_dev_state *d = &cl->devs[i];
        d->cfg = &cfg->devices[i];
        d->cl = cl;
        d->link = link_for(cl, d->cfg, err, errlen);
        if (!d->link) {
            modbus_client_stop(cl);
            return NULL;
        }
    }
    /* "start immediately": every group polls once at start, slow first */
    for (size_t i = 0; i < cfg->n_devices; i++)
        for (int g = 0; g < MBC_GROUPS; g++) {
            bool used = false;
            for (size_t k = 0; k < cfg->devices[i].n_regs; k++) used |= cfg->devices[i].regs[k].group == g;
            if (used) cl->devs[i].timer[g] = loop_timer_after(loop, 0, group_cb[g], &cl->devs[i]);
        }
    return cl;
}

void modbus_client_stop(modbus_client *cl) {
    if (!cl) return;
    for (size_t i = 0; i < cl->cfg->n_devices; i++)
        for (int g = 0; g < MBC_GROUPS; g++) loop_timer_cancel(cl->loop, cl->devs[i].timer[g]);
    for (size_t i = 0; i < cl->n_links; i++) {
        mbc_link *l = cl->links[i];
        loop_timer_cancel(cl->loop, l->timeout);
        link_disconnect(l);
        if (l->ctx) modbus_free(l->ctx);
        free(l->blocks);
        free(l);
    }
    free(cl->links);
    free(cl->devs);
    free(cl);
}
