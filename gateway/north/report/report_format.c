/* report_format: how one value is written in a report — raw integer, scale,
 * exact decimal for scaled values, and times. Locale independent: reports
 * are read by machines, a German locale must not turn "0.001" into "0,001". */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "north/report/report_int.h"

bool report_value_flagged(const dp *p) {
    return (p->quality & (DPQ_INVALID | DPQ_NOT_TOPICAL)) != 0;
}

bool report_raw_ok(const dp *p) {
    if (!p->origin.has_raw)
        return false;
    if (p->value.type != DP_DOUBLE)
        return true;
    /* Units converted by a factor that is not a power of ten (hours to seconds,
     * US gallons to m3) leave raw * 10^exp != value; the raw number would then
     * be reported in the wrong unit, so the value itself is reported instead. */
    double v = p->value.d, r = (double)p->origin.raw_int * pow(10.0, p->origin.scale_exp);
    return fabs(r - v) <= 1e-9 * fmax(1.0, fabs(v));
}

int report_scale_exp(const dp *p) {
    return report_raw_ok(p) ? p->origin.scale_exp : 0;
}

int64_t report_unix_s(int64_t ns) {
    int64_t s = ns / NS_PER_S;
    return (ns % NS_PER_S < 0) ? s - 1 : s;
}

void report_time_readable(int64_t ns, char *out, size_t cap) {
    time_t t = (time_t)report_unix_s(ns);
    struct tm tm;
    if (!gmtime_r(&t, &tm) || strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(out, cap, "0");
}

void report_double_text(double v, char *out, size_t cap) {
    /* Shortest of the two precisions that reads back to the same double. */
    snprintf(out, cap, "%.15g", v);
    if (strtod(out, NULL) != v)
        snprintf(out, cap, "%.17g", v);
    for (char *c = out; *c; c++)
        if (*c == ',')
            *c = '.'; /* the decimal point of a non-C numeric locale */
}

void report_decimal_shift(int64_t raw, int exp, char *out, size_t cap) {
    char digits[32], buf[160];
    uint64_t mag = raw < 0 ? (uint64_t)0 - (uint64_t)raw : (uint64_t)raw;
    snprintf(digits, sizeof digits, "%llu", (unsigned long long)mag);
    if (exp > 60)
        exp = 60; /* no meter transmits such exponents; keep the buffer bounded */
    if (exp < -60)
        exp = -60;
    size_t n = strlen(digits), k = 0;
    if (raw < 0)
        buf[k++] = '-';
    if (exp >= 0) {
        memcpy(buf + k, digits, n);
        k += n;
        for (int i = 0; i < exp && mag != 0; i++)
            buf[k++] = '0';
    } else {
        size_t frac = (size_t)-exp;
        if (n <= frac) {
            buf[k++] = '0';
            buf[k++] = '.';
            for (size_t i = n; i < frac; i++)
                buf[k++] = '0';
            memcpy(buf + k, digits, n);
            k += n;
        } else {
            memcpy(buf + k, digits, n - frac);
            k += n - frac;
            buf[k++] = '.';
            memcpy(buf + k, digits + n - frac, frac);
            k += frac;
        }
        while (buf[k - 1] == '0')
            k--;
        if (buf[k - 1] == '.')
            k--;
    }
    buf[k] = '\0';
    if (strcmp(buf, "-0") == 0)
        strcpy(buf, "0");
    snprintf(out, cap, "%s", buf);
}

static void hex_text(const uint8_t *b, size_t len, char *out, size_t cap) {
    static const char hex[] = "0123456789ABCDEF";
    size_t k = 0;
    for (size_t i = 0; i < len && k + 2 < cap; i++) {
        out[k++] = hex[b[i] >> 4];
        out[k++] = hex[b[i] & 15];
    }
    if (cap)
        out[k < cap ? k : cap - 1] = '\0';
}

void report_value_text(const dp *p, char *out, size_t cap) {
    if (report_raw_ok(p)) {
        snprintf(out, cap, "%lld", (long long)p->origin.raw_int);
        return;
    }
    const dp_value *v = &p->value;
    switch (v->type) {
    case DP_BOOL: snprintf(out, cap, "%d", v->b ? 1 : 0); break;
    case DP_INT: snprintf(out, cap, "%lld", (long long)v->i); break;
    case DP_DOUBLE: report_double_text(v->d, out, cap); break;
    case DP_STRING: snprintf(out, cap, "%s", v->s ? v->s : ""); break;
    case DP_BYTES: hex_text(v->bytes, v->bytes ? v->len : 0, out, cap); break;
    default: snprintf(out, cap, "%s", ""); break;
    }
}
