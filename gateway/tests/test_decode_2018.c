/* What real meters send that the first decoder missed (issue 18), from
 * telegrams built here by the tables of EN 13757-3:2018, EN 13757-4 and
 * EN 13757-7: compact profiles of each kind, the combinable VIFE tables row
 * by row, CI 0x73 behind a long header (encrypted), bytes after the frame,
 * ELL payloads in the clear with the encryption bit set, BCD with
 * non-decimal digits in every position and negative BCD, the top-level
 * security and device type codes. */
#include <stdio.h>
#include "codec/decode/decode.h"
#include "tests/test.h"
#include "tests/test_decode_json.h"

static telegram tg;
static char json[DECODE_JSON_MAX];
static mbus_data d;
static mbus_error e;

/* Decode bytes through the whole path; the JSON parsed into *out. */
static bool run(decoder *dec, const uint8_t *b, size_t n, jv *out) {
    decode_telegram(dec, b, n, &tg);
    size_t len = decode_json(&tg, json, sizeof json);
    CHECK(len > 0);
    bool ok = jv_parse(json, out);
    CHECK_MSG(ok, "JSON does not parse: %s", json);
    return ok;
}

static double num(const jv *o, const char *k) {
    const jv *v = jv_get(o, k);
    return v && v->type == JV_NUM ? v->num : -12345.678;
}

/* A wireless SND_NR frame, no CRCs: link header of meter 12345678 (ELS, gas)
 * and then body. */
static size_t wireless(const uint8_t *body, size_t n, uint8_t *out) {
    const uint8_t link[10] = {0, 0x44, 0x93, 0x15, 0x78, 0x56, 0x34, 0x12, 0x33, 0x03};
    memcpy(out, link, 10);
    memcpy(out + 10, body, n);
    out[0] = (uint8_t)(n + 9);
    return n + 10;
}

/* ---- compact profiles --------------------------------------------------- */
/* DIF 0x4D (storage 1, LVAR), VIF 0x13 (volume, l), profile VIFE, LVAR, SCB,
 * spacing value, elements. */
static void profile_records(uint8_t vife, uint8_t scb, uint8_t sv, const uint8_t *el, size_t n) {
    uint8_t b[64] = {0x4D, 0x93, vife, (uint8_t)(n + 2), scb, sv};
    memcpy(b + 6, el, n);
    CHECK_INT(mbus_app_decode(0x78, b, 6 + n, &d, &e), MBUS_OK);
}

