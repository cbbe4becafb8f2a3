/* report: report instances (MUC500 "Multi Channel Reporting", up to 10) — the
 * configuration, the triggers (end of a readout cycle, or a cron schedule) and
 * the life cycle. Rendering is in report_render.c, the queue and delivery in
 * report_deliver.c, the transports in transport_*.c. See docs/reports.md.
 *
 * Two configuration forms:
 *   reports: {dir, csv, json}           one CSV and one JSON file per cycle (legacy)
 *   reports: {backlog, instances: [...]} instances with format, selection,
 *                                         schedule and transport */
#include "north/report/report.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "north/report/report_inst.h"
#include "north/report/report_int.h"
#include "north/report/report_template.h"

/* ---- configuration ---- */

static char *xstrdup(const char *s) {
    return strdup(s ? s : "");
}

/* "csv6", "CSV-6", "json", "xml9", "XML-9", "events" */
static bool parse_format(const char *text, rpt_format_kind *kind, int *variant) {
    char f[16];
    size_t k = 0;
    for (const char *c = text; *c && k + 1 < sizeof f; c++)
        if (*c != '-')
            f[k++] = (char)tolower((unsigned char)*c);
    f[k] = '\0';
    *variant = 0;
    if (strcmp(f, "json") == 0)
        *kind = RF_JSON;
    else if (strcmp(f, "events") == 0)
        *kind = RF_EVENTS;
    else if (strncmp(f, "csv", 3) == 0 && isdigit((unsigned char)f[3]) && !f[4]) {
        *kind = RF_CSV;
        *variant = f[3] - '0';
        return report_csv_variant_ok(*variant);
    } else if (strncmp(f, "xml", 3) == 0 && isdigit((unsigned char)f[3]) && !f[4]) {
        *kind = RF_XML;
        *variant = f[3] - '0';
        return report_xml_version_ok(*variant);
    } else
        return false;
    return true;
}

static bool read_list(const cfg_node *map, const char *key, char ***out, size_t *n,
                      cfg_err *err) {
    const cfg_node *seq = cfg_get(map, key);
    if (!seq)
        return true;
    if (seq->kind != CFG_SEQ)
        return cfg_fail(err, seq, "%s: expected a list of names", key);
    *out = calloc(seq->n ? seq->n : 1, sizeof **out);
    if (!*out)
        return cfg_fail(err, seq, "%s: out of memory", key);
    for (size_t i = 0; i < seq->n; i++) {
        if (seq->items[i]->kind != CFG_SCALAR)
            return cfg_fail(err, seq->items[i], "%s: expected a name", key);
        (*out)[(*n)++] = xstrdup(seq->items[i]->scalar);
    }
    return true;
}

