/* store: SQLite persistence of what the datahub sees.
 *
 * WAL with synchronous=NORMAL: readers (reports, the bench, an operator's
 * sqlite3 shell) never block the gateway, and a power cut loses at most the
 * last transaction, never the database. Writes are batched in one transaction
 * per readout cycle because one fsync per reading would be far too slow on
 * flash; a 1 s timer bounds how long a write may stay uncommitted.
 * A store that fails only logs: metering goes on without it. */
#include "store/store.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/config.h"
#include "core/dp_address.h"
#include "core/log.h"

#define SCHEMA_VERSION 2
#define COMMIT_DELAY_NS NS_PER_S

/* Readings are split in two: `points` describes a data point once (its name,
 * meter, record, quantity, unit, DIF/VIF ...; a new row only when one of
 * those changes), `samples` holds what changes with every reading (time,
 * value, quality) against the point's integer id. A reading then costs one
 * short row and one integer index entry instead of sixteen columns and a
 * text index, which is what lets the store keep up with a busy radio cell.
 * The view `readings` joins them back into the table of schema version 1,
 * column for column, so every reader's SQL stays as it was. */
static const char *const schema_sql =
    "CREATE TABLE IF NOT EXISTS schema_version(version INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS meters(name TEXT PRIMARY KEY, interface TEXT,"
    " primary_address INTEGER, secondary TEXT, serial TEXT, manufacturer TEXT,"
    " version INTEGER, medium INTEGER, medium_name TEXT, status TEXT,"
    " last_read_ns INTEGER, updated_ns INTEGER);"
    "CREATE TABLE IF NOT EXISTS rejected(id INTEGER PRIMARY KEY, ts_ns INTEGER, source TEXT,"
    " meter TEXT, reason TEXT, bytes BLOB, hex TEXT);"
    "CREATE TABLE IF NOT EXISTS events(id INTEGER PRIMARY KEY, ts_ns INTEGER, source TEXT,"
    " kind TEXT, meter TEXT, text TEXT);"
    /* Reports waiting for delivery, oldest first; AUTOINCREMENT so a report id
     * is never reused after delivery (subscribers deduplicate by it). */
    "CREATE TABLE IF NOT EXISTS outbox(id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " instance TEXT NOT NULL, created_ns INTEGER, name TEXT, content_type TEXT, body BLOB);"
    "CREATE INDEX IF NOT EXISTS outbox_instance ON outbox(instance, id);"
    /* drivers' state across restarts (store_state_get/set) */
    "CREATE TABLE IF NOT EXISTS state(key TEXT PRIMARY KEY, value INTEGER);";

static const char *const readings_sql =
    "CREATE TABLE IF NOT EXISTS points(id INTEGER PRIMARY KEY, name TEXT, meter TEXT,"
    " record INTEGER, quantity TEXT, unit TEXT, storage INTEGER, tariff INTEGER,"
    " subunit INTEGER, function TEXT, dif TEXT, vif TEXT);"
    "CREATE INDEX IF NOT EXISTS points_name ON points(name);"
    "CREATE TABLE IF NOT EXISTS samples(id INTEGER PRIMARY KEY, point_id INTEGER,"
    " ts_ns INTEGER, value REAL, value_text TEXT, quality INTEGER);"
    "CREATE INDEX IF NOT EXISTS samples_point_ts ON samples(point_id, ts_ns);"
    "CREATE VIEW IF NOT EXISTS readings AS SELECT s.id AS id, s.ts_ns AS ts_ns,"
    " p.name AS point, p.meter AS meter, p.record AS record, p.quantity AS quantity,"
    " s.value AS value, s.value_text AS value_text, p.unit AS unit, s.quality AS quality,"
    " p.storage AS storage, p.tariff AS tariff, p.subunit AS subunit,"
    " p.function AS function, p.dif AS dif, p.vif AS vif"
    " FROM samples s JOIN points p ON p.id = s.point_id;";

/* Schema version 1 kept readings in one wide table: move them over, ids kept. */
static const char *const migrate_v1_sql =
    "ALTER TABLE readings RENAME TO readings_v1;"
    "DROP INDEX IF EXISTS readings_meter_point_ts;";
