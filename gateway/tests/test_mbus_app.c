/* EN 13757-3 application layer: the tricky codings, one small telegram each
 * (CI 0x78, no header, unless the header is the point). */
#include "codec/mbus/mbus_app.h"
#include "tests/test.h"

static mbus_data d;
static mbus_error e;

static mbus_err_code decode78(const uint8_t *b, size_t n) {
    return mbus_app_decode(0x78, b, n, &d, &e);
}

static void test_bcd(void) {
    /* 8-digit BCD, volume 10^-3 m3, high nibble F: negative */
    const uint8_t neg[] = {0x0C, 0x13, 0x45, 0x23, 0x01, 0xF0};
    CHECK_INT(decode78(neg, sizeof neg), MBUS_OK);
    CHECK_INT(d.n_records, 1);
    CHECK_STR(d.records[0].quantity, "volume");
    CHECK_STR(d.records[0].unit, "m3");
    CHECK_INT(d.records[0].raw_int, -12345);
    CHECK_INT(d.records[0].scale_exp, -3);
    CHECK_NEAR(d.records[0].value, -12.345, 1e-12);
    /* 2- and 12-digit BCD, energy in Wh and kWh */
    const uint8_t two[] = {0x09, 0x03, 0x42, 0x0E, 0x06, 0x21, 0x43, 0x65, 0x87, 0x09, 0x01};
    CHECK_INT(decode78(two, sizeof two), MBUS_OK);
    CHECK_INT(d.records[0].raw_int, 42);
    CHECK_NEAR(d.records[0].value, 42, 0);
    CHECK_INT(d.records[1].raw_int, 10987654321LL);
    CHECK_NEAR(d.records[1].value, 10987654321e3, 1);
}

static void test_integers_and_real(void) {
    const uint8_t b[] = {
        0x01, 0x2B, 0xFF,                               /* 8 bit -1, power W */
        0x03, 0x2B, 0x00, 0x00, 0x80,                   /* 24 bit min */
        0x06, 0x2B, 0x01, 0x00, 0x00, 0x00, 0x00, 0x80, /* 48 bit */
        0x07, 0x2B, 0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, /* 64 bit -2 */
        0x05, 0x5B, 0x00, 0x00, 0x2A, 0x42,             /* real 42.5, flow temp C */
        0x02, 0x5A, 0x15, 0x03,                         /* 16 bit 789 * 10^-1 C */
    };
    CHECK_INT(decode78(b, sizeof b), MBUS_OK);
    CHECK_INT(d.n_records, 6);
    CHECK_INT(d.records[0].raw_int, -1);
    CHECK_INT(d.records[1].raw_int, -8388608);
    CHECK_INT(d.records[2].raw_int, -140737488355327LL);
    CHECK_INT(d.records[3].raw_int, -2);
    CHECK(!d.records[4].has_raw);
    CHECK_NEAR(d.records[4].value, 42.5, 0);
    CHECK_STR(d.records[4].quantity, "flow_temperature");
    CHECK_STR(d.records[4].unit, "C");
    CHECK_NEAR(d.records[5].value, 78.9, 1e-12);
    CHECK_INT(d.records[5].offset, 32);
}

static void test_lvar(void) {
    const uint8_t b[] = {
        0x0D, 0xFD, 0x11, 0x03, 'C', 'B', 'A',  /* customer "ABC", sent last char first */
        0x0D, 0x13, 0xC2, 0x34, 0x12,           /* positive BCD 1234 * 10^-3 m3 */
        0x0D, 0x13, 0xD2, 0x34, 0x12,           /* negative BCD */
        0x0D, 0xFD, 0x17, 0xE3, 0x01, 0x02, 0x03, /* binary error flags */
    };
    CHECK_INT(decode78(b, sizeof b), MBUS_OK);
    CHECK_INT(d.n_records, 4);
    CHECK_INT(d.records[0].kind, MBUS_VAL_STRING);
    CHECK_STR(d.records[0].text, "ABC");
    CHECK_STR(d.records[0].quantity, "customer");
    CHECK_NEAR(d.records[1].value, 1.234, 1e-12);
    CHECK_INT(d.records[2].raw_int, -1234);
    CHECK_INT(d.records[3].kind, MBUS_VAL_BYTES);
    CHECK_STR(d.records[3].text, "010203");
    CHECK_STR(d.records[3].quantity, "error_flags");
    /* reserved LVAR, and LVAR longer than the data */
    const uint8_t bad[] = {0x0D, 0x13, 0xF8, 0x00};
    CHECK_INT(decode78(bad, sizeof bad), MBUS_ERR_DATA);
    CHECK_INT(e.offset, 2);
    const uint8_t longer[] = {0x0D, 0x13, 0x05, 0x41};
    CHECK_INT(decode78(longer, sizeof longer), MBUS_ERR_DATA);
    CHECK_INT(e.offset, 3);
}

