/* Compact profiles (EN 13757-3:2018 Annex F): one variable-length record
 * (DIF data field 0x0D) whose VIFE 0x1F "compact profile", 0x1E "compact
 * profile with register numbers" or 0x13 "inverse compact profile" says the
 * data are a series of values of the VIF's quantity, equally spaced:
 *
 *   LVAR | spacing control | spacing value | element 0 | element 1 | ...
 *
 * spacing control: bits 0..3 the data field of every element (DIF coding:
 * integers, BCD, real), bits 4..5 the spacing unit (s, min, h, days), bits
 * 6..7 the increment mode (absolute values, positive increments, negative
 * increments, signed differences). Spacing value: the spacing in those
 * units; 0xFD half a month, 0xFE one month, 0xFB/0xFC/0xFF: not stated.
 *
 * Each element becomes a record of its own with the profile record's DIF,
 * VIF, function, tariff and subunit. Element 0 is at the record's storage
 * number; element i lies i spacings before it (compact profiles) or after
 * the oldest (inverse: element 0 is the oldest, the last one is at the
 * record's storage). With register numbers element i has storage number
 * storage + i. In an increment mode element 0 is absolute and every other
 * element is added to (positive, signed) or taken from (negative) the
 * value before it. A record whose bytes are no profile (not whole elements,
 * an element coding without a fixed length) is kept as one record, invalid,
 * with the reason. */
#include <stdio.h>
#include <string.h>
#include "codec/mbus/mbus_internal.h"

#define MODE_ABSOLUTE 0
#define MODE_POSITIVE 1
#define MODE_NEGATIVE 2
#define SPACING_HALF_MONTH 0xFD
#define SPACING_MONTH 0xFE

/* Bytes of an element coded with a DIF data field; 0 when the coding has
 * no fixed length (none, variable, special). */
static size_t element_size(unsigned field, bool *bcd, bool *real) {
    static const uint8_t sizes[16] = {0, 1, 2, 3, 4, 4, 6, 8, 0, 1, 2, 3, 4, 0, 6, 0};
    *bcd = field >= 0x9 && field != 0xD && field != 0xF;
    *real = field == 0x5;
    return sizes[field & 0xF];
}

/* The profile VIFE of a VIF chain (0x13, 0x1E, 0x1F), 0 when there is none. */
unsigned mbus_profile_vife(const uint8_t *vif, size_t n_vif) {
    if (n_vif == 0 || (vif[0] & 0x7F) == 0x7F)
        return 0;
    size_t first = (vif[0] == 0xFD || vif[0] == 0xFB) ? 2 : 1;
    for (size_t i = first; i < n_vif; i++) {
        unsigned v = vif[i] & 0x7F;
        if (v == 0x7F)
            return 0;
        if (v == 0x7C)
            i++; /* second table byte */
        else if (v == 0x13 || v == 0x1E || v == 0x1F)
            return v;
    }
    return 0;
}

typedef struct profile {
    unsigned vife, mode, field;
    size_t size, count;
    bool bcd, real, timed, months;
    int64_t spacing; /* s, or months x 2 (half months) when months */
} profile;

static void read_spacing(profile *p, uint8_t scb, uint8_t sv) {
    static const int64_t unit_s[4] = {1, 60, 3600, 86400};
    p->field = scb & 0x0F;
    p->mode = scb >> 6;
    p->timed = true;
    p->months = false;
    if (sv == SPACING_MONTH || sv == SPACING_HALF_MONTH) {
        p->months = true;
        p->spacing = sv == SPACING_MONTH ? 2 : 1;
    } else if (sv > 0xFA) {
        p->timed = false;
        p->spacing = 0;
    } else {
        p->spacing = unit_s[(scb >> 4) & 3] * sv;
    }
}

/* Position in time of element i, in steps from the record's storage: 0 for
 * the reference, negative into the past. */
static int64_t steps_back(const profile *p, size_t i) {
    if (p->vife == 0x13)
        return -(int64_t)(p->count - 1 - i);
    return -(int64_t)i;
}

/* One element's number; false (with r marked) when its BCD is not valid. */
static bool element_value(const profile *p, const uint8_t *b, mbus_record *r, int64_t *raw,
                          double *real) {
    unsigned digit;
    if (p->real) {
        uint32_t u = (uint32_t)mbus_int_decode(b, 4);
        float f;
        memcpy(&f, &u, sizeof f);
        *real = f;
        return true;
    }
    if (p->bcd) {
        int bad = mbus_bcd_bad_nibble(b, p->size, &digit);
        if (bad >= 0) {
            mbus_set_invalid_bcd(r, digit, bad);
            return false;
        }
        *raw = mbus_bcd_decode(b, p->size);
        return true;
    }
    *raw = mbus_int_decode(b, p->size);
    /* increments are magnitudes; an absolute value or a difference is signed */
    if (p->mode == MODE_POSITIVE || p->mode == MODE_NEGATIVE) {
        if (p->size < 8)
            *raw &= ((int64_t)1 << (8 * p->size)) - 1;
    }
    return true;
}

