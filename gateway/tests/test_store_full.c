/* The store's disk becomes full mid-run, and space comes back.
 *
 * A SQLite VFS in front of the real one ("unix") answers every write with
 * SQLITE_FULL while `disk_full` is set, which is what SQLite's own unix VFS
 * answers when write() fails with ENOSPC (harness/test_store_outage.py does it
 * with a real, small tmpfs). Virtual time, a recording transport
 * (report_fake.h). Shown: the gateway keeps taking readings; no report is
 * handed to a transport while its row cannot commit; one `store_unwritable`
 * event when it starts and one `store_writable` when it ends; afterwards every
 * reading of every cycle is stored, every report id went out once, in order,
 * with its own cycle's reading; beyond gateway.hold the oldest readings are
 * dropped and counted exactly. */
#include <sqlite3.h>
#include <unistd.h>

#include "core/loop.h"
#include "store/store.h"
#include "tests/report_fake.h"
#include "tests/test.h"

#define S(sec) ((int64_t)(sec) * NS_PER_S)
#define T0 S(1700000000)

/* ---- a disk that can be full ---- */

static bool disk_full;
static unsigned long refused_writes;
static sqlite3_vfs *real_vfs;

typedef struct full_file {
    sqlite3_file base;
    sqlite3_file *real; /* follows this struct in the same allocation */
} full_file;

static sqlite3_file *real_of(sqlite3_file *f) {
    return ((full_file *)f)->real;
}

static int f_close(sqlite3_file *f) {
    return real_of(f)->pMethods ? real_of(f)->pMethods->xClose(real_of(f)) : SQLITE_OK;
}
static int f_read(sqlite3_file *f, void *b, int n, sqlite3_int64 off) {
    return real_of(f)->pMethods->xRead(real_of(f), b, n, off);
}
static int f_write(sqlite3_file *f, const void *b, int n, sqlite3_int64 off) {
    if (disk_full) {
        refused_writes++;
        return SQLITE_FULL;
    }
    return real_of(f)->pMethods->xWrite(real_of(f), b, n, off);
}
static int f_truncate(sqlite3_file *f, sqlite3_int64 size) {
    return real_of(f)->pMethods->xTruncate(real_of(f), size);
}
static int f_sync(sqlite3_file *f, int flags) {
    return real_of(f)->pMethods->xSync(real_of(f), flags);
}
static int f_size(sqlite3_file *f, sqlite3_int64 *size) {
    return real_of(f)->pMethods->xFileSize(real_of(f), size);
}
static int f_lock(sqlite3_file *f, int l) {
    return real_of(f)->pMethods->xLock(real_of(f), l);
}
static int f_unlock(sqlite3_file *f, int l) {
    return real_of(f)->pMethods->xUnlock(real_of(f), l);
}
static int f_check(sqlite3_file *f, int *out) {
    return real_of(f)->pMethods->xCheckReservedLock(real_of(f), out);
}
static int f_control(sqlite3_file *f, int op, void *arg) {
    return real_of(f)->pMethods->xFileControl(real_of(f), op, arg);
}
static int f_sector(sqlite3_file *f) {
    return real_of(f)->pMethods->xSectorSize(real_of(f));
}
static int f_caps(sqlite3_file *f) {
    return real_of(f)->pMethods->xDeviceCharacteristics(real_of(f));
}
static int f_shm_map(sqlite3_file *f, int pg, int sz, int extend, void volatile **p) {
    return real_of(f)->pMethods->xShmMap(real_of(f), pg, sz, extend, p);
}
static int f_shm_lock(sqlite3_file *f, int off, int n, int flags) {
    return real_of(f)->pMethods->xShmLock(real_of(f), off, n, flags);
}
static void f_shm_barrier(sqlite3_file *f) {
    real_of(f)->pMethods->xShmBarrier(real_of(f));
}
static int f_shm_unmap(sqlite3_file *f, int del) {
    return real_of(f)->pMethods->xShmUnmap(real_of(f), del);
}

static const sqlite3_io_methods full_methods = {
    .iVersion = 2, .xClose = f_close, .xRead = f_read, .xWrite = f_write,
    .xTruncate = f_truncate, .xSync = f_sync, .xFileSize = f_size, .xLock = f_lock,
    .xUnlock = f_unlock, .xCheckReservedLock = f_check, .xFileControl = f_control,
    .xSectorSize = f_sector, .xDeviceCharacteristics = f_caps, .xShmMap = f_shm_map,
    .xShmLock = f_shm_lock, .xShmBarrier = f_shm_barrier, .xShmUnmap = f_shm_unmap};

