/* radio_bench: air, radio meters, radio modules and their checks (see radio_bench.h). */
#include "sim/wmbus/radio_bench.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sim/wmbus/air.h"
#include "core/clock.h"
#include "sim/wmbus/im871a_emu.h"
#include "sim/wmbus/radio_junk.h"
#include "sim/wmbus/radio_meter.h"
#include "codec/wmbus/wmbus_build.h"

typedef struct range_check {
    const char *name;  /* stat name */
    long long min, max;
} range_check;

#define MAX_RANGES 10 /* one per stat a check can name */

typedef struct radio_check {
    const cfg_node *node;
    bool aloha;
    const char *module, *point;
    double tolerance;
    range_check ranges[MAX_RANGES];
    size_t n_ranges;
} radio_check;

struct radio_plan {
    uint64_t seed;
    im871a_spec *modules;
    size_t n_modules;
    radio_meter_spec *meters;
    size_t n_meters;
    radio_junk_spec *junk;
    size_t n_junk;
    radio_check *checks;
    size_t n_checks;
};

struct radio_bench {
    const radio_plan *plan;
    gw_loop *loop;
    trace *tr;
    air air;
    bool air_open;
    oms_crypto *crypto;
    im871a_emu *emus;
    size_t n_emus;
    radio_meter *meters;
    radio_junk *junk;
    char (*var_names)[48];
};

/* ---- parsing ----------------------------------------------------------------- */

static bool parse_bcd_id(const cfg_node *n, uint32_t *id, cfg_err *err) {
    if (!n || n->kind != CFG_SCALAR || strlen(n->scalar) != 8 || strspn(n->scalar, "0123456789") != 8)
        return cfg_fail(err, n, "id must be 8 decimal digits");
    *id = (uint32_t)strtoul(n->scalar, NULL, 16);
    return true;
}

static uint32_t bcd_add(uint32_t bcd, unsigned long k) {
    unsigned long v = 0;
    for (int i = 7; i >= 0; i--) v = v * 10 + ((bcd >> (4 * i)) & 15);
    v = (v + k) % 100000000UL;
    uint32_t out = 0;
    for (int i = 0; i < 8; i++, v /= 10) out |= (uint32_t)(v % 10) << (4 * i);
    return out;
}

static bool parse_durations(const cfg_node *list, int64_t *at, int64_t *len, size_t *n, cfg_err *err) {
    if (!list) return true;
    if (list->kind != CFG_SEQ) return cfg_fail(err, list, "a list expected");
    for (size_t i = 0; i < list->n; i++) {
        if (*n == EMU_MAX_FAULTS) return cfg_fail(err, list->items[i], "at most 8 faults of a kind");
        const cfg_node *it = list->items[i];
        if (len) {
            static const char *const keys[] = {"at", "for", NULL};
            if (it->kind != CFG_MAP || !cfg_only_keys(it, keys, err) ||
                !cfg_require(it, "at", CFG_SCALAR, err) || !cfg_require(it, "for", CFG_SCALAR, err) ||
                !cfg_duration_ns(it, "at", 0, &at[*n], err) || !cfg_duration_ns(it, "for", 0, &len[*n], err))
                return it->kind == CFG_MAP ? false : cfg_fail(err, it, "a map {at, for} expected");
        } else if (!cfg_node_duration_ns(it, &at[*n], err)) {
            return false;
        }
        (*n)++;
    }
    return true;
}

static bool parse_module(radio_plan *p, const cfg_node *m, cfg_err *err) {
    static const char *const keys[] = {"name", "baud", "default_mode", "capture_db", "sensitivity",
                                       "faults", NULL};
    static const char *const fkeys[] = {"dead", "resets", NULL};
    if (m->kind != CFG_MAP) return cfg_fail(err, m, "a radio module must be a map");
    im871a_spec *s = &p->modules[p->n_modules];
    memset(s, 0, sizeof *s);
    const char *name, *mode;
    long long baud;
    if (!cfg_only_keys(m, keys, err) || !cfg_require(m, "name", CFG_SCALAR, err) ||
        !cfg_str(m, "name", NULL, &name, err) || !cfg_int(m, "baud", 57600, 9600, 115200, &baud, err) ||
        !cfg_str(m, "default_mode", "S1", &mode, err) ||
        !cfg_double(m, "capture_db", 6.0, &s->capture_db, err) ||
        !cfg_double(m, "sensitivity", -110.0, &s->sensitivity_dbm, err))
        return false;
    snprintf(s->name, sizeof s->name, "%s", name);
    s->baud = (unsigned)baud;
    s->default_mode = im_mode_parse(mode);
    if (s->default_mode < 0) return cfg_fail(err, cfg_get(m, "default_mode"), "unknown link mode %s", mode);
    const cfg_node *f = cfg_get(m, "faults");
    if (f && (f->kind != CFG_MAP || !cfg_only_keys(f, fkeys, err) ||
              !parse_durations(cfg_get(f, "dead"), s->dead_at, s->dead_for, &s->n_dead, err) ||
              !parse_durations(cfg_get(f, "resets"), s->reset_at, NULL, &s->n_resets, err)))
        return f->kind == CFG_MAP ? false : cfg_fail(err, f, "faults must be a map");
    p->n_modules++;
    return true;
}