static void set_scaled(mbus_record *r, const mbus_vif_info *vi, int64_t raw, double real,
                       bool is_real) {
    r->kind = MBUS_VAL_NUMBER;
    r->has_raw = !is_real;
    r->raw_int = raw;
    double v = is_real ? real : (double)raw;
    v = vi->exp < 0 ? v / mbus_pow10(-vi->exp) : v * mbus_pow10(vi->exp);
    r->value = v * vi->mult;
}

/* Whether the record's bytes are a profile; if not, why (into why). */
static bool check_layout(profile *p, const mbus_record *proto, char *why, size_t cap) {
    if (proto->data_len < 2) {
        snprintf(why, cap, "compact profile of %u bytes: needs a spacing control and a spacing value",
                 proto->data_len);
        return false;
    }
    read_spacing(p, proto->data[0], proto->data[1]);
    p->size = element_size(p->field, &p->bcd, &p->real);
    if (p->size == 0) {
        snprintf(why, cap, "compact profile element coding 0x%X has no fixed length", p->field);
        return false;
    }
    size_t n = proto->data_len - 2u;
    if (n % p->size) {
        snprintf(why, cap, "compact profile: %zu bytes are not whole elements of %zu bytes", n, p->size);
        return false;
    }
    p->count = n / p->size;
    return true;
}

mbus_err_code mbus_profile_expand(const mbus_record *proto, mbus_data *out, mbus_error *err) {
    profile p = {.vife = mbus_profile_vife(proto->vif, proto->n_vif)};
    mbus_record *slot = &out->records[out->n_records]; /* proto itself (mbus_records_decode) */
    if (!check_layout(&p, proto, slot->text, sizeof slot->text)) {
        /* not a profile after all: the record is kept, invalid, with the reason,
         * and the records after it are still read */
        slot->invalid = true;
        slot->kind = MBUS_VAL_NONE;
        out->n_records++;
        return MBUS_OK;
    }
    if (p.count > MBUS_MAX_RECORDS - out->n_records)
        return mbus_fail(err, MBUS_ERR_TOO_MANY_RECORDS, proto->offset,
                         "compact profile of %zu values: more than %d records", p.count,
                         MBUS_MAX_RECORDS);
    mbus_vif_info scratch;
    const mbus_vif_info *vi = mbus_vif_lookup(proto->vif, proto->n_vif, &scratch);
    const mbus_record base = *proto; /* proto may be the first slot written */
    int64_t acc = 0;
    double acc_real = 0;
    bool known = true;
    for (size_t i = 0; i < p.count; i++) {
        mbus_record *r = &out->records[out->n_records++];
        *r = base;
        r->data = base.data + 2 + i * p.size;
        r->data_len = (uint8_t)p.size;
        r->profile = (uint8_t)p.vife;
        r->profile_index = (uint16_t)i;
        r->profile_timed = p.timed;
        r->profile_months = p.months;
        r->profile_offset = steps_back(&p, i) * p.spacing;
        if (p.vife == 0x1E)
            r->storage = base.storage + i;
        r->kind = MBUS_VAL_NONE;
        r->text[0] = '\0';
        r->invalid = false; /* the LVAR record's own reading says nothing here */
        int64_t raw = 0;
        double real = 0;
        bool ok = element_value(&p, r->data, r, &raw, &real);
        if (p.mode != MODE_ABSOLUTE && ok && !known) {
            /* an increment on an unknown value gives no value either */
            r->invalid = true;
            strcpy(r->text, "follows an invalid profile value");
        }
        if (p.mode != MODE_ABSOLUTE)
            known = known && ok;
        if (!ok || r->invalid)
            continue;
        bool overflow = false;
        if (i == 0 || p.mode == MODE_ABSOLUTE)
            acc = raw, acc_real = real;
        else if (p.mode == MODE_NEGATIVE)
            overflow = __builtin_sub_overflow(acc, raw, &acc), acc_real -= real;
        else
            overflow = __builtin_add_overflow(acc, raw, &acc), acc_real += real;
        if (overflow) { /* 64-bit increments can leave int64: no value from here on */
            known = false;
            r->invalid = true;
            strcpy(r->text, "profile value overflows");
            continue;
        }
        set_scaled(r, vi, acc, acc_real, p.real);
    }
    return MBUS_OK;
}
