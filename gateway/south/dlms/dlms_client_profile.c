/* dlms_client_profile: reading profile generic objects (class 7): load profiles and
 * event logs (see dlms_profile.h for the bookkeeping and docs/dlms.md).
 *
 * An object takes up to three kinds of request in a job: its capture objects
 * (attribute 3; kept until a job fails or an entry no longer matches them), the scaler and unit of each captured register
 * (attribute 3 of classes 3/4, 4 of class 5, a few per GET with list), then its
 * buffer (attribute 2) by range from the newest entry stored. Each column is
 * published as <meter>/<object>/<column> at the entry's time, scaled, with its unit,
 * with the quantity its logical name says and the captured attribute as its origin. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/dp_address.h"
#include "codec/dlms/dlms_obis_quantity.h"
#include "south/dlms/dlms_client_int.h"
#include "core/log.h"

/* ---- requests ---------------------------------------------------------------------- */

static void request_scalers(meter *m, obj_rt *rt, size_t first) {
    cosem_ref refs[SU_BATCH];
    size_t col = first;
    rt->n_su = 0;
    while (rt->n_su < SU_BATCH && dlms_profile_next_su(&rt->prof, col, &col)) {
        const dlms_column *c = &rt->prof.cols[col];
        refs[rt->n_su] = (cosem_ref){c->class_id, {0}, (int8_t)dlms_column_su_attr(c)};
        memcpy(refs[rt->n_su].obis, c->obis, 6);
        rt->su_cols[rt->n_su++] = col++;
    }
    dlms_send_get_refs(m, refs, rt->n_su, NULL);
}

static void request_buffer(meter *m, const dlms_object_cfg *o, obj_rt *rt) {
    uint8_t params[96];
    axdr_writer w;
    int64_t now = clock_wall_ns();
    /* `days` back on the first read (fixed at the first attempt, so a failed first
     * read loses nothing); afterwards from the newest entry stored, inclusive */
    if (!rt->prof.from_ns) rt->prof.from_ns = now - o->days;
    axdr_writer_init(&w, params, sizeof params);
    dlms_range_encode(&w, rt->prof.from_ns, now);
    dlms_access a = {.selector = 1, .params = params, .params_len = w.len};
    cosem_ref ref = {o->class_id, {0}, 2};
    memcpy(ref.obis, o->obis, 6);
    dlms_send_get_refs(m, &ref, 1, &a);
}

void dlms_profile_request(meter *m, const dlms_object_cfg *o, obj_rt *rt) {
    size_t col;
    if (!rt->prof.have_cols) {
        m->sub = PROF_COLUMNS;
        cosem_ref ref = {o->class_id, {0}, 3};
        memcpy(ref.obis, o->obis, 6);
        dlms_send_get_refs(m, &ref, 1, NULL);
    } else if (dlms_profile_next_su(&rt->prof, 0, &col)) {
        m->sub = PROF_SCALERS;
        request_scalers(m, rt, col);
    } else {
        m->sub = PROF_BUFFER;
        request_buffer(m, o, rt);
    }
}

/* ---- rebuilding the window after a restart ------------------------------------------ */

#define STORED_MAX 1024 /* entries of one second rebuilt after a restart */

typedef struct stored_col {
    bool num[STORED_MAX];
    double value[STORED_MAX];
    char *text[STORED_MAX];
    size_t n;
} stored_col;

static void collect(void *arg, bool has_number, double number, const char *text) {
    stored_col *c = arg;
    if (c->n >= STORED_MAX) return;
    c->num[c->n] = has_number;
    c->value[c->n] = number;
    c->text[c->n] = text ? strdup(text) : NULL;
    c->n++;
}

/* The entries of the newest stored second: entry e is the e-th sample of each
 * column at that time (they were published column by column, entry by entry). */
static void rebuild_seen(meter *m, const dlms_object_cfg *o, obj_rt *rt) {
    const gw_state *st = m->net->c->state;
    size_t ncol = rt->prof.n_cols - 1, entries = 0;
    stored_col *cols = calloc(ncol ? ncol : 1, sizeof *cols);
    rt->prof.from_store = false;
    if (!cols) return;
    for (size_t k = 0; k < ncol; k++) {
        char point[3 * DLMS_NAME_MAX + 16];
        snprintf(point, sizeof point, "%s/%s/%zu", m->cfg->name, o->name, k + 1);
        gw_state_point_samples_at(st, point, rt->prof.from_ns, collect, &cols[k]);
        if (cols[k].n > entries) entries = cols[k].n;
    }
    for (size_t e = 0; e < entries; e++) {
        uint64_t id = dlms_entry_id_start(rt->prof.from_ns);
        for (size_t k = 0; k < ncol; k++)
            id = e < cols[k].n ? dlms_entry_id_stored(id, cols[k].num[e], cols[k].value[e], cols[k].text[e])
                               : dlms_entry_id_stored(id, false, 0, NULL);
        dlms_profile_remember(&rt->prof, rt->prof.from_ns, id);
    }
    for (size_t k = 0; k < ncol; k++)
        for (size_t e = 0; e < cols[k].n; e++) free(cols[k].text[e]);
    free(cols);
    log_debug(MOD, "%s: %s: resumes at its newest stored second with %zu entries", m->cfg->name, o->name,
              entries);
}

