/* web_api_meters: the meters (status, last values, RSSI, errors), one meter,
 * its history from the store, and every data point of the datahub. */
#include <stdio.h>
#include <string.h>
#include "core/clock.h"
#include "store/store_query.h"
#include "north/web/web_ctx.h"

static json_t *value_json(const dp_value *v) {
    switch (v->type) {
    case DP_BOOL: return json_boolean(v->b);
    case DP_INT: return json_integer(v->i);
    case DP_DOUBLE: return json_real(v->d);
    case DP_STRING: return json_string(v->s ? v->s : "");
    case DP_BYTES: {
        char hex[2 * 64 + 1] = "";
        for (size_t i = 0; i < v->len && i < 64; i++)
            sprintf(hex + 2 * i, "%02X", v->bytes[i]);
        return json_string(hex);
    }
    default: return json_null();
    }
}

json_t *web_point_json(const dp *p) {
    char iso[32];
    web_iso(p->ts_ns, iso);
    return json_pack("{s:s,s:o,s:s,s:i,s:s,s:s?,s:i}", "id", p->id, "value", value_json(&p->value),
                     "unit", p->unit ? p->unit : "", "quality", (int)p->quality, "time", iso,
                     "quantity", p->origin.quantity, "record", p->origin.record);
}

static json_t *meter_json(web_server *srv, const dh_meter *m, bool with_values) {
    char iso[32], rssi_id[160];
    web_iso(m->last_read_ns, iso);
    snprintf(rssi_id, sizeof rssi_id, "%s/link/rssi", m->name);
    const dp *rssi = datahub_get(srv->svc.hub, rssi_id);
    const web_meter_errors *e = web_hub_errors(&srv->hub, m->name);
    json_t *o = json_pack("{s:s,s:s?,s:s?,s:i,s:s?,s:s?,s:s?,s:s,s:o,s:{s:I,s:I}}", "name", m->name,
                          "interface", m->interface, "status", m->status, "primary_address",
                          m->primary_address, "secondary", m->secondary, "manufacturer",
                          m->manufacturer, "medium", m->medium_name, "last_read", iso, "rssi_dbm",
                          rssi && rssi->value.type == DP_DOUBLE ? json_real(rssi->value.d) : json_null(),
                          "errors", "not_read", (json_int_t)(e ? e->not_read : 0), "rejected",
                          (json_int_t)(e ? e->rejected : 0));
    if (!with_values)
        return o;
    json_t *values = json_array();
    for (size_t i = 0; i < datahub_count(srv->svc.hub); i++) {
        const dp *p = datahub_at(srv->svc.hub, i);
        if (p->origin.meter && strcmp(p->origin.meter, m->name) == 0)
            json_array_append_new(values, web_point_json(p));
    }
    json_object_set_new(o, "values", values);
    return o;
}

void web_api_meters(web_ctx *c) {
    char filter[64] = "";
    web_query_param(c->req->query, "status", filter, sizeof filter);
    json_t *a = json_array();
    const datahub *hub = c->srv->svc.hub;
    for (size_t i = 0; i < datahub_meter_count(hub); i++) {
        const dh_meter *m = datahub_meter_at(hub, i);
        if (!filter[0] || (m->status && strcmp(m->status, filter) == 0))
            json_array_append_new(a, meter_json(c->srv, m, true));
    }
    web_reply_json(c, 200, json_pack("{s:o}", "meters", a));
}

void web_api_meter(web_ctx *c) {
    const dh_meter *m = datahub_get_meter(c->srv->svc.hub, c->match->params[0]);
    if (!m)
        web_reply_error(c, 404, "no such meter");
    else
        web_reply_json(c, 200, meter_json(c->srv, m, true));
}

static void add_reading(void *arg, const store_reading *r) {
    char iso[32];
    web_iso(r->ts_ns, iso);
    json_array_append_new(arg, json_pack("{s:s,s:I,s:s,s:s?,s:s?,s:o,s:i}", "time", iso, "ts_ns",
                                         (json_int_t)r->ts_ns, "point", r->point, "quantity",
                                         r->quantity, "unit", r->unit, "value",
                                         r->has_number ? json_real(r->value)
                                         : r->text     ? json_string(r->text)
                                                       : json_null(),
                                         "quality", (int)r->quality));
}

/* from/to (ISO or ns; default the last 24 h), offset, limit (at most 10,000). */
bool web_history_range(web_ctx *c, int64_t *from, int64_t *to, long long *offset, long long *limit) {
    int64_t now = clock_wall_ns();
    return web_query_time(c, "to", now + NS_PER_S, to) &&
           web_query_time(c, "from", *to - 86400 * NS_PER_S, from) &&
           web_query_int(c, "offset", 0, 0, INT64_MAX / 2, offset) &&
           web_query_int(c, "limit", 1000, 1, 10000, limit);
}

void web_api_meter_history(web_ctx *c) {
    const char *name = c->match->params[0];
    int64_t from, to;
    long long offset, limit;
    if (!datahub_get_meter(c->srv->svc.hub, name)) {
        web_reply_error(c, 404, "no such meter");
        return;
    }
    if (!web_history_range(c, &from, &to, &offset, &limit))
        return;
    if (!c->srv->svc.store) {
        web_reply_error(c, 404, "no store is configured (gateway.store), so no history");
        return;
    }
    json_t *rows = json_array();
    int64_t n = store_query_readings(c->srv->svc.store, name, from, to, offset, limit + 1,
                                     add_reading, rows);
    if (n < 0) {
        json_decref(rows);
        web_reply_error(c, 500, "the store could not be read");
        return;
    }
    bool more = n > limit;
    if (more)
        json_array_remove(rows, json_array_size(rows) - 1);
    web_reply_json(c, 200, json_pack("{s:s,s:I,s:I,s:b,s:I,s:o}", "meter", name, "offset",
                                     (json_int_t)offset, "limit", (json_int_t)limit, "more", more,
                                     "next_offset", (json_int_t)(offset + (more ? limit : n)),
                                     "readings", rows));
}

void web_api_points(web_ctx *c) {
    char prefix[128] = "";
    web_query_param(c->req->query, "prefix", prefix, sizeof prefix);
    size_t n = strlen(prefix);
    json_t *a = json_array();
    const datahub *hub = c->srv->svc.hub;
    for (size_t i = 0; i < datahub_count(hub); i++) {
        const dp *p = datahub_at(hub, i);
        if (strncmp(p->id, prefix, n) == 0)
            json_array_append_new(a, web_point_json(p));
    }
    web_reply_json(c, 200, json_pack("{s:o}", "points", a));
}
