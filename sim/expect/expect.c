/* expect: parsing of expectations and the verdict of each (see expect.h). */
#include "sim/expect/expect.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const kind_names[] = {"value",  "meter",    "points", "store",
                                         "report", "timing",   "requests", "baud", "iec104", "modbus", NULL};

static bool parse_number(const char *text, double *out) {
    if (!text || !*text) return false;
    char *end;
    double v = strtod(text, &end);
    if (*end != '\0' || end == text) return false;
    *out = v;
    return true;
}

static bool get_equals(const cfg_node *m, expectation *ex, cfg_err *err) {
    if (!cfg_str(m, "equals", NULL, &ex->equals, err)) return false;
    ex->equals_is_number = parse_number(ex->equals, &ex->number);
    return cfg_double(m, "tolerance", 1e-9, &ex->tolerance, err);
}

static bool parse_value(const cfg_node *m, expectation *ex, cfg_err *err) {
    static const char *const keys[] = {"point", "equals", "tolerance", "unit", "quality", NULL};
    if (!cfg_only_keys(m, keys, err) || !cfg_require(m, "point", CFG_SCALAR, err)) return false;
    return cfg_str(m, "point", NULL, &ex->point, err) && get_equals(m, ex, err) &&
           cfg_str(m, "unit", NULL, &ex->unit, err) &&
           cfg_str(m, "quality", NULL, &ex->quality, err);
}

static bool parse_meter(const cfg_node *m, expectation *ex, cfg_err *err) {
    static const char *const keys[] = {"name",   "status",       "interface", "primary_address",
                                       "secondary", "serial",    "manufacturer", "version",
                                       "medium", "medium_name", NULL};
    if (!cfg_only_keys(m, keys, err) || !cfg_require(m, "name", CFG_SCALAR, err)) return false;
    for (size_t i = 0; i < m->n; i++)
        if (m->items[i]->kind != CFG_SCALAR)
            return cfg_fail(err, m->items[i], "%s must be a scalar", m->keys[i]);
    return cfg_str(m, "name", NULL, &ex->meter, err);
}

static bool parse_count(const cfg_node *m, expectation *ex, cfg_err *err) {
    long long count;
    if (!cfg_int(m, "count", -1, -1, 1000000, &count, err)) return false;
    if (!cfg_int(m, "min", count >= 0 ? count : 0, 0, 1000000, &ex->min, err) ||
        !cfg_int(m, "max", count >= 0 ? count : 1000000, 0, 1000000, &ex->max, err))
        return false;
    if (ex->min > ex->max) return cfg_fail(err, m, "min is larger than max");
    return true;
}

static bool parse_points(const cfg_node *m, expectation *ex, cfg_err *err) {
    static const char *const keys[] = {"meter", "count", "min", "max", NULL};
    if (!cfg_only_keys(m, keys, err) || !cfg_require(m, "meter", CFG_SCALAR, err)) return false;
    return cfg_str(m, "meter", NULL, &ex->meter, err) && parse_count(m, ex, err);
}

static bool parse_store(const cfg_node *m, expectation *ex, cfg_err *err) {
    static const char *const keys[] = {"sql", "equals", "tolerance", "rows", NULL};
    if (!cfg_only_keys(m, keys, err) || !cfg_require(m, "sql", CFG_SCALAR, err)) return false;
    if (!cfg_str(m, "sql", NULL, &ex->sql, err) || !get_equals(m, ex, err) ||
        !cfg_int(m, "rows", -1, 0, 100000000, &ex->rows, err))
        return false;
    if (!ex->equals && ex->rows < 0) return cfg_fail(err, m, "store needs equals or rows");
    return true;
}

