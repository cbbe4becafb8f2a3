/* dlms_server_profile: profile generic objects (class 7) served from the store:
 * the configured load profiles (a clock column and one column per stored
 * point) and the gateway's event log (clock and event code), with selective
 * access by range (see dlms_server_objects.h and docs/dlms.md). */
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "codec/dlms/dlms_axdr.h"
#include "north/dlms_server/dlms_server_objects.h"
#include "store/store_range.h"

static const uint8_t CLOCK_LN[6] = {0, 0, 1, 0, 0, 255};
static const uint8_t EVENT_CODE_LN[6] = {0, 0, 96, 11, 0, 255};

/* One stored sample of one column. */
typedef struct sample {
    int64_t ts;
    size_t col, seq;  /* seq: its place among the column's samples at ts */
    bool has_number;
    double number;
    char *text;
} sample;

typedef struct samples {
    sample *v;
    size_t n, cap, col;
    bool failed;
} samples;

static void add(samples *s, int64_t ts, bool has_number, double number, const char *text) {
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 256;
        sample *v = realloc(s->v, cap * sizeof *v);
        if (!v) {
            s->failed = true;
            return;
        }
        s->v = v;
        s->cap = cap;
    }
    size_t seq = s->n && s->v[s->n - 1].ts == ts && s->v[s->n - 1].col == s->col ? s->v[s->n - 1].seq + 1 : 0;
    s->v[s->n++] = (sample){.ts = ts, .col = s->col, .seq = seq, .has_number = has_number, .number = number,
                            .text = text ? strdup(text) : NULL};
}

static void on_sample(void *arg, int64_t ts, bool has_number, double number, const char *text) {
    add(arg, ts, has_number, number, text);
}

static void on_event(void *arg, const store_range_event *row) {
    add(arg, row->ts_ns, true, dlms_srv_event_code(row->kind), NULL);
}

static int by_time(const void *a, const void *b) {
    const sample *x = a, *y = b;
    if (x->ts != y->ts) return x->ts < y->ts ? -1 : 1;
    if (x->seq != y->seq) return x->seq < y->seq ? -1 : 1;
    return x->col < y->col ? -1 : x->col > y->col;
}

static void free_samples(samples *s) {
    for (size_t i = 0; i < s->n; i++) free(s->v[i].text);
    free(s->v);
}

uint16_t dlms_srv_event_code(const char *kind) {
    static const char *const kinds[] = {"not_read", "rejected", "retry", "clock_sync", "error", "info", NULL};
    for (int i = 0; kind && kinds[i]; i++)
        if (strcmp(kind, kinds[i]) == 0) return (uint16_t)(i + 1);
    return 255; /* any other kind */
}

static const dlms_srv_profile *profile_of(const dlms_srv_objects *o, const uint8_t obis[6]) {
    for (size_t i = 0; i < o->cfg->n_profiles; i++)
        if (memcmp(o->cfg->profiles[i].obis, obis, 6) == 0) return &o->cfg->profiles[i];
    return NULL;
}

static bool is_event_log(const dlms_srv_objects *o, const uint8_t obis[6]) {
    return o->cfg->event_log && memcmp(o->cfg->event_obis, obis, 6) == 0;
}

bool dlms_srv_is_profile(const dlms_srv_objects *o, const uint8_t obis[6]) {
    return profile_of(o, obis) || is_event_log(o, obis);
}

/* The samples of the range, ordered by entry: (time, seq), then column. */
static void collect(const dlms_srv_objects *o, const dlms_srv_profile *p, int64_t from, int64_t to, samples *s) {
    size_t max = o->cfg->max_entries;
    if (!p) {
        store_events_range(o->store, from, to, max, on_event, s);
    } else {
        for (size_t k = 0; k < p->n_cols; k++) {
            s->col = k;
            store_point_range(o->store, p->cols[k].point, from, to, max, on_sample, s);
        }
    }
    if (s->n > 1) qsort(s->v, s->n, sizeof *s->v, by_time);
}

static size_t count_entries(const samples *s, size_t max) {
    size_t n = 0;
    for (size_t i = 0; i < s->n && n < max; i++)
        if (i == 0 || s->v[i].ts != s->v[i - 1].ts || s->v[i].seq != s->v[i - 1].seq) n++;
    return n;
}