static void test_compact_profiles(void) {
    /* compact profile, absolute 16-bit values (SCB 0x02), monthly (0xFE) */
    const uint8_t abs16[] = {0x10, 0x27, 0x64, 0x00, 0xE8, 0x03};
    profile_records(0x1F, 0x02, 0xFE, abs16, sizeof abs16);
    CHECK_INT(d.n_records, 3);
    static const double want_abs[3] = {10.0, 0.1, 1.0}; /* 10000 l, 100 l, 1000 l in m3 */
    for (size_t i = 0; i < 3; i++) {
        CHECK_NEAR(d.records[i].value, want_abs[i], 1e-12);
        CHECK_INT(d.records[i].storage, 1);
        CHECK_INT(d.records[i].profile, 0x1F);
        CHECK_INT(d.records[i].profile_index, i);
        CHECK(d.records[i].profile_timed && d.records[i].profile_months);
        CHECK_INT(d.records[i].profile_offset, -2 * (int64_t)i); /* half months */
        CHECK_STR(d.records[i].quantity, "volume");
    }
    /* with register numbers, positive 8-bit increments (SCB 0x41), 15 min
     * (unit minutes 0x10, value 15): 100, +5, +7 -> 100, 105, 112 l */
    const uint8_t inc8[] = {0x64, 0x05, 0x07};
    profile_records(0x1E, 0x51, 15, inc8, sizeof inc8);
    CHECK_INT(d.n_records, 3);
    static const double want_inc[3] = {0.100, 0.105, 0.112};
    for (size_t i = 0; i < 3; i++) {
        CHECK_NEAR(d.records[i].value, want_inc[i], 1e-12);
        CHECK_INT(d.records[i].storage, 1 + i);
        CHECK_INT(d.records[i].profile_offset, -900 * (int64_t)i);
        CHECK(!d.records[i].profile_months);
    }
    /* inverse compact profile, negative increments of 2-digit BCD (SCB 0x99:
     * mode 2, unit hours, BCD 1 byte), every 2 h: 50, -10, -15 -> 50, 40, 25;
     * element 0 is the oldest */
    const uint8_t dec_bcd[] = {0x50, 0x10, 0x15};
    profile_records(0x13, 0xA9, 2, dec_bcd, sizeof dec_bcd);
    CHECK_INT(d.n_records, 3);
    static const double want_dec[3] = {0.050, 0.040, 0.025};
    for (size_t i = 0; i < 3; i++) {
        CHECK_NEAR(d.records[i].value, want_dec[i], 1e-12);
        CHECK_INT(d.records[i].profile_offset, -7200 * (int64_t)(2 - i));
    }
    /* signed differences (mode 3), 8-bit, days: 20, -3, +4 -> 20, 17, 21 */
    const uint8_t diff[] = {0x14, 0xFD, 0x04};
    profile_records(0x1F, 0xF1, 1, diff, sizeof diff);
    CHECK_NEAR(d.records[1].value, 0.017, 1e-12);
    CHECK_NEAR(d.records[2].value, 0.021, 1e-12);
    CHECK_INT(d.records[2].profile_offset, -2 * 86400);
    /* an invalid BCD element: no value there, and none for the increments after it */
    const uint8_t bad[] = {0x50, 0x1A, 0x15};
    profile_records(0x1F, 0x49, 1, bad, sizeof bad);
    CHECK(d.records[0].kind == MBUS_VAL_NUMBER);
    CHECK(d.records[1].kind == MBUS_VAL_NONE && d.records[1].invalid);
    CHECK_STR(d.records[1].text, "BCD digit 0xA at nibble 0");
    CHECK(d.records[2].kind == MBUS_VAL_NONE && d.records[2].invalid);
    /* layouts that are not profiles: one invalid record with the reason, and
     * the record after it still read */
    uint8_t odd[] = {0x4D, 0x93, 0x1F, 0x05, 0x02, 0xFE, 0x10, 0x27, 0x64, 0x02, 0x5B, 0x14, 0x00};
    CHECK_INT(mbus_app_decode(0x78, odd, sizeof odd, &d, &e), MBUS_OK);
    CHECK_INT(d.n_records, 2);
    CHECK(d.records[0].invalid && d.records[0].kind == MBUS_VAL_NONE);
    CHECK_STR(d.records[0].text, "compact profile: 3 bytes are not whole elements of 2 bytes");
    CHECK_NEAR(d.records[1].value, 20, 0);
    uint8_t lvar[] = {0x4D, 0x93, 0x1F, 0x03, 0x0D, 0xFE, 0x10};
    CHECK_INT(mbus_app_decode(0x78, lvar, sizeof lvar, &d, &e), MBUS_OK);
    CHECK(d.n_records == 1 && d.records[0].invalid);
    CHECK_STR(d.records[0].text, "compact profile element coding 0xD has no fixed length");
    uint8_t short_[] = {0x4D, 0x93, 0x1F, 0x01, 0x02};
    CHECK_INT(mbus_app_decode(0x78, short_, sizeof short_, &d, &e), MBUS_OK);
    CHECK_STR(d.records[0].text, "compact profile of 1 bytes: needs a spacing control and a spacing value");
    /* more forms: a storage number from a DIFE, a VIF of the 0xFD table, real32
     * elements, a binary LVAR (0xE6), the profile VIFE after another VIFE */
    uint8_t dife[] = {0xCD, 0x01, 0x93, 0x1F, 0x04, 0x01, 0x01, 0x05, 0x06};
    CHECK_INT(mbus_app_decode(0x78, dife, sizeof dife, &d, &e), MBUS_OK);
    CHECK(d.n_records == 2 && d.records[0].storage == 3 && d.records[1].storage == 3);
    CHECK_NEAR(d.records[1].value, 0.006, 1e-12);
    uint8_t fd[] = {0x0D, 0xFD, 0xC8, 0x1F, 0x04, 0x02, 0x01, 0xE8, 0x03}; /* voltage 10^(8-9) V */
    CHECK_INT(mbus_app_decode(0x78, fd, sizeof fd, &d, &e), MBUS_OK);
    CHECK(d.n_records == 1 && strcmp(d.records[0].quantity, "voltage") == 0);
    CHECK_NEAR(d.records[0].value, 100.0, 1e-9);
    uint8_t real[] = {0x0D, 0x93, 0x1F, 0x0A, 0x05, 0x01, 0x00, 0x00, 0x20, 0x41, 0x00, 0x00, 0xA0, 0x40};
    CHECK_INT(mbus_app_decode(0x78, real, sizeof real, &d, &e), MBUS_OK);
    CHECK(d.n_records == 2);
    CHECK_NEAR(d.records[0].value, 0.010, 1e-12); /* 10.0 l */
    CHECK_NEAR(d.records[1].value, 0.005, 1e-12); /* 5.0 l */
    uint8_t bin[] = {0x0D, 0x93, 0x1F, 0xE6, 0x02, 0x01, 0x01, 0x00, 0x02, 0x00};
    CHECK_INT(mbus_app_decode(0x78, bin, sizeof bin, &d, &e), MBUS_OK);
    CHECK(d.n_records == 2);
    CHECK_NEAR(d.records[1].value, 0.002, 1e-12);
    uint8_t chain[] = {0x0D, 0x93, 0xBE, 0x1F, 0x04, 0x01, 0x01, 0x07, 0x08}; /* base conditions, profile */
    CHECK_INT(mbus_app_decode(0x78, chain, sizeof chain, &d, &e), MBUS_OK);
    CHECK(d.n_records == 2 && d.records[1].profile == 0x1F);
    CHECK_NEAR(d.records[1].value, 0.008, 1e-12);
    /* LVAR 0xC4 (4 "BCD" bytes) with a profile VIFE: the bytes are the
     * profile; that they are no valid BCD says nothing about the values */
    uint8_t bcd_lvar[] = {0x4D, 0x93, 0x1F, 0xC4, 0x02, 0xFE, 0x10, 0x27};
    CHECK_INT(mbus_app_decode(0x78, bcd_lvar, sizeof bcd_lvar, &d, &e), MBUS_OK);
    CHECK(d.n_records == 1 && !d.records[0].invalid && d.records[0].kind == MBUS_VAL_NUMBER);
    CHECK_NEAR(d.records[0].value, 10.0, 1e-12);
    /* a record after the profile is still read */
    uint8_t after[] = {0x0D, 0x93, 0x1F, 0x04, 0x01, 0x01, 0x01, 0x02, 0x01, 0x13, 0x07};
    CHECK_INT(mbus_app_decode(0x78, after, sizeof after, &d, &e), MBUS_OK);
    CHECK_INT(d.n_records, 3);
    CHECK_NEAR(d.records[2].value, 0.007, 1e-12);
    CHECK_INT(d.records[2].profile, 0);
}

