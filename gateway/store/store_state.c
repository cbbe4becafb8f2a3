/* store_state: what drivers keep across restarts (table state: key -> integer)
 * and the newest samples of a point, offered to drivers as core/state.h. */
#include "store/store_int.h"

/* ---- drivers' state across restarts ---- */

bool store_state_get(gw_store *s, const char *key, int64_t *value) {
    sqlite3_stmt *st = s ? store_prepare_now(s, "SELECT value FROM state WHERE key = ?") : NULL;
    if (!st)
        return false;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
    bool found = sqlite3_step(st) == SQLITE_ROW;
    if (found)
        *value = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return found;
}

bool store_state_set(gw_store *s, const char *key, int64_t value) {
    sqlite3_stmt *st = s ? store_prepare_now(s, "INSERT INTO state(key, value) VALUES(?, ?)"
                                          " ON CONFLICT(key) DO UPDATE SET value = excluded.value")
                         : NULL;
    if (!st)
        return false;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, value);
    bool ok = sqlite3_step(st) == SQLITE_DONE;
    sqlite3_finalize(st);
    if (!ok)
        store_error(s, "write state");
    store_commit(s); /* durable before the caller relies on it */
    return ok;
}

int64_t store_point_latest_ts(gw_store *s, const char *point) {
    if (s)
        store_flush_samples(s); /* readings still waiting for their batch count too */
    sqlite3_stmt *st = s ? store_prepare_now(s, "SELECT max(ts_ns) FROM readings WHERE point = ? AND"
                                          " (quality & 2) = 0") : NULL;
    if (!st)
        return 0;
    sqlite3_bind_text(st, 1, point, -1, SQLITE_TRANSIENT);
    int64_t ts = 0;
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
        ts = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return ts;
}

size_t store_point_samples_at(gw_store *s, const char *point, int64_t ts, store_sample_fn fn, void *arg) {
    if (s)
        store_flush_samples(s);
    sqlite3_stmt *st = s ? store_prepare_now(s, "SELECT value, value_text FROM readings WHERE point = ?"
                                          " AND ts_ns = ? AND (quality & 2) = 0 ORDER BY id") : NULL;
    if (!st)
        return 0;
    sqlite3_bind_text(st, 1, point, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, ts);
    size_t n = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        bool num = sqlite3_column_type(st, 0) != SQLITE_NULL;
        const char *text = (const char *)sqlite3_column_text(st, 1);
        fn(arg, num, num ? sqlite3_column_double(st, 0) : 0, text);
        n++;
    }
    sqlite3_finalize(st);
    return n;
}

/* ---- as core/state.h: the interface drivers get through gw_services ---- */

static bool state_get(void *impl, const char *key, int64_t *value) {
    return store_state_get(impl, key, value);
}

static bool state_put(void *impl, const char *key, int64_t value) {
    return store_state_set(impl, key, value);
}

static int64_t state_point_latest(void *impl, const char *point) {
    return store_point_latest_ts(impl, point);
}

static size_t state_point_samples_at(void *impl, const char *point, int64_t ts, gw_sample_fn fn,
                                     void *arg) {
    return store_point_samples_at(impl, point, ts, fn, arg);
}

const gw_state *store_state(gw_store *s) {
    if (!s)
        return NULL;
    s->state = (gw_state){.impl = s, .get = state_get, .put = state_put,
                          .point_latest = state_point_latest,
                          .point_samples_at = state_point_samples_at};
    return &s->state;
}
