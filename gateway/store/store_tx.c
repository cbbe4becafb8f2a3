/* store_tx: transactions, error logging and the small SQL helpers of the store.
 *
 * Writes are batched in one transaction per readout cycle because one fsync
 * per reading would be far too slow on flash; a 1 s timer bounds how long a
 * write may stay uncommitted. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "store/store_int.h"

/* Log SQLite failures without flooding the log when the disk is gone. */
/* A write the disk refused spoils the open transaction: committing the rest
 * would keep a cycle without it, so the commit rolls back and holds it all. */
static void note_failure(gw_store *s, int rc) {
    if (s->in_transaction && store_disk_error(rc))
        s->hold.failed = true;
}

void store_error(gw_store *s, const char *what) {
    note_failure(s, sqlite3_errcode(s->db));
    s->errors++;
    if (s->errors <= 10 || s->errors % 1000 == 0)
        log_error("store", "%s: %s (error %lu)", what, sqlite3_errmsg(s->db), s->errors);
}

bool store_exec(gw_store *s, const char *sql, const char *what) {
    char *msg = NULL;
    int rc = sqlite3_exec(s->db, sql, NULL, NULL, &msg);
    if (rc == SQLITE_OK)
        return true;
    note_failure(s, rc);
    s->errors++;
    if (s->errors <= 10 || s->errors % 1000 == 0)
        log_error("store", "%s: %s", what, msg ? msg : sqlite3_errmsg(s->db));
    sqlite3_free(msg);
    return false;
}

/* ---- transactions ---- */

/* Outbox rows of the transaction just ended are final now (committed, or
 * gone with a rollback): whoever waits to deliver them may look again. */
static void outbox_settled(gw_store *s) {
    bool had = s->outbox_open != 0;
    s->outbox_open = s->hold.held ? s->hold.first_add : 0; /* held rows: still not */
    if (had && s->on_commit)
        s->on_commit(s->on_commit_arg);
}

void store_commit(gw_store *s) {
    store_flush_samples(s);
    if (s->loop && s->commit_timer) {
        loop_timer_cancel(s->loop, s->commit_timer);
        s->commit_timer = 0;
    }
    if (!s->in_transaction)
        return;
    s->in_transaction = false;
    if (!s->hold.failed && store_exec(s, "COMMIT", "commit")) {
        if (s->hold.outage)
            store_outage_end(s);
        hold_clear(&s->hold); /* all of it is on disk now */
        outbox_settled(s);
        return;
    }
    char cause[160];
    snprintf(cause, sizeof cause, "%s", sqlite3_errmsg(s->db));
    /* Never leave a transaction open: the next cycle starts clean. */
    if (!sqlite3_get_autocommit(s->db))
        store_exec(s, "ROLLBACK", "rollback");
    /* points rows of the lost transaction are gone: ask SQL again */
    store_points_clear(&s->points);
    store_outage_begin(s, cause); /* its writes are held, and retried */
    outbox_settled(s);
}

static void on_commit_timer(gw_loop *loop, void *arg) {
    gw_store *s = arg;
    s->commit_timer = 0;
    store_commit(s);
}

void store_begin(gw_store *s) {
    if (s->in_transaction)
        return;
    if (s->hold.held) {
        /* without a loop there is no retry timer: the next write retries when due */
        if (!s->loop)
            store_outage_retry(s, false);
        return;
    }
    if (!store_exec(s, "BEGIN", "begin")) {
        store_outage_begin(s, sqlite3_errmsg(s->db));
        return;
    }
    s->in_transaction = true;
    if (s->loop)
        s->commit_timer = loop_timer_after(s->loop, COMMIT_DELAY_NS, on_commit_timer, s);
}

/* The end of a cycle commits on the next loop turn, not at once: subscribers
 * after the store (reports queueing their messages) then write into the same
 * transaction, so a crash keeps either the cycle and its reports or neither. */
void store_commit_soon(gw_store *s) {
    if (!s->loop || !s->defer_cycle_commit) {
        store_commit(s);
        return;
    }
    if (s->commit_timer)
        loop_timer_cancel(s->loop, s->commit_timer);
    s->commit_timer = loop_timer_after(s->loop, 0, on_commit_timer, s);
}

void store_flush(gw_store *s) {
    if (s)
        store_commit(s);
}

/* ---- writes ---- */

void store_bind_text(sqlite3_stmt *st, int idx, const char *text) {
    if (text)
        sqlite3_bind_text(st, idx, text, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, idx);
}

/* Run a fully bound statement and make it ready for the next use. */
void store_run(gw_store *s, sqlite3_stmt *st, const char *what) {
    if (sqlite3_step(st) != SQLITE_DONE)
        store_error(s, what);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
}

char *store_hex_text(const uint8_t *bytes, size_t len) {
    static const char digits[] = "0123456789ABCDEF";
    char *out = malloc(len * 3 + 1), *o = out;
    if (!out)
        return NULL;
    for (size_t i = 0; i < len; i++) {
        if (i)
            *o++ = ' ';
        *o++ = digits[bytes[i] >> 4];
        *o++ = digits[bytes[i] & 0xF];
    }
    *o = '\0';
    return out;
}

sqlite3_stmt *store_prepare_now(gw_store *s, const char *sql) {
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
        store_error(s, "prepare outbox statement");
        return NULL;
    }
    return st;
}

/* What AUTOINCREMENT would give the next row: above every id ever used,
 * including delivered (deleted) ones. One connection writes the outbox, so
 * the id stays free until store_outbox_add takes it. */
