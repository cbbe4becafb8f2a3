/* expect_dump: expectations on the gateway's datahub dump (gateway.datahub_dump),
 * the JSON document {"points":[...],"meters":[...]} that gwd writes after each
 * cycle and at exit. JSON is YAML, so the configuration loader reads it. */
#include <stdio.h>
#include <string.h>
#include "sim/expect/expect.h"

static const cfg_node *load_dump(ex_context *ctx, char *msg, size_t cap, const char *what) {
    if (!ctx->dump_tried) {
        ctx->dump_tried = true;
        if (!ctx->dump_path)
            snprintf(ctx->dump_err.msg, sizeof ctx->dump_err.msg,
                     "the gateway configuration has no gateway.datahub_dump");
        else
            ctx->dump = cfg_load_file(ctx->dump_path, &ctx->dump_err);
    }
    if (!ctx->dump) snprintf(msg, cap, "%s: no datahub dump (%s)", what, ctx->dump_err.msg);
    return ctx->dump;
}

static const char *text_of(const cfg_node *map, const char *key) {
    const cfg_node *n = cfg_get(map, key);
    return n && n->kind == CFG_SCALAR ? n->scalar : NULL;
}

/* The item of seq `list` whose `key` is `value`. */
static const cfg_node *find(const cfg_node *dump, const char *list, const char *key,
                            const char *value) {
    const cfg_node *seq = cfg_get(dump, list);
    if (!seq || seq->kind != CFG_SEQ) return NULL;
    for (size_t i = 0; i < seq->n; i++) {
        const char *t = text_of(seq->items[i], key);
        if (t && strcmp(t, value) == 0) return seq->items[i];
    }
    return NULL;
}

static bool eval_value(const expectation *ex, const cfg_node *dump, char *msg, size_t cap) {
    const cfg_node *p = find(dump, "points", "id", ex->point);
    if (!p) {
        snprintf(msg, cap, "value %s: no such point in the datahub dump", ex->point);
        return false;
    }
    const char *value = text_of(p, "value"), *unit = text_of(p, "unit");
    const char *quality = text_of(p, "quality");
    bool ok = expect_equal(ex, value) && (!ex->unit || (unit && strcmp(unit, ex->unit) == 0)) &&
              (!ex->quality || (quality && strcmp(quality, ex->quality) == 0));
    char want[256];
    snprintf(want, sizeof want, "%s%s%s%s%s", ex->equals ? ex->equals : "(any)",
             ex->unit ? " " : "", ex->unit ? ex->unit : "", ex->quality ? " quality " : "",
             ex->quality ? ex->quality : "");
    if (ok) {
        snprintf(msg, cap, "value %s = %s", ex->point, want);
    } else {
        snprintf(msg, cap, "value %s: expected %s, observed %s %s quality %s", ex->point, want,
                 value ? value : "(none)", unit ? unit : "", quality ? quality : "(none)");
    }
    return ok;
}

static bool eval_meter(const expectation *ex, const cfg_node *dump, char *msg, size_t cap) {
    const cfg_node *m = find(dump, "meters", "name", ex->meter);
    if (!m) {
        snprintf(msg, cap, "meter %s: no such meter in the datahub dump", ex->meter);
        return false;
    }
    char want[512] = "", seen[512] = "";
    bool ok = true;
    for (size_t i = 0; i < ex->node->n; i++) {
        const char *key = ex->node->keys[i];
        if (strcmp(key, "name") == 0) continue;
        const char *expected = ex->node->items[i]->scalar, *observed = text_of(m, key);
        if (!observed || strcmp(observed, expected) != 0) ok = false;
        size_t w = strlen(want), s = strlen(seen);
        snprintf(want + w, sizeof want - w, "%s%s=%s", w ? " " : "", key, expected);
        snprintf(seen + s, sizeof seen - s, "%s%s=%s", s ? " " : "", key,
                 observed ? observed : "(none)");
    }
    if (ok) snprintf(msg, cap, "meter %s %s", ex->meter, want);
    else snprintf(msg, cap, "meter %s: expected %s, observed %s", ex->meter, want, seen);
    return ok;
}

static bool eval_points(const expectation *ex, const cfg_node *dump, char *msg, size_t cap) {
    const cfg_node *seq = cfg_get(dump, "points");
    long long count = 0;
    for (size_t i = 0; seq && seq->kind == CFG_SEQ && i < seq->n; i++) {
        const char *m = text_of(seq->items[i], "meter");
        if (m && strcmp(m, ex->meter) == 0) count++;
    }
    bool ok = count >= ex->min && count <= ex->max;
    char want[64];
    if (ex->min == ex->max) snprintf(want, sizeof want, "%lld", ex->min);
    else snprintf(want, sizeof want, "%lld..%lld", ex->min, ex->max);
    if (ok) snprintf(msg, cap, "points of %s: %lld (expected %s)", ex->meter, count, want);
    else snprintf(msg, cap, "points of %s: expected %s, observed %lld", ex->meter, want, count);
    return ok;
}

bool expect_eval_dump(const expectation *ex, ex_context *ctx, char *msg, size_t cap) {
    const char *what = ex->kind == EX_VALUE ? ex->point : ex->meter;
    char label[160];
    snprintf(label, sizeof label, "%s %s", expect_kind_name(ex->kind), what);
    const cfg_node *dump = load_dump(ctx, msg, cap, label);
    if (!dump) return false;
    if (ex->kind == EX_VALUE) return eval_value(ex, dump, msg, cap);
    if (ex->kind == EX_METER) return eval_meter(ex, dump, msg, cap);
    return eval_points(ex, dump, msg, cap);
}

bool expect_parse_value(const cfg_node *m, expectation *ex, cfg_err *err) {
    static const char *const keys[] = {"point", "equals", "tolerance", "unit", "quality", NULL};
    if (!cfg_only_keys(m, keys, err) || !cfg_require(m, "point", CFG_SCALAR, err)) return false;
    return cfg_str(m, "point", NULL, &ex->point, err) && expect_parse_equals(m, ex, err) &&
           cfg_str(m, "unit", NULL, &ex->unit, err) &&
           cfg_str(m, "quality", NULL, &ex->quality, err);
}

bool expect_parse_meter(const cfg_node *m, expectation *ex, cfg_err *err) {
    static const char *const keys[] = {"name",   "status",       "interface", "primary_address",
                                       "secondary", "serial",    "manufacturer", "version",
                                       "medium", "medium_name", NULL};
    if (!cfg_only_keys(m, keys, err) || !cfg_require(m, "name", CFG_SCALAR, err)) return false;
    for (size_t i = 0; i < m->n; i++)
        if (m->items[i]->kind != CFG_SCALAR)
            return cfg_fail(err, m->items[i], "%s must be a scalar", m->keys[i]);
    return cfg_str(m, "name", NULL, &ex->meter, err);
}

bool expect_parse_points(const cfg_node *m, expectation *ex, cfg_err *err) {
    static const char *const keys[] = {"meter", "count", "min", "max", NULL};
    if (!cfg_only_keys(m, keys, err) || !cfg_require(m, "meter", CFG_SCALAR, err)) return false;
    return cfg_str(m, "meter", NULL, &ex->meter, err) && expect_parse_count(m, ex, err);
}
