/* report_json: MUC500 JSON report (manual Table 24 and sample), as valid JSON.
 *
 * Layout is fixed (two-space indentation, one property per line) so that a
 * report is byte-identical for the same datahub state and time. Values are the
 * raw integers as transmitted with SCALE as a decimal number; Wh is reported as
 * kWh with the scale divided by 1000, as the manual's sample does. */
#include <string.h>

#include "core/dp_address.h"
#include "north/report/report_int.h"

/* A tiny pretty-printing writer: it knows the nesting depth and whether the
 * current container already has a member (for the commas). */
typedef struct jw {
    FILE *out;
    int depth;
    bool has_member[16];
} jw;

static void jw_string(jw *w, const char *s) {
    fputc('"', w->out);
    for (const unsigned char *c = (const unsigned char *)(s ? s : ""); *c; c++) {
        if (*c == '"' || *c == '\\')
            fprintf(w->out, "\\%c", *c);
        else if (*c == '\n')
            fputs("\\n", w->out);
        else if (*c < 0x20 || *c == 0x7f)
            fprintf(w->out, "\\u%04x", *c);
        else
            fputc(*c, w->out); /* UTF-8 passes through */
    }
    fputc('"', w->out);
}

/* Start a member (key may be NULL inside arrays): comma, newline, indent. */
static void jw_member(jw *w, const char *key) {
    if (w->has_member[w->depth])
        fputc(',', w->out);
    w->has_member[w->depth] = true;
    fprintf(w->out, "\n%*s", 2 * w->depth, "");
    if (key) {
        jw_string(w, key);
        fputs(": ", w->out);
    }
}

static void jw_open(jw *w, const char *key, char bracket) {
    if (w->depth > 0 || key)
        jw_member(w, key);
    fputc(bracket, w->out);
    w->depth++;
    w->has_member[w->depth] = false;
}

static void jw_close(jw *w, char bracket) {
    bool had = w->has_member[w->depth];
    w->depth--;
    if (had)
        fprintf(w->out, "\n%*s", 2 * w->depth, "");
    fputc(bracket, w->out);
}

static void jw_str(jw *w, const char *key, const char *value) {
    jw_member(w, key);
    jw_string(w, value);
}

static void jw_int(jw *w, const char *key, long long value) {
    jw_member(w, key);
    fprintf(w->out, "%lld", value);
}

static void jw_raw(jw *w, const char *key, const char *number) {
    jw_member(w, key);
    fputs(number, w->out);
}

static bool has_text(const char *s) {
    return s && *s;
}

static void write_entry(jw *w, const dp *p) {
    char val[160];
    jw_open(w, NULL, '{');
    jw_int(w, "T_MUC", report_unix_s(p->ts_ns));
    if (p->origin.meter_ts_ns)
        jw_int(w, "T", report_unix_s(p->origin.meter_ts_ns));
    report_value_text(p, val, sizeof val);
    jw_str(w, "VAL", val);
    if (p->quality) {
        /* Not in MUC500: the IEC 104 quality of a value that is not current. */
        static const char *const bits[] = {"invalid", "not_topical", "substituted", "overflow",
                                           "blocked"};
        jw_open(w, "QUALITY", '[');
        for (unsigned b = 0; b < 5; b++)
            if (p->quality & (1u << b))
                jw_str(w, NULL, bits[b]);
        jw_close(w, ']');
    }
    jw_close(w, '}');
}

static void write_data(jw *w, const dp *p) {
    rpt_unit u = report_unit(p->unit, true);
    char scale[80];
    jw_open(w, NULL, '{');
    jw_str(w, "DESCRIPTION", report_description(p->origin.quantity));
    jw_str(w, "UNIT", u.text);
    report_decimal_shift(1, report_scale_exp(p) + u.shift, scale, sizeof scale);
    jw_raw(w, "SCALE", scale);
    dp_mbus_address a;
    bool mbus = dp_mbus_address_of(&p->origin, &a);
    if (mbus && has_text(a.dif_hex))
        jw_str(w, "DIF", a.dif_hex);
    if (mbus && has_text(a.vif_hex))
        jw_str(w, "VIF", a.vif_hex);
    jw_open(w, "entry", '[');
    write_entry(w, p);
    jw_close(w, ']');
    jw_close(w, '}');
}

static void write_meter(jw *w, const rpt_meter *rm) {
    const dh_meter *m = rm->meter;
    jw_open(w, NULL, '{');
    jw_str(w, "METER_ID", m->serial ? m->serial : "");
    jw_str(w, "INTERFACE", report_interface_name(m->interface));
    /* The identity is known only once the meter answered with a long header;
     * before that version and medium are zeros, not facts, so they are left out. */
    if (has_text(m->manufacturer)) {
        jw_str(w, "MAN", m->manufacturer);
        jw_int(w, "VER", m->version);
        if (m->medium >= 0 && m->medium <= 255) {
            jw_str(w, "MED", report_medium_name(m->medium));
            jw_int(w, "MED_ID", m->medium);
        }
    }
    if (has_text(m->name))
        jw_str(w, "USER", m->name);
    jw_open(w, "data", '[');
    for (size_t i = 0; i < rm->n_points; i++)
        write_data(w, rm->points[i]);
    jw_close(w, ']');
    jw_close(w, '}');
}

int report_write_json(FILE *out, const rpt_doc *doc) {
    jw w = {.out = out};
    jw_open(&w, NULL, '{');
    jw_open(&w, "muc", '{');
    jw_str(&w, "MUC_ID", doc->muc_id);
    jw_str(&w, "VERSION", "1");
    jw_int(&w, "TIMESTAMP", report_unix_s(doc->ts_ns));
    if (doc->report_id > 0)
        jw_int(&w, "REPORT_ID", doc->report_id); /* not MUC500: for deduplication */
    jw_open(&w, "meter", '[');
    for (size_t i = 0; i < doc->n_meters; i++)
        write_meter(&w, &doc->meters[i]);
    jw_close(&w, ']');
    jw_close(&w, '}');
    jw_close(&w, '}');
    fputc('\n', out);
    return ferror(out) ? -1 : 0;
}
