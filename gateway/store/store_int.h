/* store_int: what the store's files share (not for use outside gateway/store/).
 *
 *   store_open.c       schema, migration, open, close
 *   store_tx.c         transactions (one per readout cycle), errors, small SQL helpers
 *   store_points.c     name -> id of a point's description (table points), cached
 *   store_write.c      what the datahub publishes: readings, meters, events, rejected
 *   store_retention.c  how much is kept
 *   store_outbox.c     the reports' delivery queue
 *   store_hold.c       the writes not yet committed, kept in memory (and replayed)
 *   store_outage.c     the store cannot be written: held, retried, events that say so
 *   store_state.c      drivers' state across restarts and the queries behind it (core/state.h) */
#ifndef GW_STORE_INT_H
#define GW_STORE_INT_H
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/clock.h"
#include "core/state.h"
#include "store/store.h"

#define COMMIT_DELAY_NS NS_PER_S
#define SAMPLE_COLUMNS 5

/* Samples are inserted SAMPLE_BATCH rows per statement: SQLite's cost per
 * statement (cursors, halt, reset) is then shared by the batch. A partial
 * batch goes row by row when the transaction commits. samples has no
 * constraint (point_id is always bound, never NULL): a constraint that could
 * abort half-way would make SQLite keep a statement journal for every batch,
 * which cost more than a tenth of the insert. */
#define SAMPLE_BATCH 32

/* The points the store has seen, by name: the id of the `points` row that
 * describes each one as it was last published, so a reading needs no lookup
 * in SQL unless its description changed. Open addressing, power-of-two size. */
typedef struct point_entry {
    char *name; /* NULL: free slot; owns one allocation holding all the strings */
    const char *meter, *quantity, *unit, *function;
    const char *address; /* the origin's address: holds the DIF/VIF, storage ... columns */
    int record;
    int protocol; /* dp_protocol */
    int64_t id;
    uint64_t hash; /* of name: most probes end without a strcmp */
} point_entry;

typedef struct point_cache {
    point_entry *slots;
    size_t cap, used;
} point_cache;

/* A reading waiting for its batch; text is owned (strings, bytes as hex). */
typedef struct pending_sample {
    int64_t point_id, ts_ns, quality;
    bool has_value;
    double value;
    char *text;
} pending_sample;

/* What the store holds in memory: the writes since the last commit that
 * succeeded (store_hold.c), and the outage they are held through (store_outage.c). */
typedef struct hold_op hold_op;
typedef struct store_note {
    gw_store *s;
    loop_timer_id timer; /* 0: free */
    char kind[24];
    char text[240];
} store_note;

typedef struct store_hold {
    hold_op *head, *tail;
    size_t n_ops, n_droppable;
    size_t max;                  /* readings, meters and events held at most (gateway.hold) */
    uint64_t dropped;            /* beyond max, this outage */
    uint64_t dropped_total;      /* since the store opened */
    int64_t first_add, last_add; /* report ids among the held writes, 0 = none */
    int64_t *deleted;            /* delivered reports whose delete is held */
    size_t n_deleted, cap_deleted;
    bool failed;  /* a write of the open transaction failed for want of disk: do not commit it */
    bool held;    /* SQL is not touched; writes are only held, a retry is due */
    bool outage;  /* a commit failed since the last one that succeeded */
    int64_t outage_since_ns, retry_ns, next_retry_ns;
    unsigned long retries;
    loop_timer_id retry_timer;
    store_note notes[4];
} store_hold;

struct gw_store {
    sqlite3 *db;
    sqlite3_stmt *sample, *sample_batch, *point_find, *point_add, *meter, *event, *rejected;
    point_cache points;
    pending_sample pending[SAMPLE_BATCH];
    size_t n_pending;
    bool in_transaction;
    datahub *hub;
    int subscription;
    gw_loop *loop;
    loop_timer_id commit_timer;
    unsigned long errors;
    int64_t keep_readings, keep_events; /* retention by count, 0 = unlimited */
    int64_t keep_age_ns;                /* retention by age, 0 = unlimited */
    bool defer_cycle_commit;            /* see store_defer_cycle_commit */
    int64_t outbox_open;                /* first outbox id of the open transaction, 0 = none */
    store_commit_cb on_commit;          /* see store_on_commit */
    void *on_commit_arg;
    gw_state state;                     /* store_state: this store as core/state.h */
    store_hold hold;                    /* store_hold.c, store_outage.c */
};

/* store_open.c */
void store_close_db(gw_store *s); /* finalize, close and free s */

/* store_tx.c */
void store_error(gw_store *s, const char *what); /* logged, without flooding */
bool store_exec(gw_store *s, const char *sql, const char *what);
void store_begin(gw_store *s);       /* open the cycle's transaction if none is */
void store_commit(gw_store *s);      /* pending samples, then COMMIT (ROLLBACK on failure) */
void store_commit_soon(gw_store *s); /* the cycle's end: now, or on the next loop turn */
void store_bind_text(sqlite3_stmt *st, int idx, const char *text); /* NULL binds NULL */
void store_run(gw_store *s, sqlite3_stmt *st, const char *what);    /* step, reset, clear */
char *store_hex_text(const uint8_t *bytes, size_t len);             /* "68 03 ..." (malloc) */
sqlite3_stmt *store_prepare_now(gw_store *s, const char *sql);      /* NULL: logged */

/* store_points.c */
int64_t store_point_id(gw_store *s, const dp *p); /* -1 on error (logged) */
void store_points_clear(point_cache *c);

/* store_write.c */
void store_flush_samples(gw_store *s); /* write the partial batch */
void store_write_update(gw_store *s, const dh_update *u); /* a point, meter or event, in SQL now */

/* store_outbox.c: the outbox rows in SQL now (store_outbox_add/delete hold them too) */
int64_t store_outbox_insert(gw_store *s, const store_msg *m, int64_t limit, int64_t *dropped);
void store_outbox_remove(gw_store *s, int64_t id);

/* store_hold.c */
void hold_update(gw_store *s, const dh_update *u);
void hold_outbox_add(gw_store *s, const store_msg *m, int64_t limit); /* m->id set */
void hold_outbox_delete(gw_store *s, int64_t id);
bool hold_deleted(const store_hold *h, int64_t id);          /* its delete is held */
size_t hold_added(const store_hold *h, const char *instance); /* reports held */
const store_msg *hold_first_added(const store_hold *h, const char *instance); /* or NULL */
void hold_replay(gw_store *s); /* every held write into the open transaction */
void hold_clear(store_hold *h); /* committed */
void hold_free(store_hold *h);

/* store_outage.c */
bool store_disk_error(int rc); /* an error a full or failing disk gives, worth a retry */
void store_outage_begin(gw_store *s, const char *cause); /* a commit (or BEGIN) failed */
void store_outage_end(gw_store *s);                      /* a commit succeeded again */
bool store_outage_retry(gw_store *s, bool now); /* BEGIN and replay when due; true: open */
void store_outage_close(gw_store *s);                    /* timers, memory */

/* store_retention.c */
void store_apply_retention(gw_store *s, int64_t now_ns);
#endif