static void test_dif_chain(void) {
    /* storage LSB in the DIF, then DIFE nibbles; tariff and subunit bits */
    const uint8_t b[] = {0xC4, 0xB5, 0x42, 0x03, 0x01, 0x00, 0x00, 0x00,
                         0x14, 0x03, 0x02, 0x00, 0x00, 0x00,   /* maximum */
                         0x24, 0x03, 0x03, 0x00, 0x00, 0x00,   /* minimum */
                         0x34, 0x03, 0x04, 0x00, 0x00, 0x00};  /* during error */
    CHECK_INT(decode78(b, sizeof b), MBUS_OK);
    CHECK_INT(d.n_records, 4);
    CHECK_INT(d.records[0].n_dif, 3);
    CHECK_INT(d.records[0].storage, 1 + (5 << 1) + (2 << 5));
    CHECK_INT(d.records[0].tariff, 3);
    CHECK_INT(d.records[0].subunit, 2);
    CHECK_INT(d.records[0].function, MBUS_FN_INSTANT);
    CHECK_INT(d.records[1].function, MBUS_FN_MAX);
    CHECK_INT(d.records[2].function, MBUS_FN_MIN);
    CHECK_INT(d.records[3].function, MBUS_FN_ERROR);
    CHECK_STR(mbus_function_name(d.records[3].function), "error");

    /* 10 DIFEs are allowed, the 11th is an error at its own offset */
    uint8_t ten[1 + 10 + 1];
    ten[0] = 0x80;
    for (int i = 1; i <= 10; i++)
        ten[i] = 0x81;
    ten[10] = 0x01; /* last DIFE ends the chain: storage nibble 1 at DIFE 10 */
    ten[11] = 0x13; /* VIF; data field 0: no data */
    CHECK_INT(decode78(ten, 12), MBUS_OK);
    CHECK_INT(d.records[0].n_dif, 11);
    /* nibble k of the DIFE chain lands at bit 1 + 4k: value 1 -> hex digit 2 */
    CHECK_INT(d.records[0].storage, 0x2222222222ULL);
    CHECK_INT(d.records[0].kind, MBUS_VAL_NONE);
    uint8_t eleven[14];
    eleven[0] = 0x80;
    for (int i = 1; i <= 11; i++)
        eleven[i] = 0x80;
    eleven[12] = 0x00;
    eleven[13] = 0x13;
    CHECK_INT(decode78(eleven, sizeof eleven), MBUS_ERR_DIF);
    CHECK_INT(e.offset, 11);
    CHECK(strstr(e.msg, "at byte 11") && strstr(e.msg, "DIFE"));
    /* chain cut by the end of the data */
    const uint8_t cut[] = {0x84, 0x80};
    CHECK_INT(decode78(cut, sizeof cut), MBUS_ERR_DIF);
    CHECK_INT(e.offset, 2);
}

static void test_vife_chain(void) {
    uint8_t b[16] = {0x01, 0x93};
    for (int i = 2; i < 12; i++)
        b[i] = 0xFB; /* VIFEs: additive correction, not applied */
    b[11] = 0x3B;    /* the 10th ends the chain: accumulation only if positive */
    b[12] = 0x07;
    CHECK_INT(decode78(b, 13), MBUS_OK);
    CHECK_INT(d.records[0].n_vif, 11);
    CHECK_INT(d.records[0].raw_int, 7);
    CHECK_STR(mbus_vife_name(d.records[0].vif[10]), "accumulation_if_positive");
    b[11] = 0xFB;
    b[12] = 0x3B;
    b[13] = 0x07;
    CHECK_INT(decode78(b, 14), MBUS_ERR_VIF);
    CHECK_INT(e.offset, 12);
    const uint8_t no_vif[] = {0x01};
    CHECK_INT(decode78(no_vif, 1), MBUS_ERR_VIF);
    CHECK_INT(e.offset, 1);
}