/* JSON of a profile, as docs/decode.md shows it. */
static void test_profile_json(decoder *dec) {
    const uint8_t body[] = {0x78, 0x4D, 0x93, 0x1F, 0x06, 0x02, 0xFE, 0x10, 0x27, 0x64, 0x00};
    uint8_t f[64];
    jv o;
    if (!run(dec, f, wireless(body, sizeof body, f), &o))
        return;
    const jv *r = jv_get(&o, "records");
    CHECK(r && r->n == 2);
    if (r && r->n == 2) {
        CHECK_STR(jv_str(&r->items[1], "profile"), "compact_profile");
        CHECK_INT(num(&r->items[1], "profile_index"), 1);
        CHECK_NEAR(num(&r->items[1], "time_offset_months"), -1, 0);
        CHECK_STR(jv_get(&r->items[1], "value")->str, "0.1");
    }
    jv_free(&o);
}

/* ---- combinable VIFE tables, row by row ----------------------------------- */
static void test_vife_tables(void) {
    /* EN 13757-3 "codes for record errors" (E000 0000 .. E001 1100), with the
     * rows 2013/2018 gave other meanings */
    static const char *const want[0x80] = {
        [0x00] = "no_error", [0x01] = "too_many_difes", [0x02] = "storage_number_not_implemented",
        [0x03] = "unit_number_not_implemented", [0x04] = "tariff_number_not_implemented",
        [0x05] = "function_not_implemented", [0x06] = "data_class_not_implemented",
        [0x07] = "data_size_not_implemented", [0x08] = "reserved_dif_error",
        [0x09] = "reserved_dif_error", [0x0A] = "reserved_dif_error", [0x0B] = "too_many_vifes",
        [0x0C] = "illegal_vif_group", [0x0D] = "illegal_vif_exponent", [0x0E] = "vif_dif_mismatch",
        [0x0F] = "unimplemented_action", [0x10] = "reserved_vif_error", [0x11] = "reserved_vif_error",
        [0x12] = "reserved_vif_error", [0x15] = "no_data_available", [0x16] = "data_overflow",
        [0x17] = "data_underflow", [0x18] = "data_error", [0x19] = "reserved_data_error",
        [0x1A] = "reserved_data_error", [0x1B] = "reserved_data_error",
        [0x1C] = "premature_end_of_record",
        [0x13] = "inverse_compact_profile", [0x14] = "relative_deviation",
        [0x1D] = "standard_conform_data_content",
        [0x1E] = "compact_profile_with_register_numbers", [0x1F] = "compact_profile",
        [0x20] = "per_second", [0x21] = "per_minute", [0x22] = "per_hour", [0x23] = "per_day",
        [0x24] = "per_week", [0x25] = "per_month", [0x26] = "per_year",
        [0x27] = "per_revolution_or_measurement", [0x28] = "increment_per_input_pulse_0",
        [0x29] = "increment_per_input_pulse_1", [0x2A] = "increment_per_output_pulse_0",
        [0x2B] = "increment_per_output_pulse_1", [0x2C] = "per_litre", [0x2D] = "per_m3",
        [0x2E] = "per_kg", [0x2F] = "per_kelvin", [0x30] = "per_kwh", [0x31] = "per_gj",
        [0x32] = "per_kw", [0x33] = "per_kelvin_litre", [0x34] = "per_volt",
        [0x35] = "per_ampere", [0x36] = "multiplied_by_s", [0x37] = "multiplied_by_s_per_v",
        [0x38] = "multiplied_by_s_per_a", [0x39] = "start_date_time_of",
        [0x3A] = "uncorrected_unit", [0x3B] = "accumulation_if_positive",
        [0x3C] = "accumulation_abs_if_negative", [0x3D] = "reserved",
        [0x3E] = "value_at_base_conditions", [0x3F] = "obis_declaration",
        [0x40] = "lower_limit", [0x41] = "lower_limit_exceed_count", [0x48] = "upper_limit",
        [0x49] = "upper_limit_exceed_count", [0x68] = "value_during_lower_limit_exceed",
        [0x69] = "leakage_values", [0x6C] = "value_during_upper_limit_exceed",
        [0x6D] = "overflow_values", [0x7C] = "combinable_extension", [0x7E] = "future_value",
        [0x7F] = "manufacturer_specific",
    };
    for (unsigned v = 0; v < 0x80; v++) {
        const char *w = want[v];
        if (!w && v >= 0x42 && v < 0x50)
            w = v & 2 ? "date_time_of_limit_exceed" : "reserved"; /* E100 uf1b */
        else if (!w && v >= 0x50 && v < 0x60)
            w = "duration_of_limit_exceed";                       /* E101 ufnn */
        else if (!w && v >= 0x60 && v < 0x68)
            w = "duration_of";                                    /* E110 0fnn */
        else if (!w && v >= 0x6A && v < 0x70)
            w = "date_time_of";                                   /* E110 1f1b */
        else if (!w && (v < 0x78 || v == 0x7D))
            w = "multiplicative_correction";
        else if (!w)
            w = "additive_correction";
        CHECK_MSG(strcmp(mbus_vife_name((uint8_t)v), w) == 0, "VIFE %02X: %s, want %s", v,
                  mbus_vife_name((uint8_t)v), w);
    }
    static const char *const second[] = {
        "reserved", "at_phase_l1", "at_phase_l2", "at_phase_l3", "at_neutral",
        "between_phase_l1_l2", "between_phase_l2_l3", "between_phase_l3_l1",
        "at_quadrant_q1", "at_quadrant_q2", "at_quadrant_q3", "at_quadrant_q4",
        "delta_import_export", "reserved", "reserved", "reserved",
        "accumulation_abs_both_directions", "data_type_c", "data_type_d",
        "direction_to_meter", "direction_from_meter", "reserved",
    };
    for (unsigned v = 0; v < sizeof second / sizeof second[0]; v++)
        CHECK_STR(mbus_vife2_name((uint8_t)v), second[v]);
    CHECK_STR(mbus_vife2_name(0x7F), "reserved");
    /* value at base conditions keeps the volume; a duration VIFE makes seconds */
    const uint8_t base[] = {0x04, 0x93, 0x3E, 0x10, 0x27, 0x00, 0x00, /* 10000 l at base conditions */
                            0x02, 0x93, 0x52, 0x05, 0x00,             /* 5 h lower limit exceed */
                            0x02, 0x93, 0x49, 0x03, 0x00,             /* 3 upper limit exceeds */
                            0x02, 0x93, 0xFC, 0x01, 0x07, 0x00,       /* at phase L1: no rescale */
                            0x04, 0x93, 0x6A, 0x32, 0x14, 0x7A, 0x18}; /* date/time of */
    CHECK_INT(mbus_app_decode(0x78, base, sizeof base, &d, &e), MBUS_OK);
    CHECK_INT(d.n_records, 5);
    CHECK_NEAR(d.records[0].value, 10.0, 1e-12);
    CHECK_STR(d.records[0].unit, "m3");
    CHECK_STR(d.records[1].unit, "s");
    CHECK_NEAR(d.records[1].value, 5 * 3600.0, 0);
    CHECK_STR(d.records[2].unit, "");
    CHECK_NEAR(d.records[2].value, 3, 0);
    CHECK_NEAR(d.records[3].value, 0.007, 1e-12);
    CHECK_INT(d.records[4].kind, MBUS_VAL_DATE);
    CHECK_STR(d.records[4].text, "2011-08-26T20:50:00");
}