static bool parse_security(const cfg_node *m, radio_meter_spec *s, cfg_err *err) {
    long long security;
    const char *key;
    if (!cfg_int(m, "security", 0, 0, 7, &security, err) || !cfg_str(m, "key", NULL, &key, err) ||
        !cfg_bool(m, "corrupt_mac", false, &s->corrupt_mac, err))
        return false;
    if (security != 0 && security != 5 && security != 7)
        return cfg_fail(err, cfg_get(m, "security"), "security must be 0, 5 or 7");
    s->security = (unsigned)security;
    if (key) {
        long n = hex_parse(key, s->key, sizeof s->key);
        if (n != 16) return cfg_fail(err, cfg_get(m, "key"), "key must be 32 hex characters");
        s->has_key = true;
    }
    if (s->security && !s->has_key)
        return cfg_fail(err, m, "an encrypting meter (security 5 or 7) needs its key");
    return true;
}

static bool parse_fixtures(const cfg_node *m, const scenario_paths *paths, radio_meter_spec *s,
                           cfg_err *err) {
    const cfg_node *files = cfg_get(m, "telegrams");
    if (!files) return true;
    if (files->kind != CFG_SEQ) return cfg_fail(err, files, "telegrams must be a list of files");
    for (size_t i = 0; i < files->n; i++) {
        const cfg_node *f = files->items[i];
        char path[PATH_MAX], msg[512];
        if (f->kind != CFG_SCALAR) return cfg_fail(err, f, "a telegram file name expected");
        if (!scenario_path(paths, f, "telegram file", path, sizeof path, err)) return false;
        if (hexfile_load(path, &s->fixtures, msg, sizeof msg) < 0) return cfg_fail(err, f, "%s", msg);
    }
    return true;
}

