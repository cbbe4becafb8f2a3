/* web_hub: what the web server remembers from the datahub beyond its latest
 * state: the buses and their last cycle, errors per meter, and the last events
 * (served when there is no store to page them from). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "north/web/web_int.h"

static void on_cycle(web_hub *h, const char *source, int64_t ts_ns) {
    web_bus *b = NULL;
    for (size_t i = 0; i < h->n_bus && !b; i++)
        if (strcmp(h->bus[i].source, source) == 0)
            b = &h->bus[i];
    if (!b && h->n_bus < WEB_BUSES_MAX) {
        b = &h->bus[h->n_bus++];
        snprintf(b->source, sizeof b->source, "%s", source);
    }
    if (b) {
        b->last_cycle_ns = ts_ns;
        b->cycles++;
    }
}

static web_meter_errors *errors_of(web_hub *h, const char *meter) {
    for (size_t i = 0; i < h->n_errors; i++)
        if (strcmp(h->errors[i].meter, meter) == 0)
            return &h->errors[i];
    if (h->n_errors == h->cap_errors) {
        size_t cap = h->cap_errors ? h->cap_errors * 2 : 16;
        web_meter_errors *e = realloc(h->errors, cap * sizeof *e);
        if (!e)
            return NULL;
        h->errors = e;
        h->cap_errors = cap;
    }
    web_meter_errors *e = &h->errors[h->n_errors++];
    memset(e, 0, sizeof *e);
    snprintf(e->meter, sizeof e->meter, "%s", meter);
    return e;
}

static void on_event(web_hub *h, const dh_event *ev) {
    web_event *w = &h->events[h->next_event];
    h->next_event = (h->next_event + 1) % WEB_EVENTS_KEPT;
    if (h->n_events < WEB_EVENTS_KEPT)
        h->n_events++;
    h->events_seen++;
    w->ts_ns = ev->ts_ns;
    snprintf(w->source, sizeof w->source, "%s", ev->source ? ev->source : "");
    snprintf(w->kind, sizeof w->kind, "%s", ev->kind ? ev->kind : "");
    snprintf(w->meter, sizeof w->meter, "%s", ev->meter ? ev->meter : "");
    snprintf(w->text, sizeof w->text, "%s", ev->text ? ev->text : "");
    if (!ev->meter || !ev->kind)
        return;
    web_meter_errors *e = errors_of(h, ev->meter);
    if (e && strcmp(ev->kind, "not_read") == 0)
        e->not_read++;
    else if (e && strcmp(ev->kind, "rejected") == 0)
        e->rejected++;
}

static void on_update(const dh_update *u, void *arg) {
    web_hub *h = arg;
    if (u->kind == DH_CYCLE_END)
        on_cycle(h, u->source, u->ts_ns);
    else if (u->kind == DH_EVENT)
        on_event(h, u->event);
}

void web_hub_attach(web_hub *h, datahub *hub) {
    h->hub = hub;
    h->subscription = datahub_subscribe(hub, on_update, h);
}

void web_hub_detach(web_hub *h) {
    if (h->hub && h->subscription >= 0)
        datahub_unsubscribe(h->hub, h->subscription);
    h->hub = NULL;
    free(h->errors);
    h->errors = NULL;
    h->n_errors = h->cap_errors = 0;
}

const web_meter_errors *web_hub_errors(const web_hub *h, const char *meter) {
    for (size_t i = 0; i < h->n_errors; i++)
        if (strcmp(h->errors[i].meter, meter) == 0)
            return &h->errors[i];
    return NULL;
}