static void test_orthogonal_correction(void) {
    const uint8_t b[] = {
        0x02, 0x93, 0x74, 0x39, 0x30,       /* volume 10^-3 m3, x10^-2: 12345 -> 0.12345 */
        0x02, 0x93, 0x7D, 0x39, 0x30,       /* x10^3 */
        0x02, 0xFD, 0xC8, 0x70, 0x05, 0x00, /* FD volts 10^-1, x10^-6 */
        0x02, 0x93, 0x78, 0x01, 0x00,       /* additive correction: recorded, not applied */
    };
    CHECK_INT(decode78(b, sizeof b), MBUS_OK);
    CHECK_INT(d.n_records, 4);
    CHECK_INT(d.records[0].scale_exp, -5);
    CHECK_NEAR(d.records[0].value, 0.12345, 1e-15);
    CHECK_INT(d.records[1].scale_exp, 0);
    CHECK_NEAR(d.records[1].value, 12345, 0);
    CHECK_STR(d.records[2].quantity, "voltage");
    CHECK_INT(d.records[2].scale_exp, -7);
    CHECK_NEAR(d.records[2].value, 5e-7, 1e-20);
    CHECK_INT(d.records[3].scale_exp, -3);
    CHECK_NEAR(d.records[3].value, 0.001, 1e-15);
    CHECK_STR(mbus_vife_name(d.records[3].vif[1]), "additive_correction");
}

static void test_fd_fb_tables(void) {
    const uint8_t b[] = {
        0x01, 0xFD, 0x0E, 0x02,             /* firmware version 2 */
        0x02, 0xFD, 0x48, 0xFD, 0x08,       /* 2301 * 0.1 V */
        0x02, 0xFD, 0x59, 0xDC, 0x05,       /* 1500 mA */
        0x02, 0xFD, 0x74, 0x64, 0x00,       /* remaining battery 100 days */
        0x01, 0xFB, 0x01, 0x05,             /* 5 MWh */
        0x02, 0xFB, 0x5A, 0xE8, 0x03,       /* flow temperature 100.0 F */
        0x01, 0xFB, 0x1A, 0x01,             /* FB 1A: relative humidity (reserved before 2018) */
        0x02, 0xFD, 0x1C, 0x60, 0x09,       /* baud rate 2400 */
        0x01, 0xFD, 0x08, 0x11,             /* access number */
    };
    CHECK_INT(decode78(b, sizeof b), MBUS_OK);
    CHECK_INT(d.n_records, 9);
    CHECK_STR(d.records[0].quantity, "firmware_version");
    CHECK_NEAR(d.records[0].value, 2, 0);
    CHECK_STR(d.records[1].quantity, "voltage");
    CHECK_STR(d.records[1].unit, "V");
    CHECK_NEAR(d.records[1].value, 230.1, 1e-9);
    CHECK_STR(d.records[2].unit, "A");
    CHECK_NEAR(d.records[2].value, 1.5, 1e-12);
    CHECK_STR(d.records[3].quantity, "remaining_battery_life");
    CHECK_STR(d.records[3].unit, "s");
    CHECK_NEAR(d.records[3].value, 8640000, 0);
    CHECK_INT(d.records[3].raw_int, 100);
    CHECK_NEAR(d.records[3].unit_mult, 86400, 0);
    CHECK_STR(d.records[4].quantity, "energy");
    CHECK_STR(d.records[4].unit, "Wh");
    CHECK_NEAR(d.records[4].value, 5e6, 0);
    CHECK_STR(d.records[5].unit, "F");
    CHECK_NEAR(d.records[5].value, 100.0, 1e-12);
    CHECK_STR(d.records[6].quantity, "relative_humidity"); /* FB 1A: EN 13757-3:2018 */
    CHECK_STR(d.records[7].quantity, "baud_rate");
    CHECK_NEAR(d.records[7].value, 2400, 0);
    CHECK_STR(d.records[8].quantity, "access_number");
}

