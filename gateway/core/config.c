/* config: lookups and typed getters on the cfg_node tree.
 * Every failure names the position of the offending node. */
#include "core/config.h"

#include "core/clock.h" /* NS_PER_* */

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char *cfg_kind_name(cfg_kind kind) {
    switch (kind) {
    case CFG_SCALAR: return "scalar";
    case CFG_MAP: return "map";
    case CFG_SEQ: return "sequence";
    }
    return "?";
}

bool cfg_fail(cfg_err *err, const cfg_node *node, const char *fmt, ...) {
    if (!err)
        return false;
    int n;
    if (node)
        n = snprintf(err->msg, sizeof err->msg, "%s:%d:%d: ", node->file ? node->file : "?",
                     node->line, node->col);
    else
        n = snprintf(err->msg, sizeof err->msg, "?:0:0: ");
    if (n < 0 || (size_t)n >= sizeof err->msg)
        return false;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg + n, sizeof err->msg - (size_t)n, fmt, ap);
    va_end(ap);
    return false;
}

const cfg_node *cfg_get(const cfg_node *map, const char *key) {
    if (!map || map->kind != CFG_MAP || !key)
        return NULL;
    for (size_t i = 0; i < map->n; i++)
        if (strcmp(map->keys[i], key) == 0)
            return map->items[i];
    return NULL;
}

static bool key_allowed(const char *key, const char *const *allowed) {
    for (; *allowed; allowed++)
        if (strcmp(key, *allowed) == 0)
            return true;
    return false;
}

bool cfg_only_keys(const cfg_node *map, const char *const *allowed, cfg_err *err) {
    if (!map)
        return true;
    if (map->kind != CFG_MAP)
        return cfg_fail(err, map, "expected a map, got a %s", cfg_kind_name(map->kind));
    for (size_t i = 0; i < map->n; i++) {
        if (key_allowed(map->keys[i], allowed))
            continue;
        char list[384] = "";
        size_t used = 0;
        for (const char *const *a = allowed; *a; a++) {
            int w = snprintf(list + used, sizeof list - used, "%s%s", a == allowed ? "" : ", ", *a);
            if (w < 0 || (size_t)w >= sizeof list - used)
                break;
            used += (size_t)w;
        }
        return cfg_fail(err, map->key_nodes[i], "unknown key '%s' (expected one of: %s)",
                        map->keys[i], list);
    }
    return true;
}

const cfg_node *cfg_require(const cfg_node *map, const char *key, cfg_kind kind, cfg_err *err) {
    if (!map || map->kind != CFG_MAP) {
        cfg_fail(err, map, "expected a map with key '%s'", key);
        return NULL;
    }
    const cfg_node *node = cfg_get(map, key);
    if (!node) {
        cfg_fail(err, map, "missing required key '%s'", key);
        return NULL;
    }
    if (node->kind != kind) {
        cfg_fail(err, node, "'%s' must be a %s, not a %s", key, cfg_kind_name(kind),
                 cfg_kind_name(node->kind));
        return NULL;
    }
    return node;
}

/* ---- scalar parsing ---- */

/* Fail at a value node; with a key the message starts with it ("'baud': ..."). */
static bool fail_value(cfg_err *err, const cfg_node *node, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static bool fail_value(cfg_err *err, const cfg_node *node, const char *key, const char *fmt, ...) {
    if (!err)
        return false;
    char text[sizeof err->msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    if (key)
        return cfg_fail(err, node, "'%s': %s", key, text);
    return cfg_fail(err, node, "%s", text);
}

static bool need_scalar(const cfg_node *node, const char *key, const char *what, cfg_err *err) {
    if (node && node->kind == CFG_SCALAR)
        return true;
    if (!node)
        return fail_value(err, NULL, key, "expected %s", what);
    return fail_value(err, node, key, "expected %s, got a %s", what, cfg_kind_name(node->kind));
}

/* Decimal or 0x hex, optional sign; false when malformed, *overflow when too big. */
static bool parse_int(const char *s, long long *out, bool *overflow) {
    *overflow = false;
    bool negative = false;
    if (*s == '+' || *s == '-')
        negative = *s++ == '-';
    int base = 10;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
    }
    if (!isxdigit((unsigned char)*s))
        return false;
    errno = 0;
    char *end;
    unsigned long long mag = strtoull(s, &end, base);
    if (*end != '\0')
        return false;
    if (errno == ERANGE || mag > (unsigned long long)LLONG_MAX + (negative ? 1u : 0u)) {
        *overflow = true;
        return true;
    }
    *out = negative ? (long long)(0 - mag) : (long long)mag;
    return true;
}

static bool int_value(const cfg_node *node, const char *key, long long min, long long max,
                      long long *out, cfg_err *err) {
    if (!need_scalar(node, key, "an integer", err))
        return false;
    long long v = 0;
    bool overflow;
    if (!parse_int(node->scalar, &v, &overflow))
        return fail_value(err, node, key, "expected an integer, got '%s'", node->scalar);
    if (overflow || v < min || v > max)
        return fail_value(err, node, key, "%s is out of range (allowed: %lld..%lld)", node->scalar,
                          min, max);
    *out = v;
    return true;
}

static bool double_value(const cfg_node *node, const char *key, double *out, cfg_err *err) {
    if (!need_scalar(node, key, "a number", err))
        return false;
    const char *s = node->scalar;
    errno = 0;
    char *end;
    double v = strtod(s, &end);
    if (end == s || *end != '\0' || isspace((unsigned char)*s) || !isfinite(v))
        return fail_value(err, node, key, "expected a number, got '%s'", s);
    *out = v;
    return true;
}

static bool bool_value(const cfg_node *node, const char *key, bool *out, cfg_err *err) {
    if (!need_scalar(node, key, "true or false", err))
        return false;
    static const char *const yes[] = {"true", "yes", "on"};
    static const char *const no[] = {"false", "no", "off"};
    for (int i = 0; i < 3; i++) {
        if (strcasecmp(node->scalar, yes[i]) == 0) {
            *out = true;
            return true;
        }
        if (strcasecmp(node->scalar, no[i]) == 0) {
            *out = false;
            return true;
        }
    }
    return fail_value(err, node, key, "expected true/false (or yes/no, on/off), got '%s'",
                      node->scalar);
}

/* ---- durations ---- */

static bool unit_ns(const char *unit, int64_t *ns) {
    static const struct {
        const char *name;
        int64_t ns;
    } units[] = {
        {"", NS_PER_S}, /* a bare number means seconds */
        {"ns", 1},
        {"us", NS_PER_US},
        {"ms", NS_PER_MS},
        {"s", NS_PER_S},
        {"m", 60 * NS_PER_S},
        {"h", 3600 * NS_PER_S},
        {"d", 86400 * NS_PER_S},
    };
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (strcmp(unit, units[i].name) == 0) {
            *ns = units[i].ns;
            return true;
        }
    }
    return false;
}

