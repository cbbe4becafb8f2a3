/* modbus_regs: numbers as registers on the bench side (see modbus_regs.h). */
#include "sim/modbus/modbus_regs.h"
#include <math.h>
#include <string.h>

static const char *const format_names[] = {"bool",  "int16", "uint16",  "int32",
                                           "uint32", "int64", "float32", "float64", NULL};
static const char *const order_names[] = {"ABCD", "DCBA", "CDAB", "BADC", NULL};

bool mr_format_parse(const char *name, mr_format *out) {
    for (int i = 0; format_names[i]; i++)
        if (strcmp(name, format_names[i]) == 0) {
            *out = (mr_format)i;
            return true;
        }
    return false;
}

bool mr_order_parse(const char *name, mr_order *out) {
    for (int i = 0; order_names[i]; i++)
        if (strcmp(name, order_names[i]) == 0) {
            *out = (mr_order)i;
            return true;
        }
    return false;
}

unsigned mr_registers(mr_format f) {
    switch (f) {
    case MR_INT32: case MR_UINT32: case MR_FLOAT32: return 2;
    case MR_INT64: case MR_FLOAT64: return 4;
    default: return 1;
    }
}

/* Byte k of the value (0 = most significant) goes to wire position pos(k). */
static unsigned wire_pos(unsigned k, unsigned n, mr_order o) {
    switch (o) {
    case MR_DCBA: return n - 1 - k;
    case MR_CDAB: return (n / 2 - 1 - k / 2) * 2 + k % 2;
    case MR_BADC: return k ^ 1u;
    default: return k;
    }
}

static void bytes_to_regs(uint64_t v, unsigned n, mr_order o, uint16_t *regs) {
    uint8_t wire[8];
    for (unsigned k = 0; k < n; k++) wire[wire_pos(k, n, o)] = (uint8_t)(v >> (8 * (n - 1 - k)));
    for (unsigned r = 0; r < n / 2; r++) regs[r] = (uint16_t)(wire[2 * r] << 8 | wire[2 * r + 1]);
}

static uint64_t regs_to_bytes(const uint16_t *regs, unsigned n, mr_order o) {
    uint8_t wire[8];
    for (unsigned r = 0; r < n / 2; r++) {
        wire[2 * r] = (uint8_t)(regs[r] >> 8);
        wire[2 * r + 1] = (uint8_t)regs[r];
    }
    uint64_t v = 0;
    for (unsigned k = 0; k < n; k++) v = v << 8 | wire[wire_pos(k, n, o)];
    return v;
}

static double clamp_round(double v, double lo, double hi) {
    if (isnan(v)) return 0;
    double r = round(v);
    return r < lo ? lo : r > hi ? hi : r;
}

void mr_encode(double v, mr_format f, mr_order o, uint16_t *regs) {
    unsigned n = 2 * mr_registers(f);
    uint64_t bits = 0;
    switch (f) {
    case MR_BOOL: regs[0] = v != 0 && !isnan(v); return;
    case MR_INT16: bits = (uint16_t)(int16_t)clamp_round(v, -32768, 32767); break;
    case MR_UINT16: bits = (uint16_t)clamp_round(v, 0, 65535); break;
    case MR_INT32: bits = (uint32_t)(int32_t)clamp_round(v, -2147483648.0, 2147483647.0); break;
    case MR_UINT32: bits = (uint32_t)clamp_round(v, 0, 4294967295.0); break;
    case MR_INT64: {
        /* 2^63 is not an int64: saturate below it */
        double r = clamp_round(v, -9223372036854775808.0, 9223372036854774784.0);
        bits = (uint64_t)(int64_t)r;
        break;
    }
    case MR_FLOAT32: {
        float x = (float)v;
        uint32_t b;
        memcpy(&b, &x, 4);
        bits = b;
        break;
    }
    case MR_FLOAT64: memcpy(&bits, &v, 8); break;
    }
    bytes_to_regs(bits, n, o, regs);
}

double mr_decode(const uint16_t *regs, mr_format f, mr_order o) {
    unsigned n = 2 * mr_registers(f);
    if (f == MR_BOOL) return regs[0] != 0;
    uint64_t bits = regs_to_bytes(regs, n, o);
    switch (f) {
    case MR_INT16: return (int16_t)(uint16_t)bits;
    case MR_UINT16: return (uint16_t)bits;
    case MR_INT32: return (int32_t)(uint32_t)bits;
    case MR_UINT32: return (uint32_t)bits;
    case MR_INT64: return (double)(int64_t)bits;
    case MR_FLOAT32: {
        uint32_t b = (uint32_t)bits;
        float x;
        memcpy(&x, &b, 4);
        return x;
    }
    case MR_FLOAT64: {
        double x;
        memcpy(&x, &bits, 8);
        return x;
    }
    default: return 0;
    }
}