static const char *const migrate_v1_copy_sql =
    "INSERT INTO points(name, meter, record, quantity, unit, storage, tariff, subunit,"
    " function, dif, vif) SELECT DISTINCT point, meter, record, quantity, unit, storage,"
    " tariff, subunit, function, dif, vif FROM readings_v1;"
    "INSERT INTO samples(id, point_id, ts_ns, value, value_text, quality)"
    " SELECT r.id, p.id, r.ts_ns, r.value, r.value_text, r.quality FROM readings_v1 r"
    " JOIN points p ON p.name IS r.point AND p.meter IS r.meter AND p.record IS r.record"
    " AND p.quantity IS r.quantity AND p.unit IS r.unit AND p.storage IS r.storage"
    " AND p.tariff IS r.tariff AND p.subunit IS r.subunit AND p.function IS r.function"
    " AND p.dif IS r.dif AND p.vif IS r.vif;"
    "DROP TABLE readings_v1;"
    "UPDATE schema_version SET version = 2;";

#define SAMPLE_COLUMNS 5
static const char *const sample_sql =
    "INSERT INTO samples(point_id, ts_ns, value, value_text, quality) VALUES(?,?,?,?,?)";

/* Samples are inserted SAMPLE_BATCH rows per statement: SQLite's cost per
 * statement (cursors, halt, reset) is then shared by the batch. A partial
 * batch goes row by row when the transaction commits. samples has no
 * constraint (point_id is always bound, never NULL): a constraint that could
 * abort half-way would make SQLite keep a statement journal for every batch,
 * which cost more than a tenth of the insert. */
#define SAMPLE_BATCH 32

static const char *const point_find_sql =
    "SELECT id FROM points WHERE name = ?1 AND meter IS ?2 AND record IS ?3"
    " AND quantity IS ?4 AND unit IS ?5 AND storage IS ?6 AND tariff IS ?7"
    " AND subunit IS ?8 AND function IS ?9 AND dif IS ?10 AND vif IS ?11"
    " ORDER BY id DESC LIMIT 1";

static const char *const point_add_sql =
    "INSERT INTO points(name, meter, record, quantity, unit, storage, tariff, subunit,"
    " function, dif, vif) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)";

static const char *const meter_sql =
    "INSERT INTO meters(name, interface, primary_address, secondary, serial, manufacturer,"
    " version, medium, medium_name, status, last_read_ns, updated_ns)"
    " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"
    " ON CONFLICT(name) DO UPDATE SET interface = excluded.interface,"
    " primary_address = excluded.primary_address, secondary = excluded.secondary,"
    " serial = excluded.serial, manufacturer = excluded.manufacturer,"
    " version = excluded.version, medium = excluded.medium,"
    " medium_name = excluded.medium_name, status = excluded.status,"
    " last_read_ns = excluded.last_read_ns, updated_ns = excluded.updated_ns";

static const char *const event_sql =
    "INSERT INTO events(ts_ns, source, kind, meter, text) VALUES(?1, ?2, ?3, ?4, ?5)";

static const char *const rejected_sql =
    "INSERT INTO rejected(ts_ns, source, meter, reason, bytes, hex) VALUES(?1, ?2, ?3, ?4, ?5, ?6)";

/* The points the store has seen, by name: the id of the `points` row that
 * describes each one as it was last published, so a reading needs no lookup
 * in SQL unless its description changed. Open addressing, power-of-two size. */
typedef struct point_entry {
    char *name; /* NULL: free slot; owns one allocation holding all the strings */
    const char *meter, *quantity, *unit, *function;
    const char *address; /* the origin's address: holds the DIF/VIF, storage ... columns */
    int record;
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
};

/* Log SQLite failures without flooding the log when the disk is gone. */
static void store_error(gw_store *s, const char *what) {
    s->errors++;
    if (s->errors <= 10 || s->errors % 1000 == 0)
        log_error("store", "%s: %s (error %lu)", what, sqlite3_errmsg(s->db), s->errors);
}

static bool exec(gw_store *s, const char *sql, const char *what) {
    char *msg = NULL;
    if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) == SQLITE_OK)
        return true;
    s->errors++;
    if (s->errors <= 10 || s->errors % 1000 == 0)
        log_error("store", "%s: %s", what, msg ? msg : sqlite3_errmsg(s->db));
    sqlite3_free(msg);
    return false;
}

/* ---- open ---- */

static bool set_wal(gw_store *s, char *err, size_t errlen) {
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "PRAGMA journal_mode=WAL", -1, &st, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "journal_mode: %s", sqlite3_errmsg(s->db));
        return false;
    }
    bool ok = sqlite3_step(st) == SQLITE_ROW &&
              strcmp((const char *)sqlite3_column_text(st, 0), "wal") == 0;
    if (!ok)
        snprintf(err, errlen, "cannot switch to WAL journal mode: %s", sqlite3_errmsg(s->db));
    sqlite3_finalize(st);
    return ok;
}

