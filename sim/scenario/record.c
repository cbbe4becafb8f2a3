/* record: results of a run and the sidecar of recorded expected results (record.h). */
#include "sim/scenario/record.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "core/config.h"
#include "core/json_write.h"

int results_put(result_set *rs, const char *key, const char *value) {
    if (rs->sorted) {
        size_t lo = 0, hi = rs->n;
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            int c = strcmp(rs->keys[mid], key);
            if (c == 0) {
                char *v = strdup(value);
                if (!v) return -1;
                free(rs->values[mid]);
                rs->values[mid] = v;
                return 0;
            }
            if (c < 0) lo = mid + 1;
            else hi = mid;
        }
        rs->sorted = false; /* a new key: sort again before lookups */
    }
    if (rs->n == rs->cap) {
        size_t cap = rs->cap ? rs->cap * 2 : 64;
        char **k = realloc(rs->keys, cap * sizeof *k);
        if (!k) return -1;
        rs->keys = k;
        char **v = realloc(rs->values, cap * sizeof *v);
        if (!v) return -1;
        rs->values = v;
        rs->cap = cap;
    }
    rs->keys[rs->n] = strdup(key);
    rs->values[rs->n] = strdup(value);
    if (!rs->keys[rs->n] || !rs->values[rs->n]) {
        free(rs->keys[rs->n]);
        free(rs->values[rs->n]);
        return -1;
    }
    rs->n++;
    return 0;
}

typedef struct kv {
    char *key, *value;
    size_t order;
} kv;

static int by_key(const void *a, const void *b) {
    const kv *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    if (c) return c;
    return x->order < y->order ? -1 : x->order > y->order;
}

void results_sort(result_set *rs) {
    kv *all = malloc((rs->n ? rs->n : 1) * sizeof *all);
    if (!all) return;
    for (size_t i = 0; i < rs->n; i++) all[i] = (kv){rs->keys[i], rs->values[i], i};
    qsort(all, rs->n, sizeof *all, by_key);
    size_t out = 0;
    for (size_t i = 0; i < rs->n; i++) {
        if (i + 1 < rs->n && strcmp(all[i].key, all[i + 1].key) == 0) {
            free(all[i].key); /* an older value of the same key */
            free(all[i].value);
            continue;
        }
        rs->keys[out] = all[i].key;
        rs->values[out] = all[i].value;
        out++;
    }
    rs->n = out;
    rs->sorted = true;
    free(all);
}

const char *results_get(const result_set *rs, const char *key) {
    size_t lo = 0, hi = rs->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(rs->keys[mid], key);
        if (c == 0) return rs->values[mid];
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    return NULL;
}

void results_free(result_set *rs) {
    for (size_t i = 0; i < rs->n; i++) {
        free(rs->keys[i]);
        free(rs->values[i]);
    }
    free(rs->keys);
    free(rs->values);
    memset(rs, 0, sizeof *rs);
}

void results_number(double v, char *out, size_t cap) {
    if (!isfinite(v)) snprintf(out, cap, "null");
    else snprintf(out, cap, "%.10g", v == 0 ? 0.0 : v); /* no "-0" */
}

static const char *scalar(const cfg_node *m, const char *key) {
    const cfg_node *n = cfg_get(m, key);
    return n && n->kind == CFG_SCALAR ? n->scalar : NULL;
}

/* A number written unquoted is shown with results_number; text as it is. */
static void value_text(const cfg_node *v, char *out, size_t cap) {
    if (!v) {
        snprintf(out, cap, "null");
        return;
    }
    if (v->kind != CFG_SCALAR) {
        snprintf(out, cap, "(structured)");
        return;
    }
    char *end;
    double d = strtod(v->scalar, &end);
    if (!v->quoted && end != v->scalar && *end == '\0') results_number(d, out, cap);
    else snprintf(out, cap, "%s", v->scalar);
}

int results_from_dump(result_set *rs, const char *dump_path, char *err, size_t errlen) {
    cfg_err cerr;
    cfg_node *root = cfg_load_file(dump_path, &cerr);
    if (!root) {
        snprintf(err, errlen, "%s", cerr.msg);
        return -1;
    }
    const cfg_node *points = cfg_get(root, "points");
    int rc = 0;
    for (size_t i = 0; rc == 0 && points && points->kind == CFG_SEQ && i < points->n; i++) {
        const cfg_node *p = points->items[i];
        const char *meter = scalar(p, "meter"), *record = scalar(p, "record");
        const cfg_node *mn = cfg_get(p, "meter");
        if (!meter || !record || !mn->quoted) continue; /* bench counters have meter null */
        const char *quantity = scalar(p, "quantity"), *unit = scalar(p, "unit");
        const char *quality = scalar(p, "quality");
        char key[512], val[256];
        snprintf(key, sizeof key, "meter %s record %s (%s, %s)", meter, record,
                 quantity ? quantity : "?", unit && *unit ? unit : "no unit");
        value_text(cfg_get(p, "value"), val, sizeof val);
        if (quality && strcmp(quality, "0") != 0) {
            size_t l = strlen(val);
            snprintf(val + l, sizeof val - l, " quality %s", quality);
        }
        rc = results_put(rs, key, val);
    }
    cfg_free(root);
    if (rc < 0) snprintf(err, errlen, "out of memory");
    return rc;
}

