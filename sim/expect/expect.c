/* expect: an expectation parsed and evaluated through its kind's row (expect_kinds.c). */
#include "sim/expect/expect.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool parse_number(const char *text, double *out) {
    if (!text || !*text) return false;
    char *end;
    double v = strtod(text, &end);
    if (*end != '\0' || end == text) return false;
    *out = v;
    return true;
}

bool expect_parse_equals(const cfg_node *m, expectation *ex, cfg_err *err) {
    if (!cfg_str(m, "equals", NULL, &ex->equals, err)) return false;
    ex->equals_is_number = parse_number(ex->equals, &ex->number);
    return cfg_double(m, "tolerance", 1e-9, &ex->tolerance, err);
}

bool expect_parse_count(const cfg_node *m, expectation *ex, cfg_err *err) {
    long long count;
    if (!cfg_int(m, "count", -1, -1, 1000000, &count, err)) return false;
    if (!cfg_int(m, "min", count >= 0 ? count : 0, 0, 1000000, &ex->min, err) ||
        !cfg_int(m, "max", count >= 0 ? count : 1000000, 0, 1000000, &ex->max, err))
        return false;
    if (ex->min > ex->max) return cfg_fail(err, m, "min is larger than max");
    return true;
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
    const ex_kind_row *row = expect_kind_find(item->keys[0]);
    if (!row) {
        char names[256];
        expect_kind_names(names, sizeof names);
        return cfg_fail(err, item->key_nodes[0], "unknown expectation %s (%s)", item->keys[0], names);
    }
    ex->kind = row->kind;
    ex->how = row;
    return row->parse(m, ex, err);
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
    return ex->how->eval(ex, ctx, msg, cap);
}

void ex_context_free(ex_context *ctx) {
    cfg_free(ctx->dump);
    ctx->dump = NULL;
    ctx->dump_tried = false;
}
