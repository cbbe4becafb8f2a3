/* Unit tests of the expectations, evaluated on a hand-made trace, datahub
 * dump, report directory and SQLite store. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include "tests/test.h"
#include "core/clock.h"
#include "sim/expect/expect.h"
#include "sim/core/hexfile.h"
#include "sim/core/wire.h"

static char dir[] = "/tmp/test_sim_expect.XXXXXX";
static char path_dump[128], path_reports[128], path_store[128];
static trace tr;
static ex_segment_info seg = {"bus1", 2400, 2400, 5, 0};
static char msg[2048];

/* Parse a one-item YAML expectation and evaluate it. */
static bool eval(const char *yaml) {
    cfg_err err;
    cfg_node *root = cfg_load_string(yaml, "test", &err);
    if (!root) {
        snprintf(msg, sizeof msg, "parse: %s", err.msg);
        return false;
    }
    expectation ex;
    bool ok = false;
    if (expect_parse(root, &ex, &err)) {
        ex_context ctx = {.dump_path = path_dump, .store_path = path_store,
                          .reports_dir = path_reports, .tr = &tr, .segments = &seg,
                          .n_segments = 1};
        ok = expect_eval(&ex, &ctx, msg, sizeof msg);
        ex_context_free(&ctx);
    } else {
        snprintf(msg, sizeof msg, "parse: %s", err.msg);
    }
    cfg_free(root);
    return ok;
}

static bool parse_fails(const char *yaml, const char *want) {
    cfg_err err;
    cfg_node *root = cfg_load_string(yaml, "t.yaml", &err);
    expectation ex;
    bool failed = root && !expect_parse(root, &ex, &err) && strstr(err.msg, want);
    if (!failed) fprintf(stderr, "parse of %s gave: %s\n", yaml, err.msg);
    cfg_free(root);
    return failed;
}

static void add(trace_dir d, int64_t t, const char *hex) {
    uint8_t b[300];
    long n = hex_parse(hex, b, sizeof b);
    trace_add(&tr, "bus1", d, 2400, t, t + wire_bytes_ns(2400, (size_t)n), b, (size_t)n, "");
}

#define RSP "68 1F 1F 68 08 05 72 78 56 34 12 24 40 01 07 55 00 00 00 03 13 15 31 00 DA 02 3B 13 01 8B 60 04 37 18 02 1B 16"

/* NKE, E5, REQ(fcb1) unanswered, REQ(fcb1) retry answered, REQ(fcb0) too early. */
static void build_trace(int last_fcb) {
    int64_t bit = wire_bits_ns(2400, 1), t = 0;
    trace_init(&tr, 0);
    add(TRACE_GW_TO_BUS, t, "10 40 05 45 16");
    t += 55 * bit + 20 * NS_PER_MS;
    add(TRACE_BUS_TO_GW, t, "E5");
    t += 11 * bit + 40 * bit;
    add(TRACE_GW_TO_BUS, t, "10 7B 05 80 16");
    t += 55 * bit + 200 * NS_PER_MS;
    add(TRACE_GW_TO_BUS, t, "10 7B 05 80 16");
    t += 55 * bit + 10 * NS_PER_MS;
    add(TRACE_BUS_TO_GW, t, RSP);
    t += 37 * 11 * bit + 10 * bit; /* only 10 bit times idle */
    add(TRACE_GW_TO_BUS, t, last_fcb ? "10 7B 05 80 16" : "10 5B 05 60 16");
    add(TRACE_NOTE, t, "");
}

static void test_trace_rules(void) {
    build_trace(0);
    CHECK_MSG(!eval("timing: {rule: idle_before_request, min_bits: 33}"), "%s", msg);
    CHECK_MSG(strstr(msg, "observed 10.0 bits"), "%s", msg);
    CHECK_MSG(eval("timing: {rule: idle_before_request, min_bits: 9.5}"), "%s", msg);
    CHECK_MSG(eval("timing: {rule: response_timeout, min: auto}"), "%s", msg);
    CHECK_MSG(!eval("timing: {rule: response_timeout, min: 250ms}"), "%s", msg);
    CHECK_MSG(strstr(msg, "observed 200.0 ms"), "%s", msg);
    CHECK_MSG(eval("timing: {rule: fcb_sequence, address: 5}"), "%s", msg);
    CHECK_MSG(eval("requests: {frame: req_ud2, address: 5, count: 3}"), "%s", msg);
    CHECK_MSG(!eval("requests: {frame: req_ud2, address: 5, count: 2}"), "%s", msg);
    CHECK_MSG(strstr(msg, "expected 2, observed 3"), "%s", msg);
    CHECK_MSG(eval("requests: {frame: snd_nke, min: 1, max: 1}"), "%s", msg);
    CHECK_MSG(eval("requests: {frame: any, address: 5, count: 4}"), "%s", msg);
    CHECK_MSG(!eval("timing: {rule: idle_before_request, segment: bus9}"), "%s", msg);
    CHECK_MSG(eval("baud: {equals: 2400}"), "%s", msg);
    CHECK_MSG(!eval("baud: {equals: 9600}"), "%s", msg);
    trace_free(&tr);
    build_trace(1); /* FCB not toggled after a good answer */
    CHECK_MSG(!eval("timing: {rule: fcb_sequence}"), "%s", msg);
    CHECK_MSG(strstr(msg, "expected FCB 0"), "%s", msg);
    trace_free(&tr);
}