static void test_primary_table(void) {
    struct {
        uint8_t vif;
        const char *quantity, *unit;
        double value; /* for raw 1 */
    } rows[] = {
        {0x07, "energy", "Wh", 1e4},        {0x0E, "energy", "J", 1e6},
        {0x10, "volume", "m3", 1e-6},       {0x1B, "mass", "kg", 1},
        {0x20, "on_time", "s", 1},          {0x21, "on_time", "s", 60},
        {0x26, "operating_time", "s", 3600}, {0x27, "operating_time", "s", 86400},
        {0x2E, "power", "W", 1e3},          {0x33, "power", "J/h", 1e3},
        {0x3B, "volume_flow", "m3/h", 1e-3}, {0x46, "volume_flow", "m3/min", 1e-1},
        {0x4F, "volume_flow", "m3/s", 1e-2}, {0x53, "mass_flow", "kg/h", 1},
        {0x59, "flow_temperature", "C", 1e-2}, {0x5F, "return_temperature", "C", 1},
        {0x61, "temperature_difference", "K", 1e-2}, {0x66, "external_temperature", "C", 1e-1},
        {0x69, "pressure", "bar", 1e-2},    {0x6E, "hca", "HCA", 1},
        {0x72, "averaging_duration", "s", 3600}, {0x75, "actuality_duration", "s", 60},
        {0x78, "fabrication_no", "", 1},    {0x79, "enhanced_identification", "", 1},
        {0x7A, "bus_address", "", 1},       {0x7F, "manufacturer_specific", "", 1},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        uint8_t b[] = {0x01, rows[i].vif, 0x01};
        CHECK_INT(decode78(b, sizeof b), MBUS_OK);
        CHECK_MSG(strcmp(d.records[0].quantity, rows[i].quantity) == 0, "VIF %02X: %s", rows[i].vif,
                  d.records[0].quantity);
        CHECK_MSG(strcmp(d.records[0].unit, rows[i].unit) == 0, "VIF %02X: %s", rows[i].vif,
                  d.records[0].unit);
        CHECK_NEAR(d.records[0].value, rows[i].value, rows[i].value * 1e-12);
    }
}

static void test_time_points(void) {
    const uint8_t b[] = {
        0x42, 0x6C, 0xDF, 0x1C,                         /* G: 2014-12-31, storage 1 */
        0x04, 0x6D, 0x0B, 0x0B, 0xCD, 0x13,             /* F: 2014-03-13T11:11 */
        0x04, 0x6D, 0xA1, 0x15, 0xE9, 0x17,             /* F with IV set */
        0x06, 0x6D, 0x2A, 0x0B, 0x0B, 0xCD, 0x13, 0x00, /* I: seconds */
        0x03, 0x6D, 0x05, 0x04, 0x03,                   /* J: time only */
        0x04, 0xFD, 0x70, 0x00, 0x00, 0x01, 0x01,       /* battery change 2000-01-01T00:00 */
    };
    CHECK_INT(decode78(b, sizeof b), MBUS_OK);
    CHECK_INT(d.n_records, 6);
    CHECK_INT(d.records[0].kind, MBUS_VAL_DATE);
    CHECK_STR(d.records[0].text, "2014-12-31");
    CHECK_INT(d.records[0].storage, 1);
    CHECK_STR(d.records[1].text, "2014-03-13T11:11:00");
    CHECK(!d.records[1].invalid);
    CHECK_STR(d.records[2].text, "2015-07-09T21:33:00");
    CHECK(d.records[2].invalid);
    CHECK_STR(d.records[3].text, "2014-03-13T11:11:42");
    CHECK_STR(d.records[4].text, "03:04:05");
    CHECK_STR(d.records[5].quantity, "battery_change_date_time");
    CHECK_STR(d.records[5].text, "2000-01-01T00:00:00");
}

static void test_plain_text_vif(void) {
    const uint8_t b[] = {0x02, 0xFC, 0x03, 'H', 'R', '%', 0x74, 0xD4, 0x11};
    CHECK_INT(decode78(b, sizeof b), MBUS_OK);
    CHECK_STR(d.records[0].quantity, "plain_text_unit");
    CHECK_STR(d.records[0].vif_text, "%RH");
    CHECK_NEAR(d.records[0].value, 45.64, 1e-12);
    const uint8_t cut[] = {0x02, 0xFC, 0x09, 'H', 'R'};
    CHECK_INT(decode78(cut, sizeof cut), MBUS_ERR_VIF);
    CHECK_INT(e.offset, 2);
}