static bool parse_report(const cfg_node *m, expectation *ex, cfg_err *err) {
    static const char *const keys[] = {"format", "file", "contains", "not_contains", "line",
                                       "row", "column", "equals", "separator", "min_files",
                                       "dir", "equals_file", NULL};
    if (!cfg_only_keys(m, keys, err) || !cfg_require(m, "format", CFG_SCALAR, err)) return false;
    if (!cfg_str(m, "format", NULL, &ex->format, err) ||
        !cfg_str(m, "file", "latest", &ex->file, err) ||
        !cfg_str(m, "contains", NULL, &ex->contains, err) ||
        !cfg_str(m, "not_contains", NULL, &ex->not_contains, err) ||
        !cfg_str(m, "separator", ";", &ex->separator, err) ||
        !cfg_int(m, "line", 0, 1, 1000000, &ex->line, err) ||
        !cfg_int(m, "row", 0, 1, 1000000, &ex->row, err) ||
        !cfg_int(m, "column", 0, 1, 10000, &ex->column, err) ||
        !cfg_int(m, "min_files", 1, 0, 1000000, &ex->min_files, err) ||
        !cfg_str(m, "dir", NULL, &ex->dir, err) ||
        !cfg_str(m, "equals_file", NULL, &ex->equals_file, err) || !get_equals(m, ex, err))
        return false;
    if (strcmp(ex->format, "csv") != 0 && strcmp(ex->format, "json") != 0 &&
        strcmp(ex->format, "xml") != 0)
        return cfg_fail(err, cfg_get(m, "format"), "format must be csv, json or xml");
    if (strcmp(ex->file, "latest") && strcmp(ex->file, "all") && strcmp(ex->file, "any"))
        return cfg_fail(err, cfg_get(m, "file"), "file must be latest, all or any");
    if ((ex->row > 0) != (ex->column > 0))
        return cfg_fail(err, m, "row and column go together");
    if ((ex->line > 0 || ex->row > 0) && !ex->equals)
        return cfg_fail(err, m, "line or row/column need equals");
    if (ex->equals && ex->line == 0 && ex->row == 0)
        return cfg_fail(err, m, "equals needs line or row/column");
    return true;
}

/* response_timeout's min: a duration, or auto = 330 bit times + 50 ms at the segment's baud. */
static bool parse_min_duration(const cfg_node *m, expectation *ex, cfg_err *err) {
    const cfg_node *min = cfg_get(m, "min");
    if (min && min->kind == CFG_SCALAR && strcmp(min->scalar, "auto") == 0) {
        ex->min_auto = true;
        return true;
    }
    return cfg_duration_ns(m, "min", 0, &ex->min_ns, err);
}

static bool parse_timing(const cfg_node *m, expectation *ex, cfg_err *err) {
    static const char *const keys[] = {"rule", "segment", "min_bits", "min", "address", NULL};
    if (!cfg_only_keys(m, keys, err) || !cfg_require(m, "rule", CFG_SCALAR, err)) return false;
    if (!cfg_str(m, "rule", NULL, &ex->rule, err) ||
        !cfg_str(m, "segment", NULL, &ex->segment, err) ||
        !cfg_double(m, "min_bits", 33, &ex->min_bits, err) ||
        !cfg_int(m, "address", -1, -1, 255, &ex->address, err))
        return false;
    if (strcmp(ex->rule, "response_timeout") == 0) {
        if (!cfg_get(m, "min")) ex->min_auto = true;
        else if (!parse_min_duration(m, ex, err)) return false;
    } else if (strcmp(ex->rule, "idle_before_request") && strcmp(ex->rule, "fcb_sequence")) {
        return cfg_fail(err, cfg_get(m, "rule"),
                        "rule must be idle_before_request, response_timeout or fcb_sequence");
    }
    return true;
}

