/* report_render: one report of an instance as bytes — a snapshot of the
 * datahub's meters and points (filtered by the instance's selection) written in
 * its format, or the events collected since the last event report.
 * Output depends only on the hub contents and the report time. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/dp_address.h"
#include "north/report/report_inst.h"
#include "north/report/report_int.h"

static bool listed(char **list, size_t n, const char *name) {
    if (!list)
        return true;
    for (size_t i = 0; i < n; i++)
        if (name && strcmp(list[i], name) == 0)
            return true;
    return false;
}

/* "mbus:bus1" belongs to meters of interface "mbus". */
static bool meter_in_cycle(const dh_meter *m, const char *source) {
    if (!source)
        return true;
    size_t n = strcspn(source, ":");
    return m->interface && strlen(m->interface) == n && strncmp(m->interface, source, n) == 0;
}

/* A point is selected by its quantity, or a DLMS point by its logical name alone
 * ("1-0:1.8.0.255") or with the attribute ("1-0:1.8.0.255/2"), as quantities read
 * before DLMS points had real ones. */
static bool quantity_selected(const rpt_instance *in, const dp *p) {
    char obis[32], with_attr[48];
    uint8_t b[6];
    int class_id, attr;
    if (listed(in->quantities, in->n_quantities, p->origin.quantity))
        return true;
    if (!dp_dlms_obis_of(&p->origin, obis, sizeof obis) ||
        !dp_dlms_address_parse(p->origin.address, b, &class_id, &attr))
        return false;
    snprintf(with_attr, sizeof with_attr, "%s/%d", obis, attr);
    return listed(in->quantities, in->n_quantities, obis) ||
           listed(in->quantities, in->n_quantities, with_attr);
}

static int record_key(const dp *p) {
    return p->origin.record >= 0 ? p->origin.record : 0x7fffffff;
}

/* Points of one meter in record order (insertion sort: stable, and a meter
 * has at most a few hundred records). */
static size_t collect_points(const rpt_instance *in, const datahub *hub, const char *meter,
                             const dp **out) {
    size_t n = 0, total = datahub_count(hub);
    for (size_t i = 0; i < total; i++) {
        const dp *p = datahub_at(hub, i);
        if (!p || !p->origin.meter || strcmp(p->origin.meter, meter) != 0 ||
            !quantity_selected(in, p))
            continue;
        size_t k = n++;
        while (k > 0 && record_key(out[k - 1]) > record_key(p)) {
            out[k] = out[k - 1];
            k--;
        }
        out[k] = p;
    }
    return n;
}

/* File name part: anything but [A-Za-z0-9._-] (':' of "mbus:bus1", '/') -> '-'. */
static void safe_name(const char *in, char *out, size_t cap) {
    size_t k = 0;
    for (; in && *in && k + 1 < cap; in++) {
        char c = *in;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '_' || c == '-';
        out[k++] = ok ? c : '-';
    }
    out[k] = '\0';
}

/* <gateway>_<YYYYmmddTHHMMSSZ>[_<instance>]_<source>_<id>.<ext>: the id last, so
 * that a redelivery after a crash replaces its file instead of adding one, and
 * names still sort by time. */
static char *report_name(const rpt_instance *in, const char *gateway, const char *source,
                         int64_t id, int64_t ts_ns, const char *ext) {
    char name[128], inst[128], src[128], when[32], out[512];
    time_t t = (time_t)report_unix_s(ts_ns);
    struct tm tm;
    if (!gmtime_r(&t, &tm) || !strftime(when, sizeof when, "%Y%m%dT%H%M%SZ", &tm))
        snprintf(when, sizeof when, "0");
    safe_name(gateway, name, sizeof name);
    safe_name(in->name, inst, sizeof inst);
    safe_name(source ? source : "schedule", src, sizeof src);
    snprintf(out, sizeof out, "%s_%s%s%s_%s_%lld.%s", name, when, inst[0] ? "_" : "", inst, src,
             (long long)id, ext);
    return strdup(out);
}

static const char *extension(rpt_format_kind kind) {
    return kind == RF_CSV ? "csv" : kind == RF_XML ? "xml" : "json";
}

static const char *content_type(rpt_format_kind kind) {
    return kind == RF_CSV ? "text/csv" : kind == RF_XML ? "application/xml" : "application/json";
}

static int write_doc(FILE *f, const rpt_instance *in, const rpt_doc *doc) {
    if (in->kind == RF_CSV)
        return report_write_csv(f, doc, in->variant);
    if (in->kind == RF_XML)
        return report_write_xml(f, doc, in->variant);
    return report_write_json(f, doc);
}

