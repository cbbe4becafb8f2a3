/* mbus_config: read and check the wired M-Bus segments of the configuration. */
#include "south/mbus/mbus_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/name_set.h"
#include "south/serial/serial_port.h"

int64_t mbus_bits_ns(long baud, int64_t bits) {
    return baud > 0 ? bits * NS_PER_S / baud : 0;
}

int64_t mbus_auto_response_timeout_ns(long baud) {
    return mbus_bits_ns(baud, 330) + 50 * NS_PER_MS;
}

int64_t mbus_auto_request_gap_ns(long baud) {
    return mbus_bits_ns(baud, 33);
}

/* A timing that may be `auto` (then *out = auto_ns). Must be positive. */
static bool parse_timing(const cfg_node *seg, const char *key, int64_t auto_ns, int64_t *out,
                         bool *is_auto, cfg_err *err) {
    const cfg_node *node = cfg_get(seg, key);
    *is_auto = !node || (node->kind == CFG_SCALAR && strcmp(node->scalar, "auto") == 0);
    if (*is_auto) {
        *out = auto_ns;
        return true;
    }
    if (!cfg_node_duration_ns(node, out, err))
        return false;
    if (*out <= 0)
        return cfg_fail(err, node, "%s must be a positive duration or auto", key);
    return true;
}

static char *dup_string(const char *s) {
    size_t n = strlen(s) + 1;
    char *copy = malloc(n);
    if (copy)
        memcpy(copy, s, n);
    return copy;
}

/* Meter names are unique across all segments: names holds every meter name seen
 * so far (tagged with its node), so 300,000 meters are checked in linear time. */
static bool claim_name(name_set *names, const cfg_node *map, const char *what, cfg_err *err) {
    const cfg_node *node = cfg_get(map, "name");
    const void *first = NULL;
    int added = name_set_add(names, node->scalar, node, &first);
    if (added < 0)
        return cfg_fail(err, node, "out of memory");
    if (added == 0)
        return cfg_fail(err, node, "duplicate %s name \"%s\" (first at line %d)", what,
                        node->scalar, ((const cfg_node *)first)->line);
    return true;
}

/* A name used in data point ids "<name>/<n>": 1..MBUS_NAME_MAX chars, no '/'. */
static bool check_name(const cfg_node *map, const char *what, const char **out, cfg_err *err) {
    const cfg_node *node = cfg_require(map, "name", CFG_SCALAR, err);
    if (!node)
        return false;
    size_t len = strlen(node->scalar);
    if (len == 0 || len > MBUS_NAME_MAX || strchr(node->scalar, '/'))
        return cfg_fail(err, node, "%s name must be 1..%d characters without '/'", what,
                        MBUS_NAME_MAX);
    *out = node->scalar;
    return true;
}

static bool parse_address(const cfg_node *map, mbus_meter_cfg *m, cfg_err *err) {
    const cfg_node *primary = cfg_get(map, "primary");
    const cfg_node *secondary = cfg_get(map, "secondary");
    if (primary && secondary)
        return cfg_fail(err, secondary, "a meter has either a primary or a secondary address");
    if (!primary && !secondary)
        return cfg_fail(err, map, "meter needs a primary or a secondary address");
    m->primary = -1;
    if (primary) {
        long long a;
        if (!cfg_node_int(primary, -1000000, 1000000, &a, err))
            return false;
        if (a < 0 || a > 250)
            return cfg_fail(err, primary, "primary address must be 0..250");
        m->primary = (int)a;
        return true;
    }
    if (secondary->kind != CFG_SCALAR ||
        !mbus_secondary_parse_mask(secondary->scalar, &m->secondary))
        return cfg_fail(err, secondary,
                        "secondary address must be 8 id digits or 16 hex chars "
                        "(id, manufacturer, version, medium; F = wildcard)");
    m->has_secondary = true;
    return true;
}

static bool parse_baud(const cfg_node *map, long *out, cfg_err *err);

