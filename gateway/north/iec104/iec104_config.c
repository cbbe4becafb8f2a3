/* iec104_config: the `iec104:` section (docs/configuration.md). Defaults are
 * the standard's and CU-XE's: port 2404, common address 1, one connection,
 * synchronous initial poll, t0 30 s, t1 15 s, t2 10 s, t3 20 s, k 12, w 8. */
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "north/iec104/iec104_int.h"

static bool parse_allowed(iec104_config *c, const cfg_node *sec, cfg_err *err) {
    const cfg_node *a = cfg_get(sec, "allowed_ips");
    const cfg_node *one = a && a->kind == CFG_SCALAR ? a : NULL;
    size_t n = !a ? 1 : one ? 1 : a->kind == CFG_SEQ ? a->n : 0;
    if (a && !one && a->kind != CFG_SEQ)
        return cfg_fail(err, a, "allowed_ips must be a pattern or a list of patterns");
    c->allowed = calloc(n ? n : 1, sizeof *c->allowed);
    if (!c->allowed)
        return cfg_fail(err, sec, "out of memory");
    for (size_t i = 0; i < n; i++) {
        const cfg_node *item = !a ? NULL : one ? one : a->items[i];
        if (item && item->kind != CFG_SCALAR)
            return cfg_fail(err, item, "an IP pattern must be a scalar like 192.168.1.* or *.*.*.*");
        const char *text = item ? item->scalar : "*.*.*.*";
        int parts = 0;
        for (const char *p = text; *p; p++)
            if (*p == '.')
                parts++;
        if (parts != 3 || strspn(text, "0123456789.*") != strlen(text))
            return cfg_fail(err, item, "IP pattern %s: four octets, each a number or *", text);
        c->allowed[c->n_allowed++] = strdup(text);
    }
    return true;
}

static bool parse_deadband(iec104_map *m, const cfg_node *row, cfg_err *err) {
    const cfg_node *d = cfg_get(row, "deadband");
    if (!d)
        return m->push != PUSH_DEADBAND ||
               cfg_fail(err, row, "push: deadband needs a deadband (e.g. 0.5 or \"2%%\")");
    if (d->kind != CFG_SCALAR)
        return cfg_fail(err, d, "deadband must be a number, or a percentage like \"2%%\"");
    char *end;
    m->deadband = strtod(d->scalar, &end);
    m->relative = *end == '%';
    if (end == d->scalar || (*end && !(m->relative && end[1] == '\0')) || m->deadband < 0)
        return cfg_fail(err, d, "deadband must be a number >= 0, or a percentage like \"2%%\"");
    return true;
}

static bool parse_row(iec104_map *m, const cfg_node *row, int group, cfg_err *err) {
    static const char *const keys[] = {"type", "point", "ioa", "push", "deadband", "scaling",
                                       NULL};
    if (row->kind != CFG_MAP)
        return cfg_fail(err, row, "a mapping row must be a map (type, point, ioa, ...)");
    const char *type, *point, *push;
    long long ioa;
    if (!cfg_only_keys(row, keys, err) || !cfg_require(row, "type", CFG_SCALAR, err) ||
        !cfg_require(row, "point", CFG_SCALAR, err) || !cfg_require(row, "ioa", CFG_SCALAR, err) ||
        !cfg_str(row, "type", NULL, &type, err) || !cfg_str(row, "point", NULL, &point, err) ||
        !cfg_int(row, "ioa", 0, 1, IEC104_IOA_MAX, &ioa, err) ||
        !cfg_str(row, "push", "change", &push, err) ||
        !cfg_double(row, "scaling", 1.0, &m->scaling, err))
        return false;
    int t = iec104_type_parse(type);
    if (t < 0 || !(iec104_map_is_command((uint8_t)t) || (t < 45 && iec104_type_known((uint8_t)t))))
        return cfg_fail(err, cfg_get(row, "type"),
                        "type %s: expected a monitor type (M_SP_NA_1, M_DP_NA_1, M_ME_NA_1, "
                        "M_ME_NB_1, M_ME_NC_1, M_IT_NA_1 or their _TB_/_TD_/_TE_/_TF_ forms) or "
                        "a command (C_SC_NA_1, C_DC_NA_1)",
                        type);
    m->type = (uint8_t)t;
    m->point = strdup(point);
    m->ioa = (uint32_t)ioa;
    m->group = group;
    m->line = row->line;
    m->col = row->col;
    if (!strcmp(push, "always"))
        m->push = PUSH_ALWAYS;
    else if (!strcmp(push, "change"))
        m->push = PUSH_CHANGE;
    else if (!strcmp(push, "deadband"))
        m->push = PUSH_DEADBAND;
    else
        return cfg_fail(err, cfg_get(row, "push"), "push must be always, change or deadband");
    if (iec104_map_is_counter(m->type) && group > 4)
        return cfg_fail(err, row, "integrated totals belong to counter groups 0..4 (group %d)",
                        group);
    return parse_deadband(m, row, err);
}

