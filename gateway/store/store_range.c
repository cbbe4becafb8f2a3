/* store_range: samples and events by time range (see store_range.h). */
#include "store/store_range.h"

#include "store/store_int.h"

size_t store_point_range(gw_store *s, const char *point, int64_t from_ns, int64_t to_ns,
                         size_t max, store_range_fn fn, void *arg) {
    if (!s) return 0;
    store_flush_samples(s);
    sqlite3_stmt *st = store_prepare_now(s, "SELECT ts_ns, value, value_text FROM readings WHERE point = ?"
                                            " AND ts_ns >= ? AND ts_ns <= ? AND (quality & 2) = 0"
                                            " ORDER BY ts_ns, id");
    if (!st) return 0;
    sqlite3_bind_text(st, 1, point, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, from_ns);
    sqlite3_bind_int64(st, 3, to_ns);
    size_t n = 0;
    while ((max == 0 || n < max) && sqlite3_step(st) == SQLITE_ROW) {
        bool num = sqlite3_column_type(st, 1) != SQLITE_NULL;
        fn(arg, sqlite3_column_int64(st, 0), num, num ? sqlite3_column_double(st, 1) : 0,
           (const char *)sqlite3_column_text(st, 2));
        n++;
    }
    sqlite3_finalize(st);
    return n;
}

size_t store_events_range(gw_store *s, int64_t from_ns, int64_t to_ns, size_t max,
                          store_range_event_fn fn, void *arg) {
    if (!s) return 0;
    sqlite3_stmt *st = store_prepare_now(s, "SELECT ts_ns, source, kind, meter, text FROM events"
                                            " WHERE ts_ns >= ? AND ts_ns <= ? ORDER BY ts_ns, id");
    if (!st) return 0;
    sqlite3_bind_int64(st, 1, from_ns);
    sqlite3_bind_int64(st, 2, to_ns);
    size_t n = 0;
    while ((max == 0 || n < max) && sqlite3_step(st) == SQLITE_ROW) {
        store_range_event row = {.ts_ns = sqlite3_column_int64(st, 0),
                               .source = (const char *)sqlite3_column_text(st, 1),
                               .kind = (const char *)sqlite3_column_text(st, 2),
                               .meter = (const char *)sqlite3_column_text(st, 3),
                               .text = (const char *)sqlite3_column_text(st, 4)};
        fn(arg, &row);
        n++;
    }
    sqlite3_finalize(st);
    return n;
}

size_t store_outbox_instances(gw_store *s, store_instance_fn fn, void *arg) {
    if (!s) return 0;
    sqlite3_stmt *st = store_prepare_now(s, "SELECT DISTINCT instance FROM outbox ORDER BY instance");
    if (!st) return 0;
    size_t n = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *instance = (const char *)sqlite3_column_text(st, 0);
        if (instance) {
            fn(arg, instance);
            n++;
        }
    }
    sqlite3_finalize(st);
    return n;
}
