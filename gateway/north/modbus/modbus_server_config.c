/* modbus_server_config: the `modbus_server:` section (docs/configuration.md). */
#include <stdlib.h>
#include <string.h>
#include "north/modbus/modbus_server_int.h"

static bool parse_tcp(const cfg_node *m, modbus_server_config *c, cfg_err *err) {
    static const char *const keys[] = {"port", "bind", "max_connections", "idle_timeout", "when_full", NULL};
    const char *when_full;
    if (!m) return true;
    if (m->kind != CFG_MAP) return cfg_fail(err, m, "tcp must be a map");
    c->tcp = true;
    if (!cfg_only_keys(m, keys, err) || !cfg_int(m, "port", 502, 1, 65535, &c->port, err) ||
        !cfg_str(m, "bind", "0.0.0.0", &c->bind, err) ||
        !cfg_int(m, "max_connections", 5, 1, 80, &c->max_connections, err) ||
        !cfg_duration_ns(m, "idle_timeout", 60 * 1000000000LL, &c->idle_timeout_ns, err) ||
        !cfg_str(m, "when_full", "drop_oldest", &when_full, err))
        return false;
    c->drop_idlest = strcmp(when_full, "drop_idlest") == 0;
    if (!c->drop_idlest && strcmp(when_full, "drop_oldest") != 0)
        return cfg_fail(err, cfg_get(m, "when_full"), "when_full must be drop_oldest or drop_idlest");
    return true;
}

static bool parse_rtu(const cfg_node *m, modbus_server_config *c, cfg_err *err) {
    static const char *const keys[] = {"device", "baud", "parity", "stop_bits", "unit_id", NULL};
    if (!m) return true;
    if (m->kind != CFG_MAP) return cfg_fail(err, m, "rtu must be a map");
    const char *parity;
    if (!cfg_only_keys(m, keys, err) || !cfg_require(m, "device", CFG_SCALAR, err) ||
        !cfg_str(m, "device", NULL, &c->rtu_device, err) ||
        !cfg_int(m, "baud", 19200, 300, 230400, &c->rtu_baud, err) ||
        !cfg_str(m, "parity", "none", &parity, err) ||
        !cfg_int(m, "stop_bits", 1, 1, 2, &c->rtu_stop_bits, err) ||
        !cfg_int(m, "unit_id", 1, 1, 247, &c->rtu_unit, err))
        return false;
    if (!strcmp(parity, "none")) c->rtu_parity = 'N';
    else if (!strcmp(parity, "even")) c->rtu_parity = 'E';
    else if (!strcmp(parity, "odd")) c->rtu_parity = 'O';
    else return cfg_fail(err, cfg_get(m, "parity"), "parity must be none, even or odd");
    return true;
}

static bool parse_unit_id(const cfg_node *sec, modbus_server_config *c, cfg_err *err) {
    const cfg_node *u = cfg_get(sec, "unit_id");
    c->unit_id = MBS_ANY_UNIT;
    if (!u || (u->kind == CFG_SCALAR && strcmp(u->scalar, "any") == 0)) return true;
    long long v;
    if (!cfg_node_int(u, 0, 255, &v, err)) return false;
    c->unit_id = (int)v;
    return true;
}

static bool parse_layout_meters(const cfg_node *list, modbus_server_config *c, cfg_err *err) {
    static const char *const keys[] = {"name", "values", NULL};
    if (!list) return true;
    if (list->kind != CFG_SEQ) return cfg_fail(err, list, "meters must be a list");
    c->layout_meters = calloc(list->n ? list->n : 1, sizeof *c->layout_meters);
    if (!c->layout_meters) return cfg_fail(err, list, "out of memory");
    for (size_t i = 0; i < list->n; i++) {
        const cfg_node *m = list->items[i];
        mbs_layout_meter *lm = &c->layout_meters[i];
        if (m->kind == CFG_SCALAR) {
            lm->name = m->scalar;
            lm->values = -1;
        } else if (m->kind != CFG_MAP || !cfg_only_keys(m, keys, err) ||
                   !cfg_require(m, "name", CFG_SCALAR, err) ||
                   !cfg_str(m, "name", NULL, &lm->name, err) ||
                   !cfg_int(m, "values", -1, 0, 6000, &lm->values, err)) {
            return m->kind == CFG_MAP ? false : cfg_fail(err, m, "a meter is a name or a map");
        }
        c->n_layout_meters++;
    }
    return true;
}