static bool parse_meter_base(const cfg_node *m, const scenario_paths *paths, radio_meter_spec *s,
                             long long *count, double *spread, cfg_err *err) {
    static const char *const keys[] = {"name", "mode", "id", "manufacturer", "version", "device_type",
                                       "interval", "jitter", "offset", "rssi", "rssi_spread",
                                       "security", "key", "corrupt_mac", "volume", "step", "telegrams",
                                       "count", "resend", "resend_gap", "format", "stop", NULL};
    const char *name, *mode, *man, *format;
    long long version, type, volume, step, resend;
    if (m->kind != CFG_MAP) return cfg_fail(err, m, "a radio meter must be a map");
    if (!cfg_only_keys(m, keys, err) || !cfg_require(m, "name", CFG_SCALAR, err) ||
        !cfg_str(m, "name", NULL, &name, err) || !cfg_str(m, "mode", "T1", &mode, err) ||
        !parse_bcd_id(cfg_get(m, "id"), &s->id_bcd, err) ||
        !cfg_str(m, "manufacturer", "KAM", &man, err) ||
        !cfg_int(m, "version", 1, 0, 255, &version, err) ||
        !cfg_int(m, "device_type", 7, 0, 255, &type, err) ||
        !cfg_duration_ns(m, "interval", 60 * NS_PER_S, &s->interval_ns, err) ||
        !cfg_duration_ns(m, "jitter", 0, &s->jitter_ns, err) ||
        !cfg_duration_ns(m, "offset", -1, &s->offset_ns, err) ||
        !cfg_duration_ns(m, "stop", 0, &s->stop_ns, err) ||
        !cfg_double(m, "rssi", -70, &s->rssi_dbm, err) || !cfg_double(m, "rssi_spread", 0, spread, err) ||
        !cfg_int(m, "volume", 1000, 0, 1000000000, &volume, err) ||
        !cfg_int(m, "step", 10, 0, 1000000, &step, err) ||
        !cfg_int(m, "count", 1, 1, 100000, count, err) ||
        !cfg_int(m, "resend", 0, 0, 10, &resend, err) ||
        !cfg_duration_ns(m, "resend_gap", 50 * NS_PER_MS, &s->resend_gap_ns, err) ||
        !cfg_str(m, "format", NULL, &format, err) || !parse_security(m, s, err) ||
        !parse_fixtures(m, paths, s, err))
        return false;
    int md = air_mode_parse(mode);
    if (md < 0) return cfg_fail(err, cfg_get(m, "mode"), "mode must be S1, T1 or C1");
    if (s->interval_ns <= 0) return cfg_fail(err, cfg_get(m, "interval"), "interval must be positive");
    if (!(s->manufacturer = wmbus_manufacturer_code(man)))
        return cfg_fail(err, cfg_get(m, "manufacturer"), "manufacturer must be three capital letters");
    snprintf(s->name, sizeof s->name, "%s", name);
    s->mode = (air_mode)md;
    s->format = air_mode_get(s->mode)->format;
    if (format && (strcmp(format, "A") == 0 || strcmp(format, "B") == 0))
        s->format = format[0] == 'A' ? WMBUS_FMT_A : WMBUS_FMT_B;
    else if (format)
        return cfg_fail(err, cfg_get(m, "format"), "format must be A or B");
    s->version = (uint8_t)version, s->device_type = (uint8_t)type;
    s->volume = volume, s->step = step, s->resend = (unsigned)resend;
    return true;
}

static bool parse_meter(radio_plan *p, const cfg_node *m, const scenario_paths *paths, cfg_err *err) {
    radio_meter_spec s;
    memset(&s, 0, sizeof s);
    long long count;
    double spread;
    if (!parse_meter_base(m, paths, &s, &count, &spread, err)) {
        telegram_list_free(&s.fixtures);
        return false;
    }
    radio_meter_spec *all = realloc(p->meters, (p->n_meters + (size_t)count) * sizeof *all);
    if (!all) {
        telegram_list_free(&s.fixtures);
        return cfg_fail(err, m, "out of memory");
    }
    p->meters = all;
    uint64_t rng = p->seed ^ 0xA5A5A5A5ULL ^ p->n_meters;
    for (long long k = 0; k < count; k++) {
        radio_meter_spec *t = &p->meters[p->n_meters++];
        *t = s;
        memset(&t->fixtures, 0, sizeof t->fixtures);
        for (size_t i = 0; i < s.fixtures.n; i++)
            telegram_list_add(&t->fixtures, s.fixtures.items[i].bytes, s.fixtures.items[i].len);
        t->id_bcd = bcd_add(s.id_bcd, (unsigned long)k);
        if (count > 1) snprintf(t->name, sizeof t->name, "%.38s%04u", s.name, (unsigned)(k + 1) % 10000u);
        if (spread > 0)
            t->rssi_dbm = s.rssi_dbm + (double)radio_rng_range(&rng, -1000, 1000) / 1000.0 * spread;
    }
    telegram_list_free(&s.fixtures);
    return true;
}