static int v_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags, int *out) {
    (void)vfs;
    full_file *ff = (full_file *)f;
    ff->real = (sqlite3_file *)(ff + 1);
    int rc = real_vfs->xOpen(real_vfs, name, ff->real, flags, out);
    f->pMethods = rc == SQLITE_OK ? &full_methods : NULL;
    return rc;
}
static int v_delete(sqlite3_vfs *v, const char *n, int sync) {
    (void)v;
    return real_vfs->xDelete(real_vfs, n, sync);
}
static int v_access(sqlite3_vfs *v, const char *n, int flags, int *out) {
    (void)v;
    return real_vfs->xAccess(real_vfs, n, flags, out);
}
static int v_full(sqlite3_vfs *v, const char *n, int len, char *out) {
    (void)v;
    return real_vfs->xFullPathname(real_vfs, n, len, out);
}
static int v_random(sqlite3_vfs *v, int n, char *out) {
    (void)v;
    return real_vfs->xRandomness(real_vfs, n, out);
}
static int v_sleep(sqlite3_vfs *v, int us) {
    (void)v;
    return real_vfs->xSleep(real_vfs, us);
}
static int v_time(sqlite3_vfs *v, double *out) {
    (void)v;
    return real_vfs->xCurrentTime(real_vfs, out);
}
static int v_error(sqlite3_vfs *v, int n, char *out) {
    (void)v;
    return real_vfs->xGetLastError(real_vfs, n, out);
}

static sqlite3_vfs full_vfs = {
    .iVersion = 1, .mxPathname = 512, .zName = "full", .xOpen = v_open,
    .xDelete = v_delete, .xAccess = v_access, .xFullPathname = v_full,
    .xRandomness = v_random, .xSleep = v_sleep, .xCurrentTime = v_time,
    .xGetLastError = v_error};

static void install_full_disk(void) {
    real_vfs = sqlite3_vfs_find("unix");
    CHECK(real_vfs != NULL);
    full_vfs.szOsFile = (int)sizeof(full_file) + real_vfs->szOsFile;
    CHECK_INT(sqlite3_vfs_register(&full_vfs, 1), SQLITE_OK); /* the default from now on */
}

/* ---- the gateway's side ---- */

static const char *config =
    "reports:\n"
    "  instances:\n"
    "    - {name: push, format: json, backlog: 50, transport: {file: {dir: /tmp}}}\n";

typedef struct bench {
    gw_loop *loop;
    datahub *hub;
    gw_store *store;
    report *r;
    fake_transport tr;
    event_count unwritable, writable;
} bench;

static void bench_open(bench *b, const char *db, size_t hold) {
    char err[256];
    b->loop = loop_new();
    b->hub = datahub_new();
    b->store = store_open(db, err, sizeof err);
    CHECK_MSG(b->store != NULL, "store_open: %s", err);
    store_attach(b->store, b->hub, b->loop);
    store_set_hold(b->store, hold);
    b->r = fake_configure(config, "gw-full");
    CHECK(b->r != NULL);
    fake_install(b->r, 0, &b->tr);
    b->unwritable = (event_count){.kind = "store_unwritable"};
    b->writable = (event_count){.kind = "store_writable"};
    datahub_subscribe(b->hub, count_events, &b->unwritable);
    datahub_subscribe(b->hub, count_events, &b->writable);
    report_start(b->r, b->hub, b->loop, b->store);
}

static void bench_close(bench *b) {
    report_free(b->r);
    store_close(b->store);
    datahub_free(b->hub);
    loop_free(b->loop);
    fake_forget(&b->tr);
}

/* Cycle k at T0 + 10 k s: the meter's volume is 1000 + k litres. */
static void cycle(bench *b, int k) {
    run_until_wall(b->loop, T0 + S(10) * k);
    fake_readout(b->hub, 1000 + k, clock_wall_ns());
    datahub_cycle_end(b->hub, "mbus:bus1", clock_wall_ns());
    run_until_wall(b->loop, T0 + S(10) * k + S(2));
}

