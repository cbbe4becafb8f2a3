/* vmbus_record: a data point as an M-Bus record (see vmbus_record.h). */
#include "north/mbus_virtual/vmbus_record.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec/mbus/mbus_app.h"
#include "core/dp_address.h"

/* "84 00" -> bytes; false when malformed or too long. */
static bool hex_bytes(const char *text, uint8_t *out, size_t cap, size_t *n) {
    *n = 0;
    while (*text) {
        char *end;
        unsigned long v = strtoul(text, &end, 16);
        if (end == text || v > 0xFF || *n == cap)
            return false;
        out[(*n)++] = (uint8_t)v;
        text = end;
        while (*text == ' ')
            text++;
    }
    return true;
}

/* The coding a DIF data field stands for; false for those not offered. */
static bool coding_of(unsigned field, mbus_enc_record *r) {
    static const uint8_t int_size[8] = {0, 1, 2, 3, 4, 4, 6, 8};
    static const uint8_t bcd_size[8] = {0, 1, 2, 3, 4, 0, 6, 0};
    if (field == 0x5) {
        r->coding = MBUS_ENC_REAL, r->size = 4;
        return true;
    }
    if (field >= 0x1 && field <= 0x7) {
        r->coding = MBUS_ENC_INT, r->size = int_size[field];
        return true;
    }
    if (field >= 0x9 && field <= 0xE && bcd_size[field - 8]) {
        r->coding = MBUS_ENC_BCD, r->size = bcd_size[field - 8];
        return true;
    }
    return false;
}

static const mbus_enc_vif *vif_entry(const uint8_t *vif, size_t n) {
    for (size_t i = 0; i < mbus_encode_vif_count(); i++) {
        const mbus_enc_vif *e = mbus_encode_vif_at(i);
        if (e->n_vif == n && memcmp(e->vif, vif, n) == 0)
            return e;
    }
    return NULL;
}

/* A date ("2014-03-13") or date-time ("2014-03-13T11:11:00") as type G / F. */
static bool time_point(const dp *p, mbus_enc_record *r) {
    unsigned y, mo, d, h = 0, mi = 0;
    const char *s = p->value.type == DP_STRING ? p->value.s : NULL;
    if (!s)
        return false;
    int n = sscanf(s, "%4u-%2u-%2uT%2u:%2u", &y, &mo, &d, &h, &mi);
    if (r->coding != MBUS_ENC_INT || y < 2000 || y > 2080)
        return false;
    if (n == 3 && r->size == 2 && strlen(s) == 10) {
        r->raw = mbus_encode_date_g(y, mo, d);
        return true;
    }
    if (n == 5 && r->size == 4) {
        r->raw = mbus_encode_datetime_f(y, mo, d, h, mi);
        return true;
    }
    return false;
}

static bool number_of(const dp *p, double *v) {
    if (p->value.type == DP_DOUBLE)
        *v = p->value.d;
    else if (p->value.type == DP_INT)
        *v = (double)p->value.i;
    else
        return false;
    return isfinite(*v);
}

static size_t encode_as_read(const dp *p, const dp_mbus_address *a, uint8_t *out, size_t cap) {
    uint8_t dif[16];
    size_t n_dif;
    mbus_enc_record r = {0};
    size_t n_vif;
    if (!hex_bytes(a->dif_hex, dif, sizeof dif, &n_dif) || n_dif == 0 ||
        !hex_bytes(a->vif_hex, r.vif, sizeof r.vif, &n_vif) || n_vif == 0 ||
        !coding_of(dif[0] & 0x0F, &r) || a->storage < 0 || a->tariff < 0 || a->subunit < 0)
        return 0;
    r.n_vif = (uint8_t)n_vif;
    r.function = (mbus_function)((dif[0] >> 4) & 3);
    r.storage = (uint64_t)a->storage;
    r.tariff = (uint32_t)a->tariff;
    r.subunit = (uint32_t)a->subunit;
    const mbus_enc_vif *e = vif_entry(r.vif, n_vif);
    double v;
    if (e && e->time_point) {
        if (!time_point(p, &r))
            return 0;
    } else if (r.coding == MBUS_ENC_REAL) {
        if (!e || !number_of(p, &v))
            return 0; /* the decade of a real is only known from the table */
        r.real = (float)(v / (pow(10.0, e->exp) * e->mult));
    } else if (p->origin.has_raw) {
        r.raw = p->origin.raw_int;
    } else {
        return 0;
    }
    return mbus_encode_record(&r, out, cap);
}

static mbus_function function_of(const char *name) {
    if (!name)
        return MBUS_FN_INSTANT;
    if (strcmp(name, "maximum") == 0)
        return MBUS_FN_MAX;
    if (strcmp(name, "minimum") == 0)
        return MBUS_FN_MIN;
    if (strcmp(name, "error") == 0)
        return MBUS_FN_ERROR;
    return MBUS_FN_INSTANT;
}

/* v = raw * 10^exp exactly (to a part in 10^12), raw within 62 bits? */
static bool exact_in(double v, int exp, int64_t *raw) {
    double x = v / pow(10.0, exp);
    double r = nearbyint(x);
    if (fabs(r) > 4.6e18 || fabs(x - r) > 1e-9 * (fabs(x) > 1 ? fabs(x) : 1))
        return false;
    *raw = (int64_t)r;
    return true;
}

/* The VIF of the same quantity and unit with the largest decade that keeps the
 * value exact; a real in the decade-0 one (or the first) when none does. */
static size_t encode_by_quantity(const dp *p, uint8_t *out, size_t cap) {
    double v;
    if (!p->origin.quantity || !p->unit || !number_of(p, &v))
        return 0;
    const mbus_enc_vif *best = NULL, *any = NULL;
    int64_t best_raw = 0;
    for (size_t i = 0; i < mbus_encode_vif_count(); i++) {
        const mbus_enc_vif *e = mbus_encode_vif_at(i);
        int64_t raw;
        if (e->time_point || e->mult != 1.0 || strcmp(e->quantity, p->origin.quantity) != 0 ||
            strcmp(e->unit, p->unit) != 0)
            continue;
        if (!any || e->exp == 0)
            any = e;
        if ((!best || e->exp > best->exp) && exact_in(v, e->exp, &raw))
            best = e, best_raw = raw;
    }
    if (!any)
        return 0;
    mbus_enc_record r = {.function = function_of(p->origin.function)};
    const mbus_enc_vif *e = best ? best : any;
    memcpy(r.vif, e->vif, e->n_vif);
    r.n_vif = e->n_vif;
    if (best) {
        r.coding = MBUS_ENC_INT;
        r.size = best_raw >= INT32_MIN && best_raw <= INT32_MAX ? 4 : 8;
        r.raw = best_raw;
    } else {
        r.coding = MBUS_ENC_REAL;
        r.size = 4;
        r.real = (float)(v / pow(10.0, e->exp));
    }
    return mbus_encode_record(&r, out, cap);
}

size_t vmbus_record_encode(const dp *p, uint8_t *out, size_t cap) {
    dp_mbus_address a;
    if (dp_mbus_address_of(&p->origin, &a))
        return encode_as_read(p, &a, out, cap);
    if (p->origin.protocol == DP_PROTO_DLMS || p->origin.protocol == DP_PROTO_MODBUS)
        return encode_by_quantity(p, out, cap);
    return 0;
}
