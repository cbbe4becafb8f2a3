/* Variable data records (EN 13757-3): DIF, DIFEs, VIF, VIFEs, data. One
 * record at a time, consuming bytes from a cursor; every error names the
 * offset of the byte that is wrong or missing. */
#include <stdio.h>
#include <string.h>
#include "codec/mbus/mbus_internal.h"

#define DIF_EXT 0x80
#define VIF_EXT 0x80
#define DIF_MFR 0x0F
#define DIF_MFR_MORE 0x1F
#define DIF_FILLER 0x2F
#define DIF_GLOBAL_READOUT 0x7F

typedef struct cursor {
    const uint8_t *d;
    size_t len, pos;
    mbus_error *err;
} cursor;

static mbus_err_code read_difs(cursor *c, mbus_record *r) {
    uint8_t dif = c->d[c->pos++];
    r->dif[0] = dif;
    r->n_dif = 1;
    r->function = (mbus_function)((dif >> 4) & 3);
    r->storage = (dif >> 6) & 1;
    bool more = dif & DIF_EXT;
    for (unsigned k = 0; more; k++) {
        if (k == MBUS_MAX_DIFE)
            return mbus_fail(c->err, MBUS_ERR_DIF, c->pos, "more than %d DIFEs", MBUS_MAX_DIFE);
        if (c->pos >= c->len)
            return mbus_fail(c->err, MBUS_ERR_DIF, c->pos, "DIFE expected, data ends");
        uint8_t dife = c->d[c->pos++];
        r->dif[r->n_dif++] = dife;
        r->storage |= (uint64_t)(dife & 0x0F) << (1 + 4 * k);
        r->tariff |= (uint32_t)((dife >> 4) & 3) << (2 * k);
        r->subunit |= (uint32_t)((dife >> 6) & 1) << k;
        more = dife & DIF_EXT;
    }
    return MBUS_OK;
}

/* Plain-text VIF: a length byte and the characters, last one first. */
static mbus_err_code read_plain_text_vif(cursor *c, mbus_record *r) {
    if (c->pos >= c->len)
        return mbus_fail(c->err, MBUS_ERR_VIF, c->pos, "plain-text VIF length expected, data ends");
    size_t n = c->d[c->pos++];
    if (n > c->len - c->pos)
        return mbus_fail(c->err, MBUS_ERR_VIF, c->pos - 1,
                         "plain-text VIF of %zu characters, only %zu bytes left", n,
                         c->len - c->pos);
    size_t keep = n < sizeof r->vif_text ? n : sizeof r->vif_text - 1;
    for (size_t i = 0; i < keep; i++)
        r->vif_text[i] = (char)c->d[c->pos + n - 1 - i];
    r->vif_text[keep] = '\0';
    c->pos += n;
    return MBUS_OK;
}

static mbus_err_code read_vifs(cursor *c, mbus_record *r) {
    if (c->pos >= c->len)
        return mbus_fail(c->err, MBUS_ERR_VIF, c->pos, "VIF expected, data ends");
    uint8_t vif = c->d[c->pos++];
    r->vif[0] = vif;
    r->n_vif = 1;
    if ((vif & 0x7F) == 0x7C) {
        mbus_err_code rc = read_plain_text_vif(c, r);
        if (rc != MBUS_OK)
            return rc;
    }
    bool more = vif & VIF_EXT;
    for (unsigned k = 0; more; k++) {
        if (k == MBUS_MAX_VIFE)
            return mbus_fail(c->err, MBUS_ERR_VIF, c->pos, "more than %d VIFEs", MBUS_MAX_VIFE);
        if (c->pos >= c->len)
            return mbus_fail(c->err, MBUS_ERR_VIF, c->pos, "VIFE expected, data ends");
        uint8_t vife = c->d[c->pos++];
        r->vif[r->n_vif++] = vife;
        more = vife & VIF_EXT;
    }
    return MBUS_OK;
}

/* Length of the data field; for LVAR also consumes the LVAR byte and says
 * what the bytes are. */
typedef enum { AS_INT, AS_BCD, AS_REAL, AS_NONE, AS_TEXT, AS_BCD_NEG, AS_BINARY } coding;

static mbus_err_code data_length(cursor *c, uint8_t dif, size_t *n, coding *how) {
    static const uint8_t sizes[16] = {0, 1, 2, 3, 4, 4, 6, 8, 0, 1, 2, 3, 4, 0, 6, 0};
    static const coding kinds[16] = {AS_NONE, AS_INT, AS_INT, AS_INT, AS_INT, AS_REAL,
                                     AS_INT,  AS_INT, AS_NONE, AS_BCD, AS_BCD, AS_BCD,
                                     AS_BCD,  AS_NONE, AS_BCD, AS_NONE};
    unsigned field = dif & 0x0F;
    *n = sizes[field];
    *how = kinds[field];
    if (field != 0x0D)
        return MBUS_OK;
    if (c->pos >= c->len)
        return mbus_fail(c->err, MBUS_ERR_DATA, c->pos, "LVAR expected, data ends");
    unsigned lvar = c->d[c->pos++];
    if (lvar < 0xC0) {
        *n = lvar, *how = AS_TEXT;
    } else if (lvar < 0xD0) {
        *n = lvar - 0xC0, *how = AS_BCD;
    } else if (lvar < 0xE0) {
        *n = lvar - 0xD0, *how = AS_BCD_NEG;
    } else if (lvar < 0xF0) {
        *n = lvar - 0xE0, *how = AS_BINARY;
    } else if (lvar <= 0xF4) {
        *n = 4 * (lvar - 0xEC), *how = AS_BINARY;
    } else if (lvar == 0xF5) {
        *n = 48, *how = AS_BINARY;
    } else if (lvar == 0xF6) {
        *n = 64, *how = AS_BINARY;
    } else {
        return mbus_fail(c->err, MBUS_ERR_DATA, c->pos - 1, "reserved LVAR 0x%02X", lvar);
    }
    return MBUS_OK;
}