/* What a second connection (committed data only) counts. */
static long long count_sql(const char *db, const char *sql) {
    sqlite3 *c = NULL;
    long long n = -1;
    sqlite3_stmt *st = NULL;
    if (sqlite3_open_v2(db, &c, SQLITE_OPEN_READONLY, "unix") == SQLITE_OK &&
        sqlite3_prepare_v2(c, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(c);
    return n;
}

static bool body_has_volume(const char *body, int k) {
    char want[32];
    snprintf(want, sizeof want, "\"%d\"", 1000 + k);
    return body && strstr(body, want) != NULL;
}

static void test_full_then_space_again(const char *db) {
    bench b = {0};
    bench_open(&b, db, STORE_HOLD_DEFAULT);
    cycle(&b, 0);
    cycle(&b, 1);
    CHECK_INT(b.tr.n, 2);
    CHECK_INT(count_sql(db, "SELECT count(*) FROM readings"), 2);

    disk_full = true;
    refused_writes = 0;
    for (int k = 2; k < 8; k++)
        cycle(&b, k);
    CHECK(refused_writes > 0);
    CHECK_INT(b.tr.n, 2);          /* reports 3..8 rendered, held: no transport saw one */
    CHECK_INT(b.unwritable.n, 1);  /* one event for the outage, not one per retry */
    CHECK_INT(b.writable.n, 0);
    CHECK(strstr(b.unwritable.last_text, "database or disk is full") != NULL);
    CHECK_INT(count_sql(db, "SELECT count(*) FROM readings"), 2);
    CHECK_INT(store_outbox_count(b.store, "push"), 6);
    CHECK(store_held(b.store) >= 6 * 3); /* reading, meter and report of each cycle */

    disk_full = false;
    cycle(&b, 8);
    run_until_wall(b.loop, clock_wall_ns() + S(40)); /* the longest retry pause is 30 s */
    CHECK_INT(b.writable.n, 1);
    CHECK_INT(b.unwritable.n, 1);
    CHECK_INT(store_held(b.store), 0);
    CHECK_INT(count_sql(db, "SELECT count(*) FROM readings"), 9);
    CHECK_INT(count_sql(db, "SELECT count(DISTINCT ts_ns) FROM readings"), 9);
    CHECK_INT(count_sql(db, "SELECT count(*) FROM outbox"), 0);
    CHECK_INT(count_sql(db, "SELECT seq FROM sqlite_sequence WHERE name = 'outbox'"), 9);
    /* both events are in the events table, the first one written after the outage */
    CHECK_INT(count_sql(db, "SELECT count(*) FROM events WHERE kind = 'store_unwritable'"), 1);
    CHECK_INT(count_sql(db, "SELECT count(*) FROM events WHERE kind = 'store_writable'"), 1);
    CHECK_INT(b.tr.n, 9);
    for (size_t i = 0; i < b.tr.n; i++) {
        CHECK_INT(b.tr.id[i], (int64_t)i + 1);
        CHECK_MSG(body_has_volume(b.tr.body[i], (int)i), "report %zu", i + 1);
    }
    CHECK_INT(store_hold_dropped(b.store), 0);
    bench_close(&b);
}

/* gateway.hold: 4. Six cycles in the outage hold 6 readings, 6 meter rows
 * and the store_unwritable event (13 droppable writes): the 9 oldest go,
 * counted; the reports all stay. */
static void test_bound_counts_what_is_dropped(const char *db) {
    bench b = {0};
    bench_open(&b, db, 4);
    cycle(&b, 0);
    disk_full = true;
    for (int k = 1; k < 7; k++)
        cycle(&b, k);
    CHECK_INT(b.tr.n, 1);
    disk_full = false;
    run_until_wall(b.loop, clock_wall_ns() + S(40));
    CHECK_INT(store_hold_dropped(b.store), 9);
    CHECK_INT(b.writable.n, 1);
    CHECK(strstr(b.writable.last_text, "9 readings, meters and events dropped") != NULL);
    /* the 4 newest writes kept: the last two cycles' meter and reading */
    CHECK_INT(count_sql(db, "SELECT count(*) FROM readings"), 3);
    CHECK_INT(count_sql(db, "SELECT max(ts_ns) FROM readings"), T0 + S(60));
    CHECK_INT(b.tr.n, 7); /* no report id lost */
    for (size_t i = 0; i < b.tr.n; i++)
        CHECK_INT(b.tr.id[i], (int64_t)i + 1);
    bench_close(&b);
}

/* A delivered report whose delete cannot be written is not sent again. */
static void test_delete_held(const char *db) {
    bench b = {0};
    bench_open(&b, db, STORE_HOLD_DEFAULT);
    b.tr.up = false;
    cycle(&b, 0); /* report 1 committed, not delivered */
    CHECK_INT(count_sql(db, "SELECT count(*) FROM outbox"), 1);
    disk_full = true;
    b.tr.up = true;
    fake_forget(&b.tr);
    cycle(&b, 1); /* report 1 goes (it is committed), 2 is held */
    run_until_wall(b.loop, clock_wall_ns() + S(20));
    CHECK_INT(b.tr.n, 1);
    CHECK_INT(b.tr.id[0], 1);
    disk_full = false;
    run_until_wall(b.loop, clock_wall_ns() + S(40));
    CHECK_INT(b.tr.n, 2);
    CHECK_INT(b.tr.id[1], 2);
    CHECK_INT(count_sql(db, "SELECT count(*) FROM outbox"), 0);
    bench_close(&b);
}

int main(void) {
    install_full_disk();
    char db[80];
    const char *names[3] = {"full", "bound", "delete"};
    void (*tests[3])(const char *) = {test_full_then_space_again,
                                      test_bound_counts_what_is_dropped, test_delete_held};
    for (int i = 0; i < 3; i++) {
        clock_use_virtual(T0);
        disk_full = false;
        snprintf(db, sizeof db, "/tmp/test_store_full_%d_%s.db", (int)getpid(), names[i]);
        tests[i](db);
        static const char *const suffixes[] = {"", "-wal", "-shm"};
        for (int k = 0; k < 3; k++) {
            char path[96];
            snprintf(path, sizeof path, "%s%s", db, suffixes[k]);
            unlink(path);
        }
    }
    return test_summary("test_store_full");
}
