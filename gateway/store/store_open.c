/* store_open: the schema (and its migration from version 1), opening and closing.
 *
 * WAL: readers (reports, the bench, an operator's sqlite3 shell) never block
 * the gateway. synchronous=FULL syncs the WAL at every commit (one per readout
 * cycle), so a power cut loses no committed cycle: with NORMAL a hard power-off
 * of the board lost the last committed cycle (8 of 48 readings,
 * ci/board-powercut-test, 2026-12-07); the cost is one fsync per cycle
 * (ci/bench-store.py in make bench). A store that fails only logs: metering
 * goes on without it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"

#define SCHEMA_VERSION 3

/* Schema version 3 adds the point's origin to `points`: protocol ("mbus", "wmbus",
 * "dlms", "modbus"; NULL for the gateway's own points) and address in that protocol's
 * terms (core/dp_address.h: an M-Bus DIF/VIF and storage, a DLMS OBIS with class and
 * attribute, a Modbus register), so that a DLMS column's OBIS is kept; the M-Bus
 * columns (storage ... vif) stay as they were for the SQL written against them.
 *
 * Readings are split in two: `points` describes a data point once (its name,
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
    " subunit INTEGER, function TEXT, dif TEXT, vif TEXT, protocol TEXT, address TEXT);"
    "CREATE INDEX IF NOT EXISTS points_name ON points(name);"
    "CREATE TABLE IF NOT EXISTS samples(id INTEGER PRIMARY KEY, point_id INTEGER,"
    " ts_ns INTEGER, value REAL, value_text TEXT, quality INTEGER);"
    "CREATE INDEX IF NOT EXISTS samples_point_ts ON samples(point_id, ts_ns);"
    "CREATE VIEW IF NOT EXISTS readings AS SELECT s.id AS id, s.ts_ns AS ts_ns,"
    " p.name AS point, p.meter AS meter, p.record AS record, p.quantity AS quantity,"
    " s.value AS value, s.value_text AS value_text, p.unit AS unit, s.quality AS quality,"
    " p.storage AS storage, p.tariff AS tariff, p.subunit AS subunit,"
    " p.function AS function, p.dif AS dif, p.vif AS vif,"
    " p.protocol AS protocol, p.address AS address"
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
    "UPDATE schema_version SET version = 3;";

/* Schema version 2 lacked the origin: two columns more, the view redrawn. Rows kept
 * from version 2 have no origin (NULL); the next reading of such a point adds a row
 * with its origin, as any change of a point's description does. */
static const char *const migrate_v2_sql =
    "ALTER TABLE points ADD COLUMN protocol TEXT;"
    "ALTER TABLE points ADD COLUMN address TEXT;"
    "DROP VIEW IF EXISTS readings;";

static const char *const sample_sql =
    "INSERT INTO samples(point_id, ts_ns, value, value_text, quality) VALUES(?,?,?,?,?)";

static const char *const point_find_sql =
    "SELECT id FROM points WHERE name = ?1 AND meter IS ?2 AND record IS ?3"
    " AND quantity IS ?4 AND unit IS ?5 AND storage IS ?6 AND tariff IS ?7"
    " AND subunit IS ?8 AND function IS ?9 AND dif IS ?10 AND vif IS ?11"
    " AND protocol IS ?12 AND address IS ?13 ORDER BY id DESC LIMIT 1";

static const char *const point_add_sql =
    "INSERT INTO points(name, meter, record, quantity, unit, storage, tariff, subunit,"
    " function, dif, vif, protocol, address)"
    " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)";

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

/* One migration step in one transaction: a failure leaves the database as it was. */
static bool migrate(gw_store *s, int from, const char *before, const char *after, char *err,
                    size_t errlen) {
    char *msg = NULL;
    bool ok = sqlite3_exec(s->db, "BEGIN", NULL, NULL, &msg) == SQLITE_OK &&
              sqlite3_exec(s->db, before, NULL, NULL, &msg) == SQLITE_OK &&
              sqlite3_exec(s->db, readings_sql, NULL, NULL, &msg) == SQLITE_OK &&
              sqlite3_exec(s->db, after, NULL, NULL, &msg) == SQLITE_OK &&
              sqlite3_exec(s->db, "COMMIT", NULL, NULL, &msg) == SQLITE_OK;
    if (!ok) {
        snprintf(err, errlen, "cannot migrate the store from schema version %d to %d: %s",
                 from, SCHEMA_VERSION, msg ? msg : sqlite3_errmsg(s->db));
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
        sqlite3_exec(s->db, "INSERT INTO schema_version(version) VALUES(3)", NULL, NULL, NULL) !=
            SQLITE_OK) {
        snprintf(err, errlen, "cannot write schema version: %s", sqlite3_errmsg(s->db));
        return false;
    }
    if (version == 1)
        return migrate(s, 1, migrate_v1_sql, migrate_v1_copy_sql, err, errlen);
    if (version == 2)
        return migrate(s, 2, migrate_v2_sql, "UPDATE schema_version SET version = 3;", err,
                       errlen);
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

void store_close_db(gw_store *s) {
    store_points_clear(&s->points);
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

/* Every commit durable (above); a page cache large enough for the points and
 * the hot end of the samples' index (8 MiB; SQLite's default is 2 MiB),
 * temporary tables in memory. */
static const char *const pragmas_sql =
    "PRAGMA synchronous=FULL; PRAGMA cache_size=-8192; PRAGMA temp_store=MEMORY;";

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
    s->hold.max = STORE_HOLD_DEFAULT;
    s->subscription = -1;
    /* one thread uses the connection: no per-call mutex */
    int rc = sqlite3_open_v2(path, &s->db,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        snprintf(err, errlen, "%s: %s", path,
                 s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
        store_close_db(s);
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
        store_close_db(s);
        return NULL;
    }
    return s;
}
