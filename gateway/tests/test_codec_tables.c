/* The codecs' tables against the standards, row by row where a row is a
 * fact: the EN 13757-3 VIF tables (primary, behind 0xFD and 0xFB, the
 * combinable VIFEs and their names), the fixed data structure's units, the
 * device types, the M-Bus error names, and the wireless link layer of
 * EN 13757-4 / OMS Vol.2 (C fields, ELL, AFL, TPL headers), and the
 * APCI of IEC 60870-5-104 (clause 5: frame formats, U functions). Each VIF is
 * decoded through the public application layer (CI 0x78, one record), so
 * what is checked is what a user of the decoder sees. */
#include "codec/iec104/iec104.h"
#include "codec/mbus/mbus_app.h"
#include "codec/mbus/mbus_error.h"
#include "codec/wmbus/wmbus.h"
#include "tests/test.h"

static mbus_data d;
static mbus_error e;

/* One record: DIF 0x01 (8-bit integer) or 0x02 (16 bits), the VIF chain,
 * the data byte(s). Returns the record, or NULL when decoding failed. */
static const mbus_record *one(const uint8_t *vif, size_t n_vif, uint8_t raw) {
    uint8_t b[16] = {0x01};
    size_t n = 1;
    for (size_t i = 0; i < n_vif; i++) b[n++] = vif[i];
    b[n++] = raw;
    if (mbus_app_decode(0x78, b, n, &d, &e) != MBUS_OK || d.n_records != 1) return NULL;
    return &d.records[0];
}

/* Check quantity, unit and scale of a VIF chain sent with raw value 7. */
static void check_vif(const uint8_t *vif, size_t n_vif, const char *quantity, const char *unit,
                      int exp, double mult) {
    const mbus_record *r = one(vif, n_vif, 7);
    CHECK_MSG(r != NULL, "VIF %02X %02X: %s", vif[0], n_vif > 1 ? vif[1] : 0, e.msg);
    if (!r) return;
    CHECK_MSG(strcmp(r->quantity, quantity) == 0 && strcmp(r->unit, unit) == 0 && r->scale_exp == exp &&
                  fabs(r->unit_mult - mult) < 1e-12,
              "VIF %02X %02X %02X: %s %s 10^%d x%g, want %s %s 10^%d x%g", vif[0], n_vif > 1 ? vif[1] : 0,
              n_vif > 2 ? vif[2] : 0, r->quantity, r->unit, r->scale_exp, r->unit_mult, quantity, unit, exp,
              mult);
    if (r->kind == MBUS_VAL_NUMBER) CHECK_NEAR(r->value, 7 * pow(10, exp) * mult, 1e-9 * fabs(r->value) + 1e-15);
}

#define VIF1(v, q, u, x) check_vif((const uint8_t[]){v}, 1, q, u, x, 1.0)
#define VIF1M(v, q, u, x, m) check_vif((const uint8_t[]){v}, 1, q, u, x, m)
#define FD(v, q, u, x) check_vif((const uint8_t[]){0xFD, v}, 2, q, u, x, 1.0)
#define FDM(v, q, u, x, m) check_vif((const uint8_t[]){0xFD, v}, 2, q, u, x, m)
#define FB(v, q, u, x) check_vif((const uint8_t[]){0xFB, v}, 2, q, u, x, 1.0)
#define FBM(v, q, u, x, m) check_vif((const uint8_t[]){0xFB, v}, 2, q, u, x, m)

/* EN 13757-3 primary VIF table: E nnn with the decade in nnn. */
static void test_primary_vifs(void) {
    VIF1(0x00, "energy", "Wh", -3);   /* 10^(nnn-3) Wh */
    VIF1(0x07, "energy", "Wh", 4);
    VIF1(0x0E, "energy", "J", 6);     /* 10^nnn J: MJ */
    VIF1(0x15, "volume", "m3", -1);   /* 10^(nnn-6) m3: 100 l */
    VIF1(0x1B, "mass", "kg", 0);      /* 10^(nnn-3) kg */
    VIF1M(0x21, "on_time", "s", 0, 60.0);      /* minutes */
    VIF1M(0x26, "operating_time", "s", 0, 3600.0);
    VIF1M(0x27, "operating_time", "s", 0, 86400.0);
    VIF1(0x2B, "power", "W", 0);
    VIF1(0x33, "power", "J/h", 3);
    VIF1(0x3B, "volume_flow", "m3/h", -3);
    VIF1(0x46, "volume_flow", "m3/min", -1);   /* 10^(nnn-7) m3/min */
    VIF1(0x4F, "volume_flow", "m3/s", -2);     /* 10^(nnn-9) m3/s */
    VIF1(0x53, "mass_flow", "kg/h", 0);
    VIF1(0x5B, "flow_temperature", "C", 0);    /* 10^(nn-3) °C */
    VIF1(0x5E, "return_temperature", "C", -1);
    VIF1(0x61, "temperature_difference", "K", -2);
    VIF1(0x66, "external_temperature", "C", -1);
    VIF1(0x6A, "pressure", "bar", -1);
    VIF1(0x6E, "hca", "HCA", 0);
    VIF1(0x6F, "reserved", "", 0);
    VIF1M(0x70, "averaging_duration", "s", 0, 1.0);
    VIF1M(0x77, "actuality_duration", "s", 0, 86400.0);
    VIF1(0x78, "fabrication_no", "", 0);
    VIF1(0x79, "enhanced_identification", "", 0);
    VIF1(0x7A, "bus_address", "", 0);
    VIF1(0x7E, "any", "", 0);
    /* date (type G) in two bytes */
    /* 31.12.2010: day 31 and year bits 2..0 (010) in the first byte, month 12 and
     * year bits 6..3 (0001) in the second */
    const uint8_t g[] = {0x02, 0x6C, 0x5F, 0x1C};
    CHECK_INT(mbus_app_decode(0x78, g, sizeof g, &d, &e), MBUS_OK);
    CHECK_STR(d.records[0].quantity, "date");
    CHECK_INT(d.records[0].kind, MBUS_VAL_DATE);
    CHECK_STR(d.records[0].text, "2010-12-31");
}