/* Rows by IOA while parsing (open addressing; row index + 1, 0 = empty), so the
 * duplicate check stays linear for tens of thousands of rows. */
typedef struct ioa_set {
    size_t *slots;
    size_t cap;
} ioa_set;

static size_t *ioa_slot(const ioa_set *s, const iec104_map *map, uint32_t ioa) {
    size_t j = (ioa * 2654435761u) & (s->cap - 1);
    while (s->slots[j] && map[s->slots[j] - 1].ioa != ioa)
        j = (j + 1) & (s->cap - 1);
    return &s->slots[j];
}

/* Room for n rows (at most half full). */
static bool ioa_reserve(ioa_set *s, const iec104_map *map, size_t n) {
    if (n * 2 <= s->cap)
        return true;
    size_t cap = s->cap ? s->cap : 64;
    while (cap < n * 2)
        cap *= 2;
    ioa_set grown = {calloc(cap, sizeof *grown.slots), cap};
    if (!grown.slots)
        return false;
    for (size_t i = 0; i < s->cap; i++)
        if (s->slots[i])
            *ioa_slot(&grown, map, map[s->slots[i] - 1].ioa) = s->slots[i];
    free(s->slots);
    *s = grown;
    return true;
}

static bool parse_group(iec104_config *c, ioa_set *seen, const cfg_node *g, cfg_err *err) {
    static const char *const keys[] = {"group", "label", "points", NULL};
    long long group;
    const char *label;
    if (g->kind != CFG_MAP)
        return cfg_fail(err, g, "a mapping group must be a map (group, label, points)");
    if (!cfg_only_keys(g, keys, err) || !cfg_int(g, "group", 0, 0, 16, &group, err) ||
        !cfg_str(g, "label", "", &label, err))
        return false;
    const cfg_node *rows = cfg_require(g, "points", CFG_SEQ, err);
    if (!rows)
        return false;
    iec104_map *all = realloc(c->map, (c->n_map + rows->n + 1) * sizeof *all);
    if (!all)
        return cfg_fail(err, g, "out of memory");
    c->map = all;
    if (!ioa_reserve(seen, c->map, c->n_map + rows->n))
        return cfg_fail(err, g, "out of memory");
    for (size_t i = 0; i < rows->n; i++) {
        iec104_map *m = &c->map[c->n_map];
        memset(m, 0, sizeof *m);
        c->n_map++;
        if (!parse_row(m, rows->items[i], (int)group, err))
            return false;
        size_t *slot = ioa_slot(seen, c->map, m->ioa);
        if (*slot)
            return cfg_fail(err, cfg_get(rows->items[i], "ioa"),
                            "IOA %u is already mapped at line %d", m->ioa,
                            c->map[*slot - 1].line);
        *slot = c->n_map;
    }
    return true;
}

static bool parse_mapping(iec104_config *c, const cfg_node *sec, cfg_err *err) {
    const cfg_node *mapping = cfg_get(sec, "mapping");
    if (!mapping)
        return true;
    if (mapping->kind != CFG_SEQ)
        return cfg_fail(err, mapping, "mapping must be a list of groups");
    ioa_set seen = {NULL, 0};
    bool ok = true;
    for (size_t i = 0; ok && i < mapping->n; i++)
        ok = parse_group(c, &seen, mapping->items[i], err);
    free(seen.slots);
    return ok;
}

static bool parse_timers(iec104_config *c, const cfg_node *sec, cfg_err *err) {
    long long k, w;
    if (!cfg_duration_ns(sec, "t0", 30 * NS_PER_S, &c->t0_ns, err) ||
        !cfg_duration_ns(sec, "t1", 15 * NS_PER_S, &c->t1_ns, err) ||
        !cfg_duration_ns(sec, "t2", 10 * NS_PER_S, &c->t2_ns, err) ||
        !cfg_duration_ns(sec, "t3", 20 * NS_PER_S, &c->t3_ns, err) ||
        !cfg_duration_ns(sec, "idle_timeout", -1, &c->idle_timeout_ns, err) ||
        !cfg_int(sec, "k", 12, 1, 32767, &k, err) || !cfg_int(sec, "w", 8, 1, 32767, &w, err))
        return false;
    c->k = (int)k;
    c->w = (int)w;
    if (c->t1_ns <= 0 || c->t2_ns <= 0 || c->t3_ns <= 0)
        return cfg_fail(err, sec, "t1, t2 and t3 must be positive");
    if (!cfg_get(sec, "idle_timeout")) /* default: two TESTFR rounds a healthy master answers */
        c->idle_timeout_ns = 2 * (c->t3_ns + c->t1_ns);
    if (c->idle_timeout_ns < 0)
        return cfg_fail(err, cfg_get(sec, "idle_timeout"), "idle_timeout must not be negative (0: never)");
    if (c->idle_timeout_ns && c->idle_timeout_ns <= c->t3_ns + c->t1_ns)
        return cfg_fail(err, cfg_get(sec, "idle_timeout"),
                        "idle_timeout must exceed t3 + t1 (a healthy master answers the TESTFR sent after t3)");
    if (c->t2_ns >= c->t1_ns)
        return cfg_fail(err, cfg_get(sec, "t2") ? cfg_get(sec, "t2") : sec,
                        "t2 must be lower than t1 (IEC 60870-5-104 5.4)");
    if (c->w > c->k)
        return cfg_fail(err, cfg_get(sec, "w") ? cfg_get(sec, "w") : sec,
                        "w must not exceed k (the standard recommends w <= 2/3 k)");
    return true;
}

