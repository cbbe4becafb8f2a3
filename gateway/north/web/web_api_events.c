/* web_api_events: GET /api/v1/events, newest first, paged and filtered
 * (source, kind, meter, from, to, offset, limit); from the store when there
 * is one, else from the last 256 events the web server saw. */
#include <string.h>
#include "core/clock.h"
#include "store/store_query.h"
#include "north/web/web_ctx.h"

static json_t *event_json(int64_t ts, const char *source, const char *kind, const char *meter,
                          const char *text) {
    char iso[32];
    web_iso(ts, iso);
    return json_pack("{s:s,s:I,s:s?,s:s?,s:s?,s:s?}", "time", iso, "ts_ns", (json_int_t)ts,
                     "source", source, "kind", kind, "meter", meter && meter[0] ? meter : NULL,
                     "text", text);
}

static void add_row(void *arg, const store_event_row *e) {
    json_array_append_new(arg, event_json(e->ts_ns, e->source, e->kind, e->meter, e->text));
}

static bool keep(const store_event_filter *f, const web_event *e) {
    return (!f->source || strcmp(f->source, e->source) == 0) &&
           (!f->kind || strcmp(f->kind, e->kind) == 0) &&
           (!f->meter || strcmp(f->meter, e->meter) == 0) && e->ts_ns >= f->from_ns &&
           e->ts_ns < f->to_ns;
}

static int64_t from_memory(const web_hub *h, const store_event_filter *f, long long offset,
                           long long limit, json_t *rows) {
    int64_t n = 0, skipped = 0;
    for (size_t i = 0; i < h->n_events && n < limit; i++) {
        const web_event *e = &h->events[(h->next_event + WEB_EVENTS_KEPT - 1 - i) % WEB_EVENTS_KEPT];
        if (!keep(f, e) || skipped++ < offset)
            continue;
        json_array_append_new(rows, event_json(e->ts_ns, e->source, e->kind, e->meter, e->text));
        n++;
    }
    return n;
}

void web_api_events(web_ctx *c) {
    char source[64], kind[32], meter[64];
    store_event_filter f = {0};
    long long offset, limit;
    if (web_query_param(c->req->query, "source", source, sizeof source)) f.source = source;
    if (web_query_param(c->req->query, "kind", kind, sizeof kind)) f.kind = kind;
    if (web_query_param(c->req->query, "meter", meter, sizeof meter)) f.meter = meter;
    if (!web_query_time(c, "from", 0, &f.from_ns) || !web_query_time(c, "to", INT64_MAX, &f.to_ns) ||
        !web_query_int(c, "offset", 0, 0, INT64_MAX / 2, &offset) ||
        !web_query_int(c, "limit", 100, 1, 1000, &limit))
        return;
    json_t *rows = json_array();
    int64_t n = c->srv->svc.store
                    ? store_query_events(c->srv->svc.store, &f, offset, limit + 1, add_row, rows)
                    : from_memory(&c->srv->hub, &f, offset, limit + 1, rows);
    if (n < 0) {
        json_decref(rows);
        web_reply_error(c, 500, "the store could not be read");
        return;
    }
    bool more = n > limit;
    if (more)
        json_array_remove(rows, json_array_size(rows) - 1);
    web_reply_json(c, 200, json_pack("{s:I,s:b,s:o}", "offset", (json_int_t)offset, "more", more,
                                     "events", rows));
}