static void test_special_difs(void) {
    /* fillers are skipped, selection for readout has no data, 0x1F more follows */
    const uint8_t b[] = {0x2F, 0x2F, 0x08, 0x13, 0x01, 0x13, 0x05, 0x2F, 0x1F, 0xAB, 0xCD};
    CHECK_INT(decode78(b, sizeof b), MBUS_OK);
    CHECK_INT(d.n_records, 3);
    CHECK_INT(d.records[0].offset, 2);
    CHECK_INT(d.records[0].kind, MBUS_VAL_NONE);
    CHECK_INT(d.records[1].raw_int, 5);
    CHECK_STR(d.records[2].quantity, "manufacturer_specific");
    CHECK_STR(d.records[2].text, "ABCD");
    CHECK(d.more_follows);
    CHECK_INT(d.mfr_len, 2);
    CHECK(d.mfr_data == b + 9);
    const uint8_t mfr[] = {0x0F, 0x01};
    CHECK_INT(decode78(mfr, sizeof mfr), MBUS_OK);
    CHECK(!d.more_follows);
    CHECK_INT(d.mfr_len, 1);
    const uint8_t reserved[] = {0x01, 0x13, 0x01, 0x3F};
    CHECK_INT(decode78(reserved, sizeof reserved), MBUS_ERR_DIF);
    CHECK_INT(e.offset, 3);
    CHECK_INT(d.n_records, 1); /* records before the error stay */
    const uint8_t short_data[] = {0x04, 0x13, 0x01, 0x02};
    CHECK_INT(decode78(short_data, sizeof short_data), MBUS_ERR_DATA);
    CHECK_INT(e.offset, 2);
}

static void test_too_many_records(void) {
    uint8_t b[2 * (MBUS_MAX_RECORDS + 1)];
    for (size_t i = 0; i < sizeof b; i += 2)
        b[i] = 0x00, b[i + 1] = 0x13; /* DIF no data, VIF volume */
    CHECK_INT(decode78(b, sizeof b - 2), MBUS_OK);
    CHECK_INT(d.n_records, MBUS_MAX_RECORDS);
    CHECK_INT(decode78(b, sizeof b), MBUS_ERR_TOO_MANY_RECORDS);
    CHECK_INT(e.offset, 2 * MBUS_MAX_RECORDS);
}

static void test_headers(void) {
    /* long header of the corpus's ACW Itron BM +m */
    const uint8_t lh[] = {0x78, 0x03, 0x49, 0x11, 0x77, 0x04, 0x0E, 0x16, 0x0A, 0x00, 0x00, 0x00,
                          0x0C, 0x78, 0x78, 0x03, 0x49, 0x11};
    CHECK_INT(mbus_app_decode(0x72, lh, sizeof lh, &d, &e), MBUS_OK);
    CHECK(d.hdr.present && d.hdr.is_long);
    CHECK_STR(d.hdr.id, "11490378");
    CHECK_INT(d.hdr.id_bcd, 0x11490378);
    CHECK_STR(d.hdr.man, "ACW");
    CHECK_INT(d.hdr.version, 0x0E);
    CHECK_STR(mbus_medium_name(d.hdr.medium), "cold_water");
    CHECK_INT(d.hdr.access_number, 10);
    CHECK_STR(d.records[0].quantity, "fabrication_no");
    CHECK_INT(d.records[0].raw_int, 11490378);
    CHECK_INT(mbus_app_decode(0x72, lh, 11, &d, &e), MBUS_ERR_HEADER);
    CHECK_INT(e.offset, 11);

    const uint8_t sh[] = {0x21, 0x04, 0x00, 0x00, 0x01, 0x13, 0x07};
    CHECK_INT(mbus_app_decode(0x7A, sh, sizeof sh, &d, &e), MBUS_OK);
    CHECK(d.hdr.present && !d.hdr.is_long);
    CHECK_INT(d.hdr.access_number, 0x21);
    CHECK_INT(d.hdr.status, 0x04);
    CHECK_INT(d.records[0].offset, 4);
    /* security mode 5 in the configuration word: encrypted unless 2F 2F */
    const uint8_t enc[] = {0x21, 0x00, 0x10, 0x05, 0x93, 0x44, 0x12, 0x9A};
    CHECK_INT(mbus_app_decode(0x7A, enc, sizeof enc, &d, &e), MBUS_ERR_ENCRYPTED);
    CHECK_INT(e.offset, 4);
    const uint8_t dec[] = {0x21, 0x00, 0x10, 0x05, 0x2F, 0x2F, 0x01, 0x13, 0x07};
    CHECK_INT(mbus_app_decode(0x7A, dec, sizeof dec, &d, &e), MBUS_OK);
    CHECK_INT(d.n_records, 1);

    CHECK_INT(mbus_app_decode(0x51, sh, sizeof sh, &d, &e), MBUS_ERR_CI);
    CHECK(strstr(e.msg, "0x51") != NULL);
}

