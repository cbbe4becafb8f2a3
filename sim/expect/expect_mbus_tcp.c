/* expect_mbus_tcp: what the bench's M-Bus masters over TCP saw (see expect_mbus_tcp.h). */
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec/mbus/mbus_app.h"
#include "codec/mbus/mbus_link.h"
#include "sim/expect/expect.h"

bool expect_parse_mbus_tcp(const cfg_node *m, expectation *ex, cfg_err *err) {
    static const char *const keys[] = {"master", "meters", "store", "segment", "no_interleave", NULL};
    ex_mbus_tcp *t = &ex->mbus_tcp;
    if (!cfg_only_keys(m, keys, err) || !cfg_require(m, "master", CFG_SCALAR, err) ||
        !cfg_str(m, "master", NULL, &t->master, err) ||
        !cfg_int(m, "meters", -1, -1, 100000, &t->meters, err) ||
        !cfg_bool(m, "store", false, &t->store, err) || !cfg_str(m, "segment", NULL, &t->segment, err) ||
        !cfg_bool(m, "no_interleave", false, &t->no_interleave, err))
        return false;
    if (t->no_interleave && !t->segment)
        return cfg_fail(err, m, "no_interleave needs the segment whose wire is checked");
    if (t->meters < 0 && !t->store && !t->no_interleave)
        return cfg_fail(err, m, "mbus_tcp needs meters, store or no_interleave");
    return true;
}

static bool on_channel(const trace_rec *r, const char *master) {
    return strncmp(r->ch, "mbus_tcp:", 9) == 0 && strcmp(r->ch + 9, master) == 0;
}

static long long found_meters(const trace *tr, const char *master) {
    long long n = 0;
    for (size_t i = 0; i < tr->n; i++)
        if (on_channel(&tr->recs[i], master) && tr->recs[i].dir == TRACE_NOTE &&
            strncmp(tr->recs[i].event, "found ", 6) == 0)
            n++;
    return n;
}

/* ---- values against the store -------------------------------------------------- */

static const char *const latest_sql =
    "SELECT (SELECT s.value FROM samples s WHERE s.point_id = p.id AND s.ts_ns <= ?9"
    " ORDER BY s.ts_ns DESC, s.id DESC LIMIT 1), (SELECT s.value_text FROM samples s"
    " WHERE s.point_id = p.id AND s.ts_ns <= ?9 ORDER BY s.ts_ns DESC, s.id DESC LIMIT 1)"
    " FROM points p JOIN meters m ON m.name = p.meter"
    " WHERE (m.secondary = ?1 OR m.serial = ?8) AND p.quantity = ?2 AND p.unit = ?3"
    " AND COALESCE(p.storage, 0) = ?4 AND COALESCE(p.tariff, 0) = ?5 AND COALESCE(p.subunit, 0) = ?6"
    " AND (p.function = ?7 OR p.function IS NULL OR p.function = '')";

typedef struct tally { unsigned compared, mismatched, meters_empty; char first[400]; } tally;

/* Does one decoded record equal the latest value of one of the meter's points? */
static void compare_record(sqlite3_stmt *st, const char *secondary, const char *serial,
                           int64_t read_wall_ns, const mbus_record *r, tally *t) {
    if (r->kind != MBUS_VAL_NUMBER && r->kind != MBUS_VAL_DATE)
        return;
    sqlite3_reset(st);
    sqlite3_bind_text(st, 1, secondary, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, r->quantity, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, r->unit, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)r->storage);
    sqlite3_bind_int64(st, 5, r->tariff);
    sqlite3_bind_int64(st, 6, r->subunit);
    sqlite3_bind_text(st, 7, mbus_function_name(r->function), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 8, serial, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 9, read_wall_ns);
    bool real = (r->dif[0] & 0x0F) == 0x5;
    double tol = real ? 1e-6 * fabs(r->value) + 1e-9 : 1e-9 * (fabs(r->value) > 1 ? fabs(r->value) : 1);
    bool match = false, any = false;
    char seen[160] = "";
    while (sqlite3_step(st) == SQLITE_ROW && !match) {
        any = true;
        if (r->kind == MBUS_VAL_NUMBER && sqlite3_column_type(st, 0) != SQLITE_NULL) {
            double v = sqlite3_column_double(st, 0);
            match = fabs(v - r->value) <= tol;
            snprintf(seen, sizeof seen, "%.17g", v);
        } else if (r->kind == MBUS_VAL_DATE && sqlite3_column_text(st, 1)) {
            const char *v = (const char *)sqlite3_column_text(st, 1);
            match = strcmp(v, r->text) == 0;
            snprintf(seen, sizeof seen, "%s", v);
        }
    }
    t->compared++;
    if (match)
        return;
    if (t->mismatched++ == 0)
        snprintf(t->first, sizeof t->first, "%s %s storage %llu: read %s%s, store %s", secondary,
                 r->quantity, (unsigned long long)r->storage,
                 r->kind == MBUS_VAL_DATE ? r->text : "", r->kind == MBUS_VAL_DATE ? "" : "",
                 any ? seen : "no such point");
    if (r->kind == MBUS_VAL_NUMBER && t->mismatched == 1) {
        size_t n = strlen(t->first);
        snprintf(t->first + n, sizeof t->first - n, " (value read %.17g)", r->value);
    }
}

