/* store_int: what the store's files share (not for use outside gateway/store/).
 *
 *   store_open.c       schema, migration, open, close
 *   store_tx.c         transactions (one per readout cycle), errors, small SQL helpers
 *   store_points.c     name -> id of a point's description (table points), cached
 *   store_write.c      what the datahub publishes: readings, meters, events, rejected
 *   store_retention.c  how much is kept
 *   store_outbox.c     the reports' delivery queue
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

/* store_retention.c */
void store_apply_retention(gw_store *s, int64_t now_ns);
#endif
