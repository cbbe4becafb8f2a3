/* Reports exactly as promised (docs/reports.md): no transport sees a report
 * before its outbox row has committed — together with the readings of its
 * cycle, checked from a second SQLite connection, which sees only committed
 * data — and every report carries its id in its name and in its body, in
 * every format. Virtual time; recording transports (report_fake.h). */
#include <sqlite3.h>
#include <unistd.h>

#include "core/loop.h"
#include "tests/report_fake.h"
#include "store/store.h"
#include "tests/test.h"

#define S(sec) ((int64_t)(sec) * NS_PER_S)
#define T0 S(1700000000) /* 2023-11-14T22:13:20Z */
#define N_INST 4

/* A recording transport that looks into the database at each send. */
typedef struct witness {
    fake_transport f; /* first: the report module sees an rpt_transport */
    const char *db;
    int uncommitted;  /* sends whose outbox row another connection could not see */
    int unstored;     /* sends whose cycle's reading another connection could not see */
    int64_t volume;   /* the reading the report holds (raw litres) */
    char name[N_INST][160];
} witness;

static int64_t count_sql(const char *db, const char *sql, int64_t arg) {
    sqlite3 *c = NULL;
    sqlite3_stmt *st = NULL;
    int64_t n = -1;
    if (sqlite3_open_v2(db, &c, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(c, sql, -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_int64(st, 1, arg);
        if (sqlite3_step(st) == SQLITE_ROW)
            n = sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
    sqlite3_close(c);
    return n;
}

static void witness_send(rpt_transport *t, const store_msg *m) {
    witness *w = (witness *)t;
    if (count_sql(w->db, "SELECT count(*) FROM outbox WHERE id = ?1", m->id) != 1)
        w->uncommitted++;
    if (w->volume && count_sql(w->db, "SELECT count(*) FROM readings WHERE point = 'water1/0'"
                                      " AND abs(value * 1000 - ?1) < 0.5", w->volume) != 1)
        w->unstored++;
    if (w->f.n < N_INST)
        snprintf(w->name[w->f.n], sizeof w->name[0], "%s", m->name);
    fake_send(t, m);
}

static const rpt_transport_kind witness_kind = {.name = "witness", .send = witness_send,
                                               .free = fake_free};

typedef struct bench {
    gw_loop *loop;
    datahub *hub;
    gw_store *store;
    report *r;
    witness w[N_INST];
} bench;

static void bench_open(bench *b, const char *db, const char *yaml) {
    char err[256];
    b->loop = loop_new();
    b->hub = datahub_new();
    b->store = store_open(db, err, sizeof err);
    CHECK_MSG(b->store != NULL, "store_open: %s", err);
    store_attach(b->store, b->hub, b->loop);
    b->r = fake_configure(yaml, "gw-c");
    CHECK(b->r != NULL);
    for (size_t i = 0; b->r && i < b->r->n; i++) {
        fake_install(b->r, i, &b->w[i].f);
        b->w[i].f.base.kind = &witness_kind;
        b->w[i].db = db;
    }
    report_start(b->r, b->hub, b->loop, b->store);
}

static void bench_close(bench *b) {
    report_free(b->r);
    store_close(b->store);
    datahub_free(b->hub);
    loop_free(b->loop);
}

static bool ends_with(const char *s, const char *tail) {
    size_t n = strlen(s), k = strlen(tail);
    return n >= k && strcmp(s + n - k, tail) == 0;
}

/* The id in the name (last, before the extension) and in the body. */
static void check_ids(const witness *w, const char *ext, const char *body_fmt) {
    char tail[64], want[64];
    CHECK_INT(w->f.n, 1);
    if (w->f.n != 1)
        return;
    long long id = (long long)w->f.id[0];
    snprintf(tail, sizeof tail, "_%lld.%s", id, ext);
    CHECK_MSG(ends_with(w->name[0], tail), "name %s, id %lld", w->name[0], id);
    snprintf(want, sizeof want, body_fmt, id);
    CHECK_MSG(strstr(w->f.body[0], want) != NULL, "no %s in\n%s", want, w->f.body[0]);
}

static const char *cycle_yaml =
    "reports:\n"
    "  instances:\n"
    "    - {name: j, format: json, transport: {file: {dir: /tmp}}}\n"
    "    - {name: c, format: csv6, transport: {file: {dir: /tmp}}}\n"
    "    - {name: x, format: xml3, transport: {file: {dir: /tmp}}}\n"
    "    - {name: e, format: events, transport: {file: {dir: /tmp}}}\n";

/* A readout cycle: nothing goes out before the loop ran the commit; then each
 * instance's report, with its id, and its row and readings committed. */
static void test_cycle(const char *db) {
    bench b = {0};
    bench_open(&b, db, cycle_yaml);
    if (!b.r)
        return;
    run_until_wall(b.loop, T0 + S(60));
    for (int i = 0; i < N_INST; i++)
        b.w[i].volume = 1234;
    fake_readout(b.hub, 1234, clock_wall_ns());
    dh_event e = {.source = "mbus:bus1", .kind = "not_read", .meter = "ghost",
                  .ts_ns = clock_wall_ns()};
    datahub_event(b.hub, &e);
    datahub_cycle_end(b.hub, "mbus:bus1", clock_wall_ns());
    for (int i = 0; i < N_INST; i++)
        CHECK_INT(b.w[i].f.n, 0); /* rendered and queued, not yet committed */
    run_until_wall(b.loop, T0 + S(61));
    for (int i = 0; i < N_INST; i++) {
        CHECK_INT(b.w[i].uncommitted, 0);
        CHECK_INT(b.w[i].unstored, 0);
        CHECK_INT(b.w[i].f.id[0], i + 1); /* one id sequence over all instances */
    }
    check_ids(&b.w[0], "json", "\"REPORT_ID\": %lld,\n");
    check_ids(&b.w[1], "csv", ";%lld\n");
    check_ids(&b.w[2], "xml", " REPORT_ID=\"%lld\">");
    check_ids(&b.w[3], "json", "\"REPORT_ID\": %lld,\n");
    CHECK(strstr(b.w[1].f.body[0], ";Obisid0;ReportId\n") != NULL); /* CSV: a last column */
    CHECK_INT(store_outbox_count(b.store, "j"), 0);
    bench_close(&b);
}

static const char *sched_yaml =
    "reports:\n"
    "  instances:\n"
    "    - {name: s, format: json, schedule: '* * * * *', transport: {file: {dir: /tmp}}}\n";

/* A scheduled report outside a cycle commits alone and goes out at once; one
 * that fires while a cycle's transaction is open waits for that commit (the
 * store's 1 s timer here), because it shows readings of that transaction. */
static void test_schedule(const char *db) {
    bench b = {0};
    bench_open(&b, db, sched_yaml);
    if (!b.r)
        return;
    witness *w = &b.w[0];
    run_until_wall(b.loop, T0 + S(30));
    w->volume = 1000;
    fake_readout(b.hub, 1000, clock_wall_ns());
    datahub_cycle_end(b.hub, "mbus:bus1", clock_wall_ns()); /* committed on the next turn */
    run_until_wall(b.loop, T0 + S(40)); /* the schedule fires at T0 + 40 s (22:14:00) */
    CHECK_INT(w->f.n, 1);
    CHECK_INT(w->f.at_ns[0], T0 + S(40)); /* alone: no wait */
    CHECK(w->f.n == 1 && strstr(w->f.body[0], "\"VAL\": \"1000\"") != NULL);

    run_until_wall(b.loop, T0 + S(99) + S(1) / 2);
    w->volume = 1001;
    fake_readout(b.hub, 1001, clock_wall_ns()); /* opens a transaction, no cycle end yet */
    run_until_wall(b.loop, T0 + S(102));
    CHECK_INT(w->f.n, 2);
    CHECK_MSG(w->f.n == 2 && w->f.at_ns[1] >= T0 + S(100) + S(1) / 2,
              "sent %lld ms after the minute", (long long)((w->f.at_ns[1] - T0 - S(100)) / NS_PER_MS));
    CHECK_INT(w->uncommitted, 0);
    CHECK_INT(w->unstored, 0);
    CHECK(w->f.n == 2 && strstr(w->f.body[1], "\"VAL\": \"1001\"") != NULL);
    bench_close(&b);
}

int main(void) {
    char db[64];
    const char *names[2] = {"cycle", "schedule"};
    void (*tests[2])(const char *) = {test_cycle, test_schedule};
    for (int i = 0; i < 2; i++) {
        clock_use_virtual(T0);
        snprintf(db, sizeof db, "/tmp/test_report_commit_%d_%s.db", (int)getpid(), names[i]);
        tests[i](db);
        char path[80];
        static const char *const suffixes[] = {"", "-wal", "-shm"};
        for (int k = 0; k < 3; k++) {
            snprintf(path, sizeof path, "%s%s", db, suffixes[k]);
            unlink(path);
        }
    }
    return test_summary("test_report_commit");
}
