/* expect: what a scenario requires of the gateway, checked after the run.
 *
 * Kinds (keys in docs/scenarios.md; one row each in expect_kinds.c):
 *   value    a data point in the gateway's datahub dump (number with tolerance, or text)
 *   meter    fields of a meter in the dump (status, serial, ...)
 *   points   number of data points of a meter in the dump
 *   store    an SQL query on the gateway's SQLite store (first column of first row, or row count)
 *   report   content of the report files (contains / line / CSV cell)
 *   timing   rules on the wire trace: idle_before_request, response_timeout, fcb_sequence
 *   requests number of master frames of a kind to an address (proves retries)
 *   baud     the baud rate the gateway set on a segment's line
 * Each check prints one line: "PASS  <what>" or "FAIL  <what>: expected ..., observed ...". */
#ifndef SIM_EXPECT_H
#define SIM_EXPECT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "core/config.h"
#include "sim/expect/expect_iec104.h"
#include "sim/expect/expect_mbus_tcp.h"
#include "sim/expect/expect_modbus.h"
#include "sim/core/trace.h"

typedef enum {
    EX_VALUE, EX_METER, EX_POINTS, EX_STORE, EX_REPORT, EX_TIMING, EX_REQUESTS, EX_BAUD,
    EX_IEC104, EX_MODBUS, EX_MBUS_TCP
} ex_kind;

struct ex_kind_row;

typedef struct expectation {
    ex_kind kind;
    const struct ex_kind_row *how; /* its kind's parse and evaluate (expect_kinds.c) */
    const cfg_node *node;   /* the expectation's map (its keys, for messages) */
    /* value / meter / points */
    const char *point, *meter, *unit, *quality;
    /* equality: a number (with tolerance) and/or its text */
    const char *equals;
    bool equals_is_number;
    double number, tolerance;
    /* store */
    const char *sql;
    long long rows;         /* -1: not checked */
    /* report */
    const char *format, *file, *contains, *not_contains, *separator;
    const char *dir, *equals_file; /* instance directory (run-relative), whole-file fixture */
    long long line, row, column, min_files;
    /* timing / requests / baud */
    const char *rule, *segment, *frame;
    double min_bits;
    int64_t min_ns;
    bool min_auto;
    long long address;      /* -1: any */
    long long min, max;     /* requests: count range */
    ex_iec104 iec104;       /* iec104 (expect_iec104.h) */
    ex_modbus modbus;       /* modbus (expect_modbus.h) */
    ex_mbus_tcp mbus_tcp;   /* mbus_tcp (expect_mbus_tcp.h) */
} expectation;

/* Results of the run the expectations look at. */
typedef struct ex_segment_info {
    const char *name;
    unsigned baud;          /* configured */
    unsigned baud_seen;     /* set by the gateway at its last frame, 0 if no frame */
    unsigned frames;
    unsigned mismatches;    /* frames at another baud */
} ex_segment_info;

typedef struct ex_context {
    const char *dump_path;  /* gateway.datahub_dump, may be NULL */
    const char *store_path; /* gateway.store, may be NULL */
    const char *reports_dir;/* reports.dir, else the first file transport's dir; may be NULL */
    const trace *tr;
    int64_t start_wall_ns;  /* wall time at the scenario start (trace t_ns 0), 0 if unknown */
    const ex_segment_info *segments;
    size_t n_segments;
    cfg_node *dump;         /* loaded on first use */
    bool dump_tried;
    cfg_err dump_err;
} ex_context;

/* One kind of expectation: its YAML key, how an item's map is parsed into an
 * expectation (false with err "file:line: ..."), and how it is evaluated (the verdict
 * text without PASS/FAIL goes to msg). */
typedef bool (*ex_parse_fn)(const cfg_node *m, expectation *ex, cfg_err *err);
typedef bool (*ex_eval_fn)(const expectation *ex, ex_context *ctx, char *msg, size_t cap);
typedef struct ex_kind_row {
    const char *name;
    ex_kind kind;
    ex_parse_fn parse;
    ex_eval_fn eval;
} ex_kind_row;

/* The table (expect_kinds.c): the row of a YAML key, or NULL; a kind's key; every
 * key, comma separated, for messages. */
const ex_kind_row *expect_kind_find(const char *name);
const char *expect_kind_name(ex_kind kind);
void expect_kind_names(char *out, size_t cap);

/* Parse one item of `expect:` through its kind's row; false with err on an unknown
 * kind or key. */
bool expect_parse(const cfg_node *item, expectation *ex, cfg_err *err);
/* Evaluate through the kind's row; writes the verdict text (without PASS/FAIL) into msg. */
bool expect_eval(const expectation *ex, ex_context *ctx, char *msg, size_t cap);
void ex_context_free(ex_context *ctx);

/* The rows' functions, by the file that holds them. Shared parts of parsing:
 * equals (+ tolerance) and count/min/max (expect.c). */
bool expect_parse_equals(const cfg_node *m, expectation *ex, cfg_err *err);
bool expect_parse_count(const cfg_node *m, expectation *ex, cfg_err *err);
/* expect_dump.c: value, meter, points */
bool expect_parse_value(const cfg_node *m, expectation *ex, cfg_err *err);
bool expect_parse_meter(const cfg_node *m, expectation *ex, cfg_err *err);
bool expect_parse_points(const cfg_node *m, expectation *ex, cfg_err *err);
bool expect_eval_dump(const expectation *ex, ex_context *ctx, char *msg, size_t cap);
/* expect_mbus_tcp.c */
bool expect_parse_mbus_tcp(const cfg_node *m, expectation *ex, cfg_err *err);
bool expect_eval_mbus_tcp(const expectation *ex, ex_context *ctx, char *msg, size_t cap);
/* expect_store.c, expect_report.c */
bool expect_parse_store(const cfg_node *m, expectation *ex, cfg_err *err);
bool expect_eval_store(const expectation *ex, ex_context *ctx, char *msg, size_t cap);
bool expect_parse_report(const cfg_node *m, expectation *ex, cfg_err *err);
bool expect_eval_report(const expectation *ex, ex_context *ctx, char *msg, size_t cap);
/* expect_trace.c: timing, requests, baud */
bool expect_parse_timing(const cfg_node *m, expectation *ex, cfg_err *err);
bool expect_parse_requests(const cfg_node *m, expectation *ex, cfg_err *err);
bool expect_parse_baud(const cfg_node *m, expectation *ex, cfg_err *err);
bool expect_eval_trace(const expectation *ex, ex_context *ctx, char *msg, size_t cap);

/* Does observed text equal the expectation (numerically with tolerance when
 * both are numbers)? */
bool expect_equal(const expectation *ex, const char *observed);
#endif
