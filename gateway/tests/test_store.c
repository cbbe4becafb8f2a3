/* Unit tests of the SQLite store, read back through a second connection. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "tests/dp_address_fake.h"
#include "core/clock.h"
#include "core/log.h"
#include "store/store.h"
#include "tests/test.h"

static char dir[] = "/tmp/test_store_XXXXXX";
static char db_path[128];

/* First column of the first row of sql as an integer (-1 on error). */
static long long query_int(sqlite3 *db, const char *sql) {
    sqlite3_stmt *st;
    long long v = -1;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        fprintf(stderr, "query '%s': %s\n", sql, sqlite3_errmsg(db));
        return -1;
    }
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* First column of the first row as text into out ("<null>" for NULL). */
static const char *query_text(sqlite3 *db, const char *sql, char *out, size_t cap) {
    sqlite3_stmt *st;
    snprintf(out, cap, "<error>");
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return out;
    if (sqlite3_step(st) == SQLITE_ROW) {
        const unsigned char *t = sqlite3_column_text(st, 0);
        snprintf(out, cap, "%s", t ? (const char *)t : "<null>");
    } else {
        snprintf(out, cap, "<no row>");
    }
    sqlite3_finalize(st);
    return out;
}

static dp point(const char *id, int record) {
    dp p = {0};
    p.id = id;
    p.unit = "Wh";
    p.ts_ns = 1000 + record;
    p.origin.meter = "heat1";
    p.origin.record = record;
    p.origin.quantity = "energy";
    p.origin.protocol = DP_PROTO_MBUS;
    p.origin.address = fake_mbus_address("04", "03", record);
    p.origin.function = "instantaneous";
    return p;
}

static sqlite3 *reader(void) {
    sqlite3 *db = NULL;
    CHECK(sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK);
    return db;
}

