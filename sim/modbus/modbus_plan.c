/* modbus_plan: parsing of `plant: modbus:` and of register map fixtures (see modbus_plan.h). */
#include "sim/modbus/modbus_plan.h"
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const bank_names[] = {"coils", "discrete", "input", "holding", NULL};

bool mb_bank_parse(const char *name, mb_bank *out) {
    for (int i = 0; bank_names[i]; i++)
        if (strcmp(name, bank_names[i]) == 0) {
            *out = (mb_bank)i;
            return true;
        }
    return false;
}

const char *mb_bank_name(mb_bank b) { return bank_names[b]; }

uint8_t mb_bank_function(mb_bank b) {
    static const uint8_t fc[] = {1, 2, 4, 3};
    return fc[b];
}

static bool parse_line(const cfg_node *m, mb_line *line, cfg_err *err) {
    const cfg_node *tcp = cfg_get(m, "tcp"), *rtu = cfg_get(m, "rtu");
    if (!tcp == !rtu) return cfg_fail(err, m, "give exactly one of tcp: true or rtu: {baud, parity, stop_bits}");
    if (tcp) {
        bool on;
        if (!cfg_node_bool(tcp, &on, err)) return false;
        if (!on) return cfg_fail(err, tcp, "tcp must be true (or use rtu:)");
        line->tcp = true;
        return true;
    }
    static const char *const keys[] = {"baud", "parity", "stop_bits", NULL};
    if (rtu->kind != CFG_MAP) return cfg_fail(err, rtu, "rtu must be a map {baud, parity, stop_bits}");
    long long baud, stop;
    const char *parity;
    if (!cfg_only_keys(rtu, keys, err) || !cfg_int(rtu, "baud", 9600, 300, 115200, &baud, err) ||
        !cfg_int(rtu, "stop_bits", 1, 1, 2, &stop, err) || !cfg_str(rtu, "parity", "none", &parity, err))
        return false;
    if (!strcmp(parity, "none")) line->parity = 'N';
    else if (!strcmp(parity, "even")) line->parity = 'E';
    else if (!strcmp(parity, "odd")) line->parity = 'O';
    else return cfg_fail(err, cfg_get(rtu, "parity"), "parity must be none, even or odd");
    line->tcp = false;
    line->baud = (unsigned)baud;
    line->stop_bits = (unsigned)stop;
    return true;
}

/* ---- register maps ---- */

static bool parse_value(const cfg_node *m, mb_value *v, cfg_err *err) {
    static const char *const keys[] = {"bank", "address", "format", "byte_order", "value",
                                       "per_hour", NULL};
    if (m->kind != CFG_MAP) return cfg_fail(err, m, "a register must be a map {bank, address, format, value}");
    const char *bank, *format, *order;
    long long address;
    if (!cfg_only_keys(m, keys, err) || !cfg_require(m, "address", CFG_SCALAR, err) ||
        !cfg_require(m, "value", CFG_SCALAR, err) || !cfg_str(m, "bank", "holding", &bank, err) ||
        !cfg_str(m, "format", NULL, &format, err) || !cfg_str(m, "byte_order", "ABCD", &order, err) ||
        !cfg_int(m, "address", 0, 0, 65535, &address, err) ||
        !cfg_double(m, "value", 0, &v->value, err) || !cfg_double(m, "per_hour", 0, &v->per_hour, err))
        return false;
    if (!mb_bank_parse(bank, &v->bank))
        return cfg_fail(err, cfg_get(m, "bank"), "bank must be coils, discrete, input or holding");
    bool bits = v->bank == MB_BANK_COILS || v->bank == MB_BANK_DISCRETE;
    if (!format) format = bits ? "bool" : "uint16";
    if (!mr_format_parse(format, &v->format))
        return cfg_fail(err, cfg_get(m, "format"), "unknown format %s (bool, int16, uint16, int32, uint32, int64, float32, float64)", format);
    if (bits && v->format != MR_BOOL)
        return cfg_fail(err, cfg_get(m, "format"), "coils and discrete inputs are bool");
    if (!mr_order_parse(order, &v->order))
        return cfg_fail(err, cfg_get(m, "byte_order"), "byte_order must be ABCD, DCBA, CDAB or BADC");
    v->address = (uint16_t)address;
    if (address + mr_registers(v->format) > 65536)
        return cfg_fail(err, m, "the value runs past address 65535");
    return true;
}