/* A hostile transmitter (radio_junk.h). */
static bool parse_junk(radio_plan *p, const cfg_node *j, cfg_err *err) {
    static const char *const keys[] = {"name", "mode", "kind", "interval", "jitter", "offset", "stop",
                                       "min_length", "max_length", "rssi", "id", "manufacturer",
                                       "version", "device_type", NULL};
    if (j->kind != CFG_MAP) return cfg_fail(err, j, "a junk transmitter must be a map");
    radio_junk_spec *s = &p->junk[p->n_junk];
    memset(s, 0, sizeof *s);
    const char *name, *mode, *kind, *man;
    long long min_len, max_len, version, type;
    if (!cfg_only_keys(j, keys, err) || !cfg_require(j, "name", CFG_SCALAR, err) ||
        !cfg_str(j, "name", NULL, &name, err) || !cfg_str(j, "mode", "T1", &mode, err) ||
        !cfg_str(j, "kind", "random", &kind, err) ||
        !cfg_duration_ns(j, "interval", 100 * NS_PER_MS, &s->interval_ns, err) ||
        !cfg_duration_ns(j, "jitter", -1, &s->jitter_ns, err) ||
        !cfg_duration_ns(j, "offset", 0, &s->offset_ns, err) || !cfg_duration_ns(j, "stop", 0, &s->stop_ns, err) ||
        !cfg_int(j, "min_length", 31, 1, 256, &min_len, err) ||
        !cfg_int(j, "max_length", 64, 1, 256, &max_len, err) || !cfg_double(j, "rssi", -80, &s->rssi_dbm, err) ||
        !cfg_str(j, "manufacturer", "KAM", &man, err) || !cfg_int(j, "version", 1, 0, 255, &version, err) ||
        !cfg_int(j, "device_type", 7, 0, 255, &type, err))
        return false;
    int md = air_mode_parse(mode), kd = radio_junk_kind_parse(kind);
    if (md < 0) return cfg_fail(err, cfg_get(j, "mode"), "mode must be S1, T1 or C1");
    if (kd < 0) return cfg_fail(err, cfg_get(j, "kind"), "kind must be random, crc or spoof");
    if (s->interval_ns <= 0) return cfg_fail(err, cfg_get(j, "interval"), "interval must be positive");
    if (s->jitter_ns < 0) s->jitter_ns = s->interval_ns / 2;
    if (s->jitter_ns >= s->interval_ns) return cfg_fail(err, cfg_get(j, "jitter"), "jitter must be below the interval");
    /* crc: at least the first CRC block; spoof: link header, short TPL and one AES block */
    long long least = kd == JUNK_RANDOM ? 1 : kd == JUNK_CRC ? 11 : 31;
    if (min_len < least || max_len < min_len)
        return cfg_fail(err, cfg_get(j, "min_length") ? cfg_get(j, "min_length") : j,
                        "lengths must satisfy %lld <= min_length <= max_length for kind %s", least, kind);
    if (kd == JUNK_SPOOF && !parse_bcd_id(cfg_get(j, "id"), &s->id_bcd, err)) return false;
    if (!(s->manufacturer = wmbus_manufacturer_code(man)))
        return cfg_fail(err, cfg_get(j, "manufacturer"), "manufacturer must be three capital letters");
    snprintf(s->name, sizeof s->name, "%s", name);
    s->mode = (air_mode)md, s->kind = (radio_junk_kind)kd;
    s->min_len = (size_t)min_len, s->max_len = (size_t)max_len;
    s->version = (uint8_t)version, s->device_type = (uint8_t)type;
    p->n_junk++;
    return true;
}

static bool parse_range(const cfg_node *c, const char *key, radio_check *ck, cfg_err *err) {
    const cfg_node *r = cfg_get(c, key);
    if (!r) return true;
    range_check *rc = &ck->ranges[ck->n_ranges++];
    rc->name = key;
    if (r->kind == CFG_SCALAR) {
        if (!cfg_node_int(r, 0, LLONG_MAX, &rc->min, err)) return false;
        rc->max = rc->min;
        return true;
    }
    static const char *const keys[] = {"min", "max", NULL};
    return r->kind == CFG_MAP && cfg_only_keys(r, keys, err) &&
           cfg_int(r, "min", 0, 0, LLONG_MAX, &rc->min, err) &&
           cfg_int(r, "max", LLONG_MAX, 0, LLONG_MAX, &rc->max, err);
}

