/* store_outbox: the reports' delivery queue (table outbox), per instance, in order. */
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"

/* ---- outbox: the delivery queue of reports ---- */

/* Held reports (store_hold.c) keep their ids: the next one is above them too. */
int64_t store_outbox_next_id(gw_store *s) {
    int64_t held = s->hold.last_add ? s->hold.last_add + 1 : -1;
    sqlite3_stmt *st = store_prepare_now(s, "SELECT max(coalesce((SELECT seq FROM sqlite_sequence"
                                      " WHERE name = 'outbox'), 0),"
                                      " coalesce((SELECT max(id) FROM outbox), 0)) + 1");
    int64_t id = -1;
    if (st && sqlite3_step(st) == SQLITE_ROW)
        id = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return id > held ? id : held;
}

bool store_in_transaction(const gw_store *s) {
    return s && s->in_transaction;
}

bool store_outbox_committed(const gw_store *s, int64_t id) {
    return !s->outbox_open || id < s->outbox_open;
}

void store_on_commit(gw_store *s, store_commit_cb cb, void *arg) {
    if (!s)
        return;
    s->on_commit = cb;
    s->on_commit_arg = arg;
}

/* The row is held too (store_hold.c) until it committed; while the store
 * cannot be written it is only held, and not committed (no transport sees it). */
int64_t store_outbox_add(gw_store *s, const store_msg *m, int64_t limit, int64_t *dropped) {
    if (dropped)
        *dropped = 0;
    store_begin(s);
    store_msg row = *m;
    if (row.id <= 0)
        row.id = store_outbox_next_id(s);
    if (row.id <= 0)
        return -1;
    hold_outbox_add(s, &row, limit);
    if (s->in_transaction)
        return store_outbox_insert(s, &row, limit, dropped);
    if (!s->outbox_open || row.id < s->outbox_open)
        s->outbox_open = row.id;
    return row.id;
}

int64_t store_outbox_insert(gw_store *s, const store_msg *m, int64_t limit, int64_t *dropped) {
    if (dropped)
        *dropped = 0;
    sqlite3_stmt *st = store_prepare_now(s, "INSERT INTO outbox(id, instance, created_ns, name,"
                                      " content_type, body) VALUES(?6, ?1, ?2, ?3, ?4, ?5)");
    if (!st)
        return -1;
    if (m->id > 0)
        sqlite3_bind_int64(st, 6, m->id); /* rendered with its id (store_outbox_next_id) */
    else
        sqlite3_bind_null(st, 6);
    store_bind_text(st, 1, m->instance);
    sqlite3_bind_int64(st, 2, m->created_ns);
    store_bind_text(st, 3, m->name);
    store_bind_text(st, 4, m->content_type);
    sqlite3_bind_blob(st, 5, m->body ? m->body : "", (int)m->len, SQLITE_STATIC);
    int64_t id = -1;
    if (sqlite3_step(st) == SQLITE_DONE)
        id = sqlite3_last_insert_rowid(s->db);
    else
        store_error(s, "queue report");
    sqlite3_finalize(st);
    if (id > 0 && s->in_transaction && !s->outbox_open)
        s->outbox_open = id; /* not visible to transports until it commits */
    int64_t over = limit > 0 ? (int64_t)store_outbox_count(s, m->instance) - limit : 0;
    if (id > 0 && over > 0) {
        st = store_prepare_now(s, "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox"
                            " WHERE instance = ?1 ORDER BY id LIMIT ?2)");
        if (st) {
            store_bind_text(st, 1, m->instance);
            sqlite3_bind_int64(st, 2, over);
            if (sqlite3_step(st) == SQLITE_DONE && dropped)
                *dropped = over;
            sqlite3_finalize(st);
        }
    }
    return id;
}

/* The first row of the instance whose delete is not held (a held delete is
 * not in SQL while the store cannot be written). */
static bool step_to_queued(gw_store *s, sqlite3_stmt *st) {
    while (sqlite3_step(st) == SQLITE_ROW)
        if (!hold_deleted(&s->hold, sqlite3_column_int64(st, 0)))
            return true;
    return false;
}

static bool msg_copy(store_msg *out, int64_t id, int64_t created_ns, const char *name,
                     const char *ctype, const void *body, size_t len) {
    out->len = len;
    out->id = id;
    out->created_ns = created_ns;
    out->name = strdup(name ? name : "");
    out->content_type = strdup(ctype ? ctype : "");
    out->body = malloc(len + 1);
    if (out->body) {
        if (len)
            memcpy(out->body, body, len);
        out->body[len] = '\0';
    }
    if (!out->name || !out->content_type || !out->body) {
        store_msg_free(out);
        return false;
    }
    return true;
}

bool store_outbox_head(gw_store *s, const char *instance, store_msg *out) {
    memset(out, 0, sizeof *out);
    sqlite3_stmt *st = store_prepare_now(s, "SELECT id, created_ns, name, content_type, body FROM"
                                      " outbox WHERE instance = ?1 ORDER BY id");
    if (!st)
        return false;
    store_bind_text(st, 1, instance);
    bool found = step_to_queued(s, st);
    const store_msg *held = found || s->in_transaction ? NULL : hold_first_added(&s->hold, instance);
    if (found)
        found = msg_copy(out, sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1),
                         (const char *)sqlite3_column_text(st, 2),
                         (const char *)sqlite3_column_text(st, 3), sqlite3_column_blob(st, 4),
                         (size_t)sqlite3_column_bytes(st, 4));
    else if (held) /* newer than every row in SQL; not committed: it waits (store_outbox_committed) */
        found = msg_copy(out, held->id, held->created_ns, held->name, held->content_type,
                         held->body, held->len);
    sqlite3_finalize(st);
    return found;
}

void store_outbox_delete(gw_store *s, int64_t id) {
    store_begin(s);
    hold_outbox_delete(s, id);
    if (s->in_transaction)
        store_outbox_remove(s, id);
}

void store_outbox_remove(gw_store *s, int64_t id) {
    sqlite3_stmt *st = store_prepare_now(s, "DELETE FROM outbox WHERE id = ?1");
    if (!st)
        return;
    sqlite3_bind_int64(st, 1, id);
    if (sqlite3_step(st) != SQLITE_DONE)
        store_error(s, "delete delivered report");
    sqlite3_finalize(st);
}

/* Queued: the rows in SQL (but those whose delete is held) and, while the
 * store cannot be written, the held ones. */
size_t store_outbox_count(gw_store *s, const char *instance) {
    sqlite3_stmt *st = store_prepare_now(s, "SELECT id FROM outbox WHERE instance = ?1");
    size_t n = 0;
    if (!st)
        return 0;
    store_bind_text(st, 1, instance);
    while (step_to_queued(s, st))
        n++;
    sqlite3_finalize(st);
    return n + (s->in_transaction ? 0 : hold_added(&s->hold, instance));
}

void store_msg_free(store_msg *m) {
    if (!m)
        return;
    free(m->name);
    free(m->content_type);
    free(m->body);
    memset(m, 0, sizeof *m);
}