static bool overlaps(const mb_value *a, const mb_value *b) {
    unsigned a_end = a->address + mr_registers(a->format), b_end = b->address + mr_registers(b->format);
    return a->bank == b->bank && a->address < b_end && b->address < a_end;
}

static bool add_values(mb_meter_spec *mt, const cfg_node *list, cfg_err *err) {
    if (list->kind != CFG_SEQ) return cfg_fail(err, list, "registers must be a list");
    mb_value *all = realloc(mt->values, (mt->n_values + list->n + 1) * sizeof *all);
    if (!all) return cfg_fail(err, list, "out of memory");
    mt->values = all;
    for (size_t i = 0; i < list->n; i++) {
        mb_value *v = &mt->values[mt->n_values];
        memset(v, 0, sizeof *v);
        if (!parse_value(list->items[i], v, err)) return false;
        for (size_t k = 0; k < mt->n_values; k++)
            if (overlaps(v, &mt->values[k]))
                return cfg_fail(err, list->items[i], "register %u overlaps another value of %s",
                                v->address, mt->name);
        mt->n_values++;
    }
    return true;
}

static bool load_map(modbus_plan *plan, mb_meter_spec *mt, const cfg_node *file,
                     const scenario_paths *paths, cfg_err *err) {
    if (file->kind != CFG_SCALAR) return cfg_fail(err, file, "map must be a file name");
    char path[PATH_MAX];
    if (!scenario_path(paths, file, "register map", path, sizeof path, err)) return false;
    cfg_node **docs = realloc(plan->docs, (plan->n_docs + 1) * sizeof *docs);
    if (!docs) return cfg_fail(err, file, "out of memory");
    plan->docs = docs;
    if (access(path, R_OK) != 0) return cfg_fail(err, file, "cannot read the register map %s", path);
    cfg_node *doc = cfg_load_file(path, err);
    if (!doc) return false;
    plan->docs[plan->n_docs++] = doc;
    static const char *const keys[] = {"description", "registers", NULL};
    if (doc->kind != CFG_MAP) return cfg_fail(err, doc, "a register map is a map {registers: [...]}");
    const cfg_node *regs = cfg_require(doc, "registers", CFG_SEQ, err);
    return cfg_only_keys(doc, keys, err) && regs && add_values(mt, regs, err);
}

/* ---- meters ---- */

static bool parse_exceptions(mb_meter_spec *mt, const cfg_node *list, cfg_err *err) {
    if (list->kind != CFG_SEQ) return cfg_fail(err, list, "exceptions must be a list");
    mt->exceptions = calloc(list->n + 1, sizeof *mt->exceptions);
    if (!mt->exceptions) return cfg_fail(err, list, "out of memory");
    static const char *const keys[] = {"function", "address", "code", NULL};
    for (size_t i = 0; i < list->n; i++) {
        const cfg_node *m = list->items[i];
        long long fc, code;
        mb_exception_rule *r = &mt->exceptions[i];
        if (m->kind != CFG_MAP) return cfg_fail(err, m, "an exception is a map {function, address, code}");
        if (!cfg_only_keys(m, keys, err) || !cfg_int(m, "function", -1, -1, 127, &fc, err) ||
            !cfg_int(m, "address", -1, -1, 65535, &r->address, err) ||
            !cfg_int(m, "code", 4, 1, 255, &code, err))
            return false;
        r->function = (int)fc;
        r->code = (uint8_t)code;
        mt->n_exceptions++;
    }
    return true;
}

static bool parse_faults(mb_meter_spec *mt, const cfg_node *m, cfg_err *err) {
    static const char *const keys[] = {"silent", "silent_from", "silent_until", "exceptions", NULL};
    mt->silent_from_ns = mt->silent_until_ns = INT64_MAX;
    if (!m) return true;
    if (m->kind != CFG_MAP) return cfg_fail(err, m, "faults must be a map");
    if (!cfg_only_keys(m, keys, err) || !cfg_bool(m, "silent", false, &mt->silent, err) ||
        !cfg_duration_ns(m, "silent_from", INT64_MAX, &mt->silent_from_ns, err) ||
        !cfg_duration_ns(m, "silent_until", INT64_MAX, &mt->silent_until_ns, err))
        return false;
    if (cfg_get(m, "silent_until") && !cfg_get(m, "silent_from"))
        return cfg_fail(err, cfg_get(m, "silent_until"), "silent_until needs silent_from");
    const cfg_node *ex = cfg_get(m, "exceptions");
    return !ex || parse_exceptions(mt, ex, err);
}