/* EN 13757-3 table behind VIF 0xFD (main VIFE code extension). */
static void test_fd_table(void) {
    FD(0x00, "credit", "", -3);  /* 10^(nn-3) currency units */
    FD(0x03, "credit", "", 0);
    FD(0x05, "debit", "", -2);
    FD(0x08, "access_number", "", 0);
    FD(0x09, "medium", "", 0);
    FD(0x0A, "manufacturer", "", 0);
    FD(0x0B, "parameter_set_id", "", 0);
    FD(0x0C, "model_version", "", 0);
    FD(0x0D, "hardware_version", "", 0);
    FD(0x0E, "firmware_version", "", 0);
    FD(0x0F, "software_version", "", 0);
    FD(0x10, "customer_location", "", 0);
    FD(0x11, "customer", "", 0);
    FD(0x12, "access_code_user", "", 0);
    FD(0x13, "access_code_operator", "", 0);
    FD(0x14, "access_code_system_operator", "", 0);
    FD(0x15, "access_code_developer", "", 0);
    FD(0x16, "password", "", 0);
    FD(0x17, "error_flags", "", 0);
    FD(0x18, "error_mask", "", 0);
    FD(0x19, "security_key", "", 0);                /* EN 13757-3:2018 */
    FD(0x1A, "digital_output", "", 0);
    FD(0x1B, "digital_input", "", 0);
    FD(0x1C, "baud_rate", "", 0);
    FD(0x1D, "response_delay_time", "", 0);
    FD(0x1E, "retry", "", 0);
    FD(0x1F, "remote_control", "", 0);
    FD(0x20, "first_storage_number", "", 0);
    FD(0x21, "last_storage_number", "", 0);
    FD(0x22, "storage_block_size", "", 0);
    FDM(0x25, "storage_interval", "s", 0, 60.0);
    FDM(0x28, "storage_interval", "s", 0, 2629746.0);  /* months */
    FDM(0x29, "storage_interval", "s", 0, 31556952.0); /* years */
    FDM(0x2E, "duration_since_last_readout", "s", 0, 3600.0);
    FDM(0x31, "tariff_duration", "s", 0, 60.0);       /* nn = 1..3: minutes, hours, days */
    FDM(0x33, "tariff_duration", "s", 0, 86400.0);
    FDM(0x34, "tariff_period", "s", 0, 1.0);
    FDM(0x38, "tariff_period", "s", 0, 2629746.0);
    FDM(0x39, "tariff_period", "s", 0, 31556952.0);
    FD(0x3A, "dimensionless", "", 0);
    const uint8_t tariff[] = {0x04, 0xFD, 0x30, 0x0B, 0x0B, 0xCD, 0x13}; /* start of tariff: type F */
    CHECK_INT(mbus_app_decode(0x78, tariff, sizeof tariff, &d, &e), MBUS_OK);
    CHECK_STR(d.records[0].quantity, "tariff_start");
    CHECK_STR(d.records[0].text, "2014-03-13T11:11:00");
    FD(0x3C, "nominal_transmission_period", "s", 0); /* 2018: period of nominal data transmissions */
    FD(0x3B, "wmbus_data_container", "", 0);
    FD(0x77, "reserved", "", 0);
    FD(0x40, "voltage", "V", -9);  /* 10^(nnnn-9) V */
    FD(0x49, "voltage", "V", 0);
    FD(0x5C, "current", "A", 0);   /* 10^(nnnn-12) A */
    FD(0x60, "reset_counter", "", 0);
    FD(0x61, "cumulation_counter", "", 0);
    FD(0x62, "control_signal", "", 0);
    FD(0x63, "day_of_week", "", 0);
    FD(0x64, "week_number", "", 0);
    FD(0x65, "day_change_time_point", "", 0);
    FD(0x66, "parameter_activation_state", "", 0);
    FD(0x67, "special_supplier_info", "", 0);
    FDM(0x68, "duration_since_last_cumulation", "s", 0, 3600.0); /* pp: hours, days, months, years */
    FDM(0x6B, "duration_since_last_cumulation", "s", 0, 31556952.0);
    FDM(0x6D, "battery_operating_time", "s", 0, 86400.0);
    FD(0x71, "rf_level", "dBm", 0);
    FD(0x72, "daylight_saving", "", 0);
    FD(0x73, "listening_window", "", 0);
    FDM(0x74, "remaining_battery_life", "s", 0, 86400.0);
    FD(0x75, "meter_stop_count", "", 0);
    FD(0x76, "manufacturer_data_container", "", 0);
    FD(0x77, "reserved", "", 0);
    /* battery change: a date-time point (type F, 4 bytes) */
    const uint8_t f[] = {0x04, 0xFD, 0x70, 0x0B, 0x0B, 0xCD, 0x13}; /* 13.3.2014 11:11 */
    CHECK_INT(mbus_app_decode(0x78, f, sizeof f, &d, &e), MBUS_OK);
    CHECK_STR(d.records[0].quantity, "battery_change_date_time");
    CHECK_INT(d.records[0].kind, MBUS_VAL_DATE);
    CHECK_STR(d.records[0].text, "2014-03-13T11:11:00");
}

