/* modbus_value: number <-> registers in every format and byte order (see modbus_value.h). */
#include "codec/modbus/modbus_value.h"
#include <math.h>
#include <string.h>

static const struct {
    const char *name, *alias;
    unsigned regs;
} formats[] = {
    [MBV_BOOL] = {"bool", "b1", 1},      [MBV_INT16] = {"int16", "i16", 1},
    [MBV_UINT16] = {"uint16", "u16", 1}, [MBV_INT32] = {"int32", "i32", 2},
    [MBV_UINT32] = {"uint32", "u32", 2}, [MBV_INT64] = {"int64", "i64", 4},
    [MBV_FLOAT32] = {"float32", "float", 2}, [MBV_FLOAT64] = {"float64", "double", 4},
};
static const char *const orders[] = {"ABCD", "DCBA", "CDAB", "BADC"};

unsigned mbv_registers(mbv_format f) { return formats[f].regs; }
const char *mbv_format_name(mbv_format f) { return formats[f].name; }
const char *mbv_order_name(mbv_order o) { return orders[o]; }

bool mbv_format_parse(const char *name, mbv_format *out) {
    for (unsigned i = 0; i < sizeof formats / sizeof formats[0]; i++)
        if (strcmp(name, formats[i].name) == 0 || strcmp(name, formats[i].alias) == 0) {
            *out = (mbv_format)i;
            return true;
        }
    return false;
}

bool mbv_order_parse(const char *name, mbv_order *out) {
    for (unsigned i = 0; i < 4; i++)
        if (strcmp(name, orders[i]) == 0) {
            *out = (mbv_order)i;
            return true;
        }
    return false;
}

/* Word w (0 = first register) of an n-byte big-endian value in order o:
 * which source word goes there, and whether its two bytes are swapped. */
static void word_source(unsigned w, unsigned words, mbv_order o, unsigned *src, bool *swap) {
    bool reverse_words = o == MBV_DCBA || o == MBV_CDAB;
    *src = reverse_words ? words - 1 - w : w;
    *swap = o == MBV_DCBA || o == MBV_BADC;
}

void mbv_place(const uint8_t *be, unsigned n, mbv_order o, uint16_t *regs) {
    unsigned words = n / 2;
    for (unsigned w = 0; w < words; w++) {
        unsigned src;
        bool swap;
        word_source(w, words, o, &src, &swap);
        uint8_t hi = be[2 * src], lo = be[2 * src + 1];
        regs[w] = swap ? (uint16_t)(lo << 8 | hi) : (uint16_t)(hi << 8 | lo);
    }
}

void mbv_gather(const uint16_t *regs, unsigned n, mbv_order o, uint8_t *be) {
    unsigned words = n / 2;
    for (unsigned w = 0; w < words; w++) {
        unsigned src;
        bool swap;
        word_source(w, words, o, &src, &swap);
        uint8_t hi = (uint8_t)(regs[w] >> 8), lo = (uint8_t)regs[w];
        be[2 * src] = swap ? lo : hi;
        be[2 * src + 1] = swap ? hi : lo;
    }
}

static void put_be(uint64_t v, unsigned n, uint8_t *be) {
    for (unsigned i = 0; i < n; i++) be[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
}

static uint64_t get_be(const uint8_t *be, unsigned n) {
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++) v = v << 8 | be[i];
    return v;
}

static void limits(mbv_format f, double *lo, double *hi) {
    switch (f) {
    case MBV_INT16: *lo = -32768.0; *hi = 32767.0; break;
    case MBV_UINT16: *lo = 0; *hi = 65535.0; break;
    case MBV_INT32: *lo = -2147483648.0; *hi = 2147483647.0; break;
    case MBV_UINT32: *lo = 0; *hi = 4294967295.0; break;
    default: *lo = -9223372036854775808.0; *hi = 9223372036854774784.0; break; /* largest double < 2^63 */
    }
}

/* Store an integer (already within the format's range) in two's complement. */
static void put_int(int64_t v, mbv_format f, mbv_order o, uint16_t *regs) {
    uint8_t be[8];
    unsigned n = 2 * formats[f].regs;
    put_be((uint64_t)v, n, be);
    mbv_place(be, n, o, regs);
}

void mbv_encode(double v, mbv_format f, mbv_order o, uint16_t *regs, bool *clipped) {
    bool clip = false;
    uint8_t be[8];
    if (f == MBV_BOOL) {
        regs[0] = v != 0 && !isnan(v);
    } else if (f == MBV_FLOAT32) {
        float x = (float)v;
        uint32_t bits;
        memcpy(&bits, &x, 4);
        put_be(bits, 4, be);
        mbv_place(be, 4, o, regs);
    } else if (f == MBV_FLOAT64) {
        uint64_t bits;
        memcpy(&bits, &v, 8);
        put_be(bits, 8, be);
        mbv_place(be, 8, o, regs);
    } else {
        double lo, hi, r = isnan(v) ? 0 : nearbyint(v);
        limits(f, &lo, &hi);
        clip = isnan(v) || r < lo || r > hi;
        r = r < lo ? lo : r > hi ? hi : r;
        put_int((int64_t)r, f, o, regs);
    }
    if (clipped) *clipped = clip;
}

void mbv_encode_int(int64_t v, mbv_format f, mbv_order o, uint16_t *regs, bool *clipped) {
    if (f == MBV_INT64) {
        put_int(v, f, o, regs);
        if (clipped) *clipped = false;
        return;
    }
    mbv_encode((double)v, f, o, regs, clipped);
}

double mbv_decode(const uint16_t *regs, mbv_format f, mbv_order o) {
    unsigned n = 2 * formats[f].regs;
    uint8_t be[8];
    mbv_gather(regs, n, o, be);
    uint64_t u = get_be(be, n);
    switch (f) {
    case MBV_BOOL: return u != 0;
    case MBV_INT16: return (int16_t)u;
    case MBV_UINT16: return (double)u;
    case MBV_INT32: return (int32_t)u;
    case MBV_UINT32: return (double)u;
    case MBV_INT64: return (double)(int64_t)u;
    case MBV_FLOAT32: {
        uint32_t bits = (uint32_t)u;
        float x;
        memcpy(&x, &bits, 4);
        return x;
    }
    case MBV_FLOAT64: {
        double x;
        memcpy(&x, &u, 8);
        return x;
    }
    }
    return 0;
}
