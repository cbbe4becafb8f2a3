/* store: SQLite (WAL) persistence of meters, readings, rejected telegrams and events.
 * It subscribes to the datahub; drivers never call it. Writes are batched in one
 * transaction per readout cycle (committed at DH_CYCLE_END or after 1 s at most). */
#ifndef GW_STORE_H
#define GW_STORE_H
#include "core/datahub.h"
#include "core/loop.h"
#include "core/state.h"

typedef struct gw_store gw_store;

/* Open or create the database; on error returns NULL and writes a message into err. */
gw_store *store_open(const char *path, char *err, size_t errlen);
/* Subscribe to hub (and use loop, which may be NULL, for the 1 s commit timer).
 * Tables: meters (upserted by name), readings (value REAL for numbers and bools,
 * value_text for strings and bytes as "68 03 ..."), events, rejected (an event of
 * kind "rejected" also stores its bytes as a BLOB and as hex). Since schema
 * version 2, readings is a view joining points (a point's description: name,
 * meter, record, quantity, unit, storage, tariff, subunit, function, dif, vif)
 * and samples (point_id, ts_ns, value, value_text, quality); its columns are
 * those of the version 1 table, and a version 1 database is migrated on open. */
void store_attach(gw_store *store, datahub *hub, gw_loop *loop);
void store_flush(gw_store *store); /* commit pending writes now */
void store_close(gw_store *store);  /* flushes and unsubscribes; call before datahub_free */

/* Retention, applied at the end of each cycle, oldest removed first: keep at most
 * max_readings readings and max_events events (0 = no limit) and nothing older
 * than max_age_ns before the cycle's time (0 = no limit). */
void store_set_retention(gw_store *store, int64_t max_readings, int64_t max_events,
                         int64_t max_age_ns);
/* While the store cannot be written (disk full, I/O errors, read-only, locked)
 * its writes are held in memory and retried (1 s doubling to 30 s), then
 * written in order; reports wait for that commit. At most max readings, meters
 * and events are held (default STORE_HOLD_DEFAULT; 0 = none), the oldest
 * dropped beyond (counted in the `store_writable` event). docs/store-outage.md. */
#define STORE_HOLD_DEFAULT 100000
void store_set_hold(gw_store *store, size_t max);
/* Readings, meters and events dropped beyond the bound since the store opened. */
unsigned long long store_hold_dropped(const gw_store *store);
/* Writes held now (0 when everything is committed or in the open transaction). */
size_t store_held(const gw_store *store);

/* `gateway.retention: {readings: 1000000, events: 100000, age: 400d}` (node may
 * be NULL: those defaults without an age limit; the CU-XE data log keeps
 * 1,000,000 entries). 0 = no limit. */
typedef struct store_retention {
    int64_t readings, events, age_ns;
} store_retention;
typedef struct cfg_node cfg_node;
typedef struct cfg_err cfg_err;
bool store_retention_parse(const cfg_node *node, store_retention *out, cfg_err *err);

/* With defer (and a loop), the end of a cycle commits on the next loop turn
 * instead of at once, so subscribers after the store (reports queueing their
 * messages) write into the cycle's transaction: a crash keeps the cycle's
 * readings and its reports together or neither. Reports turn this on. */
void store_defer_cycle_commit(gw_store *store, bool defer);

/* Outbox: reports waiting for delivery (table outbox), per report instance, in
 * order. Writes join the current transaction (see store_defer_cycle_commit). */
typedef struct store_msg {
    int64_t id; /* set by store_outbox_add; the report id subscribers deduplicate by */
    const char *instance;
    int64_t created_ns;
    char *name;         /* file name of the report */
    char *content_type; /* "text/csv", "application/json", "application/xml" */
    char *body;         /* NUL-terminated copy for store_outbox_head */
    size_t len;
} store_msg;
/* Queue m (id, instance, created_ns, name, content_type, body/len are read); keeps at
 * most limit messages of the instance (> 0), dropping the oldest (count in *dropped).
 * m->id > 0 is the id the report was rendered with (store_outbox_next_id), else
 * AUTOINCREMENT picks one. Returns the new id, or -1 on error (id taken). */
int64_t store_outbox_add(gw_store *store, const store_msg *m, int64_t limit, int64_t *dropped);
/* The id the next store_outbox_add will get (ids are never reused, not even
 * after delivery), so a report can carry its id in its name and body; -1 on error. */
int64_t store_outbox_next_id(gw_store *store);
/* A row is committed once the transaction it joined has: before that a crash
 * would take it back and hand its id to other readings, so no transport may
 * see it. store_outbox_committed tells; the callback of store_on_commit runs
 * after every transaction that added outbox rows ended (committed or rolled
 * back; one callback, NULL to remove it). */
bool store_outbox_committed(const gw_store *store, int64_t id);
typedef void (*store_commit_cb)(void *arg);
void store_on_commit(gw_store *store, store_commit_cb cb, void *arg);
/* A transaction is open: what is written now commits with it (a cycle's readings). */
bool store_in_transaction(const gw_store *store);
/* Oldest queued message of instance (allocated; store_msg_free). false when none. */
bool store_outbox_head(gw_store *store, const char *instance, store_msg *out);
/* Delivered: gone (joins an open transaction; a redelivery after a crash is
 * deduplicated by the id). */
void store_outbox_delete(gw_store *store, int64_t id);
size_t store_outbox_count(gw_store *store, const char *instance);
void store_msg_free(store_msg *m);

/* Small state a driver must keep across restarts (table state: key -> integer),
 * e.g. a DLMS meter's HLS frame counter: store_state_set commits at once, so a
 * value is on disk before the driver relies on it. get: false when never set. */
bool store_state_get(gw_store *store, const char *key, int64_t *value);
bool store_state_set(gw_store *store, const char *key, int64_t value);
/* Newest ts_ns of a point in readings (committed or pending), 0 when none:
 * where a profile read resumes after a restart. Samples flagged not topical (the
 * marks of a failed read, at the time of the failure) do not count. */
int64_t store_point_latest_ts(gw_store *store, const char *point);
/* Each sample of a point at exactly ts, oldest first, as stored: a number, or a
 * text (strings; bytes as hex), or neither. Returns how many. The DLMS client
 * rebuilds from it which profile entries of its newest second it has. */
typedef void (*store_sample_fn)(void *arg, bool has_number, double number, const char *text);
size_t store_point_samples_at(gw_store *store, const char *point, int64_t ts, store_sample_fn fn, void *arg);
/* The same state and queries as core/state.h, the interface drivers get through
 * gw_services (valid while the store is open; NULL for a NULL store). */
const gw_state *store_state(gw_store *store);
#endif