static bool parse_check(radio_plan *p, const cfg_node *c, cfg_err *err) {
    static const char *const keys[] = {"aloha", "module", "caught", "collided", "other_mode",
                                       "while_dead", "too_weak", "sent", "baud_mismatches",
                                       "crc_errors", "junk_sent", NULL};
    static const char *const akeys[] = {"module", "point", "tolerance", NULL};
    radio_check *ck = &p->checks[p->n_checks];
    memset(ck, 0, sizeof *ck);
    ck->node = c;
    if (c->kind != CFG_MAP || !cfg_only_keys(c, keys, err))
        return c->kind == CFG_MAP ? false : cfg_fail(err, c, "a check must be a map");
    const cfg_node *a = cfg_get(c, "aloha");
    if (a) {
        ck->aloha = true;
        if (a->kind != CFG_MAP || !cfg_only_keys(a, akeys, err) || !cfg_require(a, "point", CFG_SCALAR, err) ||
            !cfg_str(a, "module", NULL, &ck->module, err) || !cfg_str(a, "point", NULL, &ck->point, err) ||
            !cfg_double(a, "tolerance", 0.03, &ck->tolerance, err))
            return a->kind == CFG_MAP ? false : cfg_fail(err, a, "aloha must be a map");
    } else {
        static const char *const stats[] = {"caught", "collided", "other_mode", "while_dead", "too_weak",
                                            "sent", "baud_mismatches", "crc_errors", "junk_sent"};
        if (!cfg_require(c, "module", CFG_SCALAR, err) || !cfg_str(c, "module", NULL, &ck->module, err))
            return false;
        for (size_t i = 0; i < sizeof stats / sizeof stats[0]; i++)
            if (!parse_range(c, stats[i], ck, err)) return false;
    }
    bool known = false;
    for (size_t i = 0; i < p->n_modules; i++) known = known || (ck->module && strcmp(p->modules[i].name, ck->module) == 0);
    if (!known) return cfg_fail(err, c, "check names no radio module of the plant");
    p->n_checks++;
    return true;
}

radio_plan *radio_plan_parse(const cfg_node *node, const scenario_paths *paths, cfg_err *err) {
    static const char *const keys[] = {"seed", "modules", "meters", "junk", "verify", NULL};
    if (node->kind != CFG_MAP) {
        cfg_fail(err, node, "wmbus must be a map");
        return NULL;
    }
    radio_plan *p = calloc(1, sizeof *p);
    const cfg_node *mods = cfg_get(node, "modules"), *meters = cfg_get(node, "meters"),
                   *verify = cfg_get(node, "verify"), *junk = cfg_get(node, "junk");
    long long seed;
    bool ok = p && cfg_only_keys(node, keys, err) && cfg_int(node, "seed", 1, 0, LLONG_MAX, &seed, err);
    if (ok && (!mods || mods->kind != CFG_SEQ || mods->n == 0))
        ok = cfg_fail(err, mods ? mods : node, "modules must be a list of radio modules");
    if (ok && ((meters && meters->kind != CFG_SEQ) || (verify && verify->kind != CFG_SEQ)))
        ok = cfg_fail(err, meters && meters->kind != CFG_SEQ ? meters : verify, "a list expected");
    if (ok && junk && junk->kind != CFG_SEQ) ok = cfg_fail(err, junk, "a list expected");
    if (ok) {
        p->seed = (uint64_t)seed;
        p->modules = calloc(mods->n, sizeof *p->modules);
        p->checks = calloc(verify ? verify->n + 1 : 1, sizeof *p->checks);
        p->junk = calloc(junk ? junk->n + 1 : 1, sizeof *p->junk);
        ok = p->modules && p->checks && p->junk;
    }
    for (size_t i = 0; ok && i < mods->n; i++) ok = parse_module(p, mods->items[i], err);
    for (size_t i = 0; ok && meters && i < meters->n; i++) ok = parse_meter(p, meters->items[i], paths, err);
    for (size_t i = 0; ok && junk && i < junk->n; i++) ok = parse_junk(p, junk->items[i], err);
    for (size_t i = 0; ok && verify && i < verify->n; i++) ok = parse_check(p, verify->items[i], err);
    if (!ok) {
        radio_plan_free(p);
        return NULL;
    }
    return p;
}

void radio_plan_free(radio_plan *p) {
    if (!p) return;
    for (size_t i = 0; i < p->n_meters; i++) telegram_list_free(&p->meters[i].fixtures);
    free(p->meters);
    free(p->modules);
    free(p->junk);
    free(p->checks);
    free(p);
}

size_t radio_plan_modules(const radio_plan *p) {
    return p ? p->n_modules : 0;
}

/* ---- running ------------------------------------------------------------------- */