/* The scaler a column's raw values have (its register's, as served). */
static int8_t column_scaler(const dlms_srv_objects *o, const dlms_srv_column *c) {
    int8_t scaler = 0;
    uint8_t unit;
    const dlms_srv_register *r = c->has_register ? dlms_srv_register_by_obis(o, c->obis) : NULL;
    if (r && dlms_srv_register_scaler(o, r, &scaler, &unit)) return scaler;
    const dp *p = c->has_register ? datahub_get(o->hub, c->point) : NULL;
    return p && p->origin.has_raw ? (int8_t)p->origin.scale_exp : 0;
}

static void put_cell(axdr_writer *w, const sample *v, int8_t scaler) {
    if (!v) axdr_put_null(w);
    else if (v->has_number) dlms_srv_put_scaled(w, v->number, scaler);
    else if (v->text) axdr_put_visible(w, v->text);
    else axdr_put_null(w);
}

static void put_buffer(const dlms_srv_objects *o, const dlms_srv_profile *p, const samples *s, axdr_writer *w) {
    size_t n_cols = p ? p->n_cols : 1, entries = count_entries(s, o->cfg->max_entries), i = 0;
    int8_t scalers[DLMS_SRV_MAX_COLUMNS] = {0};
    for (size_t k = 0; p && k < n_cols; k++) scalers[k] = column_scaler(o, &p->cols[k]);
    axdr_put_array(w, entries);
    for (size_t e = 0; e < entries; e++) {
        const sample *cells[DLMS_SRV_MAX_COLUMNS] = {0};
        int64_t ts = s->v[i].ts;
        size_t seq = s->v[i].seq;
        for (; i < s->n && s->v[i].ts == ts && s->v[i].seq == seq; i++) cells[s->v[i].col] = &s->v[i];
        dlms_datetime dt;
        dlms_datetime_from_unix_ns(ts, &dt);
        axdr_put_structure(w, 1 + n_cols);
        axdr_put_datetime(w, &dt);
        for (size_t k = 0; k < n_cols; k++) {
            if (!p && cells[0]) axdr_put_uint16(w, (uint16_t)cells[0]->number);
            else put_cell(w, cells[k], scalers[k]);
        }
    }
}

static void put_capture(axdr_writer *w, uint16_t class_id, const uint8_t ln[6]) {
    axdr_put_structure(w, 4);
    axdr_put_uint16(w, class_id);
    axdr_put_octets(w, ln, 6);
    axdr_put_int8(w, 2);
    axdr_put_uint16(w, 0);
}

static void put_captures(const dlms_srv_profile *p, axdr_writer *w) {
    axdr_put_array(w, 1 + (p ? p->n_cols : 1));
    put_capture(w, 8, CLOCK_LN);
    if (!p) put_capture(w, 1, EVENT_CODE_LN);
    for (size_t k = 0; p && k < p->n_cols; k++)
        put_capture(w, p->cols[k].has_register ? 3 : 1, p->cols[k].obis);
}

uint8_t dlms_srv_profile_get(const dlms_srv_objects *o, const cosem_ref *ref, const dlms_access *acc,
                             axdr_writer *w) {
    const dlms_srv_profile *p = profile_of(o, ref->obis);
    int64_t from = INT64_MIN, to = INT64_MAX;
    if (ref->class_id != 7) return DAR_OBJECT_UNDEFINED;
    switch (ref->index) {
    case 2:
    case 7: {
        if (ref->index == 2 && acc->selector == 1 && !dlms_range_decode(acc->params, acc->params_len, &from, &to))
            return DAR_TYPE_UNMATCHED;
        if (ref->index == 2 && acc->selector > 1) return DAR_SCOPE_VIOLATED;
        samples s = {0};
        collect(o, p, from, to, &s);
        if (s.failed) {
            free_samples(&s);
            return DAR_TEMPORARY_FAILURE;
        }
        if (ref->index == 2) put_buffer(o, p, &s, w);
        else axdr_put_uint32(w, (uint32_t)count_entries(&s, o->cfg->max_entries));
        free_samples(&s);
        return DAR_SUCCESS;
    }
    case 3: put_captures(p, w); return DAR_SUCCESS;
    case 4: axdr_put_uint32(w, p ? (uint32_t)(p->period_ns / NS_PER_S) : 0); return DAR_SUCCESS;
    case 5: axdr_put_enum(w, 1); return DAR_SUCCESS; /* fifo */
    case 8: axdr_put_uint32(w, (uint32_t)o->cfg->max_entries); return DAR_SUCCESS;
    default: return DAR_OBJECT_UNAVAILABLE;
    }
}