/* EN 13757-3 table behind VIF 0xFB (alternate extended VIF code table). */
static void test_fb_table(void) {
    FB(0x00, "energy", "Wh", 5);  /* 0.1 MWh */
    FB(0x01, "energy", "Wh", 6);  /* 1 MWh */
    FB(0x09, "energy", "J", 9);   /* 1 GJ */
    FB(0x10, "volume", "m3", 2);  /* 100 m3 */
    FB(0x19, "mass", "kg", 6);    /* 1000 t */
    FBM(0x21, "volume", "m3", -1, 0.028316846592); /* 0.1 cubic feet */
    FBM(0x22, "volume", "m3", -1, 0.003785411784); /* 0.1 US gallon */
    FBM(0x23, "volume", "m3", 0, 0.003785411784);
    FBM(0x24, "volume_flow", "m3/min", -3, 0.003785411784); /* 0.001 US gallon/min */
    FBM(0x25, "volume_flow", "m3/min", 0, 0.003785411784);
    FBM(0x26, "volume_flow", "m3/h", 0, 0.003785411784);
    FB(0x28, "power", "W", 5);    /* 0.1 MW */
    FB(0x31, "power", "J/h", 9);  /* 1 GJ/h */
    FB(0x5A, "flow_temperature", "F", -1);      /* 10^(nn-3) °F */
    FB(0x5F, "return_temperature", "F", 0);
    FB(0x60, "temperature_difference", "F", -3);
    FB(0x65, "external_temperature", "F", -2);
    FB(0x71, "temperature_limit", "F", -2);
    FB(0x76, "temperature_limit", "C", -1);
    FB(0x7B, "cumulative_max_power", "W", 0);   /* 10^(nnn-3) W */
    FB(0x02, "reactive_energy", "VARh", 3);     /* 10^n kVARh (EN 13757-3:2018) */
    FB(0x06, "reserved", "", 0);
    FB(0x40, "reserved", "", 0);
}

/* Combinable VIFEs after a primary VIF: corrections change the scale, a
 * time point VIFE turns the value into a date, the rest keep the value and
 * are named (decode_json prints the names). */
static void test_combinable_vifes(void) {
    check_vif((const uint8_t[]){0x93, 0x75}, 2, "volume", "m3", -4, 1.0); /* x 10^(nnn-6) = 10^-1 */
    check_vif((const uint8_t[]){0x93, 0x7D}, 2, "volume", "m3", 0, 1.0);  /* x 10^3 */
    check_vif((const uint8_t[]){0x93, 0xFF, 0x7D}, 3, "volume", "m3", -3, 1.0); /* manufacturer specific: the rest ignored */
    check_vif((const uint8_t[]){0xFD, 0xDB, 0x72}, 3, "current", "A", -5, 1.0); /* 10^(11-12) A x 10^(2-6) */
    /* start date of: a time point */
    const uint8_t s[] = {0x02, 0xEC, 0x39, 0x5F, 0x2C};
    CHECK_INT(mbus_app_decode(0x78, s, sizeof s, &d, &e), MBUS_OK);
    CHECK_INT(d.records[0].kind, MBUS_VAL_DATE);
    static const struct { uint8_t v; const char *name; } names[] = {
        {0x00, "no_error"}, {0x15, "no_data_available"}, /* E001 0101 */
        {0x18, "data_error"},                             /* E001 1000 */
        {0x1C, "premature_end_of_record"},                /* E001 1100 */
        {0x20, "per_second"}, {0x21, "per_minute"}, {0x22, "per_hour"}, {0x23, "per_day"},
        {0x24, "per_week"}, {0x25, "per_month"}, {0x26, "per_year"},
        {0x27, "per_revolution_or_measurement"},
        {0x28, "increment_per_input_pulse_0"}, {0x29, "increment_per_input_pulse_1"},
        {0x2A, "increment_per_output_pulse_0"}, {0x2B, "increment_per_output_pulse_1"},
        {0x2C, "per_litre"}, {0x2D, "per_m3"}, {0x2E, "per_kg"}, {0x2F, "per_kelvin"},
        {0x30, "per_kwh"}, {0x31, "per_gj"}, {0x32, "per_kw"}, {0x33, "per_kelvin_litre"},
        {0x34, "per_volt"}, {0x35, "per_ampere"}, {0x36, "multiplied_by_s"},
        {0x37, "multiplied_by_s_per_v"}, {0x38, "multiplied_by_s_per_a"},
        {0x39, "start_date_time_of"}, {0x3A, "uncorrected_unit"},
        {0x3B, "accumulation_if_positive"}, {0x3C, "accumulation_abs_if_negative"},
        {0x3D, "reserved"},
        {0x40, "lower_limit"}, {0x48, "upper_limit"},
        {0x41, "lower_limit_exceed_count"}, {0x49, "upper_limit_exceed_count"},
        {0x42, "date_time_of_limit_exceed"}, {0x4F, "date_time_of_limit_exceed"},
        {0x44, "reserved"}, {0x4D, "reserved"},
        {0x50, "duration_of_limit_exceed"}, {0x5F, "duration_of_limit_exceed"},
        {0x6F, "date_time_of"}, /* E110 1f1b (EN 13757-3:2018), not E101 ufnn */
        {0x70, "multiplicative_correction"}, {0x77, "multiplicative_correction"},
        {0x78, "additive_correction"}, {0x7B, "additive_correction"},
        {0x7C, "combinable_extension"}, {0x7D, "multiplicative_correction"}, {0x7E, "future_value"},
        {0x7F, "manufacturer_specific"},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        CHECK_STR(mbus_vife_name(names[i].v), names[i].name);
        CHECK_STR(mbus_vife_name((uint8_t)(names[i].v | 0x80)), names[i].name); /* extension bit ignored */
    }
}

