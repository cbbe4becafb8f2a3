/* CMe3100 adaptive retries (spec/cme3100.md §3.15, Table 9): the number of
 * retries and the seconds between them depend on the report schedule length:
 *   1-15 min: 1 retry, 0 s | 16-60 min: 2, 300 s | 61 min-23 h: 3, 500 s | > 23 h: 6, 3600 s
 * (the table leaves the boundaries open; we count them inclusive upward, so 15 min
 * exactly is the first row and 23 h exactly the third). Once the retries are used
 * up the report waits for the next scheduled report.
 * Checked twice: the table function itself at and around every boundary, and
 * the attempts a report instance really makes in virtual time against a peer
 * that is down — for cron schedules of each row, for per-cycle instances (the
 * measured readout period) and for fixed `retries`/`retry_delay`. */
#include "core/loop.h"
#include "tests/report_fake.h"
#include "tests/test.h"

#define S(sec) ((int64_t)(sec) * NS_PER_S)
#define MIN(m) S(60 * (int64_t)(m))
#define MIDNIGHT S(1700006400) /* 2023-11-15T00:00:00Z */

static void check_row(int64_t period_ns, int want_retries, int64_t want_delay_s) {
    int retries = -1;
    int64_t delay = -1;
    report_retry_policy(period_ns, &retries, &delay);
    CHECK_MSG(retries == want_retries && delay == S(want_delay_s),
              "period %llds: %d retries %llds apart, want %d, %llds",
              (long long)(period_ns / NS_PER_S), retries, (long long)(delay / NS_PER_S),
              want_retries, (long long)want_delay_s);
}

static void test_table(void) {
    check_row(MIN(1), 1, 0);
    check_row(MIN(15), 1, 0);
    check_row(MIN(15) + S(1), 2, 300);
    check_row(MIN(16), 2, 300);
    check_row(MIN(60), 2, 300);
    check_row(MIN(61), 3, 500);
    check_row(MIN(23 * 60), 3, 500);
    check_row(MIN(23 * 60 + 1), 6, 3600);
    check_row(MIN(24 * 60), 6, 3600);
    check_row(MIN(7 * 24 * 60), 6, 3600);
}

typedef struct run {
    gw_loop *loop;
    datahub *hub;
    report *r;
    fake_transport tr;
} run;

static bool run_open(run *x, const char *instance_yaml, int64_t start_ns) {
    char yaml[512];
    snprintf(yaml, sizeof yaml, "reports:\n  instances:\n    - %s\n", instance_yaml);
    clock_use_virtual(start_ns);
    x->loop = loop_new();
    x->hub = datahub_new();
    x->r = fake_configure(yaml, "gw-retry");
    CHECK_MSG(x->r != NULL, "%s", instance_yaml);
    if (!x->r)
        return false;
    fake_install(x->r, 0, &x->tr);
    x->tr.up = false;
    report_start(x->r, x->hub, x->loop, NULL);
    return true;
}

static void run_close(run *x) {
    report_free(x->r);
    datahub_free(x->hub);
    loop_free(x->loop);
}

/* The attempts of the first report of a schedule that fires at `first`: one send
 * and `retries` more, `delay_s` apart, all for report 1; then silence until the
 * next fire at `next`, where report 1 (the oldest) is tried again. */
static void check_schedule(const char *instance_yaml, int64_t first, int64_t next, int retries,
                           int64_t delay_s) {
    run x = {0};
    if (!run_open(&x, instance_yaml, MIDNIGHT + S(30)))
        return;
    run_until_wall(x.loop, next - S(1));
    CHECK_MSG(x.tr.n == (size_t)retries + 1, "%s: %zu attempts before the next fire, want %d",
              instance_yaml, x.tr.n, retries + 1);
    for (size_t i = 0; i < x.tr.n; i++) {
        CHECK_INT(x.tr.id[i], 1);
        CHECK_MSG(x.tr.at_ns[i] == first + S(delay_s) * (int64_t)i,
                  "%s: attempt %zu at +%llds, want +%llds", instance_yaml, i,
                  (long long)((x.tr.at_ns[i] - first) / NS_PER_S), (long long)(delay_s * (int64_t)i));
    }
    run_until_wall(x.loop, next + S(1));
    /* A new round: report 1 again at `next` (and its immediate retry on the 0 s row). */
    size_t want = (size_t)retries + 2 + (delay_s == 0 ? (size_t)retries : 0);
    CHECK_MSG(x.tr.n == want, "%s: %zu attempts, want %zu", instance_yaml, x.tr.n, want);
    for (size_t i = (size_t)retries + 1; i < x.tr.n; i++) {
        CHECK_INT(x.tr.id[i], 1); /* the oldest first, never report 2 before 1 */
        CHECK_INT(x.tr.at_ns[i], next);
    }
    /* The peer is back: the next fire sends everything queued, in order. */
    x.tr.up = true;
    fake_forget(&x.tr);
    run_until_wall(x.loop, next + (next - first) + S(1));
    CHECK_INT(x.tr.n, 3);
    for (size_t i = 0; i < x.tr.n; i++)
        CHECK_INT(x.tr.id[i], 1 + (int64_t)i);
    run_close(&x);
}

