/* expect_store: expectations on the gateway's SQLite store (gateway.store):
 * one SQL query; its first column of the first row must equal a value, or its
 * rows must number `rows`. Opened read-only after the gateway has exited. */
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include "sim/expect/expect.h"

bool expect_eval_store(const expectation *ex, ex_context *ctx, char *msg, size_t cap) {
    if (!ctx->store_path) {
        snprintf(msg, cap, "store \"%s\": the gateway configuration has no gateway.store", ex->sql);
        return false;
    }
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    if (sqlite3_open_v2(ctx->store_path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, ex->sql, -1, &st, NULL) != SQLITE_OK) {
        snprintf(msg, cap, "store \"%s\": %s", ex->sql, db ? sqlite3_errmsg(db) : "cannot open");
        sqlite3_finalize(st);
        sqlite3_close(db);
        return false;
    }
    long long rows = 0;
    char first[1024] = "";
    bool have_first = false;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (rows == 0 && sqlite3_column_count(st) > 0) {
            const unsigned char *t = sqlite3_column_text(st, 0);
            snprintf(first, sizeof first, "%s", t ? (const char *)t : "NULL");
            have_first = true;
        }
        rows++;
    }
    bool ok = rc == SQLITE_DONE;
    if (!ok) {
        snprintf(msg, cap, "store \"%s\": %s", ex->sql, sqlite3_errmsg(db));
    } else {
        bool rows_ok = ex->rows < 0 || rows == ex->rows;
        bool value_ok = !ex->equals || (have_first && expect_equal(ex, first));
        ok = rows_ok && value_ok;
        char want[600] = "", seen[1200];
        if (ex->equals) snprintf(want, sizeof want, "%s", ex->equals);
        if (ex->rows >= 0) {
            size_t w = strlen(want);
            snprintf(want + w, sizeof want - w, "%s%lld rows", w ? ", " : "", ex->rows);
        }
        snprintf(seen, sizeof seen, "%s, %lld rows", have_first ? first : "(no row)", rows);
        if (ok) snprintf(msg, cap, "store \"%s\" = %s", ex->sql, want);
        else snprintf(msg, cap, "store \"%s\": expected %s, observed %s", ex->sql, want, seen);
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return ok;
}

bool expect_parse_store(const cfg_node *m, expectation *ex, cfg_err *err) {
    static const char *const keys[] = {"sql", "equals", "tolerance", "rows", NULL};
    if (!cfg_only_keys(m, keys, err) || !cfg_require(m, "sql", CFG_SCALAR, err)) return false;
    if (!cfg_str(m, "sql", NULL, &ex->sql, err) || !expect_parse_equals(m, ex, err) ||
        !cfg_int(m, "rows", -1, 0, 100000000, &ex->rows, err))
        return false;
    if (!ex->equals && ex->rows < 0) return cfg_fail(err, m, "store needs equals or rows");
    return true;
}
