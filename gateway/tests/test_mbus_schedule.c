/* M-Bus readout schedules: `schedule:` (cron in the CMe3100 or SX5D1 dialect,
 * gateway/core/cron.h) instead of `interval:` in an `mbus:` segment.
 *   - configuration: accepted in both dialects; with `interval` an error; a bad
 *     pattern is reported at the file column of the wrong field;
 *   - the master in virtual time over a real pty (the meter stays silent, so
 *     each cycle is one request and a timeout): cycles start exactly at the
 *     schedule's instants, none at start-up, none in between. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <termios.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/config.h"
#include "core/datahub.h"
#include "core/loop.h"
#include "south/mbus/mbus_config.h"
#include "south/mbus/mbus_master.h"
#include "tests/test.h"

#define S(sec) ((int64_t)(sec) * NS_PER_S)
#define MIDNIGHT S(1767225600) /* 2026-01-01T00:00:00Z */

static mbus_config *parse(const char *yaml, cfg_err *err) {
    cfg_node *root = cfg_load_string(yaml, "gw.yaml", err);
    mbus_config *cfg = root ? mbus_config_parse(cfg_get(root, "mbus"), err) : NULL;
    cfg_free(root);
    return cfg;
}

static void expect_error(const char *yaml, const char *want) {
    cfg_err err = {{0}};
    mbus_config *cfg = parse(yaml, &err);
    CHECK_MSG(cfg == NULL, "accepted: %s", yaml);
    CHECK_MSG(strcmp(err.msg, want) == 0, "got \"%s\", want \"%s\"", err.msg, want);
    mbus_config_free(cfg);
}

#define HEAD "mbus:\n  - name: bus1\n    device: /dev/null\n    meters: [{name: a, primary: 1}]\n"

static void test_config(void) {
    cfg_err err = {{0}};
    mbus_config *cfg = parse(HEAD "    schedule: \"*/15 * * * *\"\n", &err);
    CHECK_MSG(cfg != NULL, "%s", err.msg);
    if (cfg) {
        CHECK(cfg->segments[0].scheduled);
        CHECK_INT(cfg->segments[0].schedule.dialect, CRON_CME3100);
        CHECK_INT(cron_next(&cfg->segments[0].schedule, MIDNIGHT), MIDNIGHT + S(900));
    }
    mbus_config_free(cfg);
    cfg = parse(HEAD "    schedule: \"0 23-1 * * *\"\n    dialect: sx5d1\n", &err);
    CHECK_MSG(cfg != NULL, "%s", err.msg);
    if (cfg) {
        CHECK_INT(cfg->segments[0].schedule.dialect, CRON_SX5D1);
        CHECK_INT(cron_next(&cfg->segments[0].schedule, MIDNIGHT + S(1)), MIDNIGHT + S(3600));
    }
    mbus_config_free(cfg);
    cfg = parse(HEAD "    interval: 10s\n", &err);
    CHECK(cfg && !cfg->segments[0].scheduled);
    mbus_config_free(cfg);

    expect_error(HEAD "    interval: 10s\n    schedule: \"0 * * * *\"\n",
                 "gw.yaml:6:15: schedule and interval exclude each other");
    /* the hour field "25" starts at column 3 of the pattern, col 15 + 1 (quote) + 2 */
    expect_error(HEAD "    schedule: \"0 25 * * *\"\n",
                 "gw.yaml:5:18: schedule: hour: 25 is out of range 0-23 (column 3 of the pattern)");
    expect_error(HEAD "    schedule: 0 * * * *\n    dialect: vixie\n",
                 "gw.yaml:6:14: dialect: expected cme3100 or sx5d1");
}

/* ---- the master at the schedule's instants ---- */

typedef struct bench {
    int pty;
    char device[64];
    int64_t cycle_end[64];
    size_t n;
} bench;

static void on_update(const dh_update *u, void *arg) {
    bench *b = arg;
    if (u->kind == DH_CYCLE_END && b->n < 64)
        b->cycle_end[b->n++] = u->ts_ns;
}

static void on_pty(gw_loop *loop, int fd, unsigned events, void *arg) {
    char buf[256]; /* the silent meter: drain the requests */
    while (read(fd, buf, sizeof buf) > 0)
        ;
}