static bool parse_commands(iec104_config *c, const cfg_node *sec, cfg_err *err) {
    return cfg_bool(sec, "time_tagged_commands", true, &c->time_tagged_commands, err) &&
           cfg_duration_ns(sec, "max_command_age", 10 * NS_PER_S, &c->max_command_age_ns, err) &&
           cfg_duration_ns(sec, "max_command_ahead", 10 * NS_PER_S, &c->max_command_ahead_ns,
                           err) &&
           cfg_bool(sec, "direct_commands", true, &c->direct_commands, err) &&
           cfg_duration_ns(sec, "select_timeout", 10 * NS_PER_S, &c->select_timeout_ns, err) &&
           cfg_bool(sec, "act_term", true, &c->act_term, err);
}

static bool parse_section(iec104_config *c, const cfg_node *sec, cfg_err *err) {
    static const char *const keys[] = {
        "enabled", "bind", "port", "allowed_ips", "common_address", "connections",
        "initial_poll", "t0", "t1", "t2", "t3", "idle_timeout", "k", "w", "timestamps", "time_tagged_commands",
        "max_command_age", "max_command_ahead", "direct_commands", "select_timeout", "act_term",
        "queue", "offline_buffer", "mapping", NULL};
    long long port, ca, conns, queue, offline;
    const char *poll;
    if (sec->kind != CFG_MAP)
        return cfg_fail(err, sec, "iec104 must be a map");
    if (!cfg_only_keys(sec, keys, err) || !cfg_str(sec, "bind", "0.0.0.0", &c->bind, err) ||
        !cfg_int(sec, "port", 2404, 0, 65535, &port, err) ||
        !cfg_int(sec, "common_address", 1, 1, 65534, &ca, err) ||
        !cfg_int(sec, "connections", 1, 1, 64, &conns, err) ||
        !cfg_str(sec, "initial_poll", "synchronous", &poll, err) ||
        !cfg_bool(sec, "timestamps", false, &c->timestamps, err) ||
        !cfg_int(sec, "queue", 10000, 1, 10000000, &queue, err) ||
        !cfg_int(sec, "offline_buffer", 1000, 0, 10000000, &offline, err) ||
        !parse_timers(c, sec, err) || !parse_commands(c, sec, err) ||
        !parse_allowed(c, sec, err) || !parse_mapping(c, sec, err))
        return false;
    if (strcmp(poll, "synchronous") && strcmp(poll, "asynchronous"))
        return cfg_fail(err, cfg_get(sec, "initial_poll"),
                        "initial_poll must be synchronous or asynchronous");
    c->sync_initial_poll = strcmp(poll, "synchronous") == 0;
    c->port = (int)port;
    c->ca = (uint16_t)ca;
    c->connections = (int)conns;
    c->queue = (int)queue;
    c->offline_buffer = (int)offline;
    return true;
}

iec104_config *iec104_config_parse(const cfg_node *section, cfg_err *err) {
    err->msg[0] = '\0';
    if (!section)
        return NULL;
    bool enabled = true;
    if (section->kind == CFG_MAP && !cfg_bool(section, "enabled", true, &enabled, err))
        return NULL;
    iec104_config *c = calloc(1, sizeof *c);
    if (!c) {
        cfg_fail(err, section, "out of memory");
        return NULL;
    }
    if (!parse_section(c, section, err)) {
        iec104_config_free(c);
        return NULL;
    }
    if (!enabled) {
        iec104_config_free(c);
        err->msg[0] = '\0';
        return NULL;
    }
    return c;
}

void iec104_config_free(iec104_config *c) {
    if (!c)
        return;
    for (size_t i = 0; i < c->n_allowed; i++)
        free(c->allowed[i]);
    for (size_t i = 0; i < c->n_map; i++)
        free(c->map[i].point);
    free(c->allowed);
    free(c->map);
    free(c);
}
