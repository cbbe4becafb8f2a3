/* wmbus_config: the `wmbus:` section (see wmbus_config.h). */
#include "south/wmbus/wmbus_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "codec/decode/decode.h"
#include "codec/wmbus/im871a.h"
#include "codec/wmbus/wmbus_build.h"

static bool parse_id(const cfg_node *m, uint32_t *id, cfg_err *err) {
    const cfg_node *n = cfg_get(m, "id");
    if (!n) /* the meter's own position: a missing key has none */
        return cfg_fail(err, m, "id is required (8 decimal digits, the meter's identification number)");
    if (n->kind != CFG_SCALAR || strlen(n->scalar) != 8 || strspn(n->scalar, "0123456789") != 8)
        return cfg_fail(err, n, "id must be 8 decimal digits (the meter's identification number)");
    *id = (uint32_t)strtoul(n->scalar, NULL, 16);
    return true;
}

/* BCD id + k, wrapping at 10^8. */
static uint32_t bcd_add(uint32_t bcd, unsigned long k) {
    unsigned long v = 0;
    for (int i = 7; i >= 0; i--)
        v = v * 10 + ((bcd >> (4 * i)) & 15);
    v = (v + k) % 100000000UL;
    uint32_t out = 0;
    for (int i = 0; i < 8; i++, v /= 10)
        out |= (uint32_t)(v % 10) << (4 * i);
    return out;
}

static bool parse_man(const cfg_node *m, const char *key, bool *any, uint16_t *code, cfg_err *err) {
    const char *text;
    if (!cfg_str(m, key, "*", &text, err))
        return false;
    *any = strcmp(text, "*") == 0;
    if (!*any && !(*code = wmbus_manufacturer_code(text)))
        return cfg_fail(err, cfg_get(m, key), "manufacturer must be three capital letters or *");
    return true;
}

static bool add_meters(wmbus_module_cfg *mod, const cfg_node *m, cfg_err *err) {
    static const char *const keys[] = {"name", "id", "manufacturer", "key", "interval", "count", NULL};
    if (m->kind != CFG_MAP)
        return cfg_fail(err, m, "a meter must be a map");
    wmbus_meter_cfg base;
    memset(&base, 0, sizeof base);
    const char *name, *key = NULL;
    long long count;
    if (!cfg_only_keys(m, keys, err) || !cfg_require(m, "name", CFG_SCALAR, err) ||
        !cfg_str(m, "name", NULL, &name, err) || !parse_id(m, &base.id_bcd, err) ||
        !parse_man(m, "manufacturer", &base.any_man, &base.manufacturer, err) ||
        !cfg_str(m, "key", NULL, &key, err) ||
        !cfg_duration_ns(m, "interval", 0, &base.interval_ns, err) ||
        !cfg_int(m, "count", 1, 1, 100000, &count, err))
        return false;
    if (!name[0] || strlen(name) > WMBUS_NAME_MAX - 8 || strchr(name, '/'))
        return cfg_fail(err, cfg_get(m, "name"), "name must be 1..56 characters without '/'");
    if (key && !(base.has_key = decode_parse_key(key, base.key)))
        return cfg_fail(err, cfg_get(m, "key"), "key must be 32 hex characters (AES-128)");
    wmbus_meter_cfg *all = realloc(mod->meters, (mod->n_meters + (size_t)count) * sizeof *all);
    if (!all)
        return cfg_fail(err, m, "out of memory");
    mod->meters = all;
    for (long long k = 0; k < count; k++) {
        char buf[WMBUS_NAME_MAX];
        if (count == 1)
            snprintf(buf, sizeof buf, "%s", name);
        else
            snprintf(buf, sizeof buf, "%s%04lld", name, k + 1);
        wmbus_meter_cfg *mc = &mod->meters[mod->n_meters++];
        *mc = base;
        mc->id_bcd = bcd_add(base.id_bcd, (unsigned long)k);
        mc->name = strdup(buf);
        if (!mc->name)
            return cfg_fail(err, m, "out of memory");
    }
    return true;
}