/* A record error VIFE: the record is kept, with no value and the error's name
 * as its reason; 0x00 "no error" and the 2013 rows are no errors; the next
 * record is read as usual. */
static void test_record_errors(decoder *dec) {
    static const struct { uint8_t vife; const char *reason; } rows[] = {
        {0x15, "record error: no_data_available"}, {0x16, "record error: data_overflow"},
        {0x17, "record error: data_underflow"}, {0x18, "record error: data_error"},
        {0x1C, "record error: premature_end_of_record"}, {0x01, "record error: too_many_difes"},
        {0x0E, "record error: vif_dif_mismatch"}, {0x19, "record error: reserved_data_error"},
        {0x00, NULL}, {0x14, NULL}};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        const uint8_t b[] = {0x04, 0x93, rows[i].vife, 0x10, 0x27, 0x00, 0x00, 0x02, 0x5B, 0x14, 0x00};
        CHECK_INT(mbus_app_decode(0x78, b, sizeof b, &d, &e), MBUS_OK);
        CHECK_INT(d.n_records, 2);
        CHECK_INT(d.records[0].invalid, rows[i].reason != NULL);
        if (rows[i].reason) {
            CHECK_INT(d.records[0].kind, MBUS_VAL_NONE);
            CHECK_STR(d.records[0].text, rows[i].reason);
        } else {
            CHECK_NEAR(d.records[0].value, 10.0, 1e-12);
        }
        CHECK_NEAR(d.records[1].value, 20.0, 0);
    }
    /* behind a second-table VIFE (0xFC 0x15: not a record error there) and in the JSON */
    const uint8_t phase[] = {0x04, 0x93, 0xFC, 0x15, 0x10, 0x27, 0x00, 0x00};
    CHECK_INT(mbus_app_decode(0x78, phase, sizeof phase, &d, &e), MBUS_OK);
    CHECK(!d.records[0].invalid);
    const uint8_t body[] = {0x78, 0x04, 0x93, 0x15, 0x10, 0x27, 0x00, 0x00};
    uint8_t f[32];
    jv o;
    if (!run(dec, f, wireless(body, sizeof body, f), &o))
        return;
    const jv *r = jv_get(&o, "records");
    CHECK(r && r->n == 1);
    if (r && r->n == 1) {
        const jv *v = jv_get(&r->items[0], "vife");
        CHECK(v && v->n == 1 && strcmp(v->items[0].str, "no_data_available") == 0);
        CHECK(jv_get(&r->items[0], "value")->type == JV_NULL);
        CHECK(jv_get(&r->items[0], "invalid") && jv_get(&r->items[0], "invalid")->type == JV_BOOL);
        CHECK_STR(jv_str(&r->items[0], "invalid_reason"), "record error: no_data_available");
    }
    jv_free(&o);
}

