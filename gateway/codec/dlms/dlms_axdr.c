/* dlms_axdr: A-XDR reader and writer (see dlms_axdr.h). */
#include "codec/dlms/dlms_axdr.h"

#include <stdio.h>
#include <string.h>

void axdr_reader_init(axdr_reader *r, const uint8_t *p, size_t len) {
    *r = (axdr_reader){.p = p, .len = len};
}

bool axdr_fail(axdr_reader *r, const char *why) {
    if (!r->err) r->err = why;
    return false;
}

size_t axdr_remaining(const axdr_reader *r) { return r->len - r->pos; }

bool axdr_bytes(axdr_reader *r, size_t n, const uint8_t **out) {
    if (r->err) return false;
    if (n > r->len - r->pos) return axdr_fail(r, "data ends too early");
    *out = r->p + r->pos;
    r->pos += n;
    return true;
}

static uint64_t be(const uint8_t *p, size_t n) {
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) v = v << 8 | p[i];
    return v;
}

bool axdr_u8(axdr_reader *r, uint8_t *v) {
    const uint8_t *p;
    if (!axdr_bytes(r, 1, &p)) return false;
    *v = p[0];
    return true;
}

bool axdr_u16(axdr_reader *r, uint16_t *v) {
    const uint8_t *p;
    if (!axdr_bytes(r, 2, &p)) return false;
    *v = (uint16_t)be(p, 2);
    return true;
}

bool axdr_u32(axdr_reader *r, uint32_t *v) {
    const uint8_t *p;
    if (!axdr_bytes(r, 4, &p)) return false;
    *v = (uint32_t)be(p, 4);
    return true;
}

bool axdr_length(axdr_reader *r, size_t *n) {
    uint8_t b;
    if (!axdr_u8(r, &b)) return false;
    if (b < 0x80) {
        *n = b;
        return true;
    }
    size_t k = b & 0x7F;
    const uint8_t *p;
    if (k == 0 || k > 4) return axdr_fail(r, "bad length encoding");
    if (!axdr_bytes(r, k, &p)) return false;
    *n = (size_t)be(p, k);
    return true;
}

/* Fixed sizes of simple types; 0 = variable or structured. */
static size_t fixed_size(uint8_t type) {
    switch (type) {
    case DT_BOOLEAN: case DT_INT8: case DT_UINT8: case DT_ENUM: return 1;
    case DT_INT16: case DT_UINT16: return 2;
    case DT_INT32: case DT_UINT32: case DT_FLOAT32: return 4;
    case DT_INT64: case DT_UINT64: case DT_FLOAT64: return 8;
    case DT_DATE_TIME: return 12;
    case DT_DATE: return 5;
    case DT_TIME: return 4;
    default: return 0;
    }
}

static bool is_signed(uint8_t type) {
    return type == DT_INT8 || type == DT_INT16 || type == DT_INT32 || type == DT_INT64;
}

static void decode_fixed(dlms_value *v, const uint8_t *p, size_t n) {
    uint64_t raw = be(p, n);
    v->u = raw;
    if (is_signed(v->type) && n < 8 && (raw >> (8 * n - 1)) & 1)
        v->i = (int64_t)(raw | (~0ULL << (8 * n)));
    else
        v->i = (int64_t)raw;
    if (v->type == DT_FLOAT32) {
        uint32_t w = (uint32_t)raw;
        float f;
        memcpy(&f, &w, 4);
        v->f = f;
    } else if (v->type == DT_FLOAT64) {
        memcpy(&v->f, &raw, 8);
    }
}

