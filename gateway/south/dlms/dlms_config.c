/* dlms_config: read and check the `dlms:` section (see dlms_config.h). */
#include "south/dlms/dlms_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/name_set.h"
#include "south/serial/serial_port.h"

const char *dlms_group_name(dlms_group g) {
    static const char *const names[] = {"slow", "normal", "fast"};
    return g < DLMS_GROUPS ? names[g] : "?";
}

static char *dup_str(const char *s) {
    return s ? strdup(s) : NULL;
}

static bool parse_enum(const cfg_node *map, const char *key, const char *def,
                       const char *const *names, int *out, cfg_err *err) {
    const char *text;
    if (!cfg_str(map, key, def, &text, err)) return false;
    for (int i = 0; names[i]; i++)
        if (strcmp(text, names[i]) == 0) {
            *out = i;
            return true;
        }
    char list[160] = "";
    for (int i = 0; names[i]; i++)
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "", names[i]);
    return cfg_fail(err, cfg_get(map, key), "%s must be one of: %s", key, list);
}

static const struct {
    const char *name;
    dlms_obj_kind kind;
    uint16_t class_id;
} object_classes[] = {
    {"register", DLMS_OBJ_REGISTER, 3},     {"extended_register", DLMS_OBJ_EXT_REGISTER, 4},
    {"data", DLMS_OBJ_DATA, 1},             {"clock", DLMS_OBJ_CLOCK, 8},
    {"profile", DLMS_OBJ_PROFILE, 7},       {"disconnect", DLMS_OBJ_DISCONNECT, 70},
};
#define N_CLASSES (sizeof object_classes / sizeof object_classes[0])

static bool parse_object(const cfg_node *n, dlms_object_cfg *o, cfg_err *err) {
    static const char *const keys[] = {"name", "class", "obis", "group", "days", NULL};
    static const char *const groups[] = {"slow", "normal", "fast", NULL};
    const char *name, *cls, *obis;
    int group;
    int64_t days;
    if (n->kind != CFG_MAP) return cfg_fail(err, n, "an object must be a map");
    if (!cfg_only_keys(n, keys, err) || !cfg_require(n, "name", CFG_SCALAR, err) ||
        !cfg_require(n, "class", CFG_SCALAR, err) || !cfg_require(n, "obis", CFG_SCALAR, err) ||
        !cfg_str(n, "name", NULL, &name, err) || !cfg_str(n, "class", NULL, &cls, err) ||
        !cfg_str(n, "obis", NULL, &obis, err) ||
        !parse_enum(n, "group", "normal", groups, &group, err) ||
        !cfg_duration_ns(n, "days", NS_PER_S * 86400, &days, err))
        return false;
    if (!name[0] || strchr(name, '/'))
        return cfg_fail(err, cfg_get(n, "name"), "name must be non-empty and without '/'");
    size_t k = 0;
    while (k < N_CLASSES && strcmp(object_classes[k].name, cls) != 0) k++;
    if (k == N_CLASSES)
        return cfg_fail(err, cfg_get(n, "class"),
                        "class must be register, extended_register, data, clock, profile or disconnect");
    if (!dlms_obis_parse(obis, o->obis))
        return cfg_fail(err, cfg_get(n, "obis"), "obis must be a logical name like 1-0:1.8.0.255");
    if (days <= 0) return cfg_fail(err, cfg_get(n, "days"), "days must be positive");
    o->name = dup_str(name);
    o->kind = object_classes[k].kind;
    o->class_id = object_classes[k].class_id;
    o->group = (dlms_group)group;
    /* `days` is written as a duration ("1d", "13d") or a bare number of days */
    const cfg_node *dn = cfg_get(n, "days");
    if (dn && strspn(dn->scalar, "0123456789") == strlen(dn->scalar)) days *= 86400;
    o->days = days;
    return o->name != NULL;
}

static bool parse_secret_hex(const cfg_node *m, const char *key, uint8_t *out, size_t n,
                             cfg_err *err) {
    const char *text;
    if (!cfg_str(m, key, NULL, &text, err)) return false;
    if (!text) return cfg_fail(err, m, "%s is required for auth: hls", key);
    bool ok = n == DLMS_KEY_LEN ? dlms_key_parse(text, out) : dlms_systitle_parse(text, out);
    if (!ok)
        return cfg_fail(err, cfg_get(m, key), "%s must be %zu hex digits", key, 2 * n);
    return true;
}