/* Fixed data structure (CI 0x73): 6-bit units of the two counters. */
static void check_fixed_unit(unsigned unit, const char *quantity, const char *u, int exp) {
    /* id 12345678, access 1, status 0x80 (binary counters), medium water (7 =
     * low bits 3 in byte 6, high bits 1 in byte 7), counter 1 = 5, counter 2 = 0 */
    const uint8_t f[] = {0x78, 0x56, 0x34, 0x12, 0x01, 0x80, (uint8_t)(0xC0 | unit), 0x7F,
                         0x05, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
    CHECK_INT(mbus_app_decode(0x73, f, sizeof f, &d, &e), MBUS_OK);
    CHECK_INT(d.hdr.medium, 0x07);
    CHECK_MSG(strcmp(d.records[0].quantity, quantity) == 0 && strcmp(d.records[0].unit, u) == 0 &&
                  d.records[0].scale_exp == exp,
              "unit %02X: %s %s 10^%d", unit, d.records[0].quantity, d.records[0].unit, d.records[0].scale_exp);
    CHECK_STR(d.records[1].quantity, "dimensionless"); /* 0x3F: without unit */
}

static void test_fixed_units(void) {
    check_fixed_unit(0x02, "energy", "Wh", 0);
    check_fixed_unit(0x05, "energy", "Wh", 3);       /* kWh */
    check_fixed_unit(0x0B, "energy", "J", 3);        /* kJ */
    check_fixed_unit(0x0E, "energy", "J", 6);        /* MJ */
    check_fixed_unit(0x14, "power", "W", 0);
    check_fixed_unit(0x17, "power", "W", 3);         /* kW */
    check_fixed_unit(0x1D, "power", "J/h", 3);       /* kJ/h */
    check_fixed_unit(0x26, "volume", "m3", -6);      /* ml */
    check_fixed_unit(0x2C, "volume", "m3", 0);
    check_fixed_unit(0x2F, "volume_flow", "m3/h", -6);
    check_fixed_unit(0x35, "volume_flow", "m3/h", 0);
    check_fixed_unit(0x39, "hca", "HCA", 0);
    check_fixed_unit(0x3A, "reserved", "", 0);
    check_fixed_unit(0x00, "time", "", 0);
    check_fixed_unit(0x01, "date", "", 0);
    /* medium codes 0xA..0xE are the "mode 2" variants of gas, heat, hot water, water, HCA */
    const uint8_t gas2[] = {0x78, 0x56, 0x34, 0x12, 0x01, 0x80, 0x82, 0xBF, 0, 0, 0, 0, 0, 0, 0, 0};
    CHECK_INT(mbus_app_decode(0x73, gas2, sizeof gas2, &d, &e), MBUS_OK);
    CHECK_STR(mbus_medium_name(d.hdr.medium), "gas");
    CHECK_INT(mbus_app_decode(0x73, gas2, sizeof gas2 + 0, &d, &e), MBUS_OK);
    uint8_t longer[17] = {0};
    memcpy(longer, gas2, sizeof gas2);
    CHECK_INT(mbus_app_decode(0x73, longer, sizeof longer, &d, &e), MBUS_ERR_DATA);
    CHECK_STR(e.msg, "at byte 16: fixed data structure has 16 bytes, 1 more follow");
}

/* EN 13757-3 device types (the medium byte of the header). */
static void test_device_types(void) {
    static const struct { uint8_t code; const char *name; } types[] = {
        {0x00, "other"}, {0x01, "oil"}, {0x05, "steam"}, {0x09, "compressed_air"},
        {0x0A, "cooling_outlet"}, {0x0B, "cooling_inlet"}, {0x0E, "bus_system_component"},
        {0x0F, "unknown_medium"}, {0x14, "calorific_value"}, {0x15, "hot_water"},
        {0x17, "dual_register_water"}, {0x18, "pressure"}, {0x19, "ad_converter"},
        {0x1A, "smoke_detector"}, {0x1B, "room_sensor"}, {0x1C, "gas_detector"},
        {0x20, "breaker_electricity"}, {0x21, "valve"}, {0x25, "customer_unit"},
        {0x28, "waste_water"}, {0x29, "garbage"}, {0x31, "communication_controller"},
        {0x32, "unidirectional_repeater"}, {0x33, "bidirectional_repeater"},
        {0x36, "radio_converter_system_side"}, {0x37, "radio_converter_meter_side"},
        {0x38, "bus_converter_meter_side"}, {0xFF, "wildcard"},
        {0x1D, "unknown"}, {0x3F, "unknown"}, {0x40, "unknown"}, {0xFE, "unknown"},
    };
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        CHECK_STR(mbus_medium_name(types[i].code), types[i].name);
    CHECK_STR(mbus_function_name(MBUS_FN_INSTANT), "instantaneous");
    CHECK_STR(mbus_function_name(MBUS_FN_MAX), "maximum");
    CHECK_STR(mbus_function_name(MBUS_FN_MIN), "minimum");
    CHECK_STR(mbus_function_name(MBUS_FN_ERROR), "error");
    CHECK_STR(mbus_function_name((mbus_function)7), "unknown");
    /* DIF bits 5..4 = function: 0x10 maximum, 0x20 minimum */
    const uint8_t maxmin[] = {0x11, 0x13, 0x05, 0x21, 0x13, 0x02};
    CHECK_INT(mbus_app_decode(0x78, maxmin, sizeof maxmin, &d, &e), MBUS_OK);
    CHECK_STR(mbus_function_name(d.records[0].function), "maximum");
    CHECK_STR(mbus_function_name(d.records[1].function), "minimum");
}

static void test_error_names(void) {
    CHECK_STR(mbus_err_name(MBUS_OK), "ok");
    CHECK_STR(mbus_err_name(MBUS_ERR_INCOMPLETE), "incomplete");
    CHECK_STR(mbus_err_name(MBUS_ERR_START), "bad start byte");
    CHECK_STR(mbus_err_name(MBUS_ERR_LENGTH), "bad length");
    CHECK_STR(mbus_err_name(MBUS_ERR_CHECKSUM), "bad checksum");
    CHECK_STR(mbus_err_name(MBUS_ERR_STOP), "missing stop byte");
    CHECK_STR(mbus_err_name(MBUS_ERR_TOO_LONG), "trailing bytes");
    CHECK_STR(mbus_err_name(MBUS_ERR_CI), "unsupported CI");
    CHECK_STR(mbus_err_name(MBUS_ERR_HEADER), "truncated header");
    CHECK_STR(mbus_err_name(MBUS_ERR_DIF), "bad DIF");
    CHECK_STR(mbus_err_name(MBUS_ERR_VIF), "bad VIF");
    CHECK_STR(mbus_err_name(MBUS_ERR_DATA), "bad data");
    CHECK_STR(mbus_err_name(MBUS_ERR_TOO_MANY_RECORDS), "too many records");
    CHECK_STR(mbus_err_name(MBUS_ERR_APPLICATION), "application error");
    CHECK_STR(mbus_err_name(MBUS_ERR_ENCRYPTED), "encrypted");
    CHECK_STR(mbus_err_name(MBUS_ERR_ARGUMENT), "bad argument");
    CHECK_STR(mbus_err_name((mbus_err_code)99), "unknown error");
    /* a decoder called without an error struct still returns the code */
    const uint8_t cut[] = {0x04, 0x13, 0x01};
    CHECK_INT(mbus_app_decode(0x78, cut, sizeof cut, &d, NULL), MBUS_ERR_DATA);
    CHECK_INT(mbus_app_decode(0x78, cut, sizeof cut, &d, &e), MBUS_ERR_DATA);
    CHECK(strncmp(e.msg, "at byte ", 8) == 0);
}

/* EN 13757-4 C fields: primary station (meter) and secondary functions. */
static void test_c_fields(void) {
    static const struct { uint8_t c; const char *name; } cs[] = {
        {0x40, "SND_NKE"}, {0x44, "SND_NR"}, {0x46, "SND_IR"}, {0x47, "ACC_NR"},
        {0x48, "ACC_DMD"}, {0x53, "SND_UD"}, {0x73, "SND_UD"}, {0x5A, "REQ_UD1"}, {0x7A, "REQ_UD1"},
        {0x5B, "REQ_UD2"}, {0x7B, "REQ_UD2"}, {0x00, "ACK"}, {0x10, "ACK"}, {0x20, "ACK"},
        {0x30, "ACK"}, {0x01, "NACK"}, {0x21, "NACK"}, {0x06, "CNF_IR"}, {0x36, "CNF_IR"},
        {0x08, "RSP_UD"}, {0x18, "RSP_UD"}, {0x28, "RSP_UD"}, {0x38, "RSP_UD"},
    };
    for (size_t i = 0; i < sizeof cs / sizeof cs[0]; i++) {
        const char *name = wmbus_c_name(cs[i].c);
        CHECK_MSG(name && strcmp(name, cs[i].name) == 0, "C %02X: %s", cs[i].c, name ? name : "NULL");
    }
    CHECK(wmbus_c_name(0x45) == NULL);
    CHECK(wmbus_c_name(0xFF) == NULL);
}

/* A captured Kamstrup Multical 21 (OMS test vector style) link header and
 * the header cut short. */
static void test_link_header(void) {
    /* L C M(KAM) A(id 57000411, version 0x1B, device type 0x16 cold water) CI */
    const uint8_t f[] = {0x2F, 0x44, 0x2D, 0x2C, 0x11, 0x04, 0x00, 0x57, 0x1B, 0x16, 0x8D};
    wmbus_link l;
    wmbus_error err;
    CHECK_INT(wmbus_link_parse(f, sizeof f, &l, &err), WMBUS_OK);
    CHECK_INT(l.l, 0x2F);
    CHECK_STR(wmbus_c_name(l.c), "SND_NR");
    CHECK_STR(l.addr.man, "KAM");
    CHECK_STR(l.addr.id, "57000411");
    CHECK_INT(l.addr.version, 0x1B);
    CHECK_STR(mbus_medium_name(l.addr.device_type), "cold_water");
    CHECK(wmbus_ci_is_ell(f[10]));
    CHECK_INT(wmbus_link_parse(f, 10, &l, &err), WMBUS_ERR_HEADER);
    CHECK_STR(err.msg, "link header and CI need 11 bytes, have 10");
    CHECK_INT(wmbus_link_parse(f, 10, &l, NULL), WMBUS_ERR_HEADER);
}

/* ELL (CI 0x8C..0x8F), AFL (CI 0x90) and TPL headers (EN 13757-7, OMS Vol.2). */
static void test_ell_afl_tpl(void) {
    wmbus_error err;
    wmbus_ell ell;
    CHECK(!wmbus_ci_is_ell(0x8B) && !wmbus_ci_is_ell(0x90));
    const uint8_t not_ell[] = {0x7A, 0, 0};
    CHECK_INT(wmbus_ell_parse(not_ell, sizeof not_ell, &ell, &err), WMBUS_ERR_CI);
    CHECK_STR(err.msg, "CI 0x7A is not an extended link layer");
    const uint8_t e3[] = {0x8E, 0x20, 0x11, 0x2D, 0x2C, 0x78, 0x56, 0x34, 0x12, 0x01, 0x07};
    CHECK_INT(wmbus_ell_parse(e3, sizeof e3, &ell, &err), WMBUS_OK); /* CC ACC M A */
    CHECK(ell.has_addr && !ell.has_sn);
    CHECK_STR(ell.addr.id, "12345678");
    CHECK_INT(ell.acc, 0x11);
    CHECK_INT(wmbus_ell_parse(e3, 10, &ell, &err), WMBUS_ERR_HEADER);

    /* AFL authentication types: CMAC truncated to 2, 4, 8, 12 bytes or whole */
    CHECK_INT(wmbus_afl_mac_len(3), 2);
    CHECK_INT(wmbus_afl_mac_len(4), 4);
    CHECK_INT(wmbus_afl_mac_len(5), 8);
    CHECK_INT(wmbus_afl_mac_len(6), 12);
    CHECK_INT(wmbus_afl_mac_len(7), 16);
    CHECK_INT(wmbus_afl_mac_len(0), 0);
    wmbus_afl afl;
    /* FCL 0x2C00: MCL, MCR and MAC present; MCL 0x25: type 5 (8 bytes) */
    const uint8_t a[] = {0x90, 0x0F, 0x00, 0x2C, 0x25, 0x01, 0x00, 0x00, 0x00,
                         1, 2, 3, 4, 5, 6, 7, 8};
    CHECK_INT(wmbus_afl_parse(a, sizeof a, &afl, &err), WMBUS_OK);
    CHECK_INT(afl.mac_len, 8);
    CHECK_INT(afl.mcr, 1);
    CHECK_INT(afl.len, 17);
    CHECK_INT(wmbus_afl_parse(a, 3, &afl, &err), WMBUS_ERR_HEADER);
    CHECK_STR(err.msg, "AFL needs at least 4 bytes, have 3");
    CHECK_INT(wmbus_afl_parse(a, 16, &afl, &err), WMBUS_ERR_HEADER);
    CHECK_STR(err.msg, "AFL.L 15 runs past the end of the frame");
    uint8_t b[sizeof a];
    memcpy(b, a, sizeof a);
    b[4] = 0x21; /* authentication type 1: no MAC length */
    CHECK_INT(wmbus_afl_parse(b, sizeof b, &afl, &err), WMBUS_ERR_HEADER);
    CHECK_STR(err.msg, "AFL has a MAC but authentication type 1 has no MAC length");
    b[1] = 0x05; /* AFL.L too short for MCR */
    b[4] = 0x25;
    CHECK_INT(wmbus_afl_parse(b, sizeof b, &afl, &err), WMBUS_ERR_HEADER);
    CHECK_STR(err.msg, "AFL ends before its message counter");
    b[1] = 0x02, b[3] = 0x20; /* MCL announced, not there */
    CHECK_INT(wmbus_afl_parse(b, sizeof b, &afl, &err), WMBUS_ERR_HEADER);
    CHECK_STR(err.msg, "AFL ends before its message control field");
    const uint8_t ki[] = {0x90, 0x03, 0x00, 0x02, 0x01}; /* key information announced, one byte */
    CHECK_INT(wmbus_afl_parse(ki, sizeof ki, &afl, &err), WMBUS_ERR_HEADER);
    CHECK_STR(err.msg, "AFL ends before its key information");
    const uint8_t no_fcl[] = {0x90, 0x01, 0x00, 0x00}; /* AFL.L 1: not even the FCL */
    CHECK_INT(wmbus_afl_parse(no_fcl, sizeof no_fcl, &afl, &err), WMBUS_ERR_HEADER);
    CHECK_STR(err.msg, "AFL ends before its fragmentation control field");
    const uint8_t ki_ok[] = {0x90, 0x04, 0x00, 0x02, 0x34, 0x12};
    CHECK_INT(wmbus_afl_parse(ki_ok, sizeof ki_ok, &afl, &err), WMBUS_OK);
    CHECK(afl.has_ki && afl.ki == 0x1234);
    const uint8_t ml[] = {0x90, 0x04, 0x00, 0x10, 0x20, 0x00}; /* message length */
    CHECK_INT(wmbus_afl_parse(ml, sizeof ml, &afl, &err), WMBUS_OK);
    CHECK_INT(afl.ml, 0x20);
    const uint8_t ml_cut[] = {0x90, 0x03, 0x00, 0x10, 0x20};
    CHECK_INT(wmbus_afl_parse(ml_cut, sizeof ml_cut, &afl, &err), WMBUS_ERR_HEADER);
    const uint8_t frag[] = {0x90, 0x02, 0x03, 0x40}; /* fragment 3, more follow */
    CHECK_INT(wmbus_afl_parse(frag, sizeof frag, &afl, &err), WMBUS_ERR_FRAGMENT);
    CHECK_STR(err.msg, "AFL fragment 3 (more follow): fragmented messages are not reassembled");

    /* TPL: which CI has which header */
    static const struct { uint8_t ci; wmbus_tpl_kind kind; bool apl; } cis[] = {
        {0x71, WMBUS_TPL_NONE, true}, {0x78, WMBUS_TPL_NONE, true}, {0x6E, WMBUS_TPL_SHORT, true},
        {0x74, WMBUS_TPL_SHORT, true}, {0x7A, WMBUS_TPL_SHORT, true}, {0x6F, WMBUS_TPL_LONG, true},
        {0x72, WMBUS_TPL_LONG, true}, {0x75, WMBUS_TPL_LONG, true}, {0x8A, WMBUS_TPL_SHORT, false},
        {0x8B, WMBUS_TPL_LONG, false},
    };
    for (size_t i = 0; i < sizeof cis / sizeof cis[0]; i++) {
        wmbus_tpl_kind kind;
        bool apl;
        CHECK(wmbus_tpl_kind_of(cis[i].ci, &kind, &apl) && kind == cis[i].kind && apl == cis[i].apl);
    }
    wmbus_tpl_kind kind;
    bool apl;
    CHECK(!wmbus_tpl_kind_of(0x51, &kind, &apl)); /* a command to the meter */
    wmbus_tpl tpl;
    const uint8_t none[] = {0x78, 0x04, 0x13};
    CHECK_INT(wmbus_tpl_parse(none, sizeof none, &tpl, &err), WMBUS_OK);
    CHECK_INT(tpl.len, 1);
    const uint8_t cmd[] = {0x51, 0x00};
    CHECK_INT(wmbus_tpl_parse(cmd, sizeof cmd, &tpl, &err), WMBUS_ERR_CI);
    CHECK_STR(err.msg, "CI 0x51 is not supported");
    const uint8_t m7[] = {0x7A, 0x01, 0x00, 0x10, 0x07}; /* mode 7 without its CF extension */
    CHECK_INT(wmbus_tpl_parse(m7, sizeof m7, &tpl, &err), WMBUS_ERR_HEADER);
    CHECK_STR(err.msg, "security mode 7 needs a configuration field extension");
    const uint8_t shortcut[] = {0x72, 0x78, 0x56, 0x34};
    CHECK_INT(wmbus_tpl_parse(shortcut, sizeof shortcut, &tpl, &err), WMBUS_ERR_HEADER);
    CHECK_STR(err.msg, "CI 0x72 needs a 12 byte header, have 3");
}

/* IEC 60870-5-104 clause 5: start 0x68, length 4..253, I/S/U formats, the
 * six U functions, 15-bit sequence numbers in bits 1..15. */
static void test_iec104_apci(void) {
    static const uint8_t functions[] = {IEC104_U_STARTDT_ACT, IEC104_U_STARTDT_CON, IEC104_U_STOPDT_ACT,
                                        IEC104_U_STOPDT_CON, IEC104_U_TESTFR_ACT, IEC104_U_TESTFR_CON};
    static const uint8_t wire[] = {0x07, 0x0B, 0x13, 0x23, 0x43, 0x83};
    iec104_apdu a;
    for (size_t i = 0; i < sizeof wire; i++) {
        uint8_t u[6];
        CHECK_INT(iec104_encode_u(u, functions[i]), 6);
        const uint8_t want[] = {0x68, 0x04, wire[i], 0, 0, 0};
        CHECK(memcmp(u, want, 6) == 0);
        CHECK_INT(iec104_apdu_parse(u, 6, &a), 0);
        CHECK(a.kind == IEC104_FRAME_U && a.u == wire[i]);
    }
    uint8_t sf[6];
    iec104_encode_s(sf, 32767 + 2); /* modulo 32768 */
    const uint8_t s_want[] = {0x68, 0x04, 0x01, 0x00, 0x02, 0x00};
    CHECK(memcmp(sf, s_want, 6) == 0);
    CHECK_INT(iec104_apdu_parse(sf, 6, &a), 0);
    CHECK(a.kind == IEC104_FRAME_S && a.nr == 1);
    const uint8_t i_frame[] = {0x68, 0x05, 0xFE, 0xFF, 0x02, 0x00, 0x64}; /* N(S) 32767, N(R) 1 */
    CHECK_INT(iec104_apdu_parse(i_frame, sizeof i_frame, &a), 0);
    CHECK(a.kind == IEC104_FRAME_I && a.ns == 32767 && a.nr == 1 && a.asdu_len == 1 && a.asdu[0] == 0x64);
    CHECK_INT(iec104_apdu_needed(i_frame, 0), 0);
    CHECK_INT(iec104_apdu_needed(i_frame, 1), 0);
    CHECK_INT(iec104_apdu_needed(i_frame, 2), 7);
    const uint8_t bad_start[] = {0x10, 0x04};
    CHECK_INT(iec104_apdu_parse(bad_start, 2, &a), IEC104_ERR_START);
    const uint8_t short_len[] = {0x68, 0x03, 0x07, 0, 0};
    CHECK_INT(iec104_apdu_needed(short_len, sizeof short_len), IEC104_ERR_LENGTH);
    const uint8_t long_len[] = {0x68, 0xFE};
    CHECK_INT(iec104_apdu_needed(long_len, 2), IEC104_ERR_LENGTH);
    CHECK_INT(iec104_apdu_parse(i_frame, 6, &a), IEC104_ERR_LENGTH);  /* cut short */
    const uint8_t i_empty[] = {0x68, 0x04, 0x00, 0x00, 0x00, 0x00};  /* an I frame without ASDU */
    CHECK_INT(iec104_apdu_parse(i_empty, 6, &a), IEC104_ERR_LENGTH);
    const uint8_t i_odd_nr[] = {0x68, 0x05, 0x00, 0x00, 0x01, 0x00, 0x64};
    CHECK_INT(iec104_apdu_parse(i_odd_nr, 7, &a), IEC104_ERR_CONTROL);
    const uint8_t s_long[] = {0x68, 0x05, 0x01, 0x00, 0x00, 0x00, 0x00}; /* S frames are APCI only */
    CHECK_INT(iec104_apdu_parse(s_long, 7, &a), IEC104_ERR_LENGTH);
    const uint8_t s_bad[] = {0x68, 0x04, 0x01, 0x01, 0x00, 0x00};
    CHECK_INT(iec104_apdu_parse(s_bad, 6, &a), IEC104_ERR_CONTROL);
    const uint8_t u_two[] = {0x68, 0x04, 0x0F, 0x00, 0x00, 0x00}; /* STARTDT act and con at once */
    CHECK_INT(iec104_apdu_parse(u_two, 6, &a), IEC104_ERR_CONTROL);
    const uint8_t u_none[] = {0x68, 0x04, 0x03, 0x00, 0x00, 0x00};
    CHECK_INT(iec104_apdu_parse(u_none, 6, &a), IEC104_ERR_CONTROL);
    CHECK_STR(iec104_strerror(0), "ok");
    CHECK_STR(iec104_strerror(IEC104_ERR_START), "first octet is not 0x68");
    CHECK_STR(iec104_strerror(IEC104_ERR_LENGTH), "bad APDU length");
    CHECK_STR(iec104_strerror(IEC104_ERR_CONTROL), "bad control field");
    CHECK_STR(iec104_strerror(IEC104_ERR_TYPE), "unknown type identification");
    CHECK_STR(iec104_strerror(IEC104_ERR_COUNT), "bad number of information objects");
    CHECK_STR(iec104_strerror(IEC104_ERR_SIZE), "ASDU length does not match its type and number of objects");
    CHECK_STR(iec104_strerror(IEC104_ERR_SPACE), "ASDU too long");
    CHECK_STR(iec104_strerror(IEC104_ERR_VALUE), "field out of range");
    CHECK_STR(iec104_strerror(-99), "unknown error");
}

int main(void) {
    test_primary_vifs();
    test_fd_table();
    test_fb_table();
    test_combinable_vifes();
    test_fixed_units();
    test_device_types();
    test_error_names();
    test_c_fields();
    test_link_header();
    test_ell_afl_tpl();
    test_iec104_apci();
    return test_summary("test_codec_tables");
}
