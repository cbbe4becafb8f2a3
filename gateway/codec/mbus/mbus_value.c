/* Number and text codings of EN 13757-3 data fields: integers, BCD, dates
 * (types G, F, I, J) and hex for binary data. */
#include <math.h>
#include "codec/mbus/mbus_internal.h"

double mbus_pow10(int exp) {
    static const double table[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
                                   1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20};
    if (exp >= 0 && exp <= 20)
        return table[exp];
    if (exp < 0 && exp >= -20)
        return 1.0 / table[-exp];
    return pow(10.0, exp);
}

int64_t mbus_int_decode(const uint8_t *bytes, size_t n) {
    uint64_t u = 0;
    for (size_t i = n; i-- > 0;)
        u = u << 8 | bytes[i];
    if (n < 8 && (bytes[n - 1] & 0x80))
        u |= ~(uint64_t)0 << (8 * n); /* sign-extend */
    return (int64_t)u;
}

int64_t mbus_bcd_decode(const uint8_t *bytes, size_t n) {
    int64_t v = 0;
    bool negative = (bytes[n - 1] & 0xF0) == 0xF0;
    for (size_t i = n; i-- > 0;) {
        unsigned hi = bytes[i] >> 4, lo = bytes[i] & 0xF;
        if (i == n - 1 && negative)
            hi = 0;
        v = v * 100 + (int64_t)(hi * 10 + lo);
    }
    return negative ? -v : v;
}

/* EN 13757-3 type A: every nibble a decimal digit, except that the most
 * significant nibble may be 0xF, the minus sign. */
int mbus_bcd_bad_nibble(const uint8_t *bytes, size_t n, unsigned *digit) {
    for (size_t i = 0; i < 2 * n; i++) {
        unsigned v = i & 1 ? bytes[i / 2] >> 4 : bytes[i / 2] & 0xF;
        if (v > 9 && !(i == 2 * n - 1 && v == 0xF)) {
            *digit = v;
            return (int)i;
        }
    }
    return -1;
}

void mbus_hex(const uint8_t *bytes, size_t n, char *out, size_t cap) {
    static const char digits[] = "0123456789ABCDEF";
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (o + 3 > cap) {
            if (cap >= 4) {
                o = cap - 4;
                out[o++] = '.', out[o++] = '.', out[o++] = '.';
            }
            break;
        }
        out[o++] = digits[bytes[i] >> 4];
        out[o++] = digits[bytes[i] & 0xF];
    }
    if (cap)
        out[o < cap ? o : cap - 1] = '\0';
}

/* Years are sent as 0..99 (7 bits); 81..99 mean 19xx as in EN 13757-3. */
static unsigned full_year(unsigned y) {
    return y < 81 ? 2000 + y : 1900 + y;
}

/* Decimal digits without printf: this runs for every date record. */
static char *put_digits(char *o, unsigned v, int width) {
    for (int i = width - 1; i >= 0; i--, v /= 10)
        o[i] = (char)('0' + v % 10);
    return o + width;
}

static char *put_date(char *o, unsigned year, unsigned month, unsigned day) {
    o = put_digits(o, year, 4);
    *o++ = '-';
    o = put_digits(o, month, 2);
    *o++ = '-';
    return put_digits(o, day, 2);
}

static char *put_time(char *o, unsigned hour, unsigned minute, unsigned second) {
    o = put_digits(o, hour, 2);
    *o++ = ':';
    o = put_digits(o, minute, 2);
    *o++ = ':';
    return put_digits(o, second, 2);
}

/* Format a time point of 2 (G), 3 (J), 4 (F) or 6 (I) bytes; false for other
 * lengths. The meter's local time, no zone. Needs cap >= 20. */
bool mbus_time_point_text(const uint8_t *b, size_t n, char *out, size_t cap) {
    char *o = out;
    if (cap < 20)
        return false;
    switch (n) {
    case 2:
        o = put_date(o, full_year(((b[0] & 0xE0u) >> 5) | ((b[1] & 0xF0u) >> 1)), b[1] & 0x0Fu,
                     b[0] & 0x1Fu);
        break;
    case 3:
        o = put_time(o, b[2] & 0x1Fu, b[1] & 0x3Fu, b[0] & 0x3Fu);
        break;
    case 4:
        o = put_date(o, full_year(((b[2] & 0xE0u) >> 5) | ((b[3] & 0xF0u) >> 1)), b[3] & 0x0Fu,
                     b[2] & 0x1Fu);
        *o++ = 'T';
        o = put_time(o, b[1] & 0x1Fu, b[0] & 0x3Fu, 0);
        break;
    case 6:
        o = put_date(o, full_year(((b[3] & 0xE0u) >> 5) | ((b[4] & 0xF0u) >> 1)), b[4] & 0x0Fu,
                     b[3] & 0x1Fu);
        *o++ = 'T';
        o = put_time(o, b[2] & 0x1Fu, b[1] & 0x3Fu, b[0] & 0x3Fu);
        break;
    default:
        return false;
    }
    *o = '\0';
    return true;
}
