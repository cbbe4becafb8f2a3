/* store_query: history and events for north modules (store_query.h). */
#include <stdio.h>
#include "store/store_int.h"
#include "store/store_query.h"

static const char *col_text(sqlite3_stmt *st, int i) { return (const char *)sqlite3_column_text(st, i); }

int64_t store_query_readings(gw_store *store, const char *meter, int64_t from_ns, int64_t to_ns,
                             int64_t offset, int64_t limit, store_reading_fn fn, void *arg) {
    static const char sql[] =
        "SELECT s.ts_ns, p.name, p.meter, p.quantity, p.unit, s.value, s.value_text, s.quality"
        " FROM samples s JOIN points p ON p.id = s.point_id"
        " WHERE (?1 IS NULL OR p.meter = ?1) AND s.ts_ns >= ?2 AND s.ts_ns < ?3"
        " ORDER BY s.ts_ns, s.id LIMIT ?4 OFFSET ?5";
    sqlite3_stmt *st;
    if (!store || sqlite3_prepare_v2(store->db, sql, -1, &st, NULL) != SQLITE_OK)
        return -1;
    if (meter)
        sqlite3_bind_text(st, 1, meter, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, from_ns);
    sqlite3_bind_int64(st, 3, to_ns);
    sqlite3_bind_int64(st, 4, limit);
    sqlite3_bind_int64(st, 5, offset);
    int64_t n = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        store_reading r = {.ts_ns = sqlite3_column_int64(st, 0), .point = col_text(st, 1),
                           .meter = col_text(st, 2), .quantity = col_text(st, 3),
                           .unit = col_text(st, 4),
                           .has_number = sqlite3_column_type(st, 5) != SQLITE_NULL,
                           .value = sqlite3_column_double(st, 5), .text = col_text(st, 6),
                           .quality = (unsigned)sqlite3_column_int(st, 7)};
        fn(arg, &r);
        n++;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? n : -1;
}

int64_t store_query_events(gw_store *store, const store_event_filter *f, int64_t offset,
                           int64_t limit, store_event_fn fn, void *arg) {
    static const char sql[] =
        "SELECT id, ts_ns, source, kind, meter, text FROM events"
        " WHERE (?1 IS NULL OR source = ?1) AND (?2 IS NULL OR kind = ?2)"
        " AND (?3 IS NULL OR meter = ?3) AND ts_ns >= ?4 AND ts_ns < ?5"
        " ORDER BY ts_ns DESC, id DESC LIMIT ?6 OFFSET ?7";
    sqlite3_stmt *st;
    if (!store || sqlite3_prepare_v2(store->db, sql, -1, &st, NULL) != SQLITE_OK)
        return -1;
    const char *texts[] = {f->source, f->kind, f->meter};
    for (int i = 0; i < 3; i++)
        if (texts[i])
            sqlite3_bind_text(st, i + 1, texts[i], -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 4, f->from_ns);
    sqlite3_bind_int64(st, 5, f->to_ns);
    sqlite3_bind_int64(st, 6, limit);
    sqlite3_bind_int64(st, 7, offset);
    int64_t n = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        store_event_row e = {.id = sqlite3_column_int64(st, 0), .ts_ns = sqlite3_column_int64(st, 1),
                             .source = col_text(st, 2), .kind = col_text(st, 3),
                             .meter = col_text(st, 4), .text = col_text(st, 5)};
        fn(arg, &e);
        n++;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? n : -1;
}