static bool parse_requests(const cfg_node *m, expectation *ex, cfg_err *err) {
    static const char *const keys[] = {"segment", "frame", "address", "count", "min", "max", NULL};
    if (!cfg_only_keys(m, keys, err)) return false;
    if (!cfg_str(m, "segment", NULL, &ex->segment, err) ||
        !cfg_str(m, "frame", "req_ud2", &ex->frame, err) ||
        !cfg_int(m, "address", -1, -1, 255, &ex->address, err) || !parse_count(m, ex, err))
        return false;
    static const char *const frames[] = {"req_ud2", "snd_nke", "select", "global_readout",
                                         "global_readout_dif", "any", NULL};
    for (int i = 0; frames[i]; i++)
        if (strcmp(ex->frame, frames[i]) == 0) return true;
    return cfg_fail(err, cfg_get(m, "frame"),
                    "frame must be req_ud2, snd_nke, select, global_readout, global_readout_dif or any");
}

static bool parse_baud(const cfg_node *m, expectation *ex, cfg_err *err) {
    static const char *const keys[] = {"segment", "equals", NULL};
    if (!cfg_only_keys(m, keys, err) || !cfg_require(m, "equals", CFG_SCALAR, err)) return false;
    return cfg_str(m, "segment", NULL, &ex->segment, err) && get_equals(m, ex, err);
}

bool expect_parse(const cfg_node *item, expectation *ex, cfg_err *err) {
    memset(ex, 0, sizeof *ex);
    ex->rows = -1;
    ex->address = -1;
    if (!item || item->kind != CFG_MAP || item->n != 1)
        return cfg_fail(err, item, "an expectation is a map with one key: its kind");
    const cfg_node *m = item->items[0];
    ex->node = m;
    if (m->kind != CFG_MAP) return cfg_fail(err, m, "%s needs a map of its keys", item->keys[0]);
    int kind = -1;
    for (int i = 0; kind_names[i]; i++)
        if (strcmp(item->keys[0], kind_names[i]) == 0) kind = i;
    ex->kind = (ex_kind)kind;
    switch (kind) {
    case EX_VALUE: return parse_value(m, ex, err);
    case EX_METER: return parse_meter(m, ex, err);
    case EX_POINTS: return parse_points(m, ex, err);
    case EX_STORE: return parse_store(m, ex, err);
    case EX_REPORT: return parse_report(m, ex, err);
    case EX_TIMING: return parse_timing(m, ex, err);
    case EX_REQUESTS: return parse_requests(m, ex, err);
    case EX_BAUD: return parse_baud(m, ex, err);
    case EX_IEC104: return expect_parse_iec104(m, ex, err);
    case EX_MODBUS: return expect_parse_modbus(m, ex, err);
    default:
        return cfg_fail(err, item->key_nodes[0],
                        "unknown expectation %s (value, meter, points, store, report, timing, "
                        "requests, baud, iec104, modbus)",
                        item->keys[0]);
    }
}

bool expect_equal(const expectation *ex, const char *observed) {
    if (!ex->equals) return true;
    if (!observed) return false;
    double v;
    if (ex->equals_is_number && parse_number(observed, &v)) {
        double tol = ex->tolerance;
        /* tolerance is absolute; the default also forgives float formatting noise */
        return fabs(v - ex->number) <= tol + 1e-12 * fabs(ex->number);
    }
    return strcmp(ex->equals, observed) == 0;
}

bool expect_eval(const expectation *ex, ex_context *ctx, char *msg, size_t cap) {
    switch (ex->kind) {
    case EX_VALUE:
    case EX_METER:
    case EX_POINTS: return expect_eval_dump(ex, ctx, msg, cap);
    case EX_STORE: return expect_eval_store(ex, ctx, msg, cap);
    case EX_REPORT: return expect_eval_report(ex, ctx, msg, cap);
    case EX_IEC104: return expect_eval_iec104(ex, ctx, msg, cap);
    case EX_MODBUS: return expect_eval_modbus(ex, ctx, msg, cap);
    default: return expect_eval_trace(ex, ctx, msg, cap);
    }
}

void ex_context_free(ex_context *ctx) {
    cfg_free(ctx->dump);
    ctx->dump = NULL;
    ctx->dump_tried = false;
}