/* The values the store held when the master got the telegram. */
static bool compare_frames(const trace *tr, int64_t start_wall_ns, const char *master,
                           sqlite3_stmt *st, tally *t) {
    static mbus_data d;
    unsigned frames = 0;
    for (size_t i = 0; i < tr->n; i++) {
        const trace_rec *rec = &tr->recs[i];
        mbus_frame f;
        mbus_error err;
        if (!on_channel(rec, master) || rec->dir != TRACE_GW_TO_BUS ||
            mbus_frame_parse_exact(rec->bytes, rec->len, &f, &err) != MBUS_OK ||
            f.kind != MBUS_FRAME_LONG || mbus_app_decode(f.ci, f.data, f.data_len, &d, &err) != MBUS_OK ||
            !d.hdr.is_long)
            continue;
        frames++;
        char secondary[MBUS_SECONDARY_TEXT];
        mbus_secondary sa = {d.hdr.id_bcd, d.hdr.manufacturer, d.hdr.version, d.hdr.medium};
        mbus_secondary_format(&sa, secondary);
        unsigned before = t->compared;
        for (size_t k = 0; k < d.n_records; k++)
            compare_record(st, secondary, d.hdr.id,
                           start_wall_ns ? start_wall_ns + rec->t_ns : INT64_MAX, &d.records[k], t);
        if (t->compared == before)
            t->meters_empty++;
    }
    return frames > 0;
}

static bool eval_store(const expectation *ex, ex_context *ctx, char *msg, size_t cap) {
    const char *master = ex->mbus_tcp.master;
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    if (!ctx->store_path || sqlite3_open_v2(ctx->store_path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, latest_sql, -1, &st, NULL) != SQLITE_OK) {
        snprintf(msg, cap, "mbus_tcp %s store: %s", master,
                 !ctx->store_path ? "no gateway.store" : sqlite3_errmsg(db));
        sqlite3_close(db);
        return false;
    }
    tally t = {0};
    bool frames = compare_frames(ctx->tr, ctx->start_wall_ns, master, st, &t);
    sqlite3_finalize(st);
    sqlite3_close(db);
    bool ok = frames && t.mismatched == 0 && t.meters_empty == 0 && t.compared > 0;
    if (ok)
        snprintf(msg, cap, "mbus_tcp %s: %u values read equal the store", master, t.compared);
    else if (!frames)
        snprintf(msg, cap, "mbus_tcp %s store: expected RSP_UD frames, observed none", master);
    else
        snprintf(msg, cap, "mbus_tcp %s store: %u of %u values differ, %u telegrams without values%s%s",
                 master, t.mismatched, t.compared, t.meters_empty, t.first[0] ? "; first: " : "",
                 t.first);
    return ok;
}

/* ---- the wire while the master had the bus ------------------------------------------ */

static bool same_bytes(const trace_rec *a, const trace_rec *b) {
    return a->len == b->len && a->len && memcmp(a->bytes, b->bytes, a->len) == 0;
}

static bool eval_interleave(const expectation *ex, ex_context *ctx, char *msg, size_t cap) {
    const trace *tr = ctx->tr;
    const char *master = ex->mbus_tcp.master, *seg = ex->mbus_tcp.segment;
    bool *claimed = calloc(tr->n ? tr->n : 1, sizeof *claimed);
    if (!claimed) {
        snprintf(msg, cap, "out of memory");
        return false;
    }
    size_t requests = 0, forwarded = 0, first = 0, last = 0;
    for (size_t i = 0; i < tr->n; i++) {
        const trace_rec *q = &tr->recs[i];
        if (!on_channel(q, master) || q->dir != TRACE_BUS_TO_GW)
            continue;
        requests++;
        for (size_t k = 0; k < tr->n; k++) { /* the first copy of it on the wire after it was sent */
            const trace_rec *w = &tr->recs[k];
            if (claimed[k] || strcmp(w->ch, seg) != 0 || w->dir != TRACE_GW_TO_BUS ||
                w->t_ns < q->t_ns || !same_bytes(q, w))
                continue;
            claimed[k] = true;
            if (forwarded++ == 0)
                first = k;
            last = k;
            break;
        }
    }
    size_t before = 0, inside = 0, after = 0;
    for (size_t k = 0; forwarded && k < tr->n; k++) {
        const trace_rec *w = &tr->recs[k];
        if (claimed[k] || strcmp(w->ch, seg) != 0 || w->dir != TRACE_GW_TO_BUS)
            continue;
        if (w->t_ns < tr->recs[first].t_ns)
            before++;
        else if (w->t_ns <= tr->recs[last].end_ns)
            inside++;
        else
            after++;
    }
    free(claimed);
    bool ok = requests > 0 && forwarded == requests && inside == 0 && before > 0 && after > 0;
    snprintf(msg, cap,
             "mbus_tcp %s on %s: %zu of %zu requests on the wire, readout frames %zu before, %zu "
             "interleaved, %zu after%s",
             master, seg, forwarded, requests, before, inside, after,
             ok ? "" : " (expected all on the wire, readout before and after, none interleaved)");
    return ok;
}

bool expect_eval_mbus_tcp(const expectation *ex, ex_context *ctx, char *msg, size_t cap) {
    const ex_mbus_tcp *t = &ex->mbus_tcp;
    if (t->no_interleave)
        return eval_interleave(ex, ctx, msg, cap);
    if (t->store)
        return eval_store(ex, ctx, msg, cap);
    long long n = found_meters(ctx->tr, t->master);
    if (n == t->meters)
        snprintf(msg, cap, "mbus_tcp %s found %lld meters", t->master, n);
    else
        snprintf(msg, cap, "mbus_tcp %s: expected %lld meters found, observed %lld", t->master,
                 t->meters, n);
    return n == t->meters;
}