static void set_number(mbus_record *r, int64_t raw, const mbus_vif_info *vi) {
    r->kind = MBUS_VAL_NUMBER;
    r->raw_int = raw;
    r->has_raw = true;
    /* Divide for negative powers so 54321 * 10^-3 gives the double nearest 54.321. */
    double v = vi->exp < 0 ? (double)raw / mbus_pow10(-vi->exp) : (double)raw * mbus_pow10(vi->exp);
    r->value = v * vi->mult;
}

static void set_text_reversed(mbus_record *r, const uint8_t *b, size_t n) {
    size_t keep = n < sizeof r->text ? n : sizeof r->text - 1;
    for (size_t i = 0; i < keep; i++)
        r->text[i] = (char)b[n - 1 - i];
    r->text[keep] = '\0';
    r->kind = MBUS_VAL_STRING;
}

/* BCD longer than 9 bytes does not fit int64: value only. */
static void set_long_bcd(mbus_record *r, const uint8_t *b, size_t n, bool negative,
                         const mbus_vif_info *vi) {
    double v = 0;
    for (size_t i = n; i-- > 0;)
        v = v * 100 + (b[i] >> 4) * 10 + (b[i] & 0xF);
    r->kind = MBUS_VAL_NUMBER;
    r->value = (negative ? -v : v) * mbus_pow10(vi->exp) * vi->mult;
}

void mbus_set_invalid_bcd(mbus_record *r, unsigned digit, int nibble) {
    static const char hex[] = "0123456789ABCDEF";
    static const char head[] = "BCD digit 0x";
    char *o = r->text;
    memcpy(o, head, sizeof head - 1);
    o += sizeof head - 1;
    *o++ = hex[digit & 0xF];
    memcpy(o, " at nibble ", 11);
    o += 11;
    if (nibble >= 10)
        *o++ = (char)('0' + nibble / 10 % 10);
    *o++ = (char)('0' + nibble % 10);
    *o = '\0';
    r->kind = MBUS_VAL_NONE;
    r->has_raw = false;
    r->value = 0;
    r->invalid = true;
}

static void set_value(mbus_record *r, coding how, const mbus_vif_info *vi) {
    const uint8_t *b = r->data;
    size_t n = r->data_len;
    int bad;
    unsigned digit;
    if (vi->kind == MBUS_VK_TIME_POINT && (how == AS_INT || how == AS_BCD) &&
        mbus_time_point_text(b, n, r->text, sizeof r->text)) {
        r->kind = MBUS_VAL_DATE;
        /* IV: bit 7 of the minute byte, which is byte 0 (F) or byte 1 (I) */
        r->invalid = (n == 4 && (b[0] & 0x80)) || (n == 6 && (b[1] & 0x80));
        return;
    }
    switch (how) {
    case AS_NONE: r->kind = MBUS_VAL_NONE; return;
    case AS_INT: set_number(r, mbus_int_decode(b, n), vi); return;
    case AS_REAL: {
        uint32_t u = (uint32_t)mbus_int_decode(b, 4);
        float f;
        memcpy(&f, &u, sizeof f);
        r->kind = MBUS_VAL_NUMBER;
        r->value = (double)f * mbus_pow10(vi->exp) * vi->mult;
        return;
    }
    case AS_BCD:
    case AS_BCD_NEG:
        if (n > 0 && (bad = mbus_bcd_bad_nibble(b, n, &digit)) >= 0) {
            mbus_set_invalid_bcd(r, digit, bad);
        } else if (n == 0) {
            r->kind = MBUS_VAL_NONE;
        } else if (n > 9) {
            set_long_bcd(r, b, n, how == AS_BCD_NEG, vi);
        } else {
            int64_t raw = mbus_bcd_decode(b, n);
            set_number(r, how == AS_BCD_NEG ? -raw : raw, vi);
        }
        return;
    case AS_TEXT: set_text_reversed(r, b, n); return;
    case AS_BINARY:
        r->kind = MBUS_VAL_BYTES;
        mbus_hex(b, n, r->text, sizeof r->text);
        return;
    }
}