static void test_write_through_datahub(void) {
    clock_use_virtual(1795309323456000000LL);
    char err[256] = "";
    gw_store *store = store_open(db_path, err, sizeof err);
    CHECK_MSG(store != NULL, "%s", err);
    if (!store)
        return;
    datahub *hub = datahub_new();
    gw_loop *loop = loop_new();
    store_attach(store, hub, loop);
    sqlite3 *db = reader();
    char text[256];
    CHECK_STR(query_text(db, "PRAGMA journal_mode", text, sizeof text), "wal");
    CHECK_INT(query_int(db, "SELECT version FROM schema_version"), 3);

    dh_meter m = {.name = "heat1", .interface = "mbus", .primary_address = 5,
                  .serial = "11490378", .manufacturer = "ACW", .version = 17, .medium = 4,
                  .medium_name = "heat", .status = "ok", .last_read_ns = 42};
    datahub_meter(hub, &m);
    dp d = point("heat1/0", 0);
    d.value.type = DP_DOUBLE;
    d.value.d = 1234.5;
    dp i = point("heat1/1", 1);
    i.value.type = DP_INT;
    i.value.i = -17;
    i.quality = DPQ_INVALID | DPQ_NOT_TOPICAL;
    dp s = point("heat1/2", 2);
    s.value.type = DP_STRING;
    s.value.s = "2026-11-22T01:02";
    dp b = point("heat1/3", 3);
    uint8_t raw[] = {0x00, 0xFF, 0x10};
    b.value.type = DP_BYTES;
    b.value.bytes = raw;
    b.value.len = sizeof raw;
    dp t = point("heat1/4", 4);
    t.value.type = DP_BOOL;
    t.value.b = true;
    datahub_publish(hub, &d);
    datahub_publish(hub, &i);
    datahub_publish(hub, &s);
    datahub_publish(hub, &b);
    datahub_publish(hub, &t);
    uint8_t telegram[] = {0x68, 0x03, 0x03, 0x68, 0x00, 0x53, 0xFE, 0x00, 0x16};
    dh_event rej = {.source = "mbus:bus1", .kind = "rejected", .meter = "heat1",
                    .text = "checksum mismatch", .bytes = telegram, .len = sizeof telegram,
                    .ts_ns = 77};
    datahub_event(hub, &rej);
    dh_event nr = {.source = "mbus:bus1", .kind = "not_read", .meter = "water7",
                   .text = "no answer after 3 retries", .ts_ns = 78};
    datahub_event(hub, &nr);

    /* Batched: nothing is visible to another connection before the cycle ends. */
    CHECK_INT(query_int(db, "SELECT count(*) FROM readings"), 0);
    datahub_cycle_end(hub, "mbus:bus1", 100);
    CHECK_INT(query_int(db, "SELECT count(*) FROM readings"), 5);
    CHECK_INT(query_int(db, "SELECT count(*) FROM events"), 2);
    CHECK_INT(query_int(db, "SELECT count(*) FROM rejected"), 1);
    CHECK_INT(query_int(db, "SELECT count(*) FROM meters"), 1);
    CHECK_INT(loop_next_deadline(loop), INT64_MAX); /* commit timer cancelled */

    CHECK_STR(query_text(db, "SELECT value FROM readings WHERE point='heat1/0'", text,
                         sizeof text), "1234.5");
    CHECK_STR(query_text(db, "SELECT value FROM readings WHERE point='heat1/1'", text,
                         sizeof text), "-17.0");
    CHECK_INT(query_int(db, "SELECT quality FROM readings WHERE point='heat1/1'"), 3);
    CHECK_STR(query_text(db, "SELECT value_text FROM readings WHERE point='heat1/2'", text,
                         sizeof text), "2026-11-22T01:02");
    CHECK_STR(query_text(db, "SELECT value FROM readings WHERE point='heat1/2'", text,
                         sizeof text), "<null>");
    CHECK_STR(query_text(db, "SELECT value_text FROM readings WHERE point='heat1/3'", text,
                         sizeof text), "00 FF 10");
    CHECK_STR(query_text(db, "SELECT value FROM readings WHERE point='heat1/4'", text,
                         sizeof text), "1.0");
    CHECK_STR(query_text(db, "SELECT meter || '|' || record || '|' || quantity || '|' || unit ||"
                             " '|' || storage || '|' || function || '|' || dif || '|' || vif ||"
                             " '|' || ts_ns FROM readings WHERE point='heat1/3'",
                         text, sizeof text),
              "heat1|3|energy|Wh|3|instantaneous|04|03|1003");
    CHECK_STR(query_text(db, "SELECT serial || '|' || manufacturer || '|' || version || '|' ||"
                             " medium_name || '|' || status || '|' || last_read_ns ||"
                             " '|' || updated_ns FROM meters WHERE name='heat1'",
                         text, sizeof text),
              "11490378|ACW|17|heat|ok|42|1795309323456000000");
    CHECK_STR(query_text(db, "SELECT quote(secondary) FROM meters", text, sizeof text), "NULL");
    CHECK_STR(query_text(db, "SELECT source || '|' || kind || '|' || meter || '|' || text ||"
                             " '|' || ts_ns FROM events WHERE kind='not_read'",
                         text, sizeof text),
              "mbus:bus1|not_read|water7|no answer after 3 retries|78");
    CHECK_STR(query_text(db, "SELECT hex(bytes) || '|' || hex || '|' || reason || '|' || meter"
                             " FROM rejected", text, sizeof text),
              "680303680053FE0016|68 03 03 68 00 53 FE 00 16|checksum mismatch|heat1");
    /* The blob is exactly the telegram, including its zero bytes. */
    sqlite3_stmt *st;
    CHECK(sqlite3_prepare_v2(db, "SELECT bytes FROM rejected", -1, &st, NULL) == SQLITE_OK);
    CHECK(sqlite3_step(st) == SQLITE_ROW);
    CHECK_INT(sqlite3_column_bytes(st, 0), sizeof telegram);
    CHECK(memcmp(sqlite3_column_blob(st, 0), telegram, sizeof telegram) == 0);
    sqlite3_finalize(st);

    /* Meter upsert: one row, latest state. */
    m.status = "not_read";
    datahub_meter(hub, &m);
    store_flush(store);
    CHECK_INT(query_int(db, "SELECT count(*) FROM meters"), 1);
    CHECK_STR(query_text(db, "SELECT status FROM meters", text, sizeof text), "not_read");

    /* Without a cycle end the loop timer commits 1 s after the first write. */
    datahub_publish(hub, &d);
    CHECK_INT(loop_next_deadline(loop), clock_mono_ns() + NS_PER_S);
    CHECK_INT(loop_run_once(loop, 0), 0);
    CHECK_INT(query_int(db, "SELECT count(*) FROM readings"), 5);
    clock_virtual_advance(clock_mono_ns() + NS_PER_S);
    CHECK_INT(loop_run_once(loop, 0), 1);
    CHECK_INT(query_int(db, "SELECT count(*) FROM readings"), 6);

    /* Close flushes and unsubscribes: later publishes do not touch the store. */
    datahub_publish(hub, &i);
    store_close(store);
    CHECK_INT(query_int(db, "SELECT count(*) FROM readings"), 7);
    datahub_publish(hub, &i);
    CHECK_INT(query_int(db, "SELECT count(*) FROM readings"), 7);
    sqlite3_close(db);
    datahub_free(hub);
    loop_free(loop);
}