static bool parse_layout(const cfg_node *m, modbus_server_config *c, cfg_err *err) {
    static const char *const keys[] = {"variant", "swap", "multi_slave", "start", "serial",
                                       "protocol_version", "version", "meters", NULL};
    if (!m) return true;
    if (m->kind != CFG_MAP) return cfg_fail(err, m, "layout must be a map");
    const char *variant;
    long long serial, proto, version;
    if (!cfg_only_keys(m, keys, err) || !cfg_str(m, "variant", "standard", &variant, err) ||
        !cfg_bool(m, "swap", false, &c->muc.swap, err) ||
        !cfg_bool(m, "multi_slave", false, &c->muc.multi_slave, err) ||
        !cfg_int(m, "start", 0, 0, 65535, &c->layout_start, err) ||
        !cfg_int(m, "serial", 0, 0, 0xFFFFFFFFLL, &serial, err) ||
        !cfg_int(m, "protocol_version", 1, 0, 65535, &proto, err) ||
        !cfg_int(m, "version", 1, 0, 65535, &version, err) ||
        !parse_layout_meters(cfg_get(m, "meters"), c, err))
        return false;
    if (!strcmp(variant, "float_only")) c->muc.float_only = true;
    else if (strcmp(variant, "standard") != 0)
        return cfg_fail(err, cfg_get(m, "variant"), "variant must be standard or float_only");
    if (c->muc.multi_slave && c->layout_start != 0)
        return cfg_fail(err, cfg_get(m, "start"), "start must be 0 with multi_slave");
    c->layout = true;
    c->muc.serial = (uint32_t)serial;
    c->muc.protocol_version = (uint16_t)proto;
    c->muc.version = (uint16_t)version;
    return true;
}

static bool parse_mapping(const cfg_node *m, int unit, mbv_order def_order, mbs_mapping *out,
                          cfg_err *err) {
    static const char *const keys[] = {"point", "bank", "address", "format", "byte_order",
                                       "scale", "invalid", NULL};
    const char *bank, *format, *order, *invalid;
    long long address;
    if (m->kind != CFG_MAP) return cfg_fail(err, m, "a mapping must be a map");
    if (!cfg_only_keys(m, keys, err) || !cfg_require(m, "point", CFG_SCALAR, err) ||
        !cfg_require(m, "bank", CFG_SCALAR, err) || !cfg_require(m, "address", CFG_SCALAR, err) ||
        !cfg_str(m, "point", NULL, &out->point, err) || !cfg_str(m, "bank", NULL, &bank, err) ||
        !cfg_int(m, "address", 0, 0, 65535, &address, err) ||
        !cfg_str(m, "format", NULL, &format, err) ||
        !cfg_str(m, "byte_order", mbv_order_name(def_order), &order, err) ||
        !cfg_double(m, "scale", 1.0, &out->scale, err) ||
        !cfg_str(m, "invalid", "keep", &invalid, err))
        return false;
    out->unit = unit;
    out->address = (uint16_t)address;
    if (!mbs_bank_parse(bank, &out->bank))
        return cfg_fail(err, cfg_get(m, "bank"), "bank must be coils, discrete, input or holding");
    bool bits = out->bank == MBS_COILS || out->bank == MBS_DISCRETE;
    if (!format) format = bits ? "bool" : "uint16";
    if (!mbv_format_parse(format, &out->format))
        return cfg_fail(err, cfg_get(m, "format"),
                        "format must be bool, int16, uint16, int32, uint32, int64, float32 or float64");
    if (bits && out->format != MBV_BOOL)
        return cfg_fail(err, cfg_get(m, "format"), "coils and discrete inputs hold bool only");
    if (!mbv_order_parse(order, &out->order))
        return cfg_fail(err, cfg_get(m, "byte_order"), "byte_order must be ABCD, DCBA, CDAB or BADC");
    if (address + mbv_registers(out->format) > 65536)
        return cfg_fail(err, cfg_get(m, "address"), "the value runs past address 65535");
    if (!strcmp(invalid, "keep")) out->invalid = MBS_INVALID_KEEP;
    else if (!strcmp(invalid, "mark")) out->invalid = MBS_INVALID_MARK;
    else return cfg_fail(err, cfg_get(m, "invalid"), "invalid must be keep or mark");
    return true;
}

static bool overlaps(const mbs_mapping *a, const mbs_mapping *b) {
    if (a->unit != b->unit || a->bank != b->bank) return false;
    unsigned a_end = a->address + mbv_registers(a->format);
    unsigned b_end = b->address + mbv_registers(b->format);
    return a->address < b_end && b->address < a_end;
}