bool axdr_value(axdr_reader *r, dlms_value *v) {
    memset(v, 0, sizeof *v);
    if (!axdr_u8(r, &v->type)) return false;
    size_t n = fixed_size(v->type);
    if (n) {
        if (!axdr_bytes(r, n, &v->bytes)) return false;
        v->len = n;
        decode_fixed(v, v->bytes, n);
        return true;
    }
    switch (v->type) {
    case DT_NULL: return true;
    case DT_ARRAY:
    case DT_STRUCTURE: return axdr_length(r, &v->count);
    case DT_BIT_STRING:
        if (!axdr_length(r, &v->len)) return false;
        return axdr_bytes(r, (v->len + 7) / 8, &v->bytes);
    case DT_OCTET_STRING:
    case DT_VISIBLE_STRING:
    case DT_UTF8_STRING:
        if (!axdr_length(r, &v->len)) return false;
        return axdr_bytes(r, v->len, &v->bytes);
    case DT_BCD:
        if (!axdr_bytes(r, 1, &v->bytes)) return false;
        v->len = 1;
        v->i = v->bytes[0];
        return true;
    default: return axdr_fail(r, "unknown data type");
    }
}

bool axdr_skip(axdr_reader *r) {
    /* Iterative: a counter of elements still to skip, so hostile nesting cannot
     * exhaust the stack. */
    size_t todo = 1;
    while (todo > 0) {
        dlms_value v;
        if (!axdr_value(r, &v)) return false;
        todo--;
        if (v.type == DT_ARRAY || v.type == DT_STRUCTURE) {
            if (v.count > axdr_remaining(r)) return axdr_fail(r, "element count beyond the data");
            todo += v.count;
        }
    }
    return true;
}

bool dlms_value_is_integer(const dlms_value *v, int64_t *out) {
    switch (v->type) {
    case DT_BOOLEAN: case DT_INT8: case DT_INT16: case DT_INT32: case DT_INT64:
    case DT_UINT8: case DT_UINT16: case DT_UINT32: case DT_ENUM: case DT_BCD:
        *out = v->i;
        return true;
    case DT_UINT64:
        if (v->u > INT64_MAX) return false;
        *out = (int64_t)v->u;
        return true;
    default: return false;
    }
}

bool dlms_value_number(const dlms_value *v, double *out) {
    int64_t i;
    if (v->type == DT_FLOAT32 || v->type == DT_FLOAT64) {
        *out = v->f;
        return true;
    }
    if (v->type == DT_UINT64) {
        *out = (double)v->u;
        return true;
    }
    if (!dlms_value_is_integer(v, &i)) return false;
    *out = (double)i;
    return true;
}

/* ---- writer --------------------------------------------------------------- */

void axdr_writer_init(axdr_writer *w, uint8_t *p, size_t cap) {
    *w = (axdr_writer){.p = p, .cap = cap};
}

void axdr_put_bytes(axdr_writer *w, const uint8_t *p, size_t n) {
    if (w->overflow || n > w->cap - w->len) {
        w->overflow = true;
        return;
    }
    if (n) memcpy(w->p + w->len, p, n);
    w->len += n;
}

void axdr_put_u8(axdr_writer *w, uint8_t v) { axdr_put_bytes(w, &v, 1); }