static void test_reopen_and_errors(void) {
    char err[256] = "";
    gw_store *store = store_open(db_path, err, sizeof err);
    CHECK_MSG(store != NULL, "%s", err);
    if (!store)
        return;
    datahub *hub = datahub_new();
    store_attach(store, hub, NULL); /* no loop: commits at cycle end and flush only */
    sqlite3 *db = reader();
    CHECK_INT(query_int(db, "SELECT count(*) FROM schema_version"), 1);
    CHECK_INT(query_int(db, "SELECT count(*) FROM readings"), 7);

    /* A broken database only logs; the gateway (and other tables) go on. */
    CHECK(sqlite3_exec(db, "DROP TABLE samples", NULL, NULL, NULL) == SQLITE_OK);
    FILE *log = tmpfile();
    log_set_stream(log);
    dp p = point("heat1/0", 0);
    p.value.type = DP_DOUBLE;
    datahub_publish(hub, &p);
    dh_event e = {.source = "test", .kind = "info", .text = "still alive"};
    datahub_event(hub, &e);
    datahub_cycle_end(hub, "test", 1);
    log_set_stream(NULL);
    rewind(log);
    char line[512] = "";
    CHECK(fgets(line, sizeof line, log) != NULL);
    CHECK_MSG(strstr(line, "ERROR store: insert reading: no such table: samples") != NULL,
              "%s", line);
    fclose(log);
    CHECK_INT(query_int(db, "SELECT count(*) FROM events WHERE text='still alive'"), 1);
    store_close(store);
    sqlite3_close(db);
    datahub_free(hub);

    /* Schema from the future is refused. */
    db = reader();
    sqlite3_exec(db, "UPDATE schema_version SET version = 9", NULL, NULL, NULL);
    sqlite3_close(db);
    CHECK(store_open(db_path, err, sizeof err) == NULL);
    CHECK_STR(err, "database schema version 9 is newer than this gateway's (3)");

    CHECK(store_open("/nonexistent-dir/gw.db", err, sizeof err) == NULL);
    CHECK_STR(err, "/nonexistent-dir/gw.db: unable to open database file");
}

/* A database of schema version 1 (one wide readings table) is migrated: the
 * same rows, ids and columns through the readings view, new readings after. */