radio_bench *radio_bench_new(const radio_plan *p, gw_loop *loop, trace *tr, char *err, size_t errlen) {
    radio_bench *b = calloc(1, sizeof *b);
    if (!b) return NULL;
    b->plan = p;
    b->loop = loop;
    b->tr = tr;
    b->emus = calloc(p->n_modules, sizeof *b->emus);
    b->meters = calloc(p->n_meters ? p->n_meters : 1, sizeof *b->meters);
    b->junk = calloc(p->n_junk ? p->n_junk : 1, sizeof *b->junk);
    b->var_names = calloc(p->n_modules, sizeof *b->var_names);
    b->crypto = oms_crypto_new();
    if (!b->emus || !b->meters || !b->junk || !b->var_names || !b->crypto) {
        snprintf(err, errlen, "out of memory");
        radio_bench_free(b);
        return NULL;
    }
    if (air_open(&b->air, loop, err, errlen) < 0) {
        radio_bench_free(b);
        return NULL;
    }
    b->air_open = true;
    for (size_t i = 0; i < p->n_modules; i++) {
        if (im871a_emu_open(&b->emus[i], &p->modules[i], loop, tr, err, errlen) < 0) {
            radio_bench_free(b);
            return NULL;
        }
        b->n_emus++;
        snprintf(b->var_names[i], sizeof b->var_names[i], "radio:%s", p->modules[i].name);
    }
    for (size_t i = 0; i < p->n_meters; i++)
        radio_meter_init(&b->meters[i], &p->meters[i], (uint32_t)i, p->seed, &b->air, b->crypto, loop,
                         p->n_meters > 50 ? NULL : tr); /* a dense cell would drown the trace */
    for (size_t i = 0; i < p->n_junk; i++)
        radio_junk_init(&b->junk[i], &p->junk[i], (uint32_t)(p->n_meters + i), p->seed, &b->air, loop, tr);
    return b;
}

const char *radio_bench_var_name(const radio_bench *b, size_t i) {
    return b->var_names[i];
}

const char *radio_bench_var_value(const radio_bench *b, size_t i) {
    return im871a_emu_path(&b->emus[i]);
}

int radio_bench_start(radio_bench *b, char *err, size_t errlen) {
    for (size_t i = 0; i < b->n_emus; i++)
        if (im871a_emu_start(&b->emus[i], &b->air) < 0) {
            snprintf(err, errlen, "radio module %s: cannot start", b->plan->modules[i].name);
            return -1;
        }
    for (size_t i = 0; i < b->plan->n_meters; i++) radio_meter_start(&b->meters[i]);
    for (size_t i = 0; i < b->plan->n_junk; i++) radio_junk_start(&b->junk[i]);
    return 0;
}

void radio_bench_free(radio_bench *b) {
    if (!b) return;
    for (size_t i = 0; b->meters && i < b->plan->n_meters; i++) radio_meter_stop(&b->meters[i]);
    for (size_t i = 0; b->junk && i < b->plan->n_junk; i++) radio_junk_stop(&b->junk[i]);
    for (size_t i = 0; i < b->n_emus; i++) im871a_emu_close(&b->emus[i]);
    if (b->air_open) air_close(&b->air);
    oms_crypto_free(b->crypto);
    free(b->emus);
    free(b->meters);
    free(b->junk);
    free(b->var_names);
    free(b);
}

/* ---- checks ------------------------------------------------------------------ */

static const im871a_emu *emu_named(const radio_bench *b, const char *name) {
    for (size_t i = 0; i < b->n_emus; i++)
        if (strcmp(b->plan->modules[i].name, name) == 0) return &b->emus[i];
    return NULL;
}

static uint64_t stat_of(const radio_bench *b, const im871a_emu *e, const char *name) {
    const im871a_stats *s = &e->stats;
    if (!strcmp(name, "caught")) return s->caught;
    if (!strcmp(name, "collided")) return s->collided;
    if (!strcmp(name, "other_mode")) return s->other_mode;
    if (!strcmp(name, "while_dead")) return s->while_dead;
    if (!strcmp(name, "too_weak")) return s->too_weak;
    if (!strcmp(name, "baud_mismatches")) return s->baud_mismatches;
    if (!strcmp(name, "crc_errors")) return s->crc_errors;
    uint64_t sent = 0;
    if (!strcmp(name, "junk_sent")) {
        for (size_t i = 0; i < b->plan->n_junk; i++) sent += b->junk[i].sent;
        return sent;
    }
    for (size_t i = 0; i < b->plan->n_meters; i++) sent += b->meters[i].sent;
    return sent;
}

