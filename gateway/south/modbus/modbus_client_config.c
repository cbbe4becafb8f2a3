/* modbus_client_config: the `modbus:` section and request planning. */
#include <stdlib.h>
#include <string.h>
#include "south/modbus/modbus_client_int.h"
#include "core/name_set.h"

static const char *const group_names[] = {"slow", "normal", "fast"};

static bool parse_polling(const cfg_node *m, modbus_client_config *c, cfg_err *err) {
    static const char *const keys[] = {"slow", "normal", "fast", NULL};
    static const int64_t defaults[] = {86400 * 1000000000LL, 10 * 1000000000LL, 1000000000LL};
    if (m && (m->kind != CFG_MAP || !cfg_only_keys(m, keys, err)))
        return m->kind == CFG_MAP ? false : cfg_fail(err, m, "polling must be a map");
    for (int g = 0; g < MBC_GROUPS; g++) {
        if (!cfg_duration_ns(m, group_names[g], defaults[g], &c->interval_ns[g], err)) return false;
        if (c->interval_ns[g] <= 0)
            return cfg_fail(err, cfg_get(m, group_names[g]), "a polling interval must be positive");
    }
    return true;
}

static bool parse_register(const cfg_node *m, mbv_order def_order, mbc_register *r, cfg_err *err) {
    static const char *const keys[] = {"id", "bank", "address", "format", "byte_order", "scale",
                                       "unit", "group", "quantity", NULL};
    static const char *const banks[] = {"coils", "discrete", "holding", "input", "contact", NULL};
    static const uint8_t functions[] = {1, 2, 3, 4, 2};
    const char *bank, *format, *order, *group;
    long long address;
    if (m->kind != CFG_MAP) return cfg_fail(err, m, "a register must be a map");
    if (!cfg_only_keys(m, keys, err) || !cfg_require(m, "id", CFG_SCALAR, err) ||
        !cfg_require(m, "address", CFG_SCALAR, err) || !cfg_str(m, "id", NULL, &r->id, err) ||
        !cfg_str(m, "bank", "holding", &bank, err) ||
        !cfg_int(m, "address", 0, 0, 65535, &address, err) ||
        !cfg_str(m, "format", NULL, &format, err) ||
        !cfg_str(m, "byte_order", mbv_order_name(def_order), &order, err) ||
        !cfg_double(m, "scale", 1.0, &r->scale, err) || !cfg_str(m, "unit", "", &r->unit, err) ||
        !cfg_str(m, "group", "normal", &group, err) || !cfg_str(m, "quantity", r->id, &r->quantity, err))
        return false;
    r->function = 0;
    for (int i = 0; banks[i]; i++)
        if (strcmp(bank, banks[i]) == 0) r->function = functions[i];
    if (!r->function)
        return cfg_fail(err, cfg_get(m, "bank"), "bank must be coils, discrete, holding or input");
    bool bits = r->function <= 2;
    if (!format) format = bits ? "bool" : "uint16";
    if (!mbv_format_parse(format, &r->format))
        return cfg_fail(err, cfg_get(m, "format"),
                        "format must be bool, int16, uint16, int32, uint32, int64, float32 or float64");
    if (bits && r->format != MBV_BOOL)
        return cfg_fail(err, cfg_get(m, "format"), "coils and discrete inputs are bool");
    if (!mbv_order_parse(order, &r->order))
        return cfg_fail(err, cfg_get(m, "byte_order"), "byte_order must be ABCD, DCBA, CDAB or BADC");
    if (address + mbv_registers(r->format) > 65536)
        return cfg_fail(err, cfg_get(m, "address"), "the value runs past address 65535");
    r->address = (uint16_t)address;
    r->group = -1;
    for (int g = 0; g < MBC_GROUPS; g++)
        if (strcmp(group, group_names[g]) == 0) r->group = g;
    if (r->group < 0) return cfg_fail(err, cfg_get(m, "group"), "group must be slow, normal or fast");
    return true;
}