static void test_migrate_v1(void) {
    char path[300], err[256] = "", text[256];
    snprintf(path, sizeof path, "%s/v1.db", dir);
    sqlite3 *db = NULL;
    CHECK(sqlite3_open(path, &db) == SQLITE_OK);
    CHECK(sqlite3_exec(db,
                       "CREATE TABLE schema_version(version INTEGER NOT NULL);"
                       "INSERT INTO schema_version VALUES(1);"
                       "CREATE TABLE readings(id INTEGER PRIMARY KEY, ts_ns INTEGER, point TEXT,"
                       " meter TEXT, record INTEGER, quantity TEXT, value REAL, value_text TEXT,"
                       " unit TEXT, quality INTEGER, storage INTEGER, tariff INTEGER,"
                       " subunit INTEGER, function TEXT, dif TEXT, vif TEXT);"
                       "CREATE INDEX readings_meter_point_ts ON readings(meter, point, ts_ns);"
                       "INSERT INTO readings VALUES(7, 100, 'heat1/0', 'heat1', 0, 'energy', 12.5,"
                       " NULL, 'Wh', 0, 0, 0, 0, 'instantaneous', '04', '03');"
                       "INSERT INTO readings VALUES(9, 200, 'heat1/0', 'heat1', 0, 'energy', 13.5,"
                       " NULL, 'Wh', 2, 0, 0, 0, 'instantaneous', '04', '03');"
                       "INSERT INTO readings VALUES(11, 300, 'heat1/1', 'heat1', 1, 'date', NULL,"
                       " '2026-01-02', '', 0, 1, 0, 0, 'instantaneous', '44', '6D');",
                       NULL, NULL, NULL) == SQLITE_OK);
    sqlite3_close(db);
    gw_store *store = store_open(path, err, sizeof err);
    CHECK_MSG(store != NULL, "%s", err);
    if (!store)
        return;
    CHECK(sqlite3_open(path, &db) == SQLITE_OK);
    CHECK_INT(query_int(db, "SELECT version FROM schema_version"), 3);
    CHECK_INT(query_int(db, "SELECT count(*) FROM points"), 2);
    CHECK_STR(query_text(db, "SELECT group_concat(id || ':' || ts_ns || ':' || point || ':' ||"
                             " quote(value) || ':' || quality, ' ') FROM readings ORDER BY id",
                         text, sizeof text),
              "7:100:heat1/0:12.5:0 9:200:heat1/0:13.5:2 11:300:heat1/1:NULL:0");
    CHECK_STR(query_text(db, "SELECT meter || record || quantity || value_text || unit || storage"
                             " || function || dif || vif FROM readings WHERE id = 11",
                         text, sizeof text),
              "heat11date2026-01-021instantaneous446D");
    /* a reading of a migrated point joins its points row */
    datahub *hub = datahub_new();
    store_attach(store, hub, NULL);
    dp p = point("heat1/0", 0);
    p.value.type = DP_DOUBLE;
    p.value.d = 14.5;
    p.origin.address = fake_mbus_address("04", "03", 0);
    p.ts_ns = 400;
    datahub_publish(hub, &p);
    datahub_cycle_end(hub, "test", 1);
    /* version 1 rows have no origin: the point's description now has one (a new row) */
    CHECK_INT(query_int(db, "SELECT count(*) FROM points"), 3);
    CHECK_INT(query_int(db, "SELECT count(*) FROM points WHERE address IS NULL"), 2);
    CHECK_INT(query_int(db, "SELECT count(*) FROM readings WHERE point = 'heat1/0'"), 3);
    CHECK_INT(query_int(db, "SELECT max(id) FROM readings"), 12);
    store_close(store);
    datahub_free(hub);
    sqlite3_close(db);
}

/* A database of schema version 2 (points without origin) gets the origin columns; its
 * rows and the readings view's columns are kept. */
