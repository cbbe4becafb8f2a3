/* report_status: status changes of the meters from the store (report_status.h). */
#include "sim/report/report_status.h"
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Readings (one row per meter and time) and events, merged by time. */
static const char *const changes_sql =
    "SELECT ts, meter, kind, text FROM ("
    " SELECT s.ts_ns AS ts, p.meter AS meter, 'read' AS kind, '' AS text, 0 AS id"
    "  FROM samples s JOIN points p ON p.id = s.point_id WHERE p.meter IS NOT NULL GROUP BY p.meter, s.ts_ns"
    " UNION ALL SELECT ts_ns, meter, kind, coalesce(text, ''), id FROM events"
    "  WHERE meter IS NOT NULL AND kind IN ('not_read', 'rejected'))"
    " ORDER BY ts, id";

/* The last state per meter, to see changes (a meter is named at most once here). */
typedef struct last_state {
    char meter[64];
    char state[160];
} last_state;

static last_state *state_of(last_state **v, size_t *n, const char *meter) {
    for (size_t i = 0; i < *n; i++)
        if (strcmp((*v)[i].meter, meter) == 0) return &(*v)[i];
    last_state *g = realloc(*v, (*n + 1) * sizeof *g);
    if (!g) return NULL;
    *v = g;
    last_state *s = &g[(*n)++];
    snprintf(s->meter, sizeof s->meter, "%s", meter);
    s->state[0] = '\0';
    return s;
}

static void add(report_status_list *l, const char *meter, int64_t t, const char *text, size_t max) {
    if (l->n == max) {
        l->dropped++;
        return;
    }
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        report_status *v = realloc(l->v, cap * sizeof *v);
        if (!v) return;
        l->v = v;
        l->cap = cap;
    }
    report_status *s = &l->v[l->n++];
    snprintf(s->meter, sizeof s->meter, "%s", meter);
    s->t_ns = t;
    snprintf(s->text, sizeof s->text, "%s", text);
}

static void row(report_status_list *l, sqlite3_stmt *st, int64_t wall0_ns, last_state **seen, size_t *n_seen,
                size_t max) {
    int64_t t = sqlite3_column_int64(st, 0) - wall0_ns;
    const char *meter = (const char *)sqlite3_column_text(st, 1);
    const char *kind = (const char *)sqlite3_column_text(st, 2);
    const char *text = (const char *)sqlite3_column_text(st, 3);
    char now[160];
    if (!meter || !kind) return;
    if (strcmp(kind, "rejected") == 0) { /* a telegram, not a state: always shown */
        snprintf(now, sizeof now, "rejected: %s", text ? text : "");
        add(l, meter, t, now, max);
        return;
    }
    snprintf(now, sizeof now, "%s%s%s", strcmp(kind, "read") == 0 ? "read" : "not read",
             text && *text ? ": " : "", text ? text : "");
    last_state *s = state_of(seen, n_seen, meter);
    if (!s || strcmp(s->state, now) == 0) return;
    snprintf(s->state, sizeof s->state, "%s", now);
    add(l, meter, t, now, max);
}

void report_status_load(report_status_list *l, const char *store_path, int64_t wall0_ns, size_t max) {
    memset(l, 0, sizeof *l);
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    if (!store_path || sqlite3_open_v2(store_path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, changes_sql, -1, &st, NULL) != SQLITE_OK) {
        sqlite3_close(db);
        return;
    }
    last_state *seen = NULL;
    size_t n_seen = 0;
    while (sqlite3_step(st) == SQLITE_ROW) row(l, st, wall0_ns, &seen, &n_seen, max);
    free(seen);
    sqlite3_finalize(st);
    sqlite3_close(db);
}

void report_status_free(report_status_list *l) {
    free(l->v);
    memset(l, 0, sizeof *l);
}