/* ---- BCD -------------------------------------------------------------------- */
static void test_bcd(void) {
    /* a non-decimal digit in each nibble of a 6-byte BCD (DIF 0x0E) */
    for (int nib = 0; nib < 12; nib++) {
        uint8_t b[8] = {0x0E, 0x2B, 0x11, 0x11, 0x11, 0x11, 0x11, 0x01};
        unsigned digit = 0xA + (unsigned)nib % 6;
        if (digit == 0xF && nib == 11)
            digit = 0xE; /* 0xF there is the sign */
        uint8_t *p = &b[2 + nib / 2];
        *p = nib & 1 ? (uint8_t)((*p & 0x0F) | digit << 4) : (uint8_t)((*p & 0xF0) | digit);
        CHECK_INT(mbus_app_decode(0x78, b, sizeof b, &d, &e), MBUS_OK);
        char want[48];
        snprintf(want, sizeof want, "BCD digit 0x%X at nibble %d", digit, nib);
        CHECK_MSG(d.records[0].kind == MBUS_VAL_NONE && d.records[0].invalid &&
                      strcmp(d.records[0].text, want) == 0,
                  "nibble %d: kind %d '%s', want '%s'", nib, d.records[0].kind, d.records[0].text, want);
    }
    /* the telegram of the issue: value during error state, 3C 2B BD EB DD DD */
    const uint8_t err[] = {0x3E, 0x2B, 0x3C, 0x2B, 0xBD, 0xEB, 0xDD, 0xDD};
    CHECK_INT(mbus_app_decode(0x78, err, sizeof err, &d, &e), MBUS_OK);
    CHECK(d.records[0].kind == MBUS_VAL_NONE && !d.records[0].has_raw);
    CHECK_STR(d.records[0].text, "BCD digit 0xC at nibble 0");
    CHECK_INT(d.records[0].function, MBUS_FN_ERROR);
    /* a leading 0xF is the minus sign: F1 23 45 67 -> -1234567 (4 bytes, LSB first) */
    const uint8_t neg[] = {0x0C, 0x13, 0x67, 0x45, 0x23, 0xF1, 0x0A, 0x13, 0x01, 0xF0};
    CHECK_INT(mbus_app_decode(0x78, neg, sizeof neg, &d, &e), MBUS_OK);
    CHECK_INT(d.records[0].raw_int, -1234567);
    CHECK_NEAR(d.records[0].value, -1234.567, 1e-9);
    CHECK_INT(d.records[1].raw_int, -1);
    CHECK(!d.records[0].invalid && !d.records[1].invalid);
    /* 0xF anywhere else is not a sign */
    const uint8_t f_low[] = {0x0A, 0x13, 0x1F, 0x00};
    CHECK_INT(mbus_app_decode(0x78, f_low, sizeof f_low, &d, &e), MBUS_OK);
    CHECK_STR(d.records[0].text, "BCD digit 0xF at nibble 0");
}