/* One `meters:` entry, possibly `count` meters. */
static bool parse_meter_entry(dlms_network_cfg *net, const cfg_node *m, cfg_err *err) {
    static const char *const keys[] = {"name", "count", "port", "local_port", "client", "logical",
                                       "physical", "auth", "password", "ek", "ak",
                                       "system_title", "clock_sync", "objects", "address_size", NULL};
    static const char *const auths[] = {"none", "lls", "hls", NULL};
    const char *name, *password;
    long long count, port, local_port, client, logical, physical, addr_size;
    int auth;
    bool sync;
    if (m->kind != CFG_MAP) return cfg_fail(err, m, "a meter must be a map");
    bool ip = net->transport != DLMS_TR_HDLC;
    if (!cfg_only_keys(m, keys, err) || !cfg_require(m, "name", CFG_SCALAR, err) ||
        !cfg_str(m, "name", NULL, &name, err) || !cfg_int(m, "count", 1, 1, 1000, &count, err) ||
        !cfg_int(m, "port", 4059, 1, 65535, &port, err) ||
        !cfg_int(m, "local_port", 0, 0, 65535, &local_port, err) ||
        !cfg_int(m, "client", 16, 1, 127, &client, err) ||
        !cfg_int(m, "logical", 1, 0, 0x3FFF, &logical, err) ||
        !cfg_int(m, "physical", 0, 0, 0x3FFF, &physical, err) ||
        !cfg_int(m, "address_size", 0, 0, 4, &addr_size, err) ||
        !parse_enum(m, "auth", "none", auths, &auth, err) ||
        !cfg_str(m, "password", NULL, &password, err) ||
        !cfg_bool(m, "clock_sync", false, &sync, err))
        return false;
    if (!name[0] || strchr(name, '/'))
        return cfg_fail(err, cfg_get(m, "name"), "name must be non-empty and without '/'");
    if (ip && !cfg_get(m, "port")) return cfg_fail(err, m, "port is required for transport udp/tcp");
    if (net->transport == DLMS_TR_UDP && !local_port)
        return cfg_fail(err, m, "local_port is required for transport udp");
    if (port + count - 1 > 65535 || local_port + count - 1 > 65535)
        return cfg_fail(err, cfg_get(m, "count"), "count runs the ports past 65535");
    if (addr_size == 3) return cfg_fail(err, cfg_get(m, "address_size"), "address_size must be 1, 2 or 4");
    if (addr_size == 1 && physical + count - 1 > 0)
        return cfg_fail(err, cfg_get(m, "address_size"), "a 1-byte server address has no physical part");
    if ((addr_size == 1 || addr_size == 2) && (logical > 127 || physical + count - 1 > 127))
        return cfg_fail(err, cfg_get(m, "address_size"), "addresses above 127 need address_size 4");
    if (auth == 1 && (!password || !password[0]))
        return cfg_fail(err, m, "password is required for auth: lls");
    if (password && strlen(password) > DLMS_MAX_SECRET)
        return cfg_fail(err, cfg_get(m, "password"), "password longer than %d characters", DLMS_MAX_SECRET);
    dlms_meter_cfg tmpl = {.client = (uint8_t)client, .logical = (uint16_t)logical,
                           .auth = auth == 2 ? DLMS_AUTH_HLS_GMAC : auth == 1 ? DLMS_AUTH_LLS : DLMS_AUTH_NONE,
                           .clock_sync = sync};
    if (tmpl.auth == DLMS_AUTH_HLS_GMAC &&
        (!parse_secret_hex(m, "ek", tmpl.keys.ek, DLMS_KEY_LEN, err) ||
         !parse_secret_hex(m, "ak", tmpl.keys.ak, DLMS_KEY_LEN, err) ||
         !parse_secret_hex(m, "system_title", tmpl.systitle, DLMS_SYSTITLE_LEN, err)))
        return false;
    const cfg_node *objs = cfg_require(m, "objects", CFG_SEQ, err);
    if (!objs) return false;
    dlms_object_cfg *set = calloc(objs->n ? objs->n : 1, sizeof *set);
    dlms_object_cfg **sets = realloc(net->object_sets, (net->n_object_sets + 1) * sizeof *sets);
    size_t *lens = realloc(net->object_set_len, (net->n_object_sets + 1) * sizeof *lens);
    if (sets) net->object_sets = sets;
    if (lens) net->object_set_len = lens;
    if (!set || !sets || !lens) {
        free(set);
        return cfg_fail(err, m, "out of memory");
    }
    net->object_sets[net->n_object_sets] = set;
    net->object_set_len[net->n_object_sets++] = objs->n;
    for (size_t i = 0; i < objs->n; i++) {
        if (!parse_object(objs->items[i], &set[i], err)) return false;
        for (size_t k = 0; k < i; k++)
            if (strcmp(set[k].name, set[i].name) == 0)
                return cfg_fail(err, objs->items[i], "object name %s used twice", set[i].name);
    }
    dlms_meter_cfg *all = realloc(net->meters, (net->n_meters + (size_t)count) * sizeof *all);
    if (!all) return cfg_fail(err, m, "out of memory");
    net->meters = all;
    for (long long i = 0; i < count; i++) {
        dlms_meter_cfg *mc = &net->meters[net->n_meters++];
        *mc = tmpl;
        char full[DLMS_NAME_MAX + 24];
        if (count > 1) snprintf(full, sizeof full, "%.*s%03u", DLMS_NAME_MAX, name, (unsigned)(i + 1) % 10000u);
        else snprintf(full, sizeof full, "%.*s", DLMS_NAME_MAX, name);
        mc->name = strdup(full);
        mc->password = dup_str(password);
        mc->port = (uint16_t)(port + i);
        mc->local_port = (uint16_t)(local_port ? local_port + i : 0);
        mc->physical = (uint16_t)(physical + (ip ? 0 : i));
        mc->addr_size = (uint8_t)addr_size;
        mc->objects = set;
        mc->n_objects = objs->n;
        if (!mc->name) return cfg_fail(err, m, "out of memory");
    }
    return true;
}

