/* report_csv: MUC500 CSV report (manual Tables 22/23). One line per meter;
 * the per-value column groups are numbered from 0 and every line is padded to
 * the widest meter so that all lines have the same number of fields. */
#include <string.h>

#include "core/dp_address.h"
#include "north/report/report_int.h"

/* Which optional columns a variant has (Table 23). Value, Unit and
 * Description are in every variant; Timestamp and DeviceId too. */
typedef struct csv_columns {
    bool header, index, link, user;              /* per meter */
    bool index_x, scale_x, user_x, ts_x, obis_x; /* per value */
    bool readable;                               /* CSV-9: readable times, scaled values */
} csv_columns;

bool report_csv_variant_ok(int v) {
    return v == 0 || v == 1 || v == 3 || v == 4 || v == 5 || v == 6 || v == 9;
}

static csv_columns columns_of(int v) {
    csv_columns c = {0};
    c.header = v >= 3;
    c.index = c.index_x = v >= 6;
    c.link = v >= 4;
    c.user = v >= 5;
    c.scale_x = v != 9;
    c.user_x = c.ts_x = v >= 3;
    c.obis_x = v >= 1;
    c.readable = v == 9;
    return c;
}

typedef struct csv_line {
    FILE *out;
    bool first;
} csv_line;

/* Quote a field only when it holds the separator, a quote or a line break. */
static void field(csv_line *l, const char *text) {
    if (!l->first)
        fputc(';', l->out);
    l->first = false;
    if (!text || !*text)
        return;
    if (!strpbrk(text, ";\"\r\n")) {
        fputs(text, l->out);
        return;
    }
    fputc('"', l->out);
    for (const char *c = text; *c; c++) {
        if (*c == '"')
            fputc('"', l->out);
        fputc(*c, l->out);
    }
    fputc('"', l->out);
}

static void field_int(csv_line *l, long long v) {
    char buf[32];
    snprintf(buf, sizeof buf, "%lld", v);
    field(l, buf);
}

static void field_time(csv_line *l, const csv_columns *c, int64_t ns) {
    char buf[40];
    if (ns == 0)
        snprintf(buf, sizeof buf, "0"); /* Table 22: "0 if not available" */
    else if (c->readable)
        report_time_readable(ns, buf, sizeof buf);
    else
        snprintf(buf, sizeof buf, "%lld", (long long)report_unix_s(ns));
    field(l, buf);
}

static void write_header(FILE *out, const csv_columns *c, size_t groups, bool with_id) {
    csv_line l = {out, true};
    if (c->index)
        field(&l, "Index");
    field(&l, "Timestamp");
    field(&l, "DeviceId");
    if (c->link)
        field(&l, "Link");
    if (c->user)
        field(&l, "User");
    for (size_t x = 0; x < groups; x++) {
        static const char *const names[] = {"Index", "Value", "Scale", "Unit", "Description",
                                            "User", "Timestamp", "Obisid"};
        const bool on[] = {c->index_x, true, c->scale_x, true, true, c->user_x, c->ts_x, c->obis_x};
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
            char name[40];
            snprintf(name, sizeof name, "%s%zu", names[i], x);
            if (on[i])
                field(&l, name);
        }
    }
    if (with_id)
        field(&l, "ReportId");
    fputc('\n', out);
}

static bool is_numeric(const dp *p) {
    return report_raw_ok(p) || p->value.type == DP_INT || p->value.type == DP_DOUBLE ||
           p->value.type == DP_BOOL;
}

/* ValueX: as transmitted, or (CSV-9) multiplied by its scale. */
static void value_text(const dp *p, const csv_columns *c, rpt_unit u, char *out, size_t cap) {
    if (report_value_flagged(p)) {
        out[0] = '\0';
    } else if (!c->readable || !is_numeric(p)) {
        report_value_text(p, out, cap);
    } else if (report_raw_ok(p)) {
        report_decimal_shift(p->origin.raw_int, p->origin.scale_exp + u.shift, out, cap);
    } else if (p->value.type == DP_DOUBLE) {
        double v = p->value.d;
        for (int i = 0; i < -u.shift; i++)
            v /= 10;
        report_double_text(v, out, cap);
    } else {
        report_decimal_shift(p->value.type == DP_BOOL ? p->value.b : p->value.i, u.shift, out, cap);
    }
}

