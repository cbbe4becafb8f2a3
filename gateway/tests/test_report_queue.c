/* Report delivery queue (outbox in the store): reports go out in order, a
 * failed report stays queued and is sent again with the same id (at least
 * once), the backlog limit drops the oldest with a `report_dropped` event, and
 * a restart on the same database sends what was left, in order.
 * Virtual time; the transport is a recording fake (report_fake.h). */
#include <unistd.h>

#include "core/loop.h"
#include "tests/report_fake.h"
#include "store/store.h"
#include "tests/test.h"

#define S(sec) ((int64_t)(sec) * NS_PER_S)
#define T0 S(1700000000) /* 2023-11-14T22:13:20Z */

static const char *config =
    "reports:\n"
    "  instances:\n"
    "    - {name: push, format: json, backlog: 4, transport: {file: {dir: /tmp}}}\n";

typedef struct bench {
    gw_loop *loop;
    datahub *hub;
    gw_store *store;
    report *r;
    fake_transport tr;
    event_count dropped;
} bench;

static void bench_open(bench *b, const char *db) {
    char err[256];
    b->loop = loop_new();
    b->hub = datahub_new();
    b->store = store_open(db, err, sizeof err);
    CHECK_MSG(b->store != NULL, "store_open: %s", err);
    store_attach(b->store, b->hub, b->loop);
    b->r = fake_configure(config, "gw-q");
    CHECK(b->r != NULL);
    fake_install(b->r, 0, &b->tr);
    b->dropped = (event_count){.kind = "report_dropped"};
    datahub_subscribe(b->hub, count_events, &b->dropped);
}

static void bench_start(bench *b) {
    report_start(b->r, b->hub, b->loop, b->store);
}

static void bench_close(bench *b) {
    report_free(b->r);
    store_close(b->store);
    datahub_free(b->hub);
    loop_free(b->loop);
}

/* One readout cycle at wall time T0 + k minutes with volume 1000 + k litres. */
static void cycle(bench *b, int k) {
    run_until_wall(b->loop, T0 + S(60) * k);
    fake_readout(b->hub, 1000 + k, clock_wall_ns());
    datahub_cycle_end(b->hub, "mbus:bus1", clock_wall_ns());
    run_until_wall(b->loop, T0 + S(60) * k + S(1));
}

/* The report body names the volume of its cycle ("VAL": "1003"). */
static bool body_has_volume(const char *body, int k) {
    char want[32];
    snprintf(want, sizeof want, "\"%d\"", 1000 + k);
    return body && strstr(body, want) != NULL;
}

static void test_order_and_at_least_once(const char *db) {
    bench b = {0};
    bench_open(&b, db);
    bench_start(&b);
    cycle(&b, 0);
    cycle(&b, 1);
    CHECK_INT(b.tr.n, 2);
    CHECK_INT(b.tr.id[0], 1);
    CHECK_INT(b.tr.id[1], 2);
    CHECK(body_has_volume(b.tr.body[0], 0));
    CHECK(body_has_volume(b.tr.body[1], 1));
    CHECK_INT(store_outbox_count(b.store, "push"), 0);

    /* The peer goes away: report 3 is tried (1 + 1 retry, 15 min table row) and stays. */
    b.tr.up = false;
    fake_forget(&b.tr);
    cycle(&b, 2);
    CHECK_INT(b.tr.n, 2);
    CHECK_INT(b.tr.id[0], 3);
    CHECK_INT(b.tr.id[1], 3); /* the retry: same report, same id */
    CHECK_INT(store_outbox_count(b.store, "push"), 1);
    /* The next cycle tries the oldest first (3), never 4 before 3. */
    fake_forget(&b.tr);
    cycle(&b, 3);
    CHECK_INT(store_outbox_count(b.store, "push"), 2);
    for (size_t i = 0; i < b.tr.n; i++)
        CHECK_INT(b.tr.id[i], 3);
    CHECK(b.tr.n >= 1);

    /* Back: 3, 4 and the new 5 go out in that order, each once. */
    b.tr.up = true;
    fake_forget(&b.tr);
    cycle(&b, 4);
    CHECK_INT(b.tr.n, 3);
    for (size_t i = 0; i < 3 && i < b.tr.n; i++) {
        CHECK_INT(b.tr.id[i], 3 + (int64_t)i);
        CHECK(body_has_volume(b.tr.body[i], 2 + (int)i));
    }
    CHECK_INT(store_outbox_count(b.store, "push"), 0);
    CHECK_INT(b.dropped.n, 0);
    bench_close(&b);
}

static void test_backlog_drops_oldest(const char *db) {
    bench b = {0};
    bench_open(&b, db);
    bench_start(&b);
    b.tr.up = false;
    for (int k = 0; k < 6; k++) /* reports 1..6; backlog 4 */
        cycle(&b, k);
    CHECK_INT(store_outbox_count(b.store, "push"), 4);
    CHECK_INT(b.dropped.n, 2); /* one event per drop (report 1, then report 2) */
    CHECK_MSG(strstr(b.dropped.last_text, "backlog of 4") != NULL, "%s", b.dropped.last_text);
    b.tr.up = true;
    fake_forget(&b.tr);
    cycle(&b, 6); /* report 7 is queued before the peer is tried: 3 is dropped too */
    CHECK_INT(b.dropped.n, 3);
    CHECK_INT(b.tr.n, 4);
    for (size_t i = 0; i < b.tr.n; i++) {
        CHECK_INT(b.tr.id[i], 4 + (int64_t)i); /* 1, 2 and 3 were dropped */
        CHECK(body_has_volume(b.tr.body[i], 3 + (int)i));
    }
    CHECK_INT(store_outbox_count(b.store, "push"), 0);
    bench_close(&b);
}

static void test_restart_keeps_queue(const char *db) {
    bench b = {0};
    bench_open(&b, db);
    bench_start(&b);
    b.tr.up = false;
    cycle(&b, 0);
    cycle(&b, 1);
    cycle(&b, 2);
    CHECK_INT(store_outbox_count(b.store, "push"), 3);
    bench_close(&b);

    /* A new gateway on the same database: the queue is still there and goes
     * out at start, in order, before anything new. */
    bench c = {0};
    bench_open(&c, db);
    CHECK_INT(store_outbox_count(c.store, "push"), 3);
    bench_start(&c);
    run_until_wall(c.loop, clock_wall_ns() + S(1));
    CHECK_INT(c.tr.n, 3);
    for (size_t i = 0; i < c.tr.n; i++) {
        CHECK_INT(c.tr.id[i], 1 + (int64_t)i);
        CHECK(body_has_volume(c.tr.body[i], (int)i));
    }
    cycle(&c, 3);
    CHECK_INT(c.tr.n, 4);
    CHECK_INT(c.tr.id[3], 4); /* ids are never reused */
    CHECK_INT(store_outbox_count(c.store, "push"), 0);
    bench_close(&c);
}

int main(void) {
    char db[64];
    const char *names[3] = {"order", "backlog", "restart"};
    void (*tests[3])(const char *) = {test_order_and_at_least_once, test_backlog_drops_oldest,
                                      test_restart_keeps_queue};
    for (int i = 0; i < 3; i++) {
        clock_use_virtual(T0);
        snprintf(db, sizeof db, "/tmp/test_report_queue_%d_%s.db", (int)getpid(), names[i]);
        tests[i](db);
        char path[80];
        static const char *const suffixes[] = {"", "-wal", "-shm"};
        for (int k = 0; k < 3; k++) {
            snprintf(path, sizeof path, "%s%s", db, suffixes[k]);
            unlink(path);
        }
    }
    return test_summary("test_report_queue");
}
