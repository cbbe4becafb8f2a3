/* vmbus_config: the `mbus_virtual:` section, checked with file:line:col errors. */
#include "north/mbus_virtual/vmbus_config.h"

#include <stdlib.h>
#include <string.h>

#include "core/datahub.h"

static bool parse_protocols(const cfg_node *list, vmbus_config *c, cfg_err *err) {
    static const char *const names[] = {"", "mbus", "wmbus", "dlms", "modbus"};
    if (!list) {
        c->protocols[DP_PROTO_MBUS] = c->protocols[DP_PROTO_WMBUS] = true;
        return true;
    }
    if (list->kind != CFG_SEQ)
        return cfg_fail(err, list, "protocols must be a list (mbus, wmbus, dlms, modbus)");
    for (size_t i = 0; i < list->n; i++) {
        const cfg_node *p = list->items[i];
        size_t k = 1;
        while (k < 5 && !(p->kind == CFG_SCALAR && strcmp(p->scalar, names[k]) == 0))
            k++;
        if (k == 5)
            return cfg_fail(err, p, "protocols: %s is none of mbus, wmbus, dlms, modbus",
                            p->kind == CFG_SCALAR ? p->scalar : "this");
        c->protocols[k] = true;
    }
    return true;
}

static bool parse_primary(const cfg_node *m, vmbus_meter_cfg *mc, cfg_err *err) {
    const cfg_node *p = cfg_get(m, "primary");
    long long v;
    mc->primary = -2;
    if (!p)
        return true;
    if (p->kind == CFG_SCALAR && strcmp(p->scalar, "none") == 0) {
        mc->primary = -1;
        return true;
    }
    if (!cfg_int(m, "primary", 0, 0, 250, &v, err))
        return false;
    mc->primary = (int)v;
    return true;
}

static bool parse_meter(const cfg_node *m, vmbus_meter_cfg *mc, cfg_err *err) {
    static const char *const keys[] = {"name", "primary", "secondary", NULL};
    const char *sec = NULL;
    if (m->kind != CFG_MAP)
        return cfg_fail(err, m, "a meter is a map (name, primary, secondary)");
    if (!cfg_only_keys(m, keys, err) || !cfg_require(m, "name", CFG_SCALAR, err) ||
        !cfg_str(m, "name", NULL, &mc->name, err) || !parse_primary(m, mc, err) ||
        !cfg_str(m, "secondary", NULL, &sec, err))
        return false;
    if (!sec)
        return true;
    if (!mbus_secondary_parse(sec, &mc->secondary) || !mbus_secondary_id_complete(&mc->secondary))
        return cfg_fail(err, cfg_get(m, "secondary"),
                        "secondary must be 16 hex characters IIIIIIIIMMMMVVDD, the id all digits");
    mc->has_secondary = true;
    return true;
}

static bool parse_meters(const cfg_node *list, vmbus_config *c, cfg_err *err) {
    if (!list)
        return true;
    if (list->kind != CFG_SEQ)
        return cfg_fail(err, list, "meters must be a list");
    c->meters = calloc(list->n ? list->n : 1, sizeof *c->meters);
    if (!c->meters)
        return cfg_fail(err, list, "out of memory");
    for (size_t i = 0; i < list->n; i++) {
        if (!parse_meter(list->items[i], &c->meters[i], err))
            return false;
        if (vmbus_config_meter(c, c->meters[i].name))
            return cfg_fail(err, list->items[i], "meter %s is listed twice", c->meters[i].name);
        c->n_meters++;
    }
    return true;
}

static bool parse_section(const cfg_node *s, vmbus_config *c, cfg_err *err) {
    static const char *const keys[] = {"port", "bind", "max_connections", "idle_timeout",
                                       "value_expiration", "protocols", "primary_addresses",
                                       "meters", NULL};
    const char *primary;
    if (s->kind != CFG_MAP)
        return cfg_fail(err, s, "mbus_virtual must be a map");
    if (!cfg_only_keys(s, keys, err) || !cfg_int(s, "port", 10002, 1, 65535, &c->port, err) ||
        !cfg_str(s, "bind", "0.0.0.0", &c->bind, err) ||
        !cfg_int(s, "max_connections", 4, 1, 32, &c->max_connections, err) ||
        !cfg_duration_ns(s, "idle_timeout", 60 * 1000000000LL, &c->idle_timeout_ns, err) ||
        !cfg_duration_ns(s, "value_expiration", 0, &c->value_expiration_ns, err) ||
        !parse_protocols(cfg_get(s, "protocols"), c, err) ||
        !cfg_str(s, "primary_addresses", "as_read", &primary, err) ||
        !parse_meters(cfg_get(s, "meters"), c, err))
        return false;
    c->primary_as_read = strcmp(primary, "as_read") == 0;
    if (!c->primary_as_read && strcmp(primary, "none") != 0)
        return cfg_fail(err, cfg_get(s, "primary_addresses"), "primary_addresses must be as_read or none");
    return true;
}

bool vmbus_config_parse(const cfg_node *section, vmbus_config **out, cfg_err *err) {
    *out = NULL;
    if (!section)
        return true;
    vmbus_config *c = calloc(1, sizeof *c);
    if (!c)
        return cfg_fail(err, section, "out of memory");
    if (!parse_section(section, c, err)) {
        vmbus_config_free(c);
        return false;
    }
    *out = c;
    return true;
}

void vmbus_config_free(vmbus_config *c) {
    if (!c)
        return;
    free(c->meters);
    free(c);
}

const vmbus_meter_cfg *vmbus_config_meter(const vmbus_config *c, const char *name) {
    for (size_t i = 0; i < c->n_meters; i++)
        if (name && strcmp(c->meters[i].name, name) == 0)
            return &c->meters[i];
    return NULL;
}