/* Manufacturer specific data (DIF 0x0F / 0x1F) runs to the end of the data. */
static void take_manufacturer_data(cursor *c, mbus_record *r, mbus_data *out) {
    uint8_t dif = c->d[c->pos++];
    r->dif[0] = dif;
    r->n_dif = 1;
    r->quantity = "manufacturer_specific";
    r->unit = "";
    r->data = c->d + c->pos;
    size_t n = c->len - c->pos;
    r->data_len = n > 255 ? 255 : (uint8_t)n;
    r->kind = MBUS_VAL_BYTES;
    mbus_hex(r->data, n, r->text, sizeof r->text);
    out->more_follows = dif == DIF_MFR_MORE;
    out->mfr_data = r->data;
    out->mfr_len = n;
    c->pos = c->len;
}

/* A record-error VIFE (EN 13757-3 "codes for record errors": no data
 * available, data overflow, data error, ...) says the data are no value:
 * the record is kept, invalid, with the error's name as its reason. */
static void mark_record_error(mbus_record *r) {
    size_t first = (r->vif[0] == 0xFD || r->vif[0] == 0xFB) ? 2 : 1;
    if (r->n_vif == 0 || (r->vif[0] & 0x7F) == 0x7F)
        return;
    for (size_t i = first; i < r->n_vif; i++) {
        unsigned v = r->vif[i] & 0x7F;
        if (v == 0x7F)
            return; /* the rest is manufacturer specific */
        if (v == 0x7C) {
            i++; /* a second-table byte */
            continue;
        }
        if (mbus_vife_is_record_error(r->vif[i])) {
            r->invalid = true;
            r->kind = MBUS_VAL_NONE;
            snprintf(r->text, sizeof r->text, "record error: %s", mbus_vife_name(r->vif[i]));
            return;
        }
    }
}

static mbus_err_code read_record(cursor *c, mbus_record *r) {
    mbus_err_code rc = read_difs(c, r);
    if (rc == MBUS_OK)
        rc = read_vifs(c, r);
    size_t n = 0;
    coding how = AS_NONE;
    if (rc == MBUS_OK)
        rc = data_length(c, r->dif[0], &n, &how);
    if (rc != MBUS_OK)
        return rc;
    if (n > c->len - c->pos)
        return mbus_fail(c->err, MBUS_ERR_DATA, c->pos, "record needs %zu data bytes, %zu left", n,
                         c->len - c->pos);
    r->data = c->d + c->pos;
    r->data_len = (uint8_t)n;
    c->pos += n;
    mbus_vif_info scratch;
    const mbus_vif_info *vi = mbus_vif_lookup(r->vif, r->n_vif, &scratch);
    r->quantity = vi->quantity;
    r->unit = vi->unit;
    r->scale_exp = vi->exp;
    r->unit_mult = vi->mult;
    set_value(r, how, vi);
    mark_record_error(r);
    return MBUS_OK;
}

/* Field by field: a memset of the text buffers costs more than the rest. */
static void record_init(mbus_record *r, size_t pos) {
    r->n_dif = r->n_vif = 0;
    r->offset = (uint16_t)pos;
    r->data = NULL;
    r->data_len = 0;
    r->function = MBUS_FN_INSTANT;
    r->storage = 0;
    r->tariff = r->subunit = 0;
    r->quantity = "none";
    r->unit = "";
    r->vif_text[0] = '\0';
    r->kind = MBUS_VAL_NONE;
    r->value = 0;
    r->raw_int = 0;
    r->has_raw = false;
    r->scale_exp = 0;
    r->unit_mult = 1.0;
    r->text[0] = '\0';
    r->invalid = false;
    r->profile = 0;
    r->profile_timed = r->profile_months = false;
    r->profile_index = 0;
    r->profile_offset = 0;
}

mbus_err_code mbus_records_decode(const uint8_t *data, size_t len, size_t pos, mbus_data *out,
                                  mbus_error *err) {
    cursor c = {data, len, pos, err};
    while (c.pos < c.len) {
        uint8_t dif = data[c.pos];
        if (dif == DIF_FILLER || dif == DIF_GLOBAL_READOUT) {
            c.pos++;
            continue;
        }
        if ((dif & 0x0F) == 0x0F && dif != DIF_MFR && dif != DIF_MFR_MORE)
            return mbus_fail(err, MBUS_ERR_DIF, c.pos, "reserved DIF 0x%02X", dif);
        if (out->n_records == MBUS_MAX_RECORDS)
            return mbus_fail(err, MBUS_ERR_TOO_MANY_RECORDS, c.pos, "more than %d records",
                             MBUS_MAX_RECORDS);
        mbus_record *r = &out->records[out->n_records];
        record_init(r, c.pos);
        if (dif == DIF_MFR || dif == DIF_MFR_MORE) {
            take_manufacturer_data(&c, r, out);
        } else {
            mbus_err_code rc = read_record(&c, r);
            if (rc != MBUS_OK)
                return rc;
            if ((r->dif[0] & 0x0F) == 0x0D && mbus_profile_vife(r->vif, r->n_vif)) {
                /* the slot is rewritten by the profile's first value */
                rc = mbus_profile_expand(r, out, err);
                if (rc != MBUS_OK)
                    return rc;
                continue;
            }
        }
        out->n_records++;
    }
    return MBUS_OK;
}