static int read_schema_version(sqlite3 *db) {
    sqlite3_stmt *st;
    int version = -1;
    if (sqlite3_prepare_v2(db, "SELECT max(version) FROM schema_version", -1, &st, NULL) !=
        SQLITE_OK)
        return -1;
    if (sqlite3_step(st) == SQLITE_ROW)
        version = sqlite3_column_type(st, 0) == SQLITE_NULL ? 0 : sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return version;
}

/* In one transaction: a failure leaves the version 1 database as it was. */
static bool migrate_v1(gw_store *s, char *err, size_t errlen) {
    char *msg = NULL;
    bool ok = sqlite3_exec(s->db, "BEGIN", NULL, NULL, &msg) == SQLITE_OK &&
              sqlite3_exec(s->db, migrate_v1_sql, NULL, NULL, &msg) == SQLITE_OK &&
              sqlite3_exec(s->db, readings_sql, NULL, NULL, &msg) == SQLITE_OK &&
              sqlite3_exec(s->db, migrate_v1_copy_sql, NULL, NULL, &msg) == SQLITE_OK &&
              sqlite3_exec(s->db, "COMMIT", NULL, NULL, &msg) == SQLITE_OK;
    if (!ok) {
        snprintf(err, errlen, "cannot migrate readings to schema version 2: %s",
                 msg ? msg : sqlite3_errmsg(s->db));
        sqlite3_free(msg);
        if (!sqlite3_get_autocommit(s->db))
            sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    }
    return ok;
}

static bool create_schema(gw_store *s, char *err, size_t errlen) {
    char *msg = NULL;
    if (sqlite3_exec(s->db, schema_sql, NULL, NULL, &msg) != SQLITE_OK) {
        snprintf(err, errlen, "cannot create schema: %s", msg ? msg : sqlite3_errmsg(s->db));
        sqlite3_free(msg);
        return false;
    }
    int version = read_schema_version(s->db);
    if (version < 0) {
        snprintf(err, errlen, "cannot read schema version: %s", sqlite3_errmsg(s->db));
        return false;
    }
    if (version > SCHEMA_VERSION) {
        snprintf(err, errlen, "database schema version %d is newer than this gateway's (%d)",
                 version, SCHEMA_VERSION);
        return false;
    }
    if (version == 0 &&
        sqlite3_exec(s->db, "INSERT INTO schema_version(version) VALUES(2)", NULL, NULL, NULL) !=
            SQLITE_OK) {
        snprintf(err, errlen, "cannot write schema version: %s", sqlite3_errmsg(s->db));
        return false;
    }
    if (version == 1)
        return migrate_v1(s, err, errlen);
    if (sqlite3_exec(s->db, readings_sql, NULL, NULL, &msg) != SQLITE_OK) {
        snprintf(err, errlen, "cannot create schema: %s", msg ? msg : sqlite3_errmsg(s->db));
        sqlite3_free(msg);
        return false;
    }
    return true;
}

static bool prepare(gw_store *s, const char *sql, sqlite3_stmt **st, char *err, size_t errlen) {
    if (sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL) == SQLITE_OK)
        return true;
    snprintf(err, errlen, "cannot prepare statement: %s", sqlite3_errmsg(s->db));
    return false;
}

static void points_clear(point_cache *c);

/* "INSERT ... VALUES(?,?,?,?,?),(?,?,?,?,?),..." with SAMPLE_BATCH rows. */
static bool prepare_sample_batch(gw_store *s, char *err, size_t errlen) {
    static const char row[] = ",(?,?,?,?,?)";
    char sql[sizeof row * SAMPLE_BATCH + 128];
    size_t n = strlen(sample_sql);
    memcpy(sql, sample_sql, n);
    for (int i = 1; i < SAMPLE_BATCH; i++) {
        memcpy(sql + n, row, sizeof row - 1);
        n += sizeof row - 1;
    }
    sql[n] = '\0';
    return prepare(s, sql, &s->sample_batch, err, errlen);
}