static bool parse_filter(const cfg_node *f, wmbus_filter *out, cfg_err *err) {
    static const char *const keys[] = {"manufacturers", "device_types", "min_rssi", NULL};
    if (!f)
        return true;
    if (f->kind != CFG_MAP)
        return cfg_fail(err, f, "filter must be a map");
    if (!cfg_only_keys(f, keys, err))
        return false;
    const cfg_node *mans = cfg_get(f, "manufacturers"), *types = cfg_get(f, "device_types");
    if ((mans && mans->kind != CFG_SEQ) || (types && types->kind != CFG_SEQ))
        return cfg_fail(err, mans && mans->kind != CFG_SEQ ? mans : types, "a list expected");
    for (size_t i = 0; mans && i < mans->n; i++) {
        const cfg_node *it = mans->items[i];
        if (i >= WMBUS_FILTER_MAX || it->kind != CFG_SCALAR ||
            !(out->manufacturers[i] = wmbus_manufacturer_code(it->scalar)))
            return cfg_fail(err, it, "manufacturer must be three capital letters (at most 16)");
        out->n_man++;
    }
    for (size_t i = 0; types && i < types->n; i++) {
        long long t;
        if (i >= WMBUS_FILTER_MAX)
            return cfg_fail(err, types->items[i], "at most 16 device types");
        if (!cfg_node_int(types->items[i], 0, 255, &t, err))
            return false;
        out->device_types[out->n_types++] = (int)t;
    }
    if (cfg_get(f, "min_rssi")) {
        out->has_min_rssi = true;
        return cfg_double(f, "min_rssi", -200, &out->min_rssi_dbm, err);
    }
    return true;
}

/* A key file path relative to the configuration file's directory. */
static char *resolve(const cfg_node *at, const char *path) {
    if (path[0] == '/' || !at->file || !strchr(at->file, '/'))
        return strdup(path);
    size_t dir = (size_t)(strrchr(at->file, '/') - at->file);
    size_t n = dir + 1 + strlen(path) + 1;
    char *out = malloc(n);
    if (out)
        snprintf(out, n, "%.*s/%s", (int)dir, at->file, path);
    return out;
}

static bool parse_keys(wmbus_module_cfg *mod, const cfg_node *m, cfg_err *err) {
    const char *path;
    if (!cfg_str(m, "keys", NULL, &path, err) || !path)
        return true;
    mod->keys_path = resolve(cfg_get(m, "keys"), path);
    if (!mod->keys_path)
        return cfg_fail(err, m, "out of memory");
    return wmbus_keys_load(mod->keys_path, &mod->keys, err->msg, sizeof err->msg);
}

static bool parse_timing(wmbus_module_cfg *mod, const cfg_node *m, cfg_err *err) {
    long long retries;
    if (!cfg_duration_ns(m, "cycle", 15 * 60 * NS_PER_S, &mod->cycle_ns, err) ||
        !cfg_duration_ns(m, "check_interval", 60 * NS_PER_S, &mod->check_interval_ns, err) ||
        !cfg_duration_ns(m, "response_timeout", 500 * NS_PER_MS, &mod->response_timeout_ns, err) ||
        !cfg_duration_ns(m, "duplicate_window", 60 * NS_PER_S, &mod->duplicate_window_ns, err) ||
        !cfg_int(m, "retries", 2, 0, 10, &retries, err))
        return false;
    mod->retries = (int)retries;
    if (mod->cycle_ns < NS_PER_S)
        return cfg_fail(err, cfg_get(m, "cycle"), "cycle must be at least 1s");
    if (mod->check_interval_ns < 100 * NS_PER_MS)
        return cfg_fail(err, cfg_get(m, "check_interval"), "check_interval must be at least 100ms");
    if (mod->response_timeout_ns <= 0)
        return cfg_fail(err, cfg_get(m, "response_timeout"), "response_timeout must be positive");
    return true;
}