/* The point's value in the gateway's datahub dump; NAN when absent. */
static double dump_value(const char *dump_path, const char *point) {
    cfg_err err;
    cfg_node *doc = dump_path ? cfg_load_file(dump_path, &err) : NULL;
    const cfg_node *points = cfg_get(doc, "points");
    double v = NAN;
    for (size_t i = 0; points && points->kind == CFG_SEQ && i < points->n; i++) {
        const cfg_node *id = cfg_get(points->items[i], "id"), *val = cfg_get(points->items[i], "value");
        if (id && id->kind == CFG_SCALAR && strcmp(id->scalar, point) == 0 && val && val->kind == CFG_SCALAR)
            v = strtod(val->scalar, NULL);
    }
    cfg_free(doc);
    return v;
}

/* Pure ALOHA with the bench's own air times: a transmission of length T_i
 * survives when no other starts within (start - T_j, start + T_i); with the
 * channel's transmissions arriving at rate λ and mean length T̄ that is
 * exp(-λ (T_i + T̄)). The sum over all transmissions is the expectation. */
static double aloha_expectation(const radio_bench *b, double duration_s, uint64_t *n_out) {
    uint64_t n = 0;
    double total_s = 0;
    for (size_t i = 0; i < b->plan->n_meters; i++) {
        n += b->meters[i].sent;
        total_s += (double)b->meters[i].airtime_ns / 1e9;
    }
    *n_out = n;
    if (n == 0 || duration_s <= 0) return 0;
    double lambda = (double)(n - 1) / duration_s, mean = total_s / (double)n, expected = 0;
    for (size_t i = 0; i < b->plan->n_meters; i++) {
        const radio_meter *m = &b->meters[i];
        if (!m->sent) continue;
        double t_i = (double)m->airtime_ns / 1e9 / (double)m->sent;
        expected += (double)m->sent * exp(-lambda * (t_i + mean));
    }
    return expected;
}

static void eval_aloha(radio_bench *b, const radio_check *ck, const char *dump, radio_verdict_fn v, void *arg) {
    char text[512];
    uint64_t n;
    double duration_s = (double)clock_mono_ns() / 1e9; /* the bench clock started at 0 */
    double expected = aloha_expectation(b, duration_s, &n);
    double observed = dump_value(dump, ck->point);
    const im871a_emu *e = emu_named(b, ck->module);
    double dev = expected > 0 ? fabs(observed - expected) / expected : INFINITY;
    bool ok = !isnan(observed) && dev <= ck->tolerance;
    snprintf(text, sizeof text,
             "aloha %s: %llu transmissions, expected received %.1f (%.2f %%) from the air times, "
             "gateway %s = %.0f (deviation %.2f %%, tolerance %.2f %%); module caught %llu, collided %llu",
             ck->module, (unsigned long long)n, expected, n ? 100.0 * expected / (double)n : 0.0,
             ck->point, observed, 100.0 * dev, 100.0 * ck->tolerance,
             (unsigned long long)(e ? e->stats.caught : 0), (unsigned long long)(e ? e->stats.collided : 0));
    v(arg, ok, text);
}

void radio_bench_evaluate(radio_bench *b, const char *dump_path, radio_verdict_fn v, void *arg) {
    for (size_t i = 0; i < b->plan->n_checks; i++) {
        const radio_check *ck = &b->plan->checks[i];
        if (ck->aloha) {
            eval_aloha(b, ck, dump_path, v, arg);
            continue;
        }
        const im871a_emu *e = emu_named(b, ck->module);
        for (size_t k = 0; k < ck->n_ranges; k++) {
            const range_check *rc = &ck->ranges[k];
            uint64_t got = stat_of(b, e, rc->name);
            bool ok = got >= (uint64_t)rc->min && got <= (uint64_t)rc->max;
            char text[256], want[64];
            if (rc->min == rc->max) snprintf(want, sizeof want, "%lld", rc->min);
            else if (rc->max == LLONG_MAX) snprintf(want, sizeof want, ">= %lld", rc->min);
            else snprintf(want, sizeof want, "%lld..%lld", rc->min, rc->max);
            snprintf(text, sizeof text, "radio %s %s: expected %s, observed %llu", ck->module, rc->name,
                     want, (unsigned long long)got);
            v(arg, ok, text);
        }
    }
}

/* ---- access for other transmitters (replay.h) ------------------------------- */

air *radio_bench_air(radio_bench *b) {
    return b && b->air_open ? &b->air : NULL;
}

const im871a_stats *radio_bench_module_stats(const radio_bench *b, const char *module) {
    const im871a_emu *e = b ? emu_named(b, module) : NULL;
    return e ? &e->stats : NULL;
}