static void close_db(gw_store *s) {
    points_clear(&s->points);
    free(s->points.slots);
    sqlite3_finalize(s->sample);
    sqlite3_finalize(s->sample_batch);
    sqlite3_finalize(s->point_find);
    sqlite3_finalize(s->point_add);
    sqlite3_finalize(s->meter);
    sqlite3_finalize(s->event);
    sqlite3_finalize(s->rejected);
    sqlite3_close(s->db);
    free(s);
}

/* A page cache large enough for the points and the hot end of the samples'
 * index (8 MiB; SQLite's default is 2 MiB), temporary tables in memory. */
static const char *const pragmas_sql =
    "PRAGMA synchronous=NORMAL; PRAGMA cache_size=-8192; PRAGMA temp_store=MEMORY;";

gw_store *store_open(const char *path, char *err, size_t errlen) {
    char dummy[1];
    if (!err || errlen == 0) {
        err = dummy;
        errlen = sizeof dummy;
    }
    err[0] = '\0';
    gw_store *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    s->subscription = -1;
    /* one thread uses the connection: no per-call mutex */
    int rc = sqlite3_open_v2(path, &s->db,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        snprintf(err, errlen, "%s: %s", path,
                 s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
        close_db(s);
        return NULL;
    }
    sqlite3_extended_result_codes(s->db, 1);
    bool ok = set_wal(s, err, errlen) &&
              sqlite3_exec(s->db, pragmas_sql, NULL, NULL, NULL) == SQLITE_OK &&
              create_schema(s, err, errlen) && prepare(s, sample_sql, &s->sample, err, errlen) &&
              prepare_sample_batch(s, err, errlen) &&
              prepare(s, point_find_sql, &s->point_find, err, errlen) &&
              prepare(s, point_add_sql, &s->point_add, err, errlen) &&
              prepare(s, meter_sql, &s->meter, err, errlen) &&
              prepare(s, event_sql, &s->event, err, errlen) &&
              prepare(s, rejected_sql, &s->rejected, err, errlen);
    if (!ok) {
        if (!err[0] && errlen > 1)
            snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(s->db));
        close_db(s);
        return NULL;
    }
    return s;
}

/* ---- transactions ---- */

static void flush_samples(gw_store *s);

/* Outbox rows of the transaction just ended are final now (committed, or
 * gone with a rollback): whoever waits to deliver them may look again. */
static void outbox_settled(gw_store *s) {
    bool had = s->outbox_open != 0;
    s->outbox_open = 0;
    if (had && s->on_commit)
        s->on_commit(s->on_commit_arg);
}

static void commit(gw_store *s) {
    flush_samples(s);
    if (s->loop && s->commit_timer) {
        loop_timer_cancel(s->loop, s->commit_timer);
        s->commit_timer = 0;
    }
    if (!s->in_transaction)
        return;
    s->in_transaction = false;
    if (!exec(s, "COMMIT", "commit")) {
        /* Never leave a transaction open: the next cycle starts clean. */
        if (!sqlite3_get_autocommit(s->db))
            exec(s, "ROLLBACK", "rollback");
        /* points rows of the lost transaction are gone: ask SQL again */
        points_clear(&s->points);
    }
    outbox_settled(s);
}

static void on_commit_timer(gw_loop *loop, void *arg) {
    gw_store *s = arg;
    s->commit_timer = 0;
    commit(s);
}

static void begin_if_needed(gw_store *s) {
    if (s->in_transaction)
        return;
    if (!exec(s, "BEGIN", "begin"))
        return; /* each write then commits on its own; slower but correct */
    s->in_transaction = true;
    if (s->loop)
        s->commit_timer = loop_timer_after(s->loop, COMMIT_DELAY_NS, on_commit_timer, s);
}

void store_flush(gw_store *s) {
    if (s)
        commit(s);
}

/* ---- writes ---- */

static void bind_text(sqlite3_stmt *st, int idx, const char *text) {
    if (text)
        sqlite3_bind_text(st, idx, text, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, idx);
}

/* Run a fully bound statement and make it ready for the next use. */
static void run(gw_store *s, sqlite3_stmt *st, const char *what) {
    if (sqlite3_step(st) != SQLITE_DONE)
        store_error(s, what);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
}