static bool parse_meter(name_set *names, mbus_segment_cfg *seg, const cfg_node *map,
                        cfg_err *err) {
    static const char *const keys[] = {"name", "primary", "secondary", "baud", "wakeup", NULL};
    if (map->kind != CFG_MAP)
        return cfg_fail(err, map, "a meter must be a map (name, primary or secondary)");
    if (!cfg_only_keys(map, keys, err))
        return false;
    const char *name;
    if (!check_name(map, "meter", &name, err))
        return false;
    if (!claim_name(names, map, "meter", err))
        return false;
    mbus_meter_cfg *m = &seg->meters[seg->n_meters];
    memset(m, 0, sizeof *m);
    if (!parse_address(map, m, err))
        return false;
    if (cfg_get(map, "baud") && !parse_baud(map, &m->baud, err))
        return false;
    if (!cfg_duration_ns(map, "wakeup", 0, &m->wakeup_ns, err))
        return false;
    if (m->wakeup_ns < 0 || m->wakeup_ns > MBUS_WAKEUP_MAX_NS)
        return cfg_fail(err, cfg_get(map, "wakeup"), "wakeup must be a duration of 0..2s");
    m->name = dup_string(name);
    if (!m->name)
        return cfg_fail(err, map, "out of memory");
    seg->n_meters++;
    return true;
}

static bool parse_meters(name_set *names, mbus_segment_cfg *seg, const cfg_node *map,
                         cfg_err *err) {
    const cfg_node *list = cfg_require(map, "meters", CFG_SEQ, err);
    if (!list)
        return false;
    seg->meters = calloc(list->n ? list->n : 1, sizeof *seg->meters);
    if (!seg->meters)
        return cfg_fail(err, list, "out of memory");
    for (size_t i = 0; i < list->n; i++)
        if (!parse_meter(names, seg, list->items[i], err))
            return false;
    return true;
}

static bool parse_baud(const cfg_node *map, long *out, cfg_err *err) {
    long long baud;
    if (!cfg_int(map, "baud", 2400, 1, 10000000, &baud, err))
        return false;
    if (!serial_baud_supported((long)baud))
        return cfg_fail(err, cfg_get(map, "baud"),
                        "baud must be 300, 600, 1200, 2400, 4800, 9600, 19200 or 38400");
    *out = (long)baud;
    return true;
}

static bool parse_reset(const cfg_node *map, mbus_segment_cfg *seg, cfg_err *err) {
    static const char *const names[] = {"none", "nke", "nke_fd", "nke_ff", "app_reset", NULL};
    const char *reset;
    if (!cfg_str(map, "reset", "nke", &reset, err))
        return false;
    for (int i = 0; names[i]; i++)
        if (strcmp(reset, names[i]) == 0) {
            seg->reset_mode = (mbus_reset_mode)i;
            seg->reset_nke = seg->reset_mode != MBUS_RESET_NONE;
            return true;
        }
    return cfg_fail(err, cfg_get(map, "reset"),
                    "reset must be none, nke, nke_fd, nke_ff or app_reset");
}

static bool parse_request(const cfg_node *map, mbus_segment_cfg *seg, cfg_err *err) {
    static const char *const names[] = {"req_ud2", "global_readout", "global_readout_dif", NULL};
    const char *request;
    if (!cfg_str(map, "request", "req_ud2", &request, err))
        return false;
    for (int i = 0; names[i]; i++)
        if (strcmp(request, names[i]) == 0) {
            seg->request_mode = (mbus_request_mode)i;
            return true;
        }
    return cfg_fail(err, cfg_get(map, "request"),
                    "request must be req_ud2, global_readout or global_readout_dif");
}

/* scan: {mode, at_start, mask, reverse, primary_from, primary_to, report} */
static bool parse_scan(const cfg_node *map, mbus_scan_cfg *scan, cfg_err *err) {
    static const char *const keys[] = {"mode", "at_start", "mask", "reverse", "primary_from",
                                       "primary_to", "report", "every", NULL};
    const cfg_node *node = cfg_get(map, "scan");
    const char *mode, *mask, *report;
    long long from, to;
    scan->mask = mbus_secondary_any();
    scan->primary_to = 250; /* a scan asked for without a scan: section covers every address */
    if (!node)
        return true;
    if (node->kind != CFG_MAP)
        return cfg_fail(err, node, "scan must be a map (mode, at_start, mask, ...)");
    if (!cfg_only_keys(node, keys, err) || !cfg_str(node, "mode", "secondary", &mode, err) ||
        !cfg_bool(node, "at_start", true, &scan->at_start, err) ||
        !cfg_bool(node, "reverse", false, &scan->reverse, err) ||
        !cfg_str(node, "mask", "FFFFFFFF", &mask, err) ||
        !cfg_int(node, "primary_from", 0, 0, 250, &from, err) ||
        !cfg_int(node, "primary_to", 250, 0, 250, &to, err) ||
        !cfg_str(node, "report", "", &report, err) ||
        !cfg_duration_ns(node, "every", 0, &scan->every_ns, err))
        return false;
    static const char *const modes[] = {"off", "secondary", "primary", "both"};
    scan->mode = MBUS_SCAN_OFF;
    bool known = false;
    for (int i = 0; i < 4; i++)
        if (strcmp(mode, modes[i]) == 0) {
            scan->mode = (mbus_scan_mode)i;
            known = true;
        }
    if (!known)
        return cfg_fail(err, cfg_get(node, "mode"), "scan mode must be off, secondary, primary or both");
    if (!mbus_secondary_parse_mask(mask, &scan->mask))
        return cfg_fail(err, cfg_get(node, "mask"),
                        "scan mask must be 8 id digits or 16 hex chars (F = wildcard)");
    if (from > to)
        return cfg_fail(err, cfg_get(node, "primary_from"), "primary_from must not exceed primary_to");
    scan->primary_from = (int)from;
    scan->primary_to = (int)to;
    if (report[0] && !(scan->report = dup_string(report)))
        return cfg_fail(err, node, "out of memory");
    return true;
}