static void put_be(axdr_writer *w, uint64_t v, size_t n) {
    uint8_t b[8];
    for (size_t i = 0; i < n; i++) b[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
    axdr_put_bytes(w, b, n);
}

void axdr_put_u16(axdr_writer *w, uint16_t v) { put_be(w, v, 2); }
void axdr_put_u32(axdr_writer *w, uint32_t v) { put_be(w, v, 4); }

void axdr_put_length(axdr_writer *w, size_t n) {
    if (n < 0x80) axdr_put_u8(w, (uint8_t)n);
    else if (n <= 0xFF) { axdr_put_u8(w, 0x81); axdr_put_u8(w, (uint8_t)n); }
    else if (n <= 0xFFFF) { axdr_put_u8(w, 0x82); put_be(w, n, 2); }
    else { axdr_put_u8(w, 0x84); put_be(w, n, 4); }
}

static void put_tagged(axdr_writer *w, uint8_t tag, uint64_t v, size_t n) {
    axdr_put_u8(w, tag);
    put_be(w, v, n);
}

void axdr_put_null(axdr_writer *w) { axdr_put_u8(w, DT_NULL); }
void axdr_put_array(axdr_writer *w, size_t c) { axdr_put_u8(w, DT_ARRAY); axdr_put_length(w, c); }
void axdr_put_structure(axdr_writer *w, size_t c) { axdr_put_u8(w, DT_STRUCTURE); axdr_put_length(w, c); }
void axdr_put_bool(axdr_writer *w, bool v) { put_tagged(w, DT_BOOLEAN, v ? 1 : 0, 1); }
void axdr_put_int8(axdr_writer *w, int8_t v) { put_tagged(w, DT_INT8, (uint8_t)v, 1); }
void axdr_put_int16(axdr_writer *w, int16_t v) { put_tagged(w, DT_INT16, (uint16_t)v, 2); }
void axdr_put_int32(axdr_writer *w, int32_t v) { put_tagged(w, DT_INT32, (uint32_t)v, 4); }
void axdr_put_int64(axdr_writer *w, int64_t v) { put_tagged(w, DT_INT64, (uint64_t)v, 8); }
void axdr_put_uint8(axdr_writer *w, uint8_t v) { put_tagged(w, DT_UINT8, v, 1); }
void axdr_put_uint16(axdr_writer *w, uint16_t v) { put_tagged(w, DT_UINT16, v, 2); }
void axdr_put_uint32(axdr_writer *w, uint32_t v) { put_tagged(w, DT_UINT32, v, 4); }
void axdr_put_uint64(axdr_writer *w, uint64_t v) { put_tagged(w, DT_UINT64, v, 8); }
void axdr_put_enum(axdr_writer *w, uint8_t v) { put_tagged(w, DT_ENUM, v, 1); }

void axdr_put_octets(axdr_writer *w, const uint8_t *p, size_t n) {
    axdr_put_u8(w, DT_OCTET_STRING);
    axdr_put_length(w, n);
    axdr_put_bytes(w, p, n);
}

void axdr_put_visible(axdr_writer *w, const char *s) {
    axdr_put_u8(w, DT_VISIBLE_STRING);
    axdr_put_length(w, strlen(s));
    axdr_put_bytes(w, (const uint8_t *)s, strlen(s));
}

void axdr_put_datetime(axdr_writer *w, const dlms_datetime *dt) {
    uint8_t b[12];
    dlms_datetime_encode(dt, b);
    axdr_put_octets(w, b, 12);
}

/* ---- date-time -------------------------------------------------------------- */

void dlms_datetime_encode(const dlms_datetime *dt, uint8_t o[12]) {
    o[0] = (uint8_t)(dt->year >> 8);
    o[1] = (uint8_t)dt->year;
    o[2] = dt->month;
    o[3] = dt->day;
    o[4] = dt->weekday;
    o[5] = dt->hour;
    o[6] = dt->minute;
    o[7] = dt->second;
    o[8] = dt->hundredths;
    o[9] = (uint8_t)((uint16_t)dt->deviation >> 8);
    o[10] = (uint8_t)dt->deviation;
    o[11] = dt->status;
}

bool dlms_datetime_decode(const uint8_t *in, size_t len, dlms_datetime *dt) {
    if (len != 12) return false;
    dt->year = (uint16_t)(in[0] << 8 | in[1]);
    dt->month = in[2];
    dt->day = in[3];
    dt->weekday = in[4];
    dt->hour = in[5];
    dt->minute = in[6];
    dt->second = in[7];
    dt->hundredths = in[8];
    dt->deviation = (int16_t)(uint16_t)(in[9] << 8 | in[10]);
    dt->status = in[11];
    return true;
}

/* Days since 1970-01-01 of a proleptic Gregorian date: years counted from
 * March so the leap day is last, in 400-year eras of 146097 days. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int *y, unsigned *m, unsigned *d) {
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int)((int64_t)yoe + era * 400 + (*m <= 2));
}

bool dlms_datetime_to_unix_ns(const dlms_datetime *dt, int64_t *ns) {
    if (dt->year == 0xFFFF || dt->month < 1 || dt->month > 12 || dt->day < 1 || dt->day > 31 ||
        dt->hour > 23 || dt->minute > 59 || dt->second > 59)
        return false;
    int64_t s = days_from_civil(dt->year, dt->month, dt->day) * 86400 + dt->hour * 3600 +
                dt->minute * 60 + dt->second;
    if (dt->deviation != DLMS_DEVIATION_UNSPECIFIED) {
        if (dt->deviation < -720 || dt->deviation > 720) return false;
        s -= dt->deviation * 60;
    }
    int64_t h = dt->hundredths == 0xFF ? 0 : dt->hundredths;
    if (h > 99) return false;
    /* int64 nanoseconds end in 2262: later years (up to 65534 on the wire) do not fit */
    if (s > INT64_MAX / 1000000000LL - 1 || s < INT64_MIN / 1000000000LL + 1) return false;
    *ns = s * 1000000000LL + h * 10000000LL;
    return true;
}