static char *hex_text(const uint8_t *bytes, size_t len) {
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

/* ---- points: name -> id of its description in table points ---- */

static bool same_text(const char *a, const char *b) {
    return a == b || (a && b && strcmp(a, b) == 0);
}

static uint64_t name_hash(const char *name) {
    uint64_t h = 14695981039346656037ULL; /* FNV-1a */
    for (; *name; name++)
        h = (h ^ (uint8_t)*name) * 1099511628211ULL;
    return h;
}

static void points_clear(point_cache *c) {
    for (size_t i = 0; i < c->cap; i++) {
        free(c->slots[i].name);
        c->slots[i].name = NULL;
    }
    c->used = 0;
}

/* The slot holding name, or the free slot where it belongs. */
static point_entry *points_slot(const point_cache *c, const char *name, uint64_t hash) {
    size_t mask = c->cap - 1, i = (size_t)hash & mask;
    while (c->slots[i].name && (c->slots[i].hash != hash || strcmp(c->slots[i].name, name) != 0))
        i = (i + 1) & mask;
    return &c->slots[i];
}

static bool points_grow(point_cache *c) {
    size_t cap = c->cap ? c->cap * 2 : 1024;
    point_entry *old = c->slots, *slots = calloc(cap, sizeof *slots);
    if (!slots)
        return false;
    size_t old_cap = c->cap;
    c->slots = slots;
    c->cap = cap;
    for (size_t i = 0; i < old_cap; i++)
        if (old[i].name)
            *points_slot(c, old[i].name, old[i].hash) = old[i];
    free(old);
    return true;
}

static bool entry_matches(const point_entry *e, const dp *p) {
    const dp_origin *o = &p->origin;
    return e->record == o->record && same_text(e->meter, o->meter) &&
           same_text(e->quantity, o->quantity) && same_text(e->unit, p->unit) &&
           same_text(e->function, o->function) && same_text(e->address, o->address);
}

/* Copy a string (or NULL) into the entry's allocation at *at. */
static const char *pack(char **at, const char *text) {
    if (!text)
        return NULL;
    size_t n = strlen(text) + 1;
    char *out = memcpy(*at, text, n);
    *at += n;
    return out;
}

static size_t packed_len(const char *text) {
    return text ? strlen(text) + 1 : 0;
}

/* Remember p's description under its name (replacing an older one). */
static void entry_set(point_entry *e, const dp *p, int64_t id) {
    const dp_origin *o = &p->origin;
    size_t n = packed_len(p->id) + packed_len(o->meter) + packed_len(o->quantity) +
               packed_len(p->unit) + packed_len(o->function) + packed_len(o->address);
    char *buf = malloc(n), *at = buf;
    free(e->name);
    e->name = NULL;
    if (!buf)
        return; /* not cached: the next reading asks SQL again */
    e->name = (char *)pack(&at, p->id);
    e->meter = pack(&at, o->meter);
    e->quantity = pack(&at, o->quantity);
    e->unit = pack(&at, p->unit);
    e->function = pack(&at, o->function);
    e->address = pack(&at, o->address);
    e->record = o->record;
    e->id = id;
}

/* Text that does not outlive the call: SQLite keeps a copy until the next bind. */
static void bind_copy(sqlite3_stmt *st, int idx, const char *text) {
    if (text)
        sqlite3_bind_text(st, idx, text, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, idx);
}

/* The columns of schema version 2 hold M-Bus addresses only (zero and NULL otherwise). */
static void bind_description(sqlite3_stmt *st, const dp *p) {
    const dp_origin *o = &p->origin;
    dp_mbus_address a;
    bool mbus = dp_mbus_address_of(o, &a);
    bind_text(st, 1, p->id);
    bind_text(st, 2, o->meter);
    sqlite3_bind_int(st, 3, o->record);
    bind_text(st, 4, o->quantity);
    bind_text(st, 5, p->unit);
    sqlite3_bind_int(st, 6, a.storage);
    sqlite3_bind_int(st, 7, a.tariff);
    sqlite3_bind_int(st, 8, a.subunit);
    bind_text(st, 9, o->function);
    bind_copy(st, 10, mbus ? a.dif_hex : NULL);
    bind_copy(st, 11, mbus ? a.vif_hex : NULL);
}

/* The points row describing p: an existing one (also from an earlier run),
 * else a new one. -1 on error (logged). */
static int64_t point_row(gw_store *s, const dp *p) {
    int64_t id = -1;
    bind_description(s->point_find, p);
    int rc = sqlite3_step(s->point_find);
    if (rc == SQLITE_ROW)
        id = sqlite3_column_int64(s->point_find, 0);
    else if (rc != SQLITE_DONE)
        store_error(s, "find point");
    sqlite3_reset(s->point_find);
    if (id >= 0 || rc != SQLITE_DONE)
        return id;
    bind_description(s->point_add, p);
    if (sqlite3_step(s->point_add) == SQLITE_DONE)
        id = sqlite3_last_insert_rowid(s->db);
    else
        store_error(s, "insert reading");
    sqlite3_reset(s->point_add);
    return id;
}

static int64_t point_id(gw_store *s, const dp *p) {
    point_cache *c = &s->points;
    if (!p->id)
        return point_row(s, p); /* unnamed: nothing to cache it under */
    if ((c->used + 1) * 2 > c->cap && !points_grow(c))
        return point_row(s, p);
    uint64_t hash = name_hash(p->id);
    point_entry *e = points_slot(c, p->id, hash);
    if (e->name && entry_matches(e, p))
        return e->id;
    int64_t id = point_row(s, p);
    if (id < 0)
        return id;
    bool was_free = !e->name;
    entry_set(e, p, id);
    e->hash = hash;
    if (was_free && e->name)
        c->used++;
    else if (!was_free && !e->name)
        c->used--;
    return id;
}

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
    bind_text(st, at + 4, p->text);
    sqlite3_bind_int64(st, at + 5, p->quality);
}