static void run_until(gw_loop *loop, int64_t wall_ns) {
    for (int guard = 0; guard < 100000 && clock_wall_ns() < wall_ns; guard++) {
        while (loop_run_once(loop, 0) > 0)
            ;
        int64_t next = loop_next_deadline(loop);
        int64_t target = clock_mono_ns() + (wall_ns - clock_wall_ns());
        clock_virtual_advance(next < target ? next : target);
    }
    while (loop_run_once(loop, 0) > 0)
        ;
}

/* Run a segment with `schedule_yaml` from wall time start to end; every cycle
 * must end within 1 s after one of the want[] instants, one per instant. */
static void check_instants(const char *schedule_yaml, int64_t start, int64_t end,
                           const int64_t *want, size_t n_want) {
    bench b = {0};
    b.pty = posix_openpt(O_RDWR | O_NOCTTY | O_NONBLOCK);
    if (b.pty < 0 || grantpt(b.pty) != 0 || unlockpt(b.pty) != 0 ||
        ptsname_r(b.pty, b.device, sizeof b.device) != 0) {
        CHECK_MSG(false, "cannot create a pty: %s", strerror(errno));
        return;
    }
    struct termios t;
    tcgetattr(b.pty, &t);
    cfmakeraw(&t);
    tcsetattr(b.pty, TCSANOW, &t);
    clock_use_virtual(start);
    char yaml[512];
    snprintf(yaml, sizeof yaml,
             "mbus:\n  - {name: bus1, device: \"%s\", baud: 9600, retries: 0,\n"
             "     response_timeout: 20ms, %s, meters: [{name: m, primary: 5}]}\n",
             b.device, schedule_yaml);
    cfg_err err = {{0}};
    mbus_config *cfg = parse(yaml, &err);
    CHECK_MSG(cfg != NULL, "%s", err.msg);
    gw_loop *loop = loop_new();
    datahub *hub = datahub_new();
    datahub_subscribe(hub, on_update, &b);
    loop_add_fd(loop, b.pty, LOOP_READ, on_pty, &b);
    char serr[256];
    mbus_segment *seg = cfg ? mbus_segment_start(&cfg->segments[0], loop, hub, serr, sizeof serr)
                            : NULL;
    CHECK_MSG(seg != NULL, "start: %s", serr);
    if (seg) {
        run_until(loop, end);
        mbus_segment_stop(seg);
    }
    CHECK_MSG(b.n == n_want, "%s: %zu cycles, want %zu", schedule_yaml, b.n, n_want);
    for (size_t i = 0; i < b.n && i < n_want; i++)
        CHECK_MSG(b.cycle_end[i] >= want[i] && b.cycle_end[i] < want[i] + S(1),
                  "%s: cycle %zu ended at +%llds, want +%llds", schedule_yaml, i,
                  (long long)((b.cycle_end[i] - start) / NS_PER_S),
                  (long long)((want[i] - start) / NS_PER_S));
    loop_del_fd(loop, b.pty);
    close(b.pty);
    datahub_free(hub);
    loop_free(loop);
    mbus_config_free(cfg);
}

static void test_master(void) {
    /* Quarter hours, started at 00:07:30: 00:15, 00:30, 00:45, 01:00, nothing at start. */
    const int64_t q[] = {MIDNIGHT + S(900), MIDNIGHT + S(1800), MIDNIGHT + S(2700),
                         MIDNIGHT + S(3600)};
    check_instants("schedule: '*/15 * * * *'", MIDNIGHT + S(450), MIDNIGHT + S(3610), q, 4);
    /* SX5D1 wrap-around hours 23-1 from 21:30 on the 31st: 23:00, 00:00, 01:00, not 02:00. */
    const int64_t w[] = {MIDNIGHT - S(3600), MIDNIGHT, MIDNIGHT + S(3600)};
    check_instants("schedule: '0 23-1 * * *', dialect: sx5d1", MIDNIGHT - S(9000),
                   MIDNIGHT + S(3 * 3600), w, 3);
    /* CMe3100 `|`: two patterns, 00:05 and 00:50. */
    const int64_t p[] = {MIDNIGHT + S(300), MIDNIGHT + S(3000)};
    check_instants("schedule: '5 0 * * *|50 0 * * *'", MIDNIGHT, MIDNIGHT + S(3500), p, 2);
    /* interval: still the first cycle at start-up, then every interval. */
    const int64_t i[] = {MIDNIGHT + S(10), MIDNIGHT + S(610), MIDNIGHT + S(1210)};
    check_instants("interval: 10m", MIDNIGHT + S(10), MIDNIGHT + S(1500), i, 3);
}

int main(void) {
    test_config();
    test_master();
    return test_summary("test_mbus_schedule");
}