void dlms_profile_resume(meter *m, size_t obj) {
    const dlms_object_cfg *o = &m->cfg->objects[obj];
    if (o->kind != DLMS_OBJ_PROFILE) return;
    char point[3 * DLMS_NAME_MAX + 8];
    snprintf(point, sizeof point, "%s/%s/1", m->cfg->name, o->name);
    int64_t ts = gw_state_point_latest(m->net->c->state, point);
    if (ts) {
        m->objs[obj].prof.from_ns = ts;
        m->objs[obj].prof.from_store = true; /* the identities once the columns are known */
    }
}

/* ---- answers: capture objects and scalers -------------------------------------------- */

static void columns_answer(meter *m, const dlms_object_cfg *o, obj_rt *rt, const dlms_result *r) {
    const char *why = "";
    if (!r->ok) {
        dlms_object_failed(m, o, "capture objects: %s", dlms_access_result_text(r->error));
        return;
    }
    if (!dlms_profile_set_columns(&rt->prof, r->data, r->len, &why)) {
        dlms_object_failed(m, o, "capture objects: %s", why);
        return;
    }
    if (rt->prof.from_store) rebuild_seen(m, o, rt);
}

static bool read_su(const dlms_result *r, dlms_column *c) {
    axdr_reader rd;
    dlms_value s, sc, un;
    int64_t scaler, unit;
    if (!dlms_first_value(r, &s, &rd) || s.type != DT_STRUCTURE || s.count != 2 || !axdr_value(&rd, &sc) ||
        !axdr_value(&rd, &un) || !dlms_value_is_integer(&sc, &scaler) || !dlms_value_is_integer(&un, &unit) ||
        scaler < -128 || scaler > 127)
        return false;
    c->scaler = (int8_t)scaler;
    c->unit = (uint8_t)unit;
    c->have_su = true;
    return true;
}

static void scalers_answer(meter *m, const dlms_object_cfg *o, obj_rt *rt, const dlms_result *res, size_t n) {
    for (size_t i = 0; i < rt->n_su; i++) {
        dlms_column *c = &rt->prof.cols[rt->su_cols[i]];
        if (i < n && read_su(&res[i], c)) continue;
        char name[48];
        dlms_column_name(c, name, sizeof name);
        c->su_failed = true; /* published unscaled, marked invalid */
        dlms_object_failed(m, o, "scaler_unit of capture object %s: %s", name,
                           i >= n ? "no answer" : res[i].ok ? "unexpected data type"
                                                            : dlms_access_result_text(res[i].error));
    }
}

/* ---- answers: the buffer ------------------------------------------------------------- */

typedef struct entry_reader {
    meter *m;
    const dlms_object_cfg *o;
    obj_rt *rt;
    size_t declared, rows, fresh;
    int64_t newest;
    const char *bad; /* why the rest of the buffer was not read */
} entry_reader;

/* Column k's value as published: scaled registers with their unit; a register whose
 * scaler could not be read unscaled and invalid; anything else as it is. */
static bool column_value(const dlms_column *c, const dlms_value *v, dp_value *out, char *text, size_t cap,
                         int64_t *raw, bool *has_raw, int *scaler, const char **unit, unsigned *quality) {
    *scaler = c->scaled && c->have_su ? c->scaler : 0;
    *unit = c->scaled && c->have_su ? dlms_unit_name(c->unit) : "";
    *quality = c->scaled && !c->have_su ? DPQ_INVALID : 0;
    return dlms_to_dp_value(v, *scaler, out, text, cap, raw, has_raw);
}

/* One value at the reader (nested structures are skipped whole: not a point). */
static bool next_column(axdr_reader *rd, dlms_value *v, bool *usable) {
    size_t start = rd->pos;
    if (!axdr_value(rd, v)) return false;
    *usable = v->type != DT_ARRAY && v->type != DT_STRUCTURE;
    if (*usable) return true;
    rd->pos = start;
    return axdr_skip(rd);
}