static void insert_samples(gw_store *s, sqlite3_stmt *st, const pending_sample *p, int rows) {
    for (int row = 0; row < rows; row++)
        bind_sample(st, row, &p[row]);
    if (sqlite3_step(st) != SQLITE_DONE)
        store_error(s, "insert reading");
    sqlite3_reset(st);
}

static void flush_samples(gw_store *s) {
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
    int64_t id = point_id(s, p);
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
    case DP_BYTES: q->has_value = false; q->text = hex_text(v->bytes, v->len); break;
    case DP_NONE: q->has_value = false; break;
    }
    if (s->n_pending == SAMPLE_BATCH)
        flush_samples(s);
}

static void write_meter(gw_store *s, const dh_meter *m) {
    sqlite3_stmt *st = s->meter;
    bind_text(st, 1, m->name);
    bind_text(st, 2, m->interface);
    sqlite3_bind_int(st, 3, m->primary_address);
    bind_text(st, 4, m->secondary);
    bind_text(st, 5, m->serial);
    bind_text(st, 6, m->manufacturer);
    sqlite3_bind_int(st, 7, m->version);
    sqlite3_bind_int(st, 8, m->medium);
    bind_text(st, 9, m->medium_name);
    bind_text(st, 10, m->status);
    sqlite3_bind_int64(st, 11, m->last_read_ns);
    sqlite3_bind_int64(st, 12, clock_wall_ns());
    run(s, st, "upsert meter");
}

static void write_rejected(gw_store *s, const dh_event *e) {
    sqlite3_stmt *st = s->rejected;
    char *hex = hex_text(e->bytes, e->bytes ? e->len : 0);
    sqlite3_bind_int64(st, 1, e->ts_ns);
    bind_text(st, 2, e->source);
    bind_text(st, 3, e->meter);
    bind_text(st, 4, e->text);
    if (e->bytes)
        sqlite3_bind_blob(st, 5, e->bytes, (int)e->len, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, 5);
    bind_text(st, 6, e->bytes ? hex : NULL);
    run(s, st, "insert rejected telegram");
    free(hex);
}

static void write_event(gw_store *s, const dh_event *e) {
    sqlite3_stmt *st = s->event;
    sqlite3_bind_int64(st, 1, e->ts_ns);
    bind_text(st, 2, e->source);
    bind_text(st, 3, e->kind);
    bind_text(st, 4, e->meter);
    bind_text(st, 5, e->text);
    run(s, st, "insert event");
    if (e->kind && strcmp(e->kind, "rejected") == 0)
        write_rejected(s, e);
}

/* Oldest first, as the CU-XE data log does: beyond the count, then past the age. */
static void apply_retention(gw_store *s, int64_t now_ns) {
    char sql[256];
    flush_samples(s);
    static const char *const tables[] = {"samples", "events"};
    int64_t keep[] = {s->keep_readings, s->keep_events};
    for (int i = 0; i < 2; i++) {
        if (keep[i] > 0) {
            snprintf(sql, sizeof sql,
                     "DELETE FROM %s WHERE id <= (SELECT id FROM %s ORDER BY id DESC"
                     " LIMIT 1 OFFSET %lld)",
                     tables[i], tables[i], (long long)keep[i]);
            exec(s, sql, "retention by count");
        }
        if (s->keep_age_ns > 0 && now_ns > s->keep_age_ns) {
            snprintf(sql, sizeof sql, "DELETE FROM %s WHERE ts_ns < %lld", tables[i],
                     (long long)(now_ns - s->keep_age_ns));
            exec(s, sql, "retention by age");
        }
    }
}

