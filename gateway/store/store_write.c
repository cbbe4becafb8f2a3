/* store_write: what the datahub publishes, written as it comes: readings
 * (batched, SAMPLE_BATCH rows a statement), meters, events, rejected telegrams. */
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"

/* ---- readings ---- */

/* Bind sample i of the batch as row `row` of st (parameters from 5 * row + 1). */
static void bind_sample(sqlite3_stmt *st, int row, const pending_sample *p) {
    int at = SAMPLE_COLUMNS * row;
    sqlite3_bind_int64(st, at + 1, p->point_id);
    sqlite3_bind_int64(st, at + 2, p->ts_ns);
    if (p->has_value)
        sqlite3_bind_double(st, at + 3, p->value);
    else
        sqlite3_bind_null(st, at + 3);
    store_bind_text(st, at + 4, p->text);
    sqlite3_bind_int64(st, at + 5, p->quality);
}

static void insert_samples(gw_store *s, sqlite3_stmt *st, const pending_sample *p, int rows) {
    for (int row = 0; row < rows; row++)
        bind_sample(st, row, &p[row]);
    if (sqlite3_step(st) != SQLITE_DONE)
        store_error(s, "insert reading");
    sqlite3_reset(st);
}

void store_flush_samples(gw_store *s) {
    if (s->n_pending == SAMPLE_BATCH)
        insert_samples(s, s->sample_batch, s->pending, SAMPLE_BATCH);
    else
        for (size_t i = 0; i < s->n_pending; i++)
            insert_samples(s, s->sample, &s->pending[i], 1);
    for (size_t i = 0; i < s->n_pending; i++)
        free(s->pending[i].text);
    s->n_pending = 0;
}

static char *copy_text(const char *text) {
    return text ? strdup(text) : NULL;
}

/* Queue the reading; its batch is written when full or at the commit. */
static void write_reading(gw_store *s, const dp *p) {
    int64_t id = store_point_id(s, p);
    if (id < 0)
        return;
    pending_sample *q = &s->pending[s->n_pending++];
    const dp_value *v = &p->value;
    *q = (pending_sample){.point_id = id, .ts_ns = p->ts_ns, .quality = p->quality,
                          .has_value = true};
    switch (v->type) {
    case DP_BOOL: q->value = v->b ? 1.0 : 0.0; break;
    case DP_INT: q->value = (double)v->i; break;
    case DP_DOUBLE: q->value = v->d; break;
    case DP_STRING: q->has_value = false; q->text = copy_text(v->s); break;
    case DP_BYTES: q->has_value = false; q->text = store_hex_text(v->bytes, v->len); break;
    case DP_NONE: q->has_value = false; break;
    }
    if (s->n_pending == SAMPLE_BATCH)
        store_flush_samples(s);
}

static void write_meter(gw_store *s, const dh_meter *m) {
    sqlite3_stmt *st = s->meter;
    store_bind_text(st, 1, m->name);
    store_bind_text(st, 2, m->interface);
    sqlite3_bind_int(st, 3, m->primary_address);
    store_bind_text(st, 4, m->secondary);
    store_bind_text(st, 5, m->serial);
    store_bind_text(st, 6, m->manufacturer);
    sqlite3_bind_int(st, 7, m->version);
    sqlite3_bind_int(st, 8, m->medium);
    store_bind_text(st, 9, m->medium_name);
    store_bind_text(st, 10, m->status);
    sqlite3_bind_int64(st, 11, m->last_read_ns);
    sqlite3_bind_int64(st, 12, clock_wall_ns());
    store_run(s, st, "upsert meter");
}

static void write_rejected(gw_store *s, const dh_event *e) {
    sqlite3_stmt *st = s->rejected;
    char *hex = store_hex_text(e->bytes, e->bytes ? e->len : 0);
    sqlite3_bind_int64(st, 1, e->ts_ns);
    store_bind_text(st, 2, e->source);
    store_bind_text(st, 3, e->meter);
    store_bind_text(st, 4, e->text);
    if (e->bytes)
        sqlite3_bind_blob(st, 5, e->bytes, (int)e->len, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, 5);
    store_bind_text(st, 6, e->bytes ? hex : NULL);
    store_run(s, st, "insert rejected telegram");
    free(hex);
}

static void write_event(gw_store *s, const dh_event *e) {
    sqlite3_stmt *st = s->event;
    sqlite3_bind_int64(st, 1, e->ts_ns);
    store_bind_text(st, 2, e->source);
    store_bind_text(st, 3, e->kind);
    store_bind_text(st, 4, e->meter);
    store_bind_text(st, 5, e->text);
    store_run(s, st, "insert event");
    if (e->kind && strcmp(e->kind, "rejected") == 0)
        write_rejected(s, e);
}



/* Every write is also held (store_hold.c) until its transaction committed;
 * while the store cannot be written it is only held. */
static void on_update(const dh_update *u, void *arg) {
    gw_store *s = arg;
    store_begin(s);
    if (u->kind == DH_CYCLE_END) {
        if (s->in_transaction) {
            store_apply_retention(s, u->ts_ns);
            store_commit_soon(s);
        }
        return;
    }
    hold_update(s, u);
    if (s->in_transaction)
        store_write_update(s, u);
}

void store_write_update(gw_store *s, const dh_update *u) {
    if (u->kind == DH_POINT && u->point)
        write_reading(s, u->point);
    else if (u->kind == DH_METER && u->meter)
        write_meter(s, u->meter);
    else if (u->kind == DH_EVENT && u->event)
        write_event(s, u->event);
}

void store_attach(gw_store *s, datahub *hub, gw_loop *loop) {
    if (!s || !hub)
        return;
    if (s->hub)
        datahub_unsubscribe(s->hub, s->subscription);
    s->hub = hub;
    s->loop = loop;
    s->subscription = datahub_subscribe(hub, on_update, s);
}

void store_close(gw_store *s) {
    if (!s)
        return;
    store_commit(s);
    store_outage_close(s);
    if (s->hub)
        datahub_unsubscribe(s->hub, s->subscription);
    store_close_db(s);
}

void store_defer_cycle_commit(gw_store *s, bool defer) {
    if (s)
        s->defer_cycle_commit = defer;
}