/* ---- wireless: CI 0x73, trailing bytes, plain ELL, security ------------- */
static void test_ci_73(decoder *dec) {
    /* CI 0x73: compact frame behind a long header (meter 87654321, ABC, water)
     * encrypted with mode 5: 2F 2F, format signature 0x1234, frame CRC 0xABCD,
     * data 01 02 03, fillers to one block */
    uint8_t body[64] = {0x73, 0x21, 0x43, 0x65, 0x87, 0x43, 0x04, 0x01, 0x07, 0x55, 0x00,
                        0x10, 0x05};
    const uint8_t plain[16] = {0x2F, 0x2F, 0x34, 0x12, 0xCD, 0xAB, 1, 2, 3,
                               0x2F, 0x2F, 0x2F, 0x2F, 0x2F, 0x2F, 0x2F};
    memcpy(body + 13, plain, 16);
    uint8_t key[16], iv[16];
    memset(key, 0x42, sizeof key);
    const uint8_t ma[8] = {0x43, 0x04, 0x21, 0x43, 0x65, 0x87, 0x01, 0x07};
    oms_mode5_iv(ma, 0x55, iv);
    CHECK(oms_cbc_encrypt(dec->crypto, key, iv, body + 13, 16));
    uint8_t f[64];
    size_t n = wireless(body, 29, f);
    jv o;
    if (run(dec, f, n, &o)) { /* no key */
        CHECK_STR(jv_str(&o, "security"), "no_key");
        CHECK_STR(jv_str(&o, "id"), "87654321");
        CHECK_STR(jv_str(&o, "ci_kind"), "compact_frame");
        jv_free(&o);
    }
    char line[80];
    snprintf(line, sizeof line, "87654321 %s", "42424242424242424242424242424242");
    char why[64];
    CHECK(decode_keys_add_line(&dec->keys, line, why, sizeof why));
    if (run(dec, f, n, &o)) {
        CHECK_STR(jv_str(&o, "security"), "ok");
        CHECK(!jv_get(&o, "error"));
        const jv *c = jv_get(&o, "compact_frame");
        CHECK(c != NULL);
        CHECK_NEAR(num(c, "format_signature"), 0x1234, 0);
        CHECK_NEAR(num(c, "frame_crc"), 0xABCD, 0);
        CHECK_STR(jv_str(c, "data"), "0102032F2F2F2F2F2F2F");
        CHECK_STR(jv_str(&o, "device_type"), "water");
        CHECK_NEAR(num(&o, "device_type_code"), 7, 0);
        jv_free(&o);
    }
}