/* Is ch one of the scenario's Modbus masters? Their trace channel is the
 * master's own name (m1), not "modbus:m1" as the IEC 104 masters' are. */
static bool modbus_master(const char *ch, const char *const *names, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (names[i] && strcmp(names[i], ch) == 0) return true;
    return false;
}

/* A Modbus master's answers are what the gateway sent it, and the requests it
 * left unanswered (the master's "timeout" note): the replay compares both. */
static bool modbus_answer(const trace_rec *r) {
    return r->dir == TRACE_GW_TO_BUS || (r->dir == TRACE_NOTE && strncmp(r->event, "timeout", 7) == 0);
}

/* Frames a gateway sent to a bench master: iec104:NAME channels and the
 * channels of the Modbus masters named. */
int results_from_trace(result_set *rs, const trace *tr, const char *const *modbus_names, size_t n_modbus) {
    unsigned long counts[2] = {0, 0};
    for (size_t i = 0; i < tr->n; i++) {
        const trace_rec *r = &tr->recs[i];
        int proto = strncmp(r->ch, "iec104:", 7) == 0 && r->dir == TRACE_GW_TO_BUS ? 0
                    : modbus_master(r->ch, modbus_names, n_modbus) && modbus_answer(r) ? 1
                                                                                        : -1;
        if (proto < 0) continue;
        char key[128], val[1024], t[32];
        results_number((double)r->t_ns / 1e9, t, sizeof t);
        snprintf(key, sizeof key, "%s %s %s %05lu", proto ? "modbus" : "iec104", proto ? r->ch : r->ch + 7,
                 proto ? "answer" : "frame", ++counts[proto]);
        int n = snprintf(val, sizeof val, "t=%ss %s", t, r->event);
        if (proto == 1 || r->event[0] == '\0')
            for (size_t k = 0; k < r->len && n + 4 < (int)sizeof val; k++)
                n += snprintf(val + n, sizeof val - (size_t)n, " %02X", r->bytes[k]);
        if (results_put(rs, key, val) < 0) return -1;
    }
    return 0;
}

void record_sidecar_path(const char *scenario_path, char *out, size_t cap) {
    size_t len = strlen(scenario_path);
    if (len > 5 && strcmp(scenario_path + len - 5, ".yaml") == 0) len -= 5;
    snprintf(out, cap, "%.*s.expected.json", (int)len, scenario_path);
}

int results_write(const result_set *rs, const char *path, char *err, size_t errlen) {
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f) {
        snprintf(err, errlen, "cannot write %s", tmp);
        return -1;
    }
    fputs("{\n", f);
    for (size_t i = 0; i < rs->n; i++) {
        fputs(" ", f);
        json_write_string(f, rs->keys[i]);
        fputs(": ", f);
        json_write_string(f, rs->values[i]);
        fputs(i + 1 < rs->n ? ",\n" : "\n", f);
    }
    fputs("}\n", f);
    if (fclose(f) != 0 || rename(tmp, path) != 0) {
        snprintf(err, errlen, "cannot write %s", path);
        return -1;
    }
    return 0;
}

int results_load(result_set *rs, const char *path, char *err, size_t errlen) {
    cfg_err cerr;
    cfg_node *root = cfg_load_file(path, &cerr);
    if (!root) {
        snprintf(err, errlen, "%s", cerr.msg);
        return -1;
    }
    int rc = 0;
    if (root->kind != CFG_MAP) {
        snprintf(err, errlen, "%s:1:1: recorded results must be one JSON object", path);
        rc = -1;
    }
    for (size_t i = 0; rc == 0 && i < root->n; i++) {
        const cfg_node *v = root->items[i];
        if (v->kind != CFG_SCALAR) {
            snprintf(err, errlen, "%s:%d:%d: a recorded value must be a string", path, v->line, v->col);
            rc = -1;
        } else if (results_put(rs, root->keys[i], v->scalar) < 0) {
            snprintf(err, errlen, "out of memory");
            rc = -1;
        }
    }
    cfg_free(root);
    if (rc == 0) results_sort(rs);
    return rc;
}
