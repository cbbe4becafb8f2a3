/* store_outage: the store cannot be written (disk full, I/O errors, read-only,
 * locked): it holds every write in memory (store_hold.c), retries with a
 * growing pause, and says so: a log line and a datahub event `store_unwritable`
 * when it starts, `store_writable` (with what was kept and what was dropped)
 * when a commit succeeds again. The events go through the datahub like any
 * other, so the events table and event reports show them (the first one once
 * the store is written again). */
#include <stdio.h>

#include "core/log.h"
#include "store/store_int.h"

#define RETRY_FIRST_NS NS_PER_S
#define RETRY_MAX_NS (30 * NS_PER_S)

bool store_disk_error(int rc) {
    switch (rc & 0xff) {
    case SQLITE_FULL:
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_NOMEM:
    case SQLITE_PERM:
        return true;
    default:
        return false;
    }
}

/* ---- events, published from the loop (never from inside a datahub callback) ---- */

static void on_note(gw_loop *loop, void *arg) {
    (void)loop;
    store_note *n = arg;
    n->timer = 0;
    dh_event e = {.source = "store", .kind = n->kind, .text = n->text, .ts_ns = clock_wall_ns()};
    datahub_event(n->s->hub, &e);
}

static void note(gw_store *s, const char *kind, const char *text) {
    if (!s->loop || !s->hub)
        return;
    for (size_t i = 0; i < sizeof s->hold.notes / sizeof s->hold.notes[0]; i++) {
        store_note *n = &s->hold.notes[i];
        if (n->timer)
            continue;
        n->s = s;
        snprintf(n->kind, sizeof n->kind, "%s", kind);
        snprintf(n->text, sizeof n->text, "%s", text);
        n->timer = loop_timer_after(s->loop, 0, on_note, n);
        return;
    }
}

/* ---- retries ---- */

static void on_retry(gw_loop *loop, void *arg) {
    (void)loop;
    gw_store *s = arg;
    s->hold.retry_timer = 0;
    if (store_outage_retry(s, true))
        store_commit(s);
}

static void arm_retry(gw_store *s) {
    store_hold *h = &s->hold;
    h->next_retry_ns = clock_mono_ns() + h->retry_ns;
    if (s->loop && !h->retry_timer)
        h->retry_timer = loop_timer_after(s->loop, h->retry_ns, on_retry, s);
}

bool store_outage_retry(gw_store *s, bool now) {
    store_hold *h = &s->hold;
    if (!h->held || (!now && clock_mono_ns() < h->next_retry_ns))
        return false;
    h->held = false;
    if (!store_exec(s, "BEGIN", "begin (retry)")) {
        store_outage_begin(s, sqlite3_errmsg(s->db));
        return false;
    }
    s->in_transaction = true;
    hold_replay(s);
    return true;
}

void store_outage_begin(gw_store *s, const char *cause) {
    store_hold *h = &s->hold;
    h->failed = false;
    h->held = true;
    if (h->outage) {
        h->retries++;
        h->retry_ns = h->retry_ns * 2 > RETRY_MAX_NS ? RETRY_MAX_NS : h->retry_ns * 2;
        arm_retry(s);
        return;
    }
    h->outage = true;
    h->outage_since_ns = clock_mono_ns();
    h->retry_ns = RETRY_FIRST_NS;
    h->retries = 0;
    h->dropped = 0;
    char text[240];
    snprintf(text, sizeof text,
             "cannot write the store (%s): %zu writes held in memory (at most %zu readings,"
             " meters and events); reports wait for their commit",
             cause, h->n_ops, h->max);
    log_error("store", "%s", text);
    note(s, "store_unwritable", text);
    arm_retry(s);
}

void store_outage_end(gw_store *s) {
    store_hold *h = &s->hold;
    char text[240];
    snprintf(text, sizeof text,
             "the store is written again after %.1f s: %zu held writes stored, %llu readings,"
             " meters and events dropped beyond gateway.hold (%zu)",
             (double)(clock_mono_ns() - h->outage_since_ns) / 1e9, h->n_ops,
             (unsigned long long)h->dropped, h->max);
    if (h->dropped)
        log_warn("store", "%s", text);
    else
        log_info("store", "%s", text);
    note(s, "store_writable", text);
    h->outage = false;
    if (s->loop && h->retry_timer)
        loop_timer_cancel(s->loop, h->retry_timer);
    h->retry_timer = 0;
}

void store_outage_close(gw_store *s) {
    store_hold *h = &s->hold;
    if (h->held && store_outage_retry(s, true))
        store_commit(s);
    if (h->n_ops && h->outage)
        log_error("store", "closed while it cannot be written: %zu held writes lost", h->n_ops);
    if (s->loop) {
        if (h->retry_timer)
            loop_timer_cancel(s->loop, h->retry_timer);
        for (size_t i = 0; i < sizeof h->notes / sizeof h->notes[0]; i++)
            if (h->notes[i].timer)
                loop_timer_cancel(s->loop, h->notes[i].timer);
    }
    h->retry_timer = 0;
    hold_free(h);
}