static uint64_t name_seed(const char *gateway, const char *instance) {
    uint64_t h = 1469598103934665603ull; /* FNV-1a: `?` values stable per gateway+instance */
    for (const char *s = gateway; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    for (const char *s = instance; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static bool read_schedule(rpt_instance *in, const cfg_node *map, const char *gateway,
                          cfg_err *err) {
    const cfg_node *node = cfg_get(map, "schedule");
    const char *dialect_name;
    cron_dialect dialect;
    if (!cfg_str(map, "dialect", "cme3100", &dialect_name, err))
        return false;
    if (!cron_dialect_parse(dialect_name, &dialect))
        return cfg_fail(err, cfg_get(map, "dialect"), "dialect: expected cme3100 or sx5d1");
    if (!node || (node->kind == CFG_SCALAR && strcmp(node->scalar, "cycle") == 0)) {
        in->per_cycle = true;
        return true;
    }
    if (node->kind != CFG_SCALAR)
        return cfg_fail(err, node, "schedule: expected a cron pattern, an interval or cycle");
    cron_error ce;
    if (!cron_parse(node->scalar, dialect, name_seed(gateway, in->name), &in->sched, &ce)) {
        cfg_err at = {{0}};
        cfg_node pos = *node;
        pos.col += ce.column - 1 + (node->quoted ? 1 : 0);
        cfg_fail(&at, &pos, "schedule: %s (column %d of the pattern)", ce.msg, ce.column);
        *err = at;
        return false;
    }
    return true;
}

static bool read_retry(rpt_instance *in, const cfg_node *map, cfg_err *err) {
    long long retries;
    in->retries = -1;
    if (!cfg_int(map, "retries", -1, 0, 100, &retries, err) ||
        !cfg_duration_ns(map, "retry_delay", 60 * NS_PER_S, &in->retry_delay_ns, err))
        return false;
    in->retries = (int)retries; /* absent: -1 = adaptive (CMe3100 Table 9) */
    return true;
}

/* CMe3100 template number: the configured one checked against the transport
 * and the format, or the transport's default (report_template.h). */
static bool read_template(rpt_instance *in, const cfg_node *map, cfg_err *err) {
    const cfg_node *node = cfg_get(map, "template");
    const rpt_transport_kind *kind = in->tr->kind;
    bool events = in->kind == RF_EVENTS;
    long long number;
    char why[256];
    if (!node) {
        in->tr->template_no = report_template_default(kind->template_prefix, events);
        return true;
    }
    if (node->kind != CFG_SCALAR || !cfg_node_int(node, 0, 99999, &number, err))
        return cfg_fail(err, node, "template: expected a CMe3100 template number such as 2101");
    if (!report_template_check(number, kind->template_prefix, kind->name, events, why, sizeof why))
        return cfg_fail(err, node, "%s", why);
    in->tr->template_no = (int)number;
    return true;
}

static bool read_instance(report *r, rpt_instance *in, const cfg_node *map, int64_t backlog,
                          cfg_err *err) {
    static const char *const keys[] = {"name", "format", "meters", "quantities", "schedule",
                                       "dialect", "transport", "backlog", "retries",
                                       "retry_delay", "template", NULL};
    const char *name, *format;
    long long bl;
    if (map->kind != CFG_MAP)
        return cfg_fail(err, map, "reports.instances: each instance is a map");
    if (!cfg_only_keys(map, keys, err) || !cfg_require(map, "name", CFG_SCALAR, err) ||
        !cfg_str(map, "name", NULL, &name, err) || !cfg_require(map, "format", CFG_SCALAR, err) ||
        !cfg_str(map, "format", NULL, &format, err) ||
        !cfg_int(map, "backlog", backlog, 1, 1000000, &bl, err))
        return false;
    if (!*name)
        return cfg_fail(err, cfg_get(map, "name"), "name must not be empty");
    for (size_t i = 0; i + 1 < r->n; i++)
        if (strcmp(r->inst[i].name, name) == 0)
            return cfg_fail(err, cfg_get(map, "name"), "instance name %s is used twice", name);
    in->name = xstrdup(name);
    in->backlog = bl;
    if (!parse_format(format, &in->kind, &in->variant))
        return cfg_fail(err, cfg_get(map, "format"),
                        "format: expected csv0, csv1, csv3, csv4, csv5, csv6, csv9, json, "
                        "xml3, xml6, xml7, xml8, xml9 or events");
    if (!read_list(map, "meters", &in->meters, &in->n_meters, err) ||
        !read_list(map, "quantities", &in->quantities, &in->n_quantities, err) ||
        !read_schedule(in, map, r->name, err) || !read_retry(in, map, err))
        return false;
    const cfg_node *tr = cfg_get(map, "transport");
    if (!tr)
        return cfg_fail(err, map,
                        "instance %s: transport is required (file, mqtt, http, smtp, ftp or sftp)",
                        name);
    in->tr = transport_configure(tr, r->name, in->name, err);
    return in->tr && read_template(in, map, err);
}

static report *new_report(const char *gateway_name) {
    report *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->subscription = -1;
    r->name = xstrdup(gateway_name && *gateway_name ? gateway_name : "gwd");
    if (!r->name) {
        free(r);
        return NULL;
    }
    return r;
}

static rpt_instance *add_instance(report *r) {
    rpt_instance *in = &r->inst[r->n++];
    in->owner = r;
    in->retries = -1;
    in->backlog = REPORT_DEFAULT_BACKLOG;
    return in;
}

/* Legacy form: files of both formats per cycle in one directory. */
static bool configure_legacy(report *r, const cfg_node *section, cfg_err *err) {
    static const char *const keys[] = {"dir", "csv", "json", NULL};
    const cfg_node *dir = cfg_require(section, "dir", CFG_SCALAR, err);
    bool json;
    long long v = 6;
    if (!cfg_only_keys(section, keys, err) || !dir || !cfg_bool(section, "json", true, &json, err))
        return false;
    const cfg_node *csv = cfg_get(section, "csv");
    cfg_err ignored;
    if (csv && csv->kind == CFG_SCALAR && strcmp(csv->scalar, "false") == 0)
        v = -1;
    else if (csv && (csv->kind != CFG_SCALAR || !cfg_node_int(csv, 0, 9, &v, &ignored) ||
                     !report_csv_variant_ok((int)v)))
        return cfg_fail(err, csv, "reports.csv: expected a CSV variant 0, 1, 3, 4, 5, 6, 9 or false");
    if (!*dir->scalar)
        return cfg_fail(err, dir, "reports.dir: empty directory name");
    for (int k = 0; k < 2; k++) {
        if ((k == 0 && v < 0) || (k == 1 && !json))
            continue;
        rpt_instance *in = add_instance(r);
        in->name = xstrdup("");
        in->kind = k == 0 ? RF_CSV : RF_JSON;
        in->variant = (int)v;
        in->per_cycle = true;
        in->tr = transport_file_at(dir->scalar);
        if (!in->tr)
            return cfg_fail(err, dir, "reports.dir: cannot create %s: %s", dir->scalar,
                            strerror(errno));
        in->tr->instance = xstrdup("");
        in->tr->gateway = xstrdup(r->name);
    }
    return true;
}

report *report_configure(const cfg_node *section, const char *gateway_name, cfg_err *err) {
    err->msg[0] = '\0';
    if (!section)
        return NULL;
    if (section->kind != CFG_MAP) {
        cfg_fail(err, section, "reports: expected a map (dir, csv, json, or backlog, instances)");
        return NULL;
    }
    report *r = new_report(gateway_name);
    if (!r) {
        cfg_fail(err, section, "reports: out of memory");
        return NULL;
    }
    bool ok;
    if (cfg_get(section, "dir") || cfg_get(section, "csv") || cfg_get(section, "json")) {
        ok = configure_legacy(r, section, err);
    } else {
        static const char *const keys[] = {"backlog", "instances", NULL};
        const cfg_node *list = cfg_require(section, "instances", CFG_SEQ, err);
        long long backlog;
        ok = cfg_only_keys(section, keys, err) && list &&
             cfg_int(section, "backlog", REPORT_DEFAULT_BACKLOG, 1, 1000000, &backlog, err);
        if (ok && list->n > REPORT_MAX_INSTANCES)
            ok = cfg_fail(err, list->items[REPORT_MAX_INSTANCES], "reports: at most %d instances",
                          REPORT_MAX_INSTANCES);
        for (size_t i = 0; ok && i < list->n; i++)
            ok = read_instance(r, add_instance(r), list->items[i], backlog, err);
    }
    if (!ok || r->n == 0) {
        report_free(r);
        return NULL; /* an error, or nothing to write (disabled, not an error) */
    }
    return r;
}

/* ---- triggers ---- */

static void produce(rpt_instance *in, const char *source, int64_t ts_ns) {
    report *r = in->owner;
    store_msg msg;
    int64_t id = report_next_id(in);
    bool ok = id > 0 && (in->kind == RF_EVENTS
                             ? report_render_events(in, id, ts_ns, r->name, &msg)
                             : report_render(in, r->hub, source, id, ts_ns, r->name, &msg));
    if (!ok) {
        log_error("report", "%s: cannot render a report", in->name);
        return;
    }
    report_enqueue(in, &msg);
    report_kick(in);
}

static void keep_event(rpt_instance *in, const dh_event *e) {
    if (in->n_events == in->cap_events) {
        size_t cap = in->cap_events ? 2 * in->cap_events : 16;
        rpt_event *grown = realloc(in->events, cap * sizeof *grown);
        if (!grown)
            return;
        in->events = grown;
        in->cap_events = cap;
    }
    rpt_event *k = &in->events[in->n_events++];
    k->ts_ns = e->ts_ns;
    k->source = e->source ? strdup(e->source) : NULL;
    k->kind = e->kind ? strdup(e->kind) : NULL;
    k->meter = e->meter ? strdup(e->meter) : NULL;
    k->text = e->text ? strdup(e->text) : NULL;
}

static void on_cycle_end(rpt_instance *in, const char *source, int64_t ts_ns) {
    if (in->last_cycle_ns && ts_ns > in->last_cycle_ns)
        in->period_ns = ts_ns - in->last_cycle_ns; /* readout period, for retries */
    in->last_cycle_ns = ts_ns;
    if (!in->per_cycle)
        return;
    if (in->kind == RF_EVENTS && in->n_events == 0)
        return;
    produce(in, source, ts_ns);
}

static void on_update(const dh_update *u, void *arg) {
    report *r = arg;
    for (size_t i = 0; i < r->n; i++) {
        rpt_instance *in = &r->inst[i];
        if (u->kind == DH_CYCLE_END)
            on_cycle_end(in, u->source, u->ts_ns);
        else if (u->kind == DH_EVENT && u->event && in->kind == RF_EVENTS)
            keep_event(in, u->event);
    }
}

static void arm_schedule(rpt_instance *in);

static void on_fire(gw_loop *loop, void *arg) {
    rpt_instance *in = arg;
    in->fire_timer = 0;
    int64_t now = clock_wall_ns();
    if (in->kind != RF_EVENTS || in->n_events > 0)
        produce(in, NULL, now);
    else
        report_kick(in); /* nothing new, but retry what is queued */
    arm_schedule(in);
}

/* Loop timers are monotonic; the schedule is wall time: convert the gap. */
static void arm_schedule(rpt_instance *in) {
    gw_loop *loop = in->owner->loop;
    if (!loop || in->per_cycle)
        return;
    int64_t now = clock_wall_ns(), next = cron_next(&in->sched, now);
    if (next == INT64_MAX) {
        log_warn("report", "%s: the schedule never fires", in->name);
        return;
    }
    in->fire_timer = loop_timer_after(loop, next - now, on_fire, in);
}

/* A report of the instance now, besides its schedule (the web API's trigger). */
bool report_trigger(report *r, const char *name) {
    for (size_t i = 0; r && i < r->n; i++)
        if (strcmp(r->inst[i].name, name) == 0) {
            produce(&r->inst[i], NULL, clock_wall_ns());
            return true;
        }
    return false;
}

void report_start(report *r, datahub *hub, gw_loop *loop, gw_store *store) {
    if (!r || !hub)
        return;
    report_status_register(r);
    r->hub = hub; /* rendering reads the hub's state, not only the update */
    r->loop = loop;
    r->store = store;
    r->subscription = datahub_subscribe(hub, on_update, r);
    r->started = true;
    store_defer_cycle_commit(store, true);
    store_on_commit(store, report_on_commit, r); /* delivery waits for its rows' commit */
    for (size_t i = 0; i < r->n; i++) {
        rpt_instance *in = &r->inst[i];
        if (!loop && in->tr && in->tr->kind->needs_loop)
            log_error("report", "%s: a %s transport needs the event loop", in->name,
                      in->tr->kind->name);
        report_deliver_bind(in);
        arm_schedule(in);
        if (report_queued(in) > 0)
            report_kick(in); /* left over from the last run */
    }
}

void report_attach(report *r, datahub *hub) {
    report_start(r, hub, NULL, NULL);
}

void report_stop(report *r) {
    if (!r || !r->started)
        return;
    r->started = false;
    datahub_unsubscribe(r->hub, r->subscription);
    store_on_commit(r->store, NULL, NULL);
    report_status_unregister(r);
    for (size_t i = 0; r->loop && i < r->n; i++) {
        loop_timer_cancel(r->loop, r->inst[i].fire_timer);
        loop_timer_cancel(r->loop, r->inst[i].kick_timer);
        r->inst[i].fire_timer = r->inst[i].kick_timer = 0;
        event_limit_flush(&r->inst[i].fail_events); /* the hub is alive: told as an event */
    }
}

void report_free(report *r) {
    if (!r)
        return;
    /* No unsubscribe: the hub may already be gone (report.h: free r before the
     * hub publishes again, or free the hub first). The store must still be open.
     * A stopped report released the commit hook already (a newer one may hold it). */
    if (r->started)
        store_on_commit(r->store, NULL, NULL);
    report_status_unregister(r);
    for (size_t i = 0; i < r->n; i++) {
        rpt_instance *in = &r->inst[i];
        if (r->loop) {
            loop_timer_cancel(r->loop, in->fire_timer);
            loop_timer_cancel(r->loop, in->kick_timer);
        }
        uint64_t untold = event_limit_cancel(&in->fail_events);
        if (untold) /* the hub may be gone: the log gets the summary */
            log_warn("report", "%s: %llu more delivery attempts failed (not told as events)",
                     in->name, (unsigned long long)untold);
        transport_free(in->tr);
        report_queue_free(in);
        report_events_clear(in);
        free(in->events);
        for (size_t k = 0; k < in->n_meters; k++)
            free(in->meters[k]);
        for (size_t k = 0; k < in->n_quantities; k++)
            free(in->quantities[k]);
        free(in->meters);
        free(in->quantities);
        free(in->name);
    }
    free(r->name);
    free(r);
}