/* The end of a cycle commits on the next loop turn, not at once: subscribers
 * after the store (reports queueing their messages) then write into the same
 * transaction, so a crash keeps either the cycle and its reports or neither. */
static void commit_soon(gw_store *s) {
    if (!s->loop || !s->defer_cycle_commit) {
        commit(s);
        return;
    }
    if (s->commit_timer)
        loop_timer_cancel(s->loop, s->commit_timer);
    s->commit_timer = loop_timer_after(s->loop, 0, on_commit_timer, s);
}

static void on_update(const dh_update *u, void *arg) {
    gw_store *s = arg;
    if (u->kind == DH_CYCLE_END) {
        begin_if_needed(s);
        apply_retention(s, u->ts_ns);
        commit_soon(s);
        return;
    }
    begin_if_needed(s);
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
    commit(s);
    if (s->hub)
        datahub_unsubscribe(s->hub, s->subscription);
    close_db(s);
}

void store_defer_cycle_commit(gw_store *s, bool defer) {
    if (s)
        s->defer_cycle_commit = defer;
}

/* ---- retention ---- */

void store_set_retention(gw_store *s, int64_t max_readings, int64_t max_events,
                         int64_t max_age_ns) {
    if (!s)
        return;
    s->keep_readings = max_readings;
    s->keep_events = max_events;
    s->keep_age_ns = max_age_ns;
}

bool store_retention_parse(const cfg_node *node, store_retention *out, cfg_err *err) {
    static const char *const keys[] = {"readings", "events", "age", NULL};
    long long readings, events;
    out->readings = 1000000;
    out->events = 100000;
    out->age_ns = 0;
    if (!node)
        return true;
    if (node->kind != CFG_MAP)
        return cfg_fail(err, node, "retention: expected a map (readings, events, age)");
    if (!cfg_only_keys(node, keys, err) ||
        !cfg_int(node, "readings", out->readings, 0, INT64_MAX, &readings, err) ||
        !cfg_int(node, "events", out->events, 0, INT64_MAX, &events, err) ||
        !cfg_duration_ns(node, "age", 0, &out->age_ns, err))
        return false;
    out->readings = readings;
    out->events = events;
    return true;
}

/* ---- outbox: the delivery queue of reports ---- */