/* Integer and fraction digits are kept apart so "1.5s" is exactly 1500000000. */
bool cfg_parse_duration_ns(const char *text, int64_t *out) {
    if (!text)
        return false;
    const char *s = text;
    if (!isdigit((unsigned char)*s))
        return false;
    int64_t whole = 0;
    for (; isdigit((unsigned char)*s); s++) {
        if (whole > (INT64_MAX - 9) / 10)
            return false;
        whole = whole * 10 + (*s - '0');
    }
    int64_t frac = 0, frac_div = 1;
    if (*s == '.') {
        s++;
        if (!isdigit((unsigned char)*s))
            return false;
        for (; isdigit((unsigned char)*s); s++) {
            if (frac_div <= INT64_MAX / 100) { /* ignore digits beyond 1e-17 */
                frac = frac * 10 + (*s - '0');
                frac_div *= 10;
            }
        }
    }
    while (*s == ' ')
        s++;
    int64_t unit;
    if (!unit_ns(s, &unit))
        return false;
    if (whole > INT64_MAX / unit)
        return false;
    int64_t ns = whole * unit;
    /* frac/frac_div * unit without overflow: unit <= 8.64e13, frac < frac_div. */
    long double part = (long double)frac * (long double)unit / (long double)frac_div;
    int64_t extra = (int64_t)(part + 0.5L);
    if (ns > INT64_MAX - extra)
        return false;
    *out = ns + extra;
    return true;
}

static bool duration_value(const cfg_node *node, const char *key, int64_t *out, cfg_err *err) {
    if (!need_scalar(node, key, "a duration", err))
        return false;
    if (!cfg_parse_duration_ns(node->scalar, out))
        return fail_value(err, node, key,
                          "expected a duration like 100us, 500ms, 2s, 1.5s, 15m, 1h, 1d, got '%s'",
                          node->scalar);
    return true;
}

bool cfg_node_int(const cfg_node *node, long long min, long long max, long long *out,
                  cfg_err *err) {
    return int_value(node, NULL, min, max, out, err);
}

bool cfg_node_double(const cfg_node *node, double *out, cfg_err *err) {
    return double_value(node, NULL, out, err);
}

bool cfg_node_bool(const cfg_node *node, bool *out, cfg_err *err) {
    return bool_value(node, NULL, out, err);
}

bool cfg_node_duration_ns(const cfg_node *node, int64_t *out, cfg_err *err) {
    return duration_value(node, NULL, out, err);
}

/* ---- keyed getters ---- */

bool cfg_str(const cfg_node *map, const char *key, const char *def, const char **out,
             cfg_err *err) {
    const cfg_node *node = cfg_get(map, key);
    if (!node) {
        *out = def;
        return true;
    }
    if (node->kind != CFG_SCALAR)
        return cfg_fail(err, node, "'%s' must be a string, not a %s", key,
                        cfg_kind_name(node->kind));
    *out = node->scalar;
    return true;
}

bool cfg_int(const cfg_node *map, const char *key, long long def, long long min, long long max,
             long long *out, cfg_err *err) {
    const cfg_node *node = cfg_get(map, key);
    if (!node) {
        *out = def;
        return true;
    }
    return int_value(node, key, min, max, out, err);
}

bool cfg_double(const cfg_node *map, const char *key, double def, double *out, cfg_err *err) {
    const cfg_node *node = cfg_get(map, key);
    if (!node) {
        *out = def;
        return true;
    }
    return double_value(node, key, out, err);
}

bool cfg_bool(const cfg_node *map, const char *key, bool def, bool *out, cfg_err *err) {
    const cfg_node *node = cfg_get(map, key);
    if (!node) {
        *out = def;
        return true;
    }
    return bool_value(node, key, out, err);
}

bool cfg_duration_ns(const cfg_node *map, const char *key, int64_t def, int64_t *out,
                     cfg_err *err) {
    const cfg_node *node = cfg_get(map, key);
    if (!node) {
        *out = def;
        return true;
    }
    return duration_value(node, key, out, err);
}
