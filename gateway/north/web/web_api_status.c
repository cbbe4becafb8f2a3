/* web_api_status: GET /api/v1/status: the gateway at a glance. */
#include <string.h>
#include "core/clock.h"
#include "north/report/report.h"
#include "north/web/web_ctx.h"

/* The counters a driver publishes for a bus ("bus1/requests", no meter):
 * the points without meter whose id starts with the part after "mbus:". */
static json_t *bus_counters(const datahub *hub, const char *source) {
    const char *name = strchr(source, ':');
    name = name ? name + 1 : source;
    size_t n = strlen(name);
    json_t *o = json_object();
    for (size_t i = 0; i < datahub_count(hub); i++) {
        const dp *p = datahub_at(hub, i);
        if (!p->origin.meter && strncmp(p->id, name, n) == 0 && p->id[n] == '/' &&
            (p->value.type == DP_INT || p->value.type == DP_DOUBLE))
            json_object_set_new(o, p->id + n + 1, p->value.type == DP_INT
                                                       ? json_integer(p->value.i)
                                                       : json_real(p->value.d));
    }
    return o;
}

static json_t *buses(web_server *srv) {
    json_t *a = json_array();
    for (size_t i = 0; i < srv->hub.n_bus; i++) {
        const web_bus *b = &srv->hub.bus[i];
        char iso[32];
        web_iso(b->last_cycle_ns, iso);
        json_array_append_new(a, json_pack("{s:s,s:s,s:I,s:o}", "source", b->source, "last_cycle",
                                           iso, "cycles", (json_int_t)b->cycles, "counters",
                                           bus_counters(srv->svc.hub, b->source)));
    }
    return a;
}

static json_t *report_queue(void) {
    report_info info[16];
    size_t n = report_list(report_running(), info, 16);
    json_t *a = json_array();
    json_int_t total = 0;
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(a, json_pack("{s:s,s:I}", "name", info[i].name, "queued",
                                           (json_int_t)info[i].queued));
        total += (json_int_t)info[i].queued;
    }
    return json_pack("{s:I,s:o}", "queued", total, "instances", a);
}

void web_api_status(web_ctx *c) {
    web_server *srv = c->srv;
    const datahub *hub = srv->svc.hub;
    json_int_t ok = 0, not_read = 0;
    for (size_t i = 0; i < datahub_meter_count(hub); i++) {
        const char *st = datahub_meter_at(hub, i)->status;
        ok += st && strcmp(st, "ok") == 0;
        not_read += st && strcmp(st, "not_read") == 0;
    }
    char now[32];
    web_iso(clock_wall_ns(), now);
    json_t *o = json_pack(
        "{s:s,s:s,s:s,s:I,s:o,s:{s:I,s:I,s:I},s:I,s:I,s:o,s:{s:I,s:I,s:I}}", "gateway",
        srv->cfg->gateway_name, "version", srv->cfg->version, "time", now, "uptime_s",
        (json_int_t)((clock_mono_ns() - srv->started_mono_ns) / NS_PER_S), "buses", buses(srv),
        "meters", "total", (json_int_t)datahub_meter_count(hub), "ok", ok, "not_read", not_read,
        "points", (json_int_t)datahub_count(hub), "events", (json_int_t)srv->hub.events_seen,
        "reports", report_queue(), "web", "connections", (json_int_t)srv->n_conns, "requests",
        (json_int_t)srv->requests, "refused", (json_int_t)srv->refused);
    web_reply_json(c, 200, o);
}