/* transparent: {port, bind, idle_timeout, packing, packing_interval} */
static bool parse_transparent(const cfg_node *map, mbus_transparent_cfg *t, cfg_err *err) {
    static const char *const keys[] = {"port", "bind", "idle_timeout", "packing",
                                       "packing_interval", NULL};
    const cfg_node *node = cfg_get(map, "transparent");
    const char *bind, *packing;
    long long port;
    if (!node)
        return true;
    if (node->kind != CFG_MAP)
        return cfg_fail(err, node, "transparent must be a map (port, bind, idle_timeout, ...)");
    if (!cfg_only_keys(node, keys, err) || !cfg_require(node, "port", CFG_SCALAR, err) ||
        !cfg_int(node, "port", 0, 1, 65535, &port, err) ||
        !cfg_str(node, "bind", "0.0.0.0", &bind, err) ||
        !cfg_duration_ns(node, "idle_timeout", 30 * NS_PER_S, &t->idle_timeout_ns, err) ||
        !cfg_str(node, "packing", "mbus", &packing, err) ||
        !cfg_duration_ns(node, "packing_interval", 50 * NS_PER_MS, &t->packing_interval_ns, err))
        return false;
    if (strcmp(packing, "mbus") != 0 && strcmp(packing, "raw") != 0)
        return cfg_fail(err, cfg_get(node, "packing"), "packing must be mbus or raw");
    if (t->idle_timeout_ns <= 0)
        return cfg_fail(err, cfg_get(node, "idle_timeout"), "idle_timeout must be a positive duration");
    t->packing = strcmp(packing, "raw") == 0 ? MBUS_PACK_RAW : MBUS_PACK_MBUS;
    t->port = (int)port;
    t->enabled = true;
    if (!(t->bind = dup_string(bind)))
        return cfg_fail(err, node, "out of memory");
    return true;
}

/* `schedule:` a cron pattern (either dialect, `dialect:` cme3100 or sx5d1) or an
 * interval, instead of `interval:`. `?` values are drawn from the segment name,
 * so they stay the same across restarts. */
static bool parse_schedule(const cfg_node *map, mbus_segment_cfg *seg, cfg_err *err) {
    const cfg_node *node = cfg_get(map, "schedule");
    const char *dialect_name, *name;
    cron_dialect dialect;
    if (!cfg_str(map, "dialect", "cme3100", &dialect_name, err) ||
        !cfg_str(map, "name", "", &name, err))
        return false;
    if (!cron_dialect_parse(dialect_name, &dialect))
        return cfg_fail(err, cfg_get(map, "dialect"), "dialect: expected cme3100 or sx5d1");
    if (!node)
        return true;
    if (cfg_get(map, "interval"))
        return cfg_fail(err, node, "schedule and interval exclude each other");
    if (node->kind != CFG_SCALAR)
        return cfg_fail(err, node, "schedule: expected a cron pattern or an interval");
    uint64_t seed = 1469598103934665603ull; /* FNV-1a of the segment name */
    for (const char *c = name; *c; c++)
        seed = (seed ^ (unsigned char)*c) * 1099511628211ull;
    cron_error ce;
    if (!cron_parse(node->scalar, dialect, seed, &seg->schedule, &ce)) {
        cfg_node at = *node; /* point at the wrong column of the pattern */
        at.col += ce.column - 1 + (node->quoted ? 1 : 0);
        return cfg_fail(err, &at, "schedule: %s (column %d of the pattern)", ce.msg, ce.column);
    }
    seg->scheduled = true;
    return true;
}