/* Pass 1 (publish false): the entry's identity; pass 2: its points. */
static bool entry_columns(entry_reader *er, axdr_reader *rd, int64_t ts, bool publish, uint64_t *id) {
    const dlms_profile *p = &er->rt->prof;
    *id = dlms_entry_id_start(ts);
    for (size_t k = 1; k < p->n_cols; k++) {
        dlms_value v;
        dp_value dv;
        char text[128], suffix[DLMS_NAME_MAX + 16], address[DP_ADDRESS_MAX];
        int64_t raw = 0;
        bool has_raw = false, usable;
        int scaler;
        const char *unit;
        unsigned quality;
        if (!next_column(rd, &v, &usable)) return false;
        if (!usable || !column_value(&p->cols[k], &v, &dv, text, sizeof text, &raw, &has_raw, &scaler, &unit,
                                     &quality)) {
            *id = dlms_entry_id_stored(*id, false, 0, NULL);
            continue;
        }
        *id = dlms_entry_id_value(*id, &dv);
        if (!publish) continue;
        snprintf(suffix, sizeof suffix, "%s/%zu", er->o->name, k);
        const dlms_column *c = &p->cols[k];
        dlms_attr_address(c->obis, c->class_id, c->attr, address, sizeof address);
        dlms_publish_point(er->m, suffix, dlms_obis_quantity(c->obis, c->class_id), address, &dv, scaler,
                           unit, ts, ts, raw, has_raw, quality);
    }
    return true;
}

/* One entry: {clock, values...}. False when the rest of the buffer is unreadable. */
static bool read_entry(entry_reader *er, axdr_reader *rd) {
    dlms_profile *p = &er->rt->prof;
    dlms_value row, c;
    dlms_datetime dt;
    int64_t ts = 0;
    uint64_t id;
    if (!axdr_value(rd, &row) || row.type != DT_STRUCTURE) return (er->bad = "an entry is not a structure"), false;
    if (row.count != p->n_cols) return (er->bad = "an entry does not match the capture objects"), false;
    if (!axdr_value(rd, &c) || !dlms_datetime_decode(c.bytes, c.len, &dt) || !dlms_datetime_to_unix_ns(&dt, &ts))
        return (er->bad = "an entry without a valid time"), false;
    size_t values = rd->pos;
    if (!entry_columns(er, rd, ts, false, &id)) return (er->bad = "an entry's values are malformed"), false;
    er->rows++;
    if (ts >= p->from_ns && ts > er->newest) er->newest = ts; /* the window moves even when nothing is new */
    if (ts < p->from_ns || dlms_profile_seen(p, ts, id)) return true; /* stored already */
    rd->pos = values;
    entry_columns(er, rd, ts, true, &id);
    if (!dlms_profile_remember(p, ts, id)) return (er->bad = "out of memory"), false;
    er->fresh++;
    return true;
}

/* The window after the read: a clean read moves it to the newest entry; a flagged
 * one (rows against the declared count, an unreadable entry) keeps it, so the same
 * range is read once more (what is stored already is recognised and dropped). */
static void after_read(entry_reader *er) {
    dlms_profile *p = &er->rt->prof;
    bool mismatch = !er->bad && er->rows != er->declared;
    if (mismatch)
        dlms_tolerated(er->m, TOL_MISMATCH, "%s: %zu entries declared, %zu in the data: the entries that parse "
                       "are kept, the range is read again", er->o->name, er->declared, er->rows);
    if (er->bad) {
        dlms_object_failed(er->m, er->o, "buffer: %s after %zu entries (kept; the range is read again)", er->bad,
                           er->rows);
        if (strcmp(er->bad, "an entry does not match the capture objects") == 0) dlms_profile_forget_columns(p);
    }
    bool flagged = mismatch || er->bad;
    if (flagged && !p->reread && p->n_seen < DLMS_SEEN_MAX) {
        p->reread = true;
    } else {
        p->reread = false;
        dlms_profile_advance(p, er->newest);
    }
    if (!er->bad) dlms_object_read(er->m, er->o);
}

static void buffer_answer(meter *m, const dlms_object_cfg *o, obj_rt *rt, const dlms_result *r) {
    axdr_reader rd;
    dlms_value v;
    if (!r->ok) {
        dlms_object_failed(m, o, "buffer: %s", dlms_access_result_text(r->error));
        return;
    }
    if (!dlms_first_value(r, &v, &rd) || v.type != DT_ARRAY) {
        dlms_object_failed(m, o, "buffer: %s", rd.err ? rd.err : "not an array");
        return;
    }
    entry_reader er = {.m = m, .o = o, .rt = rt, .declared = v.count};
    while (axdr_remaining(&rd) > 0 && read_entry(&er, &rd)) {}
    after_read(&er);
    log_debug(MOD, "%s: %s: %zu entries, %zu new", m->cfg->name, o->name, er.rows, er.fresh);
}

bool dlms_profile_answer(meter *m, const dlms_object_cfg *o, obj_rt *rt, const dlms_result *res, size_t n) {
    switch (m->sub) {
    case PROF_COLUMNS:
        columns_answer(m, o, rt, &res[0]);
        return !rt->prof.have_cols; /* failed: on to the next object */
    case PROF_SCALERS: scalers_answer(m, o, rt, res, n); return false;
    default: buffer_answer(m, o, rt, &res[0]); return true;
    }
}
