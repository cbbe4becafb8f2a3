/* modbus_server_muc500: entries of the MUC500 automatic layout (see the header). */
#include "north/modbus/modbus_server_muc500.h"
#include <stdlib.h>
#include <string.h>
#include "codec/modbus/modbus_value.h"

unsigned muc_entry_regs(const muc_layout *l) {
    return l->float_only ? MUC_FLOAT_ONLY_REGS : MUC_ENTRY_REGS;
}

static mbv_order order(const muc_layout *l) { return l->swap ? MBV_CDAB : MBV_ABCD; }

static void put_u32(const muc_layout *l, uint32_t v, uint16_t *regs) {
    mbv_encode_int((int64_t)v, MBV_UINT32, order(l), regs, NULL);
}

bool muc_device_entry(const muc_layout *l, int64_t now_s, uint16_t *regs) {
    if (l->float_only) return false;
    memset(regs, 0, MUC_ENTRY_REGS * sizeof *regs);
    put_u32(l, l->serial, regs);
    regs[2] = l->protocol_version;
    regs[3] = l->version;
    put_u32(l, (uint32_t)now_s, regs + 4);
    regs[7] = 1u << 8;
    return true;
}

void muc_meter_entry(const muc_layout *l, const muc_meter *m, uint16_t *regs) {
    if (l->float_only) {
        put_u32(l, m->serial, regs);
        return;
    }
    memset(regs, 0, MUC_ENTRY_REGS * sizeof *regs);
    put_u32(l, m->serial, regs);
    regs[2] = muc_manufacturer_code(m->manufacturer);
    regs[3] = (uint16_t)((m->version & 0xFF) << 8 | (m->medium & 0xFF));
    put_u32(l, (uint32_t)m->read_s, regs + 4);
    regs[7] = 2u << 8;
    regs[8] = (uint16_t)((m->not_read ? 1u : 0u) | (m->not_current ? 2u : 0u));
}

void muc_value_entry(const muc_layout *l, const muc_value *v, uint16_t *regs) {
    if (l->float_only) {
        mbv_encode(v->value, MBV_FLOAT32, order(l), regs, NULL);
        return;
    }
    memset(regs, 0, MUC_ENTRY_REGS * sizeof *regs);
    mbv_encode_int(v->has_raw ? v->raw : 0, MBV_INT64, order(l), regs, NULL);
    mbv_encode(v->value, MBV_FLOAT32, order(l), regs + 4, NULL);
    regs[6] = (uint16_t)(int16_t)v->scale_exp;
    regs[7] = (uint16_t)(v->unit & 0xFF);
    put_u32(l, (uint32_t)v->meter_ts_s, regs + 8);
}

uint16_t muc_manufacturer_code(const char *man) {
    if (!man || strlen(man) != 3) return 0;
    uint16_t code = 0;
    for (int i = 0; i < 3; i++) {
        char c = man[i];
        if (c < 'A' || c > 'Z') return 0;
        code = (uint16_t)(code << 5 | (unsigned)(c - 'A' + 1));
    }
    return code;
}

/* Table 29 for the units the gateway's drivers publish (base units). */
static const struct {
    const char *unit;
    unsigned index;
} units[] = {
    {"V", 3},      {"A", 4},      {"Wh", 5},      {"J", 6},       {"m3", 7},
    {"kg", 8},     {"s", 9},      {"min", 10},    {"h", 11},      {"d", 12},
    {"W", 13},     {"J/h", 14},   {"m3/h", 15},   {"m3/min", 16}, {"m3/s", 17},
    {"kg/h", 18},  {"C", 19},     {"K", 20},      {"bar", 21},    {"UTC", 25},
    {"bd", 26},    {"bt", 27},    {"mon", 28},    {"y", 29},      {"dBm", 31},
    {"kVARh", 34}, {"kVAR", 35},  {"cal", 36},    {"%", 37},      {"ft3", 38},
    {"deg", 39},   {"Hz", 40},    {"kBTU", 41},   {"mBTU/s", 42}, {"USgal", 43},
    {"USgal/s", 44}, {"USgal/min", 45}, {"USgal/h", 46}, {"F", 47},
};

unsigned muc_unit_index(const char *unit) {
    if (!unit) return 0;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (strcmp(unit, units[i].unit) == 0) return units[i].index;
    return 0;
}

uint32_t muc_serial_number(const char *serial) {
    if (!serial || !*serial || strspn(serial, "0123456789") != strlen(serial) || strlen(serial) > 9)
        return 0;
    return (uint32_t)strtoul(serial, NULL, 10);
}