static void test_migrate_v2(void) {
    char path[300], err[256] = "", text[256];
    snprintf(path, sizeof path, "%s/v2.db", dir);
    sqlite3 *db = NULL;
    CHECK(sqlite3_open(path, &db) == SQLITE_OK);
    CHECK(sqlite3_exec(db,
                       "CREATE TABLE schema_version(version INTEGER NOT NULL);"
                       "INSERT INTO schema_version VALUES(2);"
                       "CREATE TABLE points(id INTEGER PRIMARY KEY, name TEXT, meter TEXT,"
                       " record INTEGER, quantity TEXT, unit TEXT, storage INTEGER, tariff INTEGER,"
                       " subunit INTEGER, function TEXT, dif TEXT, vif TEXT);"
                       "CREATE TABLE samples(id INTEGER PRIMARY KEY, point_id INTEGER,"
                       " ts_ns INTEGER, value REAL, value_text TEXT, quality INTEGER);"
                       "CREATE VIEW readings AS SELECT s.id AS id, s.ts_ns AS ts_ns,"
                       " p.name AS point, p.quantity AS quantity, s.value AS value"
                       " FROM samples s JOIN points p ON p.id = s.point_id;"
                       "INSERT INTO points VALUES(1, 'e1/0', 'e1', 0, '1.0.1.8.0.255/2', 'Wh',"
                       " 0, 0, 0, 'instantaneous', NULL, NULL);"
                       "INSERT INTO samples VALUES(5, 1, 100, 42.0, NULL, 0);",
                       NULL, NULL, NULL) == SQLITE_OK);
    sqlite3_close(db);
    gw_store *store = store_open(path, err, sizeof err);
    CHECK_MSG(store != NULL, "%s", err);
    if (!store)
        return;
    CHECK(sqlite3_open(path, &db) == SQLITE_OK);
    CHECK_INT(query_int(db, "SELECT version FROM schema_version"), 3);
    CHECK_STR(query_text(db, "SELECT point || ':' || quantity || ':' || value || ':' ||"
                             " quote(protocol) || ':' || quote(address) FROM readings",
                         text, sizeof text),
              "e1/0:1.0.1.8.0.255/2:42.0:NULL:NULL");
    /* a DLMS reading keeps its origin: the OBIS with class and attribute */
    datahub *hub = datahub_new();
    store_attach(store, hub, NULL);
    dp p = point("e1/0", 0);
    p.origin.meter = "e1";
    p.origin.protocol = DP_PROTO_DLMS;
    p.origin.address = "1-0:1.8.0.255 class 3 attr 2";
    p.value.type = DP_DOUBLE;
    p.value.d = 43;
    p.ts_ns = 200;
    datahub_publish(hub, &p);
    datahub_cycle_end(hub, "test", 1);
    CHECK_STR(query_text(db, "SELECT protocol || '|' || address || '|' || quantity || '|' ||"
                             " quote(dif) || '|' || storage FROM readings WHERE id > 5",
                         text, sizeof text),
              "dlms|1-0:1.8.0.255 class 3 attr 2|energy|NULL|0");
    /* an M-Bus reading: its origin next to the M-Bus columns as before */
    dp m = point("heat1/0", 2);
    m.value.type = DP_DOUBLE;
    m.value.d = 1;
    m.ts_ns = 300;
    datahub_publish(hub, &m);
    datahub_cycle_end(hub, "test", 2);
    CHECK_STR(query_text(db, "SELECT protocol || '|' || dif || '|' || vif || '|' || storage"
                             " FROM readings WHERE point = 'heat1/0'",
                         text, sizeof text),
              "mbus|04|03|2");
    store_close(store);
    datahub_free(hub);
    sqlite3_close(db);
}

int main(void) {
    CHECK(mkdtemp(dir) != NULL);
    snprintf(db_path, sizeof db_path, "%s/gw.db", dir);
    test_write_through_datahub();
    test_reopen_and_errors();
    test_migrate_v1();
    test_migrate_v2();
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK(system(cmd) == 0);
    return test_summary("test_store");
}