#define FILE_TR "transport: {file: {dir: /tmp}}"

static void test_schedules(void) {
    check_schedule("{name: q, format: json, schedule: '*/15 * * * *', " FILE_TR "}",
                   MIDNIGHT + MIN(15), MIDNIGHT + MIN(30), 1, 0);
    check_schedule("{name: h, format: json, schedule: '0 * * * *', " FILE_TR "}",
                   MIDNIGHT + MIN(60), MIDNIGHT + MIN(120), 2, 300);
    check_schedule("{name: s, format: json, schedule: '0 */6 * * *', " FILE_TR "}",
                   MIDNIGHT + MIN(360), MIDNIGHT + MIN(720), 3, 500);
    /* 23 h exactly: the third row (boundaries inclusive) — SX5D1 ranges wrap, so
     * "0 0,23 * * *" would not be 23 h apart; an interval is. */
    check_schedule("{name: d, format: json, schedule: '0 0 * * *', " FILE_TR "}",
                   MIDNIGHT + MIN(24 * 60), MIDNIGHT + MIN(48 * 60), 6, 3600);
    check_schedule("{name: i, format: json, schedule: 23h, " FILE_TR "}",
                   S(1700006400 / 82800 * 82800 + 82800), S(1700006400 / 82800 * 82800 + 2 * 82800),
                   3, 500);
    /* Fixed retries replace the table (CMe3100 console settings). */
    check_schedule("{name: f, format: json, schedule: '0 0 * * *', retries: 1, retry_delay: 90s, "
                   FILE_TR "}",
                   MIDNIGHT + MIN(24 * 60), MIDNIGHT + MIN(48 * 60), 1, 90);
    check_schedule("{name: z, format: json, schedule: '0 * * * *', retries: 0, " FILE_TR "}",
                   MIDNIGHT + MIN(60), MIDNIGHT + MIN(120), 0, 0);
}

/* A per-cycle instance uses the measured readout period: 15 min until two
 * cycles were seen, then the gap between the last two cycle ends. */
static void test_per_cycle(void) {
    run x = {0};
    if (!run_open(&x, "{name: c, format: json, " FILE_TR "}", MIDNIGHT))
        return;
    int64_t t = MIDNIGHT + MIN(30);
    run_until_wall(x.loop, t);
    fake_readout(x.hub, 1, t);
    datahub_cycle_end(x.hub, "mbus:bus1", t);
    run_until_wall(x.loop, t + MIN(29));
    CHECK_INT(x.tr.n, 2); /* period unknown: 15 min row, 1 retry at once */
    fake_forget(&x.tr);
    t += MIN(30); /* cycles 30 min apart: 16-60 min row */
    run_until_wall(x.loop, t);
    fake_readout(x.hub, 2, t);
    datahub_cycle_end(x.hub, "mbus:bus1", t);
    run_until_wall(x.loop, t + MIN(29));
    CHECK_INT(x.tr.n, 3);
    for (size_t i = 0; i < x.tr.n; i++) {
        CHECK_INT(x.tr.id[i], 1);
        CHECK_INT(x.tr.at_ns[i], t + S(300) * (int64_t)i);
    }
    run_close(&x);
}

int main(void) {
    test_table();
    test_schedules();
    test_per_cycle();
    return test_summary("test_report_retry");
}