static bool parse_link(const cfg_node *d, mbc_device *dev, cfg_err *err) {
    const cfg_node *tcp = cfg_get(d, "tcp"), *rtu = cfg_get(d, "rtu");
    if (!tcp == !rtu) return cfg_fail(err, d, "a device needs exactly one of tcp or rtu");
    if (tcp) {
        static const char *const keys[] = {"host", "port", NULL};
        if (tcp->kind != CFG_MAP) return cfg_fail(err, tcp, "tcp must be a map");
        return cfg_only_keys(tcp, keys, err) && cfg_require(tcp, "host", CFG_SCALAR, err) &&
               cfg_str(tcp, "host", NULL, &dev->host, err) &&
               cfg_int(tcp, "port", 502, 1, 65535, &dev->port, err);
    }
    static const char *const keys[] = {"device", "baud", "parity", "stop_bits", NULL};
    const char *parity;
    if (rtu->kind != CFG_MAP) return cfg_fail(err, rtu, "rtu must be a map");
    if (!cfg_only_keys(rtu, keys, err) || !cfg_require(rtu, "device", CFG_SCALAR, err) ||
        !cfg_str(rtu, "device", NULL, &dev->serial_device, err) ||
        !cfg_int(rtu, "baud", 19200, 300, 230400, &dev->baud, err) ||
        !cfg_str(rtu, "parity", "none", &parity, err) ||
        !cfg_int(rtu, "stop_bits", 1, 1, 2, &dev->stop_bits, err))
        return false;
    if (!strcmp(parity, "none")) dev->parity = 'N';
    else if (!strcmp(parity, "even")) dev->parity = 'E';
    else if (!strcmp(parity, "odd")) dev->parity = 'O';
    else return cfg_fail(err, cfg_get(rtu, "parity"), "parity must be none, even or odd");
    return true;
}

static int by_address(const void *a, const void *b) {
    const mbc_register *x = a, *y = b;
    if (x->function != y->function) return x->function - y->function;
    return (x->address > y->address) - (x->address < y->address);
}

static bool parse_device(const cfg_node *d, mbc_device *dev, cfg_err *err) {
    static const char *const keys[] = {"name", "tcp", "rtu", "unit_id", "timeout", "retries",
                                       "byte_order", "serial", "manufacturer", "medium",
                                       "registers", NULL};
    const char *order_name;
    mbv_order order;
    if (d->kind != CFG_MAP) return cfg_fail(err, d, "a device must be a map");
    if (!cfg_only_keys(d, keys, err) || !cfg_require(d, "name", CFG_SCALAR, err) ||
        !cfg_str(d, "name", NULL, &dev->name, err) || !parse_link(d, dev, err) ||
        !cfg_int(d, "unit_id", 1, 0, 255, &dev->unit_id, err) ||
        !cfg_duration_ns(d, "timeout", 1000000000LL, &dev->timeout_ns, err) ||
        !cfg_int(d, "retries", 1, 0, 10, &dev->retries, err) ||
        !cfg_str(d, "byte_order", "ABCD", &order_name, err) ||
        !cfg_str(d, "serial", NULL, &dev->serial, err) ||
        !cfg_str(d, "manufacturer", NULL, &dev->manufacturer, err) ||
        !cfg_int(d, "medium", 0, 0, 255, &dev->medium, err))
        return false;
    if (dev->timeout_ns <= 0) return cfg_fail(err, cfg_get(d, "timeout"), "timeout must be positive");
    if (!mbv_order_parse(order_name, &order))
        return cfg_fail(err, cfg_get(d, "byte_order"), "byte_order must be ABCD, DCBA, CDAB or BADC");
    const cfg_node *regs = cfg_require(d, "registers", CFG_SEQ, err);
    if (!regs) return false;
    dev->regs = calloc(regs->n ? regs->n : 1, sizeof *dev->regs);
    if (!dev->regs) return cfg_fail(err, regs, "out of memory");
    name_set ids = {0}; /* hashed: the duplicate check stays linear */
    bool ok = true;
    for (size_t i = 0; ok && i < regs->n; i++) {
        ok = parse_register(regs->items[i], order, &dev->regs[i], err);
        int added = ok ? name_set_add(&ids, dev->regs[i].id, NULL, NULL) : 1;
        if (added <= 0)
            ok = cfg_fail(err, regs->items[i], added < 0 ? "out of memory" : "register id %s used twice",
                          dev->regs[i].id);
        if (ok) dev->n_regs++;
    }
    name_set_free(&ids);
    if (!ok) return false;
    qsort(dev->regs, dev->n_regs, sizeof *dev->regs, by_address);
    return true;
}