void dlms_datetime_from_unix_ns(int64_t ns, dlms_datetime *dt) {
    int64_t s = ns / 1000000000LL, rem = ns % 1000000000LL;
    if (rem < 0) { s--; rem += 1000000000LL; }
    int64_t days = s / 86400, sod = s % 86400;
    if (sod < 0) { days--; sod += 86400; }
    int y;
    unsigned m, d;
    civil_from_days(days, &y, &m, &d);
    int64_t wd = (days + 3) % 7; /* 1970-01-01 was a Thursday; COSEM Monday = 1 */
    if (wd < 0) wd += 7;
    *dt = (dlms_datetime){.year = (uint16_t)y, .month = (uint8_t)m, .day = (uint8_t)d,
                          .weekday = (uint8_t)(wd + 1), .hour = (uint8_t)(sod / 3600),
                          .minute = (uint8_t)(sod / 60 % 60), .second = (uint8_t)(sod % 60),
                          .hundredths = (uint8_t)(rem / 10000000LL), .deviation = 0,
                          .status = 0};
}

void dlms_datetime_format(const dlms_datetime *dt, char *out, size_t cap) {
    int64_t ns;
    dlms_datetime utc;
    if (!dlms_datetime_to_unix_ns(dt, &ns)) {
        snprintf(out, cap, "(unspecified)");
        return;
    }
    dlms_datetime_from_unix_ns(ns, &utc);
    snprintf(out, cap, "%04u-%02u-%02uT%02u:%02u:%02uZ", utc.year, utc.month, utc.day, utc.hour,
             utc.minute, utc.second);
}

/* ---- OBIS and units ----------------------------------------------------------- */

bool dlms_obis_parse(const char *text, uint8_t obis[6]) {
    unsigned v[6];
    char sep[5];
    int n = 0;
    if (sscanf(text, "%u%c%u%c%u.%u.%u.%u%n", &v[0], &sep[0], &v[1], &sep[1], &v[2], &v[3], &v[4],
               &v[5], &n) != 8 || text[n] != '\0')
        return false;
    if (!((sep[0] == '-' && sep[1] == ':') || (sep[0] == '.' && sep[1] == '.'))) return false;
    for (int i = 0; i < 6; i++) {
        if (v[i] > 255) return false;
        obis[i] = (uint8_t)v[i];
    }
    return true;
}

void dlms_obis_format(const uint8_t o[6], char *out, size_t cap) {
    snprintf(out, cap, "%u-%u:%u.%u.%u.%u", o[0], o[1], o[2], o[3], o[4], o[5]);
}

/* A subset of the COSEM unit table (IEC 62056-6-2, "unit" enumeration). */
const char *dlms_unit_name(int unit) {
    switch (unit) {
    case 1: return "a";
    case 2: return "mo";
    case 3: return "wk";
    case 4: return "d";
    case 5: return "h";
    case 6: return "min";
    case 7: return "s";
    case 8: return "deg";
    case 9: return "C";
    case 10: return "currency";
    case 13: return "m3";
    case 14: return "m3";
    case 15: return "m3/h";
    case 16: return "m3/h";
    case 21: return "kg";
    case 23: return "Pa";
    case 24: return "bar";
    case 25: return "J";
    case 26: return "J/h";
    case 27: return "W";
    case 28: return "VA";
    case 29: return "var";
    case 30: return "Wh";
    case 31: return "VAh";
    case 32: return "varh";
    case 33: return "A";
    case 34: return "C";
    case 35: return "V";
    case 44: return "Hz";
    case 56: return "%";
    default: return "";
    }
}