static sqlite3_stmt *prepare_now(gw_store *s, const char *sql) {
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
int64_t store_outbox_next_id(gw_store *s) {
    sqlite3_stmt *st = prepare_now(s, "SELECT max(coalesce((SELECT seq FROM sqlite_sequence"
                                      " WHERE name = 'outbox'), 0),"
                                      " coalesce((SELECT max(id) FROM outbox), 0)) + 1");
    int64_t id = -1;
    if (st && sqlite3_step(st) == SQLITE_ROW)
        id = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return id;
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

int64_t store_outbox_add(gw_store *s, const store_msg *m, int64_t limit, int64_t *dropped) {
    if (dropped)
        *dropped = 0;
    begin_if_needed(s);
    sqlite3_stmt *st = prepare_now(s, "INSERT INTO outbox(id, instance, created_ns, name,"
                                      " content_type, body) VALUES(?6, ?1, ?2, ?3, ?4, ?5)");
    if (!st)
        return -1;
    if (m->id > 0)
        sqlite3_bind_int64(st, 6, m->id); /* rendered with its id (store_outbox_next_id) */
    else
        sqlite3_bind_null(st, 6);
    bind_text(st, 1, m->instance);
    sqlite3_bind_int64(st, 2, m->created_ns);
    bind_text(st, 3, m->name);
    bind_text(st, 4, m->content_type);
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
        st = prepare_now(s, "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox"
                            " WHERE instance = ?1 ORDER BY id LIMIT ?2)");
        if (st) {
            bind_text(st, 1, m->instance);
            sqlite3_bind_int64(st, 2, over);
            if (sqlite3_step(st) == SQLITE_DONE && dropped)
                *dropped = over;
            sqlite3_finalize(st);
        }
    }
    return id;
}

bool store_outbox_head(gw_store *s, const char *instance, store_msg *out) {
    memset(out, 0, sizeof *out);
    sqlite3_stmt *st = prepare_now(s, "SELECT id, created_ns, name, content_type, body FROM"
                                      " outbox WHERE instance = ?1 ORDER BY id LIMIT 1");
    if (!st)
        return false;
    bind_text(st, 1, instance);
    bool found = sqlite3_step(st) == SQLITE_ROW;
    if (found) {
        const char *name = (const char *)sqlite3_column_text(st, 2);
        const char *ctype = (const char *)sqlite3_column_text(st, 3);
        const void *body = sqlite3_column_blob(st, 4);
        out->len = (size_t)sqlite3_column_bytes(st, 4);
        out->id = sqlite3_column_int64(st, 0);
        out->created_ns = sqlite3_column_int64(st, 1);
        out->name = strdup(name ? name : "");
        out->content_type = strdup(ctype ? ctype : "");
        out->body = malloc(out->len + 1);
        if (out->body) {
            if (out->len)
                memcpy(out->body, body, out->len);
            out->body[out->len] = '\0';
        }
        if (!out->name || !out->content_type || !out->body) {
            store_msg_free(out);
            found = false;
        }
    }
    sqlite3_finalize(st);
    return found;
}

void store_outbox_delete(gw_store *s, int64_t id) {
    sqlite3_stmt *st = prepare_now(s, "DELETE FROM outbox WHERE id = ?1");
    if (!st)
        return;
    sqlite3_bind_int64(st, 1, id);
    if (sqlite3_step(st) != SQLITE_DONE)
        store_error(s, "delete delivered report");
    sqlite3_finalize(st);
}

size_t store_outbox_count(gw_store *s, const char *instance) {
    sqlite3_stmt *st = prepare_now(s, "SELECT count(*) FROM outbox WHERE instance = ?1");
    size_t n = 0;
    if (!st)
        return 0;
    bind_text(st, 1, instance);
    if (sqlite3_step(st) == SQLITE_ROW)
        n = (size_t)sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}

void store_msg_free(store_msg *m) {
    if (!m)
        return;
    free(m->name);
    free(m->content_type);
    free(m->body);
    memset(m, 0, sizeof *m);
}

/* ---- drivers' state across restarts ---- */

bool store_state_get(gw_store *s, const char *key, int64_t *value) {
    sqlite3_stmt *st = s ? prepare_now(s, "SELECT value FROM state WHERE key = ?") : NULL;
    if (!st)
        return false;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
    bool found = sqlite3_step(st) == SQLITE_ROW;
    if (found)
        *value = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return found;
}

bool store_state_set(gw_store *s, const char *key, int64_t value) {
    sqlite3_stmt *st = s ? prepare_now(s, "INSERT INTO state(key, value) VALUES(?, ?)"
                                          " ON CONFLICT(key) DO UPDATE SET value = excluded.value")
                         : NULL;
    if (!st)
        return false;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, value);
    bool ok = sqlite3_step(st) == SQLITE_DONE;
    sqlite3_finalize(st);
    if (!ok)
        store_error(s, "write state");
    commit(s); /* durable before the caller relies on it */
    return ok;
}

int64_t store_point_latest_ts(gw_store *s, const char *point) {
    if (s)
        flush_samples(s); /* readings still waiting for their batch count too */
    sqlite3_stmt *st = s ? prepare_now(s, "SELECT max(ts_ns) FROM readings WHERE point = ? AND"
                                          " (quality & 2) = 0") : NULL;
    if (!st)
        return 0;
    sqlite3_bind_text(st, 1, point, -1, SQLITE_TRANSIENT);
    int64_t ts = 0;
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
        ts = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return ts;
}

size_t store_point_samples_at(gw_store *s, const char *point, int64_t ts, store_sample_fn fn, void *arg) {
    if (s)
        flush_samples(s);
    sqlite3_stmt *st = s ? prepare_now(s, "SELECT value, value_text FROM readings WHERE point = ?"
                                          " AND ts_ns = ? AND (quality & 2) = 0 ORDER BY id") : NULL;
    if (!st)
        return 0;
    sqlite3_bind_text(st, 1, point, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, ts);
    size_t n = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        bool num = sqlite3_column_type(st, 0) != SQLITE_NULL;
        const char *text = (const char *)sqlite3_column_text(st, 1);
        fn(arg, num, num ? sqlite3_column_double(st, 0) : 0, text);
        n++;
    }
    sqlite3_finalize(st);
    return n;
}