static void test_trailing(decoder *dec) {
    const uint8_t body[] = {0x78, 0x03, 0x13, 0x15, 0x31, 0x00};
    uint8_t f[64], a[96];
    size_t n = wireless(body, sizeof body, f);
    f[n] = 0xC7, f[n + 1] = 0x80; /* e.g. RSSI and a status byte */
    jv o;
    if (run(dec, f, n + 2, &o)) {
        CHECK(!jv_get(&o, "error"));
        CHECK_STR(jv_str(&o, "trailing_bytes"), "C780");
        CHECK_STR(jv_str(&o, "format"), "plain");
        CHECK_STR(jv_get(&jv_get(&o, "records")->items[0], "value")->str, "12.565");
        jv_free(&o);
    }
    /* format A with CRCs, then three extra bytes */
    size_t m = wmbus_frame_add_crcs(f, n, WMBUS_FMT_A, a, sizeof a);
    a[m] = 1, a[m + 1] = 2, a[m + 2] = 3;
    if (run(dec, a, m + 3, &o)) {
        CHECK(!jv_get(&o, "error"));
        CHECK_STR(jv_str(&o, "format"), "A");
        CHECK_STR(jv_str(&o, "trailing_bytes"), "010203");
        jv_free(&o);
    }
    /* exact length: no trailing_bytes field */
    if (run(dec, f, n, &o)) {
        CHECK(!jv_get(&o, "trailing_bytes"));
        jv_free(&o);
    }
}

