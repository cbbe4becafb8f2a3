/* web_api_scans: the buses of the running configuration and meter scans on
 * them (web_scans.h: through the datahub to the driver). Only wired M-Bus
 * buses scan; the others are listed with scan_supported false. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/config.h"
#include "north/web/web_ctx.h"

/* Sections whose items are buses: a sequence of maps with a name. */
static const struct {
    const char *section;
    bool scans;
} bus_sections[] = {{"mbus", true}, {"wmbus", false}, {"modbus", false}, {"dlms", false}};

/* Every bus of the running configuration; fn returns true to stop. */
static void each_bus(web_ctx *c, bool (*fn)(void *arg, const char *name, const char *protocol,
                                            bool scans),
                     void *arg) {
    const gw_reconfig *r = c->srv->svc.reconfig;
    cfg_err err;
    cfg_node *root = r ? cfg_load_string(r->running_text(r->ctx), "running", &err) : NULL;
    bool stop = false;
    for (size_t s = 0; root && !stop && s < sizeof bus_sections / sizeof bus_sections[0]; s++) {
        const cfg_node *seq = cfg_get(root, bus_sections[s].section);
        if (!seq || seq->kind != CFG_SEQ)
            continue;
        for (size_t i = 0; !stop && i < seq->n; i++) {
            const cfg_node *name = cfg_get(seq->items[i], "name");
            if (name && name->kind == CFG_SCALAR)
                stop = fn(arg, name->scalar, bus_sections[s].section, bus_sections[s].scans);
        }
    }
    cfg_free(root);
}

static bool list_one(void *arg, const char *name, const char *protocol, bool scans) {
    json_array_append_new(arg, json_pack("{s:s,s:s,s:b}", "name", name, "protocol", protocol,
                                         "scan_supported", scans));
    return false;
}

void web_api_buses(web_ctx *c) {
    json_t *a = json_array();
    each_bus(c, list_one, a);
    web_reply_json(c, 200, a);
}

typedef struct bus_lookup {
    const char *name;
    bool found, scans;
} bus_lookup;

static bool find_one(void *arg, const char *name, const char *protocol, bool scans) {
    bus_lookup *l = arg;
    if (strcmp(l->name, name) != 0)
        return false;
    l->found = true;
    l->scans = scans;
    return true;
}

static const char *state_name(web_scan_state s) {
    return s == WEB_SCAN_DONE ? "done" : s == WEB_SCAN_FAILED ? "failed" : "running";
}

static json_t *scan_json(const web_scans *all, const web_scan *sc) {
    long long probes, found, percent;
    web_scans_progress(all, sc, &probes, &found, &percent);
    json_t *list = json_array();
    for (size_t i = 0; i < sc->n_found; i++) {
        const web_scan_meter *m = &sc->found[i];
        json_array_append_new(
            list, json_pack("{s:s?,s:s?,s:o,s:s?,s:o}", "secondary",
                            m->secondary[0] && m->secondary[0] != '-' ? m->secondary : NULL,
                            "manufacturer",
                            m->manufacturer[0] && m->manufacturer[0] != '-' ? m->manufacturer : NULL,
                            "version", m->version >= 0 ? json_integer(m->version) : json_null(),
                            "medium", m->medium[0] && m->medium[0] != '-' ? m->medium : NULL,
                            "primary", m->primary >= 0 ? json_integer(m->primary) : json_null()));
    }
    return json_pack("{s:i,s:s,s:s,s:s,s:{s:I,s:I,s:I},s:o,s:s?}", "id", sc->id, "bus", sc->bus,
                     "kind", sc->kind, "state", state_name(sc->state), "progress", "probes",
                     (json_int_t)probes, "found", (json_int_t)found, "percent", (json_int_t)percent,
                     "found", list, "error", sc->error[0] ? sc->error : NULL);
}

void web_api_scan_start(web_ctx *c) {
    bus_lookup l = {.name = c->match->params[0]};
    each_bus(c, find_one, &l);
    if (!l.found) {
        web_reply_error(c, 404, "no such bus in the running configuration");
        return;
    }
    if (!l.scans) {
        web_reply_error(c, 409, "only wired M-Bus buses scan");
        return;
    }
    json_t *o = web_body_object(c);
    if (!o)
        return;
    const char *kind = json_string_value(json_object_get(o, "kind"));
    if (!kind || (strcmp(kind, "secondary") != 0 && strcmp(kind, "primary") != 0)) {
        web_reply_error(c, 400, "kind must be \"secondary\" or \"primary\"");
        json_decref(o);
        return;
    }
    bool busy;
    web_scan *sc = web_scans_start(&c->srv->scans, l.name, kind, &busy);
    if (!sc) {
        web_reply_error(c, 409, busy ? "a scan is running on this bus already"
                                     : "too many scans running");
        json_decref(o);
        return;
    }
    char text[160];
    snprintf(text, sizeof text, "user %s started a %s scan on %s", c->user->name, kind, l.name);
    web_audit(c->srv, "scan_started_by", text);
    json_decref(o);
    web_reply_json(c, 202, json_pack("{s:i,s:s}", "id", sc->id, "state", state_name(sc->state)));
}

void web_api_scan_get(web_ctx *c) {
    char *end;
    long id = strtol(c->match->params[1], &end, 10);
    const web_scan *sc = *end ? NULL : web_scans_find(&c->srv->scans, c->match->params[0], (int)id);
    if (!sc) {
        web_reply_error(c, 404, "no such scan");
        return;
    }
    web_reply_json(c, 200, scan_json(&c->srv->scans, sc));
}
