/* expect: what a scenario requires of the gateway, checked after the run.
 *
 * Kinds (keys in docs/scenarios.md):
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
#include "sim/expect/expect_modbus.h"
#include "sim/core/trace.h"

typedef enum {
    EX_VALUE, EX_METER, EX_POINTS, EX_STORE, EX_REPORT, EX_TIMING, EX_REQUESTS, EX_BAUD,
    EX_IEC104, EX_MODBUS
} ex_kind;

typedef struct expectation {
    ex_kind kind;
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
    const ex_segment_info *segments;
    size_t n_segments;
    cfg_node *dump;         /* loaded on first use */
    bool dump_tried;
    cfg_err dump_err;
} ex_context;

/* Parse one item of `expect:`; false with err on an unknown kind or key. */
bool expect_parse(const cfg_node *item, expectation *ex, cfg_err *err);
/* Evaluate; writes the verdict text (without PASS/FAIL) into msg. */
bool expect_eval(const expectation *ex, ex_context *ctx, char *msg, size_t cap);
void ex_context_free(ex_context *ctx);

/* Per kind (expect_dump.c, expect_store.c, expect_report.c, expect_trace.c). */
bool expect_eval_dump(const expectation *ex, ex_context *ctx, char *msg, size_t cap);
bool expect_eval_store(const expectation *ex, ex_context *ctx, char *msg, size_t cap);
bool expect_eval_report(const expectation *ex, ex_context *ctx, char *msg, size_t cap);
bool expect_eval_trace(const expectation *ex, ex_context *ctx, char *msg, size_t cap);

/* Does observed text equal the expectation (numerically with tolerance when
 * both are numbers)? */
bool expect_equal(const expectation *ex, const char *observed);
#endif