static bool parse_numbers(const cfg_node *map, mbus_segment_cfg *seg, cfg_err *err) {
    long long retries, pages;
    if (!cfg_int(map, "retries", 3, 0, 255, &retries, err) ||
        !cfg_int(map, "max_pages", 3, 1, 255, &pages, err))
        return false;
    seg->retries = (int)retries;
    seg->max_pages = (int)pages;
    if (!cfg_duration_ns(map, "interval", 15 * 60 * NS_PER_S, &seg->interval_ns, err))
        return false;
    if (seg->interval_ns <= 0)
        return cfg_fail(err, cfg_get(map, "interval"), "interval must be a positive duration");
    if (!parse_schedule(map, seg, err))
        return false;
    bool idle_auto;
    return parse_timing(map, "response_timeout", mbus_auto_response_timeout_ns(seg->baud),
                        &seg->response_timeout_ns, &seg->response_timeout_auto, err) &&
           parse_timing(map, "idle_timeout", MBUS_AUTO_IDLE_TIMEOUT_NS, &seg->idle_timeout_ns,
                        &idle_auto, err) &&
           parse_timing(map, "request_gap", mbus_auto_request_gap_ns(seg->baud),
                        &seg->request_gap_ns, &seg->request_gap_auto, err);
}

/* names: meter names so far (segment names are in a set of their own, segments). */
static bool parse_segment(mbus_config *cfg, name_set *segments, name_set *names,
                          const cfg_node *map, cfg_err *err) {
    static const char *const keys[] = {"name", "device", "baud", "interval", "schedule", "dialect",
                                       "response_timeout", "idle_timeout", "request_gap",
                                       "retries", "max_pages", "reset", "meters", "scan", "echo",
                                       "request", "transparent", NULL};
    if (map->kind != CFG_MAP)
        return cfg_fail(err, map, "an mbus segment must be a map");
    if (!cfg_only_keys(map, keys, err))
        return false;
    mbus_segment_cfg *seg = &cfg->segments[cfg->n_segments];
    memset(seg, 0, sizeof *seg);
    const char *name;
    const cfg_node *device = cfg_require(map, "device", CFG_SCALAR, err);
    bool ok = check_name(map, "segment", &name, err) && device;
    ok = ok && claim_name(segments, map, "mbus segment", err);
    if (ok && device->scalar[0] == '\0')
        ok = cfg_fail(err, device, "device must not be empty");
    ok = ok && parse_baud(map, &seg->baud, err) && parse_numbers(map, seg, err) &&
         parse_reset(map, seg, err) && parse_request(map, seg, err) && cfg_bool(map, "echo", false, &seg->echo, err) &&
         parse_scan(map, &seg->scan, err) &&
         parse_transparent(map, &seg->transparent, err) &&
         parse_meters(names, seg, map, err);
    if (ok) {
        seg->name = dup_string(name);
        seg->device = dup_string(device->scalar);
        ok = seg->name && seg->device;
        if (!ok)
            cfg_fail(err, map, "out of memory");
    }
    /* Counted even when incomplete so that mbus_config_free releases it. */
    cfg->n_segments++;
    return ok;
}

mbus_config *mbus_config_parse(const cfg_node *section, cfg_err *err) {
    mbus_config *cfg = calloc(1, sizeof *cfg);
    if (!cfg) {
        snprintf(err->msg, sizeof err->msg, "out of memory");
        return NULL;
    }
    if (!section)
        return cfg;
    if (section->kind != CFG_SEQ) {
        cfg_fail(err, section, "mbus must be a list of segments");
        free(cfg);
        return NULL;
    }
    cfg->segments = calloc(section->n ? section->n : 1, sizeof *cfg->segments);
    if (!cfg->segments) {
        cfg_fail(err, section, "out of memory");
        free(cfg);
        return NULL;
    }
    name_set segments = {0}, names = {0};
    bool ok = true;
    for (size_t i = 0; ok && i < section->n; i++)
        ok = parse_segment(cfg, &segments, &names, section->items[i], err);
    name_set_free(&segments);
    name_set_free(&names);
    if (!ok) {
        mbus_config_free(cfg);
        return NULL;
    }
    return cfg;
}

void mbus_config_free(mbus_config *cfg) {
    if (!cfg)
        return;
    for (size_t s = 0; s < cfg->n_segments; s++) {
        mbus_segment_cfg *seg = &cfg->segments[s];
        for (size_t m = 0; m < seg->n_meters; m++)
            free(seg->meters[m].name);
        free(seg->meters);
        free(seg->scan.report);
        free(seg->transparent.bind);
        free(seg->name);
        free(seg->device);
    }
    free(cfg->segments);
    free(cfg);
}