static bool unique_name(const modbus_plan *plan, const char *name, const cfg_node *at, cfg_err *err) {
    size_t seen = 0;
    for (size_t i = 0; i < plan->n_meters; i++) seen += strcmp(plan->meters[i].name, name) == 0;
    for (size_t i = 0; i < plan->n_masters; i++) seen += strcmp(plan->masters[i].name, name) == 0;
    return seen <= 1 || cfg_fail(err, at, "modbus name %s used twice", name);
}

static bool parse_meter(modbus_plan *plan, const cfg_node *m, const scenario_paths *paths,
                        cfg_err *err) {
    static const char *const keys[] = {"name", "tcp", "rtu", "unit_id", "map", "registers",
                                       "response_delay", "faults", NULL};
    if (m->kind != CFG_MAP) return cfg_fail(err, m, "a Modbus meter must be a map");
    mb_meter_spec *mt = &plan->meters[plan->n_meters++];
    memset(mt, 0, sizeof *mt);
    if (!cfg_only_keys(m, keys, err) || !cfg_require(m, "name", CFG_SCALAR, err) ||
        !cfg_str(m, "name", NULL, &mt->name, err) || !unique_name(plan, mt->name, m, err) ||
        !parse_line(m, &mt->line, err) ||
        !cfg_duration_ns(m, "response_delay", 0, &mt->response_delay_ns, err) ||
        !parse_faults(mt, cfg_get(m, "faults"), err))
        return false;
    const cfg_node *unit = cfg_get(m, "unit_id");
    mt->unit_id = 1;
    if (unit && unit->kind == CFG_SCALAR && strcmp(unit->scalar, "any") == 0) {
        if (!mt->line.tcp) return cfg_fail(err, unit, "unit_id any is for TCP meters only");
        mt->unit_id = -1;
    } else {
        long long u;
        if (!cfg_int(m, "unit_id", 1, 1, 247, &u, err)) return false;
        mt->unit_id = (int)u;
    }
    const cfg_node *map = cfg_get(m, "map"), *regs = cfg_get(m, "registers");
    if (!map && !regs) return cfg_fail(err, m, "a Modbus meter needs map: (a fixture) or registers:");
    if (map && !load_map(plan, mt, map, paths, err)) return false;
    return !regs || add_values(mt, regs, err);
}

/* ---- masters ---- */

static bool parse_data(const cfg_node *n, mb_read_step *s, cfg_err *err) {
    for (const char *p = n->scalar; *p;) {
        if (*p == ' ') {
            p++;
            continue;
        }
        char byte[3] = {p[0], p[1], 0}, *end;
        unsigned long v = strtoul(byte, &end, 16);
        if (!p[1] || *end || s->pdu_len == sizeof s->pdu)
            return cfg_fail(err, n, "data must be pairs of hex digits (at most 252 octets)");
        s->pdu[s->pdu_len++] = (uint8_t)v;
        p += 2;
    }
    return true;
}

static bool parse_read(mb_read_step *s, const cfg_node *m, cfg_err *err) {
    static const char *const keys[] = {"at", "every", "times", "unit", "bank", "function",
                                       "address", "count", "data", NULL};
    if (m->kind != CFG_MAP) return cfg_fail(err, m, "a read must be a map {at, unit, bank, address, count}");
    long long unit, fc, address, count;
    const char *bank;
    if (!cfg_only_keys(m, keys, err) || !cfg_require(m, "at", CFG_SCALAR, err) ||
        !cfg_duration_ns(m, "at", 0, &s->at_ns, err) ||
        !cfg_duration_ns(m, "every", 0, &s->every_ns, err) ||
        !cfg_int(m, "times", cfg_get(m, "every") ? 1000000 : 1, 1, 1000000, &s->times, err) ||
        !cfg_int(m, "unit", 1, 0, 255, &unit, err) || !cfg_str(m, "bank", NULL, &bank, err) ||
        !cfg_int(m, "function", -1, 1, 127, &fc, err) ||
        !cfg_int(m, "address", 0, 0, 65535, &address, err) ||
        !cfg_int(m, "count", 1, 0, 65535, &count, err))
        return false;
    if (s->times > 1 && s->every_ns <= 0) return cfg_fail(err, m, "times needs every");
    s->unit = (uint8_t)unit;
    mb_bank b = MB_BANK_HOLDING;
    if (bank && !mb_bank_parse(bank, &b))
        return cfg_fail(err, cfg_get(m, "bank"), "bank must be coils, discrete, input or holding");
    if (bank && fc >= 0) return cfg_fail(err, m, "give bank or function, not both");
    s->pdu[0] = (uint8_t)(fc >= 0 ? fc : mb_bank_function(b));
    s->pdu_len = 1;
    const cfg_node *data = cfg_get(m, "data");
    if (data) {
        if (data->kind != CFG_SCALAR) return cfg_fail(err, data, "data must be hex text");
        return parse_data(data, s, err);
    }
    s->pdu[1] = (uint8_t)(address >> 8);
    s->pdu[2] = (uint8_t)address;
    s->pdu[3] = (uint8_t)(count >> 8);
    s->pdu[4] = (uint8_t)count;
    s->pdu_len = 5;
    return true;
}