/* CI 0x8D, SN with encryption 1 (AES-CTR), but the payload is plain: its CRC
 * (low byte first) matches as sent. */
static size_t plain_ell(uint8_t *f) {
    uint8_t body[48] = {0x8D, 0x20, 0x11, 0x01, 0x00, 0x00, 0x20, 0, 0, /* SN, CRC */
                        0x7A, 0x11, 0x00, 0x00, 0x00, 0x03, 0x13, 0x15, 0x31, 0x00};
    size_t n = 19;
    uint16_t crc = wmbus_crc16(body + 9, n - 9);
    body[7] = (uint8_t)crc, body[8] = (uint8_t)(crc >> 8);
    return wireless(body, n, f);
}

static void test_plain_ell(decoder *dec) {
    uint8_t f[64];
    size_t n = plain_ell(f);
    jv o;
    for (int pass = 0; pass < 2; pass++) { /* no key, then a (wrong) key */
        if (pass) {
            dec->keys.has_default = true;
            memset(dec->keys.default_key, 0x99, OMS_KEY_LEN);
        }
        if (!run(dec, f, n, &o))
            continue;
        CHECK_STR(jv_str(&o, "security"), "plain_flagged_encrypted");
        CHECK_STR(jv_str(jv_get(&o, "ell"), "security"), "plain_flagged_encrypted");
        CHECK(!jv_get(&o, "error"));
        CHECK_INT(jv_get(&o, "records")->n, 1);
        jv_free(&o);
    }
    dec->keys.has_default = false;
    /* the same with a damaged CRC: no_key, and security at the top level */
    f[17] ^= 1;
    if (run(dec, f, n, &o)) {
        CHECK_STR(jv_str(&o, "security"), "no_key");
        CHECK(jv_get(&o, "error") != NULL);
        jv_free(&o);
    }
    dec->keys.has_default = true;
    if (run(dec, f, n, &o)) {
        CHECK_STR(jv_str(&o, "security"), "wrong_key");
        CHECK_INT(jv_get(&o, "records")->n, 0);
        jv_free(&o);
    }
    dec->keys.has_default = false;
}

/* Every object has one top-level security and a device type code. */
static void test_security_and_types(decoder *dec) {
    const uint8_t e5[] = {0xE5};
    jv o;
    if (run(dec, e5, 1, &o)) {
        CHECK_STR(jv_str(&o, "security"), "none");
        jv_free(&o);
    }
    const uint8_t body[] = {0x78, 0x03, 0x13, 0x15, 0x31, 0x00};
    uint8_t f[32];
    size_t n = wireless(body, sizeof body, f);
    static const struct { uint8_t code; const char *name; } types[] = {
        {0x40, "0x40"}, {0xFE, "0xFE"}, {0xFF, "wildcard"}, {0x1D, "0x1D"}, {0x07, "water"}};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        f[9] = types[i].code;
        if (!run(dec, f, n, &o))
            continue;
        CHECK_STR(jv_str(&o, "device_type"), types[i].name);
        CHECK_NEAR(num(&o, "device_type_code"), types[i].code, 0);
        CHECK_NEAR(num(jv_get(&o, "link"), "device_type_code"), types[i].code, 0);
        jv_free(&o);
    }
}

int main(void) {
    (void)jv_read_file; /* the shared JSON reader's file helper is not needed here */
    decoder *dec = decoder_new();
    test_compact_profiles();
    test_profile_json(dec);
    test_vife_tables();
    test_record_errors(dec);
    test_bcd();
    test_ci_73(dec);
    test_trailing(dec);
    test_plain_ell(dec);
    test_security_and_types(dec);
    decoder_free(dec);
    return test_summary("test_decode_2018");
}