static bool finish_msg(const rpt_instance *in, const char *gateway, const char *source,
                       int64_t id, int64_t ts_ns, char *body, size_t len, store_msg *msg) {
    msg->id = id;
    msg->instance = in->name;
    msg->created_ns = ts_ns;
    msg->body = body;
    msg->len = len;
    msg->name = report_name(in, gateway, source, id, ts_ns, extension(in->kind));
    msg->content_type = strdup(content_type(in->kind));
    if (!msg->name || !msg->content_type) {
        store_msg_free(msg);
        return false;
    }
    return true;
}

bool report_render(const rpt_instance *in, const datahub *hub, const char *source, int64_t id,
                   int64_t ts_ns, const char *gateway, store_msg *msg) {
    memset(msg, 0, sizeof *msg);
    size_t n_all = datahub_meter_count(hub), n_points = datahub_count(hub);
    rpt_doc doc = {.muc_id = gateway, .ts_ns = ts_ns, .report_id = id};
    doc.meters = calloc(n_all ? n_all : 1, sizeof *doc.meters);
    const dp **pool = calloc(n_points ? n_points : 1, sizeof *pool);
    char *body = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&body, &len);
    bool ok = doc.meters && pool && f;
    const dp **next = pool; /* each point belongs to one meter, so the pool is enough */
    for (size_t i = 0; ok && i < n_all; i++) {
        const dh_meter *m = datahub_meter_at(hub, i);
        if (!m || !m->name || !meter_in_cycle(m, source) ||
            !listed(in->meters, in->n_meters, m->name))
            continue;
        rpt_meter *rm = &doc.meters[doc.n_meters++];
        rm->meter = m;
        rm->points = next;
        rm->n_points = collect_points(in, hub, m->name, next);
        next += rm->n_points;
    }
    if (ok)
        ok = write_doc(f, in, &doc) == 0;
    if (f && fclose(f) != 0)
        ok = false;
    free(doc.meters);
    free(pool);
    if (!ok) {
        free(body);
        return false;
    }
    return finish_msg(in, gateway, source, id, ts_ns, body, len, msg);
}

/* ---- event reports ---- */

static void json_string(FILE *f, const char *s) {
    fputc('"', f);
    for (const unsigned char *c = (const unsigned char *)(s ? s : ""); *c; c++) {
        if (*c == '"' || *c == '\\')
            fprintf(f, "\\%c", *c);
        else if (*c < 0x20 || *c == 0x7f)
            fprintf(f, "\\u%04x", *c);
        else
            fputc(*c, f);
    }
    fputc('"', f);
}

static void write_event(FILE *f, const rpt_event *e, bool last) {
    char iso[40];
    clock_format_iso(e->ts_ns, iso, sizeof iso);
    fprintf(f, "    {\"TIMESTAMP\": %lld, \"TIME\": \"%s\", \"SOURCE\": ",
            (long long)report_unix_s(e->ts_ns), iso);
    json_string(f, e->source);
    fputs(", \"KIND\": ", f);
    json_string(f, e->kind);
    fputs(", \"METER\": ", f);
    json_string(f, e->meter);
    fputs(", \"TEXT\": ", f);
    json_string(f, e->text);
    fprintf(f, "}%s\n", last ? "" : ",");
}

bool report_render_events(rpt_instance *in, int64_t id, int64_t ts_ns, const char *gateway,
                          store_msg *msg) {
    memset(msg, 0, sizeof *msg);
    char *body = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&body, &len);
    if (!f)
        return false;
    fputs("{\"events\": {\n  \"MUC_ID\": ", f);
    json_string(f, gateway);
    fprintf(f, ",\n  \"TIMESTAMP\": %lld,\n  \"REPORT_ID\": %lld,\n  \"event\": [\n",
            (long long)report_unix_s(ts_ns), (long long)id);
    for (size_t i = 0; i < in->n_events; i++)
        write_event(f, &in->events[i], i + 1 == in->n_events);
    fputs("  ]\n}}\n", f);
    bool ok = !ferror(f);
    if (fclose(f) != 0 || !ok) {
        free(body);
        return false;
    }
    report_events_clear(in);
    return finish_msg(in, gateway, "events", id, ts_ns, body, len, msg);
}

void report_events_clear(rpt_instance *in) {
    for (size_t i = 0; i < in->n_events; i++) {
        free(in->events[i].source);
        free(in->events[i].kind);
        free(in->events[i].meter);
        free(in->events[i].text);
    }
    in->n_events = 0;
}
