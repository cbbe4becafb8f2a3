/* Helpers shared by the report delivery tests (test_report_queue.c,
 * test_report_retry.c): a recording transport whose peer can be up or down,
 * a one-meter plant on a datahub, and a collector of datahub events.
 * Header-only (static functions) so every test binary stays one .c file. */
#ifndef GW_TEST_REPORT_FAKE_H
#define GW_TEST_REPORT_FAKE_H
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/config.h"
#include "core/datahub.h"
#include "north/report/report.h"
#include "north/report/report_inst.h"

#define FAKE_MAX 256

/* The transport: every send is recorded (id, body, wall time); the outcome is
 * ok while `up`, a failure otherwise, answered at once. */
typedef struct fake_transport {
    rpt_transport base;
    bool up;
    size_t n;
    int64_t id[FAKE_MAX];
    int64_t at_ns[FAKE_MAX];
    char *body[FAKE_MAX];
} fake_transport;

static inline void fake_send(rpt_transport *t, const store_msg *m) {
    fake_transport *f = (fake_transport *)t;
    if (f->n < FAKE_MAX) {
        f->id[f->n] = m->id;
        f->at_ns[f->n] = clock_wall_ns();
        f->body[f->n] = strndup(m->body, m->len);
        f->n++;
    }
    t->hooks.sent(t->hooks.ctx, m->id, f->up, f->up ? "" : "peer down");
}

static inline void fake_forget(fake_transport *f) {
    for (size_t i = 0; i < f->n; i++)
        free(f->body[i]);
    f->n = 0;
}

static inline void fake_free(rpt_transport *t) {
    fake_forget((fake_transport *)t); /* the struct itself belongs to the test */
}

static const rpt_transport_kind fake_kind = {.name = "fake", .send = fake_send, .free = fake_free};

/* Replace the configured transport of instance i by f (before report_start). */
static inline void fake_install(report *r, size_t i, fake_transport *f) {
    rpt_instance *in = &r->inst[i];
    transport_free(in->tr);
    memset(f, 0, sizeof *f);
    f->base.kind = &fake_kind;
    f->up = true;
    in->tr = &f->base;
}

static inline report *fake_configure(const char *yaml, const char *gateway) {
    cfg_err err = {{0}};
    cfg_node *root = cfg_load_string(yaml, "test.yaml", &err);
    report *r = root ? report_configure(cfg_get(root, "reports"), gateway, &err) : NULL;
    if (!r)
        fprintf(stderr, "configuration: %s\n", err.msg);
    cfg_free(root);
    return r;
}

/* One M-Bus meter "water1" whose volume is `value` litres, read at ts_ns. */
static inline void fake_readout(datahub *hub, int64_t value, int64_t ts_ns) {
    dh_meter m = {.name = "water1", .interface = "mbus", .primary_address = 5,
                  .serial = "00000042", .manufacturer = "ACW", .version = 1, .medium = 7,
                  .medium_name = "", .status = "ok", .last_read_ns = ts_ns};
    datahub_meter(hub, &m);
    dp p = {.id = "water1/0", .value = {.type = DP_DOUBLE, .d = (double)value / 1000},
            .unit = "m3", .ts_ns = ts_ns};
    p.origin = (dp_origin){.meter = "water1", .record = 0, .quantity = "volume",
                           .protocol = DP_PROTO_MBUS, .address = "DIF 04 VIF 13 storage 0 tariff 0 subunit 0",
                           .function = "instantaneous",
                           .raw_int = value, .scale_exp = -3, .has_raw = true};
    datahub_publish(hub, &p);
}

/* Datahub events of one kind, counted. */
typedef struct event_count {
    const char *kind;
    int n;
    char last_text[256];
} event_count;

static inline void count_events(const dh_update *u, void *arg) {
    event_count *c = arg;
    if (u->kind == DH_EVENT && u->event && u->event->kind && strcmp(u->event->kind, c->kind) == 0) {
        c->n++;
        snprintf(c->last_text, sizeof c->last_text, "%s", u->event->text ? u->event->text : "");
    }
}

/* Advance virtual time to wall time `wall_ns` step by step, running due timers. */
static inline void run_until_wall(gw_loop *loop, int64_t wall_ns) {
    for (int guard = 0; guard < 100000; guard++) {
        while (loop_run_once(loop, 0) > 0)
            ;
        int64_t now = clock_wall_ns(), next = loop_next_deadline(loop);
        if (now >= wall_ns)
            return;
        int64_t target = clock_mono_ns() + (wall_ns - now);
        clock_virtual_advance(next < target ? next : target);
    }
}
#endif
