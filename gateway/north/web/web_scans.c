/* web_scans: API scans followed through the datahub (web_scans.h). */
#include "north/web/web_scans.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/clock.h"

static web_scan *running_on(web_scans *s, const char *bus) {
    for (size_t i = 0; i < WEB_SCANS_KEPT; i++)
        if (s->scan[i].id && s->scan[i].state == WEB_SCAN_RUNNING && strcmp(s->scan[i].bus, bus) == 0)
            return &s->scan[i];
    return NULL;
}

/* "key=value" out of the driver's event text. */
static void word(const char *text, const char *key, char *out, size_t cap) {
    size_t klen = strlen(key);
    out[0] = '\0';
    for (const char *p = text; p && *p; p = strchr(p, ' ') ? strchr(p, ' ') + 1 : NULL)
        if (strncmp(p, key, klen) == 0 && p[klen] == '=') {
            size_t n = strcspn(p + klen + 1, " ");
            snprintf(out, cap, "%.*s", (int)n, p + klen + 1);
            return;
        }
}

static void add_found(web_scan *sc, const dh_event *e) {
    if (sc->n_found == sc->cap_found) {
        size_t cap = sc->cap_found ? 2 * sc->cap_found : 16;
        web_scan_meter *grown = realloc(sc->found, cap * sizeof *grown);
        if (!grown)
            return;
        sc->found = grown;
        sc->cap_found = cap;
    }
    web_scan_meter *m = &sc->found[sc->n_found++];
    char version[16], primary[16];
    word(e->text, "secondary", m->secondary, sizeof m->secondary);
    word(e->text, "manufacturer", m->manufacturer, sizeof m->manufacturer);
    word(e->text, "medium", m->medium, sizeof m->medium);
    word(e->text, "version", version, sizeof version);
    word(e->text, "primary", primary, sizeof primary);
    snprintf(m->name, sizeof m->name, "%s", e->meter ? e->meter : "");
    m->version = version[0] && version[0] != '-' ? atoi(version) : -1;
    m->primary = primary[0] && primary[0] != '-' ? atoi(primary) : -1;
}

static long long point_int(const datahub *hub, const char *bus, const char *what) {
    char id[128];
    snprintf(id, sizeof id, "%s/%s", bus, what);
    const dp *p = datahub_get(hub, id);
    return p && p->value.type == DP_INT ? (long long)p->value.i : 0;
}

static void on_event(web_scans *s, const dh_event *e) {
    if (!e->source || strncmp(e->source, "mbus:", 5) != 0 || !e->kind ||
        strncmp(e->kind, "scan_", 5) != 0)
        return;
    web_scan *sc = running_on(s, e->source + 5);
    if (!sc)
        return; /* a configured scan, not one of ours */
    if (strcmp(e->kind, "scan_started") == 0) {
        sc->started = true;
    } else if (strcmp(e->kind, "scan_found") == 0 && sc->started && e->text) {
        add_found(sc, e);
    } else if (strcmp(e->kind, "scan_done") == 0 && sc->started) {
        web_scans_progress(s, sc, &sc->probes, &sc->found_count, &sc->percent);
        sc->found_count = (long long)sc->n_found;
        sc->state = WEB_SCAN_DONE;
    } else if (strcmp(e->kind, "scan_refused") == 0 && !sc->started) {
        sc->state = WEB_SCAN_FAILED;
        snprintf(sc->error, sizeof sc->error, "%s", e->text ? e->text : "refused by the driver");
    }
}

static void on_update(const dh_update *u, void *arg) {
    if (u->kind == DH_EVENT)
        on_event(arg, u->event);
}

void web_scans_attach(web_scans *s, datahub *hub) {
    s->hub = hub;
    s->subscription = datahub_subscribe(hub, on_update, s);
}

static void clear(web_scan *sc) {
    free(sc->found);
    memset(sc, 0, sizeof *sc);
}

void web_scans_detach(web_scans *s) {
    if (s->hub && s->subscription >= 0)
        datahub_unsubscribe(s->hub, s->subscription);
    for (size_t i = 0; i < WEB_SCANS_KEPT; i++)
        clear(&s->scan[i]);
    s->hub = NULL;
}

web_scan *web_scans_start(web_scans *s, const char *bus, const char *kind, bool *busy) {
    *busy = running_on(s, bus) != NULL;
    if (*busy)
        return NULL;
    web_scan *slot = NULL; /* a free slot, else the oldest finished one */
    for (size_t i = 0; i < WEB_SCANS_KEPT && !(slot && !slot->id); i++) {
        web_scan *sc = &s->scan[i];
        if (!sc->id || (sc->state != WEB_SCAN_RUNNING && (!slot || sc->id < slot->id)))
            slot = sc;
    }
    if (!slot)
        return NULL;
    clear(slot);
    slot->id = ++s->next_id;
    snprintf(slot->bus, sizeof slot->bus, "%s", bus);
    snprintf(slot->kind, sizeof slot->kind, "%s", kind);
    char point[96];
    snprintf(point, sizeof point, "%s/scan", bus);
    dh_command cmd = {.point = point, .value = {.type = DP_STRING, .s = kind}, .source = "web",
                      .ts_ns = clock_wall_ns()};
    datahub_command(s->hub, &cmd); /* the driver may answer (scan_started) within this call */
    return slot;
}

web_scan *web_scans_find(web_scans *s, const char *bus, int id) {
    for (size_t i = 0; i < WEB_SCANS_KEPT; i++)
        if (s->scan[i].id == id && id && strcmp(s->scan[i].bus, bus) == 0)
            return &s->scan[i];
    return NULL;
}

void web_scans_fail_running(web_scans *s, const char *why) {
    for (size_t i = 0; i < WEB_SCANS_KEPT; i++)
        if (s->scan[i].id && s->scan[i].state == WEB_SCAN_RUNNING) {
            s->scan[i].state = WEB_SCAN_FAILED;
            snprintf(s->scan[i].error, sizeof s->scan[i].error, "%s", why);
        }
}

void web_scans_progress(const web_scans *s, const web_scan *sc, long long *probes,
                        long long *found, long long *percent) {
    if (sc->state != WEB_SCAN_RUNNING) {
        *probes = sc->probes;
        *found = sc->found_count;
        *percent = sc->percent;
    } else if (!sc->started) { /* the points are still the last scan's */
        *probes = *found = *percent = 0;
    } else {
        *probes = point_int(s->hub, sc->bus, "scan_probes");
        *found = (long long)sc->n_found; /* the meters that answered this scan */
        *percent = point_int(s->hub, sc->bus, "scan_percent");
    }
}