static void write_file(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

static void test_dump(void) {
    write_file(path_dump,
               "{\"points\":[{\"id\":\"m/1\",\"meter\":\"m\",\"value\":12.339999999999,\"unit\":\"m3\","
               "\"quality\":0},{\"id\":\"m/2\",\"meter\":\"m\",\"value\":\"2014-03-13\",\"unit\":\"\","
               "\"quality\":3}],\"meters\":[{\"name\":\"m\",\"status\":\"not_read\",\"serial\":\"0001\"}]}");
    CHECK_MSG(eval("value: {point: m/1, equals: 12.34, unit: m3}"), "%s", msg);
    CHECK_STR(msg, "value m/1 = 12.34 m3");
    CHECK_MSG(!eval("value: {point: m/1, equals: 12.3}"), "%s", msg);
    CHECK_MSG(strstr(msg, "expected 12.3, observed 12.339999999999 m3"), "%s", msg);
    CHECK_MSG(eval("value: {point: m/1, equals: 12.3, tolerance: 0.05}"), "%s", msg);
    CHECK_MSG(!eval("value: {point: m/1, unit: Wh}"), "%s", msg);
    CHECK_MSG(eval("value: {point: m/2, equals: 2014-03-13, quality: 3}"), "%s", msg);
    CHECK_MSG(!eval("value: {point: m/9}"), "%s", msg);
    CHECK_MSG(eval("meter: {name: m, status: not_read, serial: \"0001\"}"), "%s", msg);
    CHECK_MSG(!eval("meter: {name: m, status: ok}"), "%s", msg);
    CHECK_STR(msg, "meter m: expected status=ok, observed status=not_read");
    CHECK_MSG(eval("points: {meter: m, count: 2}"), "%s", msg);
    CHECK_MSG(!eval("points: {meter: m, min: 3}"), "%s", msg);
}

static void test_reports(void) {
    char p[200];
    mkdir(path_reports, 0755);
    snprintf(p, sizeof p, "%s/gw_20260101T000000Z_a.csv", path_reports);
    write_file(p, "Index;DeviceId;Value\n0;\"ACW-1\";54321\n");
    snprintf(p, sizeof p, "%s/gw_20260101T000100Z_a.csv", path_reports);
    write_file(p, "Index;DeviceId;Value\n0;\"ACW-1\";54400\n");
    CHECK_MSG(eval("report: {format: csv, row: 2, column: 3, equals: 54400}"), "%s", msg);
    CHECK_MSG(!eval("report: {format: csv, file: all, row: 2, column: 3, equals: 54400}"), "%s", msg);
    CHECK_MSG(strstr(msg, "observed \"54321\""), "%s", msg);
    CHECK_MSG(eval("report: {format: csv, file: any, row: 2, column: 3, equals: 54321}"), "%s", msg);
    CHECK_MSG(eval("report: {format: csv, file: all, row: 2, column: 2, equals: ACW-1, min_files: 2}"), "%s", msg);
    CHECK_MSG(eval("report: {format: csv, line: 1, equals: \"Index;DeviceId;Value\"}"), "%s", msg);
    CHECK_MSG(eval("report: {format: csv, contains: ACW-1, not_contains: PAD}"), "%s", msg);
    CHECK_MSG(!eval("report: {format: csv, min_files: 3}"), "%s", msg);
    CHECK_MSG(!eval("report: {format: json}"), "%s", msg);
}

static void test_store(void) {
    sqlite3 *db;
    CHECK_INT(sqlite3_open(path_store, &db), SQLITE_OK);
    CHECK_INT(sqlite3_exec(db, "CREATE TABLE r(meter TEXT, value REAL);"
                               "INSERT INTO r VALUES('a', 1.5),('a', 2.5),('b', 7);",
                           NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    CHECK_MSG(eval("store: {sql: \"SELECT sum(value) FROM r WHERE meter = 'a'\", equals: 4}"), "%s", msg);
    CHECK_MSG(eval("store: {sql: \"SELECT * FROM r\", rows: 3}"), "%s", msg);
    CHECK_MSG(!eval("store: {sql: \"SELECT value FROM r WHERE meter = 'b'\", equals: 7.5, rows: 1}"), "%s", msg);
    CHECK_MSG(strstr(msg, "observed 7.0, 1 rows") || strstr(msg, "observed 7, 1 rows"), "%s", msg);
    CHECK_MSG(!eval("store: {sql: \"SELECT nope FROM r\", rows: 0}"), "%s", msg);
}

static void test_parse_errors(void) {
    CHECK(parse_fails("valu: {point: a}", "unknown expectation valu"));
    CHECK(parse_fails("value: {pointt: a}", "t.yaml:1:"));
    CHECK(parse_fails("timing: {rule: fast}", "rule must be"));
    CHECK(parse_fails("report: {format: pdf}", "format must be csv, json or xml"));
    CHECK(parse_fails("store: {sql: x}", "store needs equals or rows"));
    CHECK(parse_fails("requests: {min: 3, max: 1}", "min is larger than max"));
}

int main(void) {
    if (!mkdtemp(dir)) return 1;
    snprintf(path_dump, sizeof path_dump, "%s/datahub.json", dir);
    snprintf(path_reports, sizeof path_reports, "%s/reports", dir);
    snprintf(path_store, sizeof path_store, "%s/gw.db", dir);
    test_trace_rules();
    test_dump();
    test_reports();
    test_store();
    test_parse_errors();
    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0) fprintf(stderr, "cannot remove %s\n", dir);
    return test_summary("test_sim_expect");
}