static bool parse_master(modbus_plan *plan, const cfg_node *m, cfg_err *err) {
    static const char *const keys[] = {"name", "tcp", "rtu", "timeout", "reads", NULL};
    if (m->kind != CFG_MAP) return cfg_fail(err, m, "a Modbus master must be a map");
    mb_master_spec *ms = &plan->masters[plan->n_masters++];
    memset(ms, 0, sizeof *ms);
    if (!cfg_only_keys(m, keys, err) || !cfg_require(m, "name", CFG_SCALAR, err) ||
        !cfg_str(m, "name", NULL, &ms->name, err) || !unique_name(plan, ms->name, m, err) ||
        !parse_line(m, &ms->line, err) || !cfg_duration_ns(m, "timeout", 1000000000LL, &ms->timeout_ns, err))
        return false;
    const cfg_node *reads = cfg_require(m, "reads", CFG_SEQ, err);
    if (!reads) return false;
    ms->reads = calloc(reads->n + 1, sizeof *ms->reads);
    if (!ms->reads) return cfg_fail(err, reads, "out of memory");
    for (size_t i = 0; i < reads->n; i++) {
        if (!parse_read(&ms->reads[i], reads->items[i], err)) return false;
        ms->n_reads++;
    }
    return true;
}

modbus_plan *modbus_plan_parse(const cfg_node *node, const scenario_paths *paths,
                               cfg_err *err) {
    static const char *const keys[] = {"meters", "masters", NULL};
    if (node->kind != CFG_MAP) {
        cfg_fail(err, node, "modbus must be a map {meters, masters}");
        return NULL;
    }
    if (!cfg_only_keys(node, keys, err)) return NULL;
    const cfg_node *meters = cfg_get(node, "meters"), *masters = cfg_get(node, "masters");
    if ((meters && meters->kind != CFG_SEQ) || (masters && masters->kind != CFG_SEQ)) {
        cfg_fail(err, meters && meters->kind != CFG_SEQ ? meters : masters, "must be a list");
        return NULL;
    }
    modbus_plan *plan = calloc(1, sizeof *plan);
    if (plan) {
        plan->meters = calloc(meters ? meters->n + 1 : 1, sizeof *plan->meters);
        plan->masters = calloc(masters ? masters->n + 1 : 1, sizeof *plan->masters);
    }
    if (!plan || !plan->meters || !plan->masters) {
        modbus_plan_free(plan);
        cfg_fail(err, node, "out of memory");
        return NULL;
    }
    bool ok = true;
    for (size_t i = 0; ok && meters && i < meters->n; i++)
        ok = parse_meter(plan, meters->items[i], paths, err);
    for (size_t i = 0; ok && masters && i < masters->n; i++)
        ok = parse_master(plan, masters->items[i], err);
    if (!ok) {
        modbus_plan_free(plan);
        return NULL;
    }
    return plan;
}

void modbus_plan_free(modbus_plan *plan) {
    if (!plan) return;
    for (size_t i = 0; i < plan->n_meters; i++) {
        free(plan->meters[i].values);
        free(plan->meters[i].exceptions);
    }
    for (size_t i = 0; i < plan->n_masters; i++) free(plan->masters[i].reads);
    for (size_t i = 0; i < plan->n_docs; i++) cfg_free(plan->docs[i]);
    free(plan->docs);
    free(plan->meters);
    free(plan->masters);
    free(plan);
}