static void test_application_errors(void) {
    const char *texts[] = {"Unspecified error", "Unimplemented CI-Field",
                           "Buffer too long, truncated", "Too many records",
                           "Premature end of record", "More than 10 DIFE's",
                           "More than 10 VIFE's", NULL, "Application busy", "Too many readouts"};
    for (uint8_t code = 0; code < 10; code++) {
        if (!texts[code])
            continue;
        CHECK_INT(mbus_app_decode(0x70, &code, 1, &d, &e), MBUS_ERR_APPLICATION);
        CHECK_INT(d.app_error, code);
        CHECK_MSG(strstr(e.msg, texts[code]) != NULL, "%s", e.msg);
    }
    CHECK_INT(mbus_app_decode(0x70, NULL, 0, &d, &e), MBUS_ERR_APPLICATION);
    CHECK(strstr(e.msg, "Unspecified error") != NULL);
}

static void test_fixed(void) {
    /* corpus manual_frame2: water, BCD counters in l and "same, historic" */
    const uint8_t f[] = {0x78, 0x56, 0x34, 0x12, 0x0A, 0x00, 0xE9, 0x7E,
                         0x01, 0x00, 0x00, 0x00, 0x35, 0x01, 0x00, 0x00};
    CHECK_INT(mbus_app_decode(0x73, f, sizeof f, &d, &e), MBUS_OK);
    CHECK(d.fixed);
    CHECK_STR(d.hdr.id, "12345678");
    CHECK_STR(mbus_medium_name(d.hdr.medium), "water");
    CHECK_INT(d.n_records, 2);
    CHECK_STR(d.records[0].unit, "m3");
    CHECK_NEAR(d.records[0].value, 0.001, 1e-15);
    CHECK_INT(d.records[0].storage, 0);
    CHECK_INT(d.records[1].raw_int, 135);
    CHECK_INT(d.records[1].storage, 1);
    /* binary counters (status bit 7), kWh and m3/h, MSB first for CI 0x77 */
    const uint8_t m[] = {0x12, 0x34, 0x56, 0x78, 0x01, 0x80, 0x05, 0x35,
                         0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x07};
    CHECK_INT(mbus_app_decode(0x77, m, sizeof m, &d, &e), MBUS_OK);
    CHECK_STR(d.hdr.id, "12345678");
    CHECK_NEAR(d.records[0].value, 256e3, 0);
    CHECK_STR(d.records[0].unit, "Wh");
    CHECK_NEAR(d.records[1].value, 7, 0);
    CHECK_STR(d.records[1].unit, "m3/h");
    CHECK_INT(mbus_app_decode(0x73, f, 15, &d, &e), MBUS_ERR_HEADER);
    CHECK_INT(mbus_app_decode(0x73, m, 16, &d, &e), MBUS_OK);
}

static void test_names(void) {
    char man[4];
    mbus_manufacturer_text(0x0477, man);
    CHECK_STR(man, "ACW");
    CHECK_INT(mbus_manufacturer_code("ACW"), 0x0477);
    CHECK_INT(mbus_manufacturer_code("kam"), 0x2C2D);
    mbus_manufacturer_text(mbus_manufacturer_code("ZRM"), man);
    CHECK_STR(man, "ZRM");
    CHECK_INT(mbus_manufacturer_code("AB1"), 0);
    CHECK_INT(mbus_manufacturer_code("ABCD"), 0);
    CHECK_STR(mbus_medium_name(0x04), "heat_outlet");
    CHECK_STR(mbus_medium_name(0x07), "water");
    CHECK_STR(mbus_medium_name(0x16), "cold_water");
    CHECK_STR(mbus_medium_name(0x02), "electricity");
    CHECK_STR(mbus_medium_name(0x03), "gas");
    CHECK_STR(mbus_medium_name(0x06), "warm_water");
    CHECK_STR(mbus_medium_name(0x0C), "heat_inlet");
    CHECK_STR(mbus_medium_name(0x0D), "heat_cooling");
    CHECK_STR(mbus_medium_name(0x08), "heat_cost_allocator");
    CHECK_STR(mbus_medium_name(0x3F), "unknown");
}

int main(void) {
    test_bcd();
    test_integers_and_real();
    test_lvar();
    test_dif_chain();
    test_vife_chain();
    test_orthogonal_correction();
    test_fd_fb_tables();
    test_primary_table();
    test_time_points();
    test_plain_text_vif();
    test_special_difs();
    test_too_many_records();
    test_headers();
    test_application_errors();
    test_fixed();
    test_names();
    return test_summary("test_mbus_app");
}