static bool parse_module(wmbus_config *cfg, const cfg_node *m, cfg_err *err) {
    static const char *const keys[] = {"name", "device", "baud", "link_mode", "listen", "listen_cache",
                                       "listen_list", "cycle", "check_interval", "response_timeout", "retries",
                                       "duplicate_window", "filter", "keys", "meters", NULL};
    if (m->kind != CFG_MAP)
        return cfg_fail(err, m, "a radio module must be a map");
    wmbus_module_cfg *all = realloc(cfg->modules, (cfg->n_modules + 1) * sizeof *all);
    if (!all)
        return cfg_fail(err, m, "out of memory");
    cfg->modules = all;
    wmbus_module_cfg *mod = &cfg->modules[cfg->n_modules++];
    memset(mod, 0, sizeof *mod);
    const char *name, *device, *mode, *list;
    long long baud, cache;
    if (!cfg_only_keys(m, keys, err) || !cfg_require(m, "name", CFG_SCALAR, err) ||
        !cfg_require(m, "device", CFG_SCALAR, err) || !cfg_str(m, "name", NULL, &name, err) ||
        !cfg_str(m, "device", NULL, &device, err) || !cfg_int(m, "baud", 57600, 1200, 921600, &baud, err) ||
        !cfg_str(m, "link_mode", "T1", &mode, err) || !cfg_bool(m, "listen", false, &mod->listen, err) ||
        !cfg_int(m, "listen_cache", WMBUS_LISTEN_CACHE_MAX, 1, WMBUS_LISTEN_CACHE_MAX, &cache, err) ||
        !cfg_str(m, "listen_list", NULL, &list, err) ||
        !parse_timing(mod, m, err) || !parse_filter(cfg_get(m, "filter"), &mod->filter, err))
        return false;
    mod->name = strdup(name);
    mod->device = strdup(device);
    mod->baud = (long)baud;
    mod->listen_cache = (int)cache;
    mod->link_mode = im_mode_parse(mode);
    if (!mod->name || !mod->device)
        return cfg_fail(err, m, "out of memory");
    if (list && !mod->listen) /* without listen mode nothing fills the cache */
        return cfg_fail(err, cfg_get(m, "listen_list"), "listen_list needs listen: true");
    if (list && !list[0])
        return cfg_fail(err, cfg_get(m, "listen_list"), "listen_list must be a file name");
    if (list && !(mod->listen_list = strdup(list)))
        return cfg_fail(err, m, "out of memory");
    if (!name[0] || strlen(name) >= WMBUS_NAME_MAX || strchr(name, '/'))
        return cfg_fail(err, cfg_get(m, "name"), "name must be 1..63 characters without '/'");
    if (mod->link_mode < 0 || mod->link_mode > IM_MODE_CT)
        return cfg_fail(err, cfg_get(m, "link_mode"),
                        "link_mode must be S1, S1M, S2, T1, T2, R2, C1 (C1A), C1B, C2A, C2B or CT");
    const cfg_node *meters = cfg_get(m, "meters");
    if (meters && meters->kind != CFG_SEQ)
        return cfg_fail(err, meters, "meters must be a list");
    for (size_t i = 0; meters && i < meters->n; i++)
        if (!add_meters(mod, meters->items[i], err))
            return false;
    return parse_keys(mod, m, err);
}

static bool check_unique(const wmbus_config *cfg, const cfg_node *section, cfg_err *err) {
    for (size_t i = 0; i < cfg->n_modules; i++)
        for (size_t k = 0; k < i; k++)
            if (strcmp(cfg->modules[i].name, cfg->modules[k].name) == 0)
                return cfg_fail(err, section->items[i], "module %s defined twice", cfg->modules[i].name);
    return true;
}

wmbus_config *wmbus_config_parse(const cfg_node *section, cfg_err *err) {
    wmbus_config *cfg = calloc(1, sizeof *cfg);
    if (!cfg) {
        snprintf(err->msg, sizeof err->msg, "out of memory");
        return NULL;
    }
    if (!section)
        return cfg;
    if (section->kind != CFG_SEQ) {
        cfg_fail(err, section, "wmbus must be a list of radio modules");
        wmbus_config_free(cfg);
        return NULL;
    }
    for (size_t i = 0; i < section->n; i++)
        if (!parse_module(cfg, section->items[i], err)) {
            wmbus_config_free(cfg);
            return NULL;
        }
    if (!check_unique(cfg, section, err)) {
        wmbus_config_free(cfg);
        return NULL;
    }
    return cfg;
}

void wmbus_config_free(wmbus_config *cfg) {
    if (!cfg)
        return;
    for (size_t i = 0; i < cfg->n_modules; i++) {
        wmbus_module_cfg *m = &cfg->modules[i];
        for (size_t k = 0; k < m->n_meters; k++)
            free(m->meters[k].name);
        free(m->meters);
        free(m->name);
        free(m->device);
        free(m->keys_path);
        free(m->listen_list);
        wmbus_keys_free(&m->keys);
    }
    free(cfg->modules);
    free(cfg);
}