static bool parse_network(const cfg_node *n, dlms_network_cfg *net, cfg_err *err) {
    static const char *const keys[] = {"name", "transport", "host", "device", "baud", "max_bytes",
                                       "retries", "timeout", "silent", "reconnect_delay",
                                       "max_parallel", "meters", NULL};
    static const char *const transports[] = {"udp", "tcp", "hdlc", NULL};
    const char *name, *host, *device;
    int tr;
    long long baud, max_bytes, retries, parallel;
    if (n->kind != CFG_MAP) return cfg_fail(err, n, "a DLMS network must be a map");
    if (!cfg_only_keys(n, keys, err) || !cfg_require(n, "name", CFG_SCALAR, err) ||
        !cfg_str(n, "name", NULL, &name, err) ||
        !parse_enum(n, "transport", "udp", transports, &tr, err) ||
        !cfg_str(n, "host", "127.0.0.1", &host, err) || !cfg_str(n, "device", NULL, &device, err) ||
        !cfg_int(n, "baud", 9600, 300, 115200, &baud, err) ||
        !cfg_int(n, "max_bytes", 80, 32, 2048, &max_bytes, err) ||
        !cfg_int(n, "retries", 3, 0, 20, &retries, err) ||
        !cfg_duration_ns(n, "timeout", 10 * NS_PER_S, &net->timeout_ns, err) ||
        !cfg_duration_ns(n, "silent", 2 * NS_PER_S, &net->silent_ns, err) ||
        !cfg_duration_ns(n, "reconnect_delay", 60 * NS_PER_S, &net->reconnect_delay_ns, err) ||
        !cfg_int(n, "max_parallel", 16, 1, 1000, &parallel, err))
        return false;
    net->name = dup_str(name);
    net->transport = (dlms_transport)tr;
    net->host = dup_str(host);
    net->device = dup_str(device);
    net->baud = (long)baud;
    net->max_bytes = (size_t)max_bytes;
    net->retries = (int)retries;
    net->max_parallel = tr == DLMS_TR_HDLC ? 1 : (int)parallel;
    if (tr == DLMS_TR_HDLC && !device) return cfg_fail(err, n, "device is required for transport hdlc");
    if (tr == DLMS_TR_HDLC && !serial_speed_known(baud))
        return cfg_fail(err, cfg_get(n, "baud"), "unsupported baud rate %lld", baud);
    if (net->timeout_ns <= 0) return cfg_fail(err, cfg_get(n, "timeout"), "timeout must be positive");
    const cfg_node *meters = cfg_require(n, "meters", CFG_SEQ, err);
    if (!meters) return false;
    for (size_t i = 0; i < meters->n; i++)
        if (!parse_meter_entry(net, meters->items[i], err)) return false;
    return true;
}