static void write_value(csv_line *l, const csv_columns *c, const dp *p, size_t x) {
    rpt_unit u = report_unit(p->unit, false);
    char buf[160];
    if (c->index_x)
        field_int(l, p->origin.record >= 0 ? p->origin.record : (long long)x);
    value_text(p, c, u, buf, sizeof buf);
    field(l, buf);
    if (c->scale_x) {
        buf[0] = '\0';
        if (is_numeric(p))
            snprintf(buf, sizeof buf, "1E%+03d", report_scale_exp(p) + u.shift);
        field(l, buf);
    }
    field(l, u.text);
    field(l, report_description(p->origin.quantity));
    if (c->user_x)
        field(l, ""); /* no per-value user label in the configuration */
    if (c->ts_x)
        field_time(l, c, p->origin.meter_ts_ns);
    char obis[32];
    if (c->obis_x) /* a DLMS point's logical name; M-Bus values have none */
        field(l, dp_dlms_obis_of(&p->origin, obis, sizeof obis) ? obis : "");
}

static void write_empty_group(csv_line *l, const csv_columns *c) {
    int n = 3 + c->index_x + c->scale_x + c->user_x + c->ts_x + c->obis_x;
    for (int i = 0; i < n; i++)
        field(l, "");
}

/* The meter's reception time: its last good readout, or the cycle's end
 * when it was not read in this cycle (its values are then left empty). */
static int64_t meter_time(const dh_meter *m, int64_t cycle_ns) {
    bool ok = !m->status || strcmp(m->status, "ok") == 0;
    return ok && m->last_read_ns ? m->last_read_ns : cycle_ns;
}

static void device_id(const dh_meter *m, char *out, size_t cap) {
    const char *man = m->manufacturer ? m->manufacturer : "";
    const char *serial = m->serial ? m->serial : "";
    snprintf(out, cap, "%s%s%s", man, *man && *serial ? "-" : "", serial);
}

static void write_meter(FILE *out, const csv_columns *c, const rpt_doc *doc, size_t i,
                        size_t groups) {
    const rpt_meter *rm = &doc->meters[i];
    const dh_meter *m = rm->meter;
    csv_line l = {out, true};
    char id[64];
    if (c->index)
        field_int(&l, (long long)i);
    field_time(&l, c, meter_time(m, doc->ts_ns));
    device_id(m, id, sizeof id);
    field(&l, id);
    if (c->link) {
        id[0] = '\0';
        if (m->primary_address >= 0)
            snprintf(id, sizeof id, "%d", m->primary_address);
        field(&l, id);
    }
    if (c->user)
        field(&l, m->name);
    for (size_t x = 0; x < groups; x++) {
        if (x < rm->n_points)
            write_value(&l, c, rm->points[x], x);
        else
            write_empty_group(&l, c);
    }
    /* Not MUC500: the report id, last so that the variant's columns keep their
     * places, on every line so that each line can be deduplicated alone. */
    if (doc->report_id > 0)
        field_int(&l, (long long)doc->report_id);
    fputc('\n', out);
}

int report_write_csv(FILE *out, const rpt_doc *doc, int variant) {
    csv_columns c = columns_of(variant);
    size_t groups = 0;
    for (size_t i = 0; i < doc->n_meters; i++)
        if (doc->meters[i].n_points > groups)
            groups = doc->meters[i].n_points;
    if (c.header)
        write_header(out, &c, groups, doc->report_id > 0);
    for (size_t i = 0; i < doc->n_meters; i++)
        write_meter(out, &c, doc, i, groups);
    return ferror(out) ? -1 : 0;
}