static bool parse_group(const cfg_node *g, modbus_server_config *c, mbv_order def_order,
                        cfg_err *err) {
    static const char *const keys[] = {"label", "unit_id", "mappings", NULL};
    const char *label;
    long long unit;
    if (g->kind != CFG_MAP) return cfg_fail(err, g, "a group must be a map");
    if (!cfg_only_keys(g, keys, err) || !cfg_str(g, "label", "", &label, err) ||
        !cfg_int(g, "unit_id", -1, 0, 255, &unit, err))
        return false;
    if (unit >= 0 && !c->muc.multi_slave)
        return cfg_fail(err, cfg_get(g, "unit_id"), "unit_id of a group needs layout.multi_slave");
    const cfg_node *list = cfg_require(g, "mappings", CFG_SEQ, err);
    if (!list) return false;
    mbs_mapping *all = realloc(c->mappings, (c->n_mappings + list->n + 1) * sizeof *all);
    if (!all) return cfg_fail(err, g, "out of memory");
    c->mappings = all;
    for (size_t i = 0; i < list->n; i++) {
        mbs_mapping *m = &c->mappings[c->n_mappings];
        if (!parse_mapping(list->items[i], unit >= 0 ? (int)unit : MBS_ANY_UNIT, def_order, m, err))
            return false;
        if (c->muc.multi_slave && m->unit == MBS_ANY_UNIT) m->unit = 255;
        for (size_t k = 0; k < c->n_mappings; k++)
            if (overlaps(&c->mappings[k], m))
                return cfg_fail(err, list->items[i], "%s %u overlaps the mapping of %s",
                                mbs_bank_name(m->bank), m->address, c->mappings[k].point);
        c->n_mappings++;
    }
    return true;
}

static int by_point(const void *a, const void *b) {
    const mbs_mapping *x = a, *y = b;
    int d = strcmp(x->point, y->point);
    return d ? d : (x->address > y->address) - (x->address < y->address);
}

static bool parse_ident(const cfg_node *sec, modbus_server_config *c, cfg_err *err) {
    const cfg_node *m = cfg_get(sec, "identification");
    static const char *const keys[] = {"vendor", "product_code", "revision", "vendor_url",
                                       "product_name", "model", "application", NULL};
    if (m && (m->kind != CFG_MAP || !cfg_only_keys(m, keys, err)))
        return m->kind == CFG_MAP ? false : cfg_fail(err, m, "identification must be a map");
    return cfg_str(m, "vendor", "gwd project", &c->vendor, err) &&
           cfg_str(m, "product_code", "gwd", &c->product_code, err) &&
           cfg_str(m, "revision", "0.1.0", &c->revision, err) &&
           cfg_str(m, "vendor_url", "", &c->vendor_url, err) &&
           cfg_str(m, "product_name", "gwd", &c->product_name, err) &&
           cfg_str(m, "model", "Standard", &c->model, err) &&
           cfg_str(m, "application", "Modbus TCP Gateway", &c->application, err);
}

static bool parse_section(const cfg_node *sec, modbus_server_config *c, cfg_err *err) {
    static const char *const keys[] = {"tcp", "rtu", "unit_id", "byte_order", "layout",
                                       "groups", "identification", NULL};
    const char *order_name;
    mbv_order order;
    if (sec->kind != CFG_MAP) return cfg_fail(err, sec, "modbus_server must be a map");
    if (!cfg_only_keys(sec, keys, err) || !parse_tcp(cfg_get(sec, "tcp"), c, err) ||
        !parse_rtu(cfg_get(sec, "rtu"), c, err) || !parse_unit_id(sec, c, err) ||
        !cfg_str(sec, "byte_order", "ABCD", &order_name, err) ||
        !parse_layout(cfg_get(sec, "layout"), c, err) || !parse_ident(sec, c, err))
        return false;
    if (!c->tcp && !c->rtu_device) return cfg_fail(err, sec, "modbus_server needs tcp, rtu or both");
    if (!mbv_order_parse(order_name, &order))
        return cfg_fail(err, cfg_get(sec, "byte_order"), "byte_order must be ABCD, DCBA, CDAB or BADC");
    const cfg_node *groups = cfg_get(sec, "groups");
    if (groups && groups->kind != CFG_SEQ) return cfg_fail(err, groups, "groups must be a list");
    for (size_t i = 0; groups && i < groups->n; i++)
        if (!parse_group(groups->items[i], c, order, err)) return false;
    if (!c->layout && c->n_mappings == 0)
        return cfg_fail(err, sec, "modbus_server needs a layout or mapping groups");
    if (c->n_mappings) qsort(c->mappings, c->n_mappings, sizeof *c->mappings, by_point);
    return true;
}

bool modbus_server_config_parse(const cfg_node *sec, modbus_server_config **out, cfg_err *err) {
    *out = NULL;
    if (!sec) return true;
    modbus_server_config *c = calloc(1, sizeof *c);
    if (!c) return cfg_fail(err, sec, "out of memory");
    if (!parse_section(sec, c, err)) {
        modbus_server_config_free(c);
        return false;
    }
    *out = c;
    return true;
}

void modbus_server_config_free(modbus_server_config *cfg) {
    if (!cfg) return;
    free(cfg->mappings);
    free(cfg->layout_meters);
    free(cfg);
}