bool modbus_client_config_parse(const cfg_node *sec, modbus_client_config **out, cfg_err *err) {
    static const char *const keys[] = {"optimize", "polling", "devices", NULL};
    *out = NULL;
    if (!sec) return true;
    if (sec->kind != CFG_MAP) return cfg_fail(err, sec, "modbus must be a map");
    modbus_client_config *c = calloc(1, sizeof *c);
    if (!c) return cfg_fail(err, sec, "out of memory");
    const cfg_node *devs;
    bool ok = cfg_only_keys(sec, keys, err) && cfg_bool(sec, "optimize", false, &c->optimize, err) &&
              parse_polling(cfg_get(sec, "polling"), c, err) &&
              (devs = cfg_require(sec, "devices", CFG_SEQ, err)) != NULL;
    if (ok) {
        c->devices = calloc(devs->n ? devs->n : 1, sizeof *c->devices);
        ok = c->devices != NULL;
        name_set names = {0}; /* hashed: the duplicate check stays linear */
        for (size_t i = 0; ok && i < devs->n; i++) {
            ok = parse_device(devs->items[i], &c->devices[i], err);
            c->n_devices++;
            int added = ok ? name_set_add(&names, c->devices[i].name, NULL, NULL) : 1;
            if (added <= 0)
                ok = cfg_fail(err, devs->items[i], added < 0 ? "out of memory" : "device %s defined twice",
                              c->devices[i].name);
        }
        name_set_free(&names);
    }
    if (!ok) {
        modbus_client_config_free(c);
        return false;
    }
    *out = c;
    return true;
}

void modbus_client_config_free(modbus_client_config *cfg) {
    if (!cfg) return;
    for (size_t i = 0; i < cfg->n_devices; i++) free(cfg->devices[i].regs);
    free(cfg->devices);
    free(cfg);
}

/* Items (registers or bits) a register spec occupies. */
static unsigned items_of(const mbc_register *r) { return mbv_registers(r->format); }

size_t mbc_plan(const mbc_device *dev, int group, bool optimize, mbc_block *out, size_t cap) {
    size_t n = 0;
    for (size_t i = 0; i < dev->n_regs; i++) {
        const mbc_register *r = &dev->regs[i];
        if (r->group != group) continue;
        unsigned end = r->address + items_of(r);
        if (optimize && n > 0) {
            mbc_block *b = &out[n - 1];
            unsigned max = r->function <= 2 ? MB_MAX_READ_BITS : MB_MAX_READ_REGISTERS;
            unsigned b_end = b->req.address + b->req.count;
            /* contiguous (or overlapping) in the same bank, and still within one request */
            if (b->req.function == r->function && r->address <= b_end && end - b->req.address <= max &&
                b->first + b->n == i) {
                if (end > b_end) b->req.count = (uint16_t)(end - b->req.address);
                b->n++;
                continue;
            }
        }
        if (n == cap) break;
        out[n++] = (mbc_block){{r->function, r->address, (uint16_t)items_of(r)}, i, 1};
    }
    return n;
}