static bool parse_groups(const cfg_node *sec, dlms_config *cfg, cfg_err *err) {
    static const char *const keys[] = {"slow", "normal", "fast", NULL};
    static const char *const ckeys[] = {"threshold", "interval", NULL};
    const cfg_node *p = cfg_get(sec, "polling"), *c = cfg_get(sec, "clock_sync");
    cfg->group_ns[DLMS_GROUP_SLOW] = 86400 * NS_PER_S;
    cfg->group_ns[DLMS_GROUP_NORMAL] = 10 * NS_PER_S;
    cfg->group_ns[DLMS_GROUP_FAST] = NS_PER_S;
    cfg->clock_threshold_ns = 2 * NS_PER_S;
    cfg->clock_interval_ns = 21600 * NS_PER_S;
    if (p && (p->kind != CFG_MAP || !cfg_only_keys(p, keys, err)))
        return p->kind != CFG_MAP ? cfg_fail(err, p, "polling must be a map") : false;
    for (int g = 0; p && g < DLMS_GROUPS; g++) {
        if (!cfg_duration_ns(p, keys[g], cfg->group_ns[g], &cfg->group_ns[g], err)) return false;
        if (cfg->group_ns[g] <= 0) return cfg_fail(err, cfg_get(p, keys[g]), "interval must be positive");
    }
    if (c && (c->kind != CFG_MAP || !cfg_only_keys(c, ckeys, err)))
        return c->kind != CFG_MAP ? cfg_fail(err, c, "clock_sync must be a map") : false;
    return !c || (cfg_duration_ns(c, "threshold", cfg->clock_threshold_ns, &cfg->clock_threshold_ns, err) &&
                  cfg_duration_ns(c, "interval", cfg->clock_interval_ns, &cfg->clock_interval_ns, err));
}

/* Meter names are unique across the gateway's DLMS networks; hashed, so
 * thousands of meters (count: N) are checked in linear time. */
static bool meter_names_unique(const dlms_config *cfg, const cfg_node *nets, cfg_err *err) {
    name_set seen = {0};
    bool ok = true;
    for (size_t i = 0; ok && i < cfg->n_networks; i++)
        for (size_t m = 0; ok && m < cfg->networks[i].n_meters; m++) {
            int added = name_set_add(&seen, cfg->networks[i].meters[m].name, NULL, NULL);
            if (added < 0) ok = cfg_fail(err, nets->items[i], "out of memory");
            else if (added == 0)
                ok = cfg_fail(err, nets->items[i], "meter name %s used twice",
                              cfg->networks[i].meters[m].name);
        }
    name_set_free(&seen);
    return ok;
}

dlms_config *dlms_config_parse(const cfg_node *sec, cfg_err *err) {
    static const char *const keys[] = {"polling", "clock_sync", "networks", NULL};
    dlms_config *cfg = calloc(1, sizeof *cfg);
    if (!cfg) return NULL;
    if (!sec) {
        parse_groups(NULL, cfg, err);
        return cfg;
    }
    const cfg_node *nets;
    if (sec->kind != CFG_MAP) {
        cfg_fail(err, sec, "dlms must be a map");
        goto fail;
    }
    if (!cfg_only_keys(sec, keys, err) || !parse_groups(sec, cfg, err) ||
        !(nets = cfg_require(sec, "networks", CFG_SEQ, err)))
        goto fail;
    cfg->networks = calloc(nets->n ? nets->n : 1, sizeof *cfg->networks);
    if (!cfg->networks) goto fail;
    for (size_t i = 0; i < nets->n; i++) {
        cfg->n_networks++;
        if (!parse_network(nets->items[i], &cfg->networks[i], err)) goto fail;
        for (size_t k = 0; k < i; k++)
            if (strcmp(cfg->networks[k].name, cfg->networks[i].name) == 0) {
                cfg_fail(err, nets->items[i], "network name %s used twice", cfg->networks[i].name);
                goto fail;
            }
    }
    if (!meter_names_unique(cfg, nets, err)) goto fail;
    return cfg;
fail:
    dlms_config_free(cfg);
    return NULL;
}

void dlms_config_free(dlms_config *cfg) {
    if (!cfg) return;
    for (size_t i = 0; i < cfg->n_networks; i++) {
        dlms_network_cfg *n = &cfg->networks[i];
        for (size_t m = 0; m < n->n_meters; m++) {
            free(n->meters[m].name);
            free(n->meters[m].password);
        }
        for (size_t s = 0; s < n->n_object_sets; s++) {
            for (size_t k = 0; k < n->object_set_len[s]; k++) free(n->object_sets[s][k].name);
            free(n->object_sets[s]);
        }
        free(n->object_sets);
        free(n->object_set_len);
        free(n->meters);
        free(n->name);
        free(n->host);
        free(n->device);
    }
    free(cfg->networks);
    free(cfg);
}
