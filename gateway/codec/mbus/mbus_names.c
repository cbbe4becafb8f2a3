/* Names of coded values: manufacturer letters (EN 13757-3 / FLAG
 * association coding), device types (EN 13757-3 medium table), functions and
 * orthogonal VIFEs. All names are static snake_case strings. */
#include "codec/mbus/mbus_app.h"

void mbus_manufacturer_text(uint16_t code, char out[4]) {
    out[0] = (char)('@' + ((code >> 10) & 0x1F));
    out[1] = (char)('@' + ((code >> 5) & 0x1F));
    out[2] = (char)('@' + (code & 0x1F));
    out[3] = '\0';
}

/* Three letters A-Z (either case); 0 for anything else. */
uint16_t mbus_manufacturer_code(const char *text) {
    uint16_t code = 0;
    for (int i = 0; i < 3; i++) {
        char ch = text[i];
        if (ch >= 'a' && ch <= 'z')
            ch = (char)(ch - 'a' + 'A');
        if (ch < 'A' || ch > 'Z')
            return 0;
        code = (uint16_t)(code << 5 | (ch - '@'));
    }
    return text[3] == '\0' ? code : 0;
}

static const char *const medium_names[0x40] = {
    [0x00] = "other",
    [0x01] = "oil",
    [0x02] = "electricity",
    [0x03] = "gas",
    [0x04] = "heat_outlet",
    [0x05] = "steam",
    [0x06] = "warm_water",
    [0x07] = "water",
    [0x08] = "heat_cost_allocator",
    [0x09] = "compressed_air",
    [0x0A] = "cooling_outlet",
    [0x0B] = "cooling_inlet",
    [0x0C] = "heat_inlet",
    [0x0D] = "heat_cooling",
    [0x0E] = "bus_system_component",
    [0x0F] = "unknown_medium",
    [0x10] = "irrigation_water",
    [0x11] = "water_data_logger",
    [0x12] = "gas_data_logger",
    [0x13] = "gas_converter",
    [0x14] = "calorific_value",
    [0x15] = "hot_water",
    [0x16] = "cold_water",
    [0x17] = "dual_register_water",
    [0x18] = "pressure",
    [0x19] = "ad_converter",
    [0x1A] = "smoke_detector",
    [0x1B] = "room_sensor",
    [0x1C] = "gas_detector",
    [0x20] = "breaker_electricity",
    [0x21] = "valve",
    [0x25] = "customer_unit",
    [0x28] = "waste_water",
    [0x29] = "garbage",
    [0x2A] = "carbon_dioxide",
    [0x31] = "communication_controller",
    [0x32] = "unidirectional_repeater",
    [0x33] = "bidirectional_repeater",
    [0x36] = "radio_converter_system_side",
    [0x37] = "radio_converter_meter_side",
    [0x38] = "bus_converter_meter_side",
};

const char *mbus_medium_name(uint8_t medium) {
    if (medium == 0xFF)
        return "wildcard";
    if (medium < 0x40 && medium_names[medium])
        return medium_names[medium];
    return "unknown";
}

const char *mbus_function_name(mbus_function fn) {
    switch (fn) {
    case MBUS_FN_INSTANT: return "instantaneous";
    case MBUS_FN_MAX: return "maximum";
    case MBUS_FN_MIN: return "minimum";
    case MBUS_FN_ERROR: return "error"; /* value during error state */
    }
    return "unknown";
}

/* Combinable VIFEs E000 0000 .. E001 1111. In a slave's answer the rows
 * EN 13757-3 keeps for record errors are the error of that record (its
 * table "codes for record errors"; in a master's request the same rows are
 * object actions, which a meter does not send). EN 13757-3:2013/2018 gave
 * five of the once reserved rows other meanings: 0x13 inverse compact
 * profile, 0x14 relative deviation, 0x1D standard conform data content,
 * 0x1E and 0x1F the compact profiles. */
static const char *vife_low(unsigned v) {
    static const char *const names[0x20] = {
        "no_error",                       /* E000 0000 */
        "too_many_difes",                 /* E000 0001 */
        "storage_number_not_implemented", /* E000 0010 */
        "unit_number_not_implemented",    /* E000 0011 */
        "tariff_number_not_implemented",  /* E000 0100 */
        "function_not_implemented",       /* E000 0101 */
        "data_class_not_implemented",     /* E000 0110 */
        "data_size_not_implemented",      /* E000 0111 */
        "reserved_dif_error",             /* E000 1000 .. E000 1010 */
        "reserved_dif_error",
        "reserved_dif_error",
        "too_many_vifes",                 /* E000 1011 */
        "illegal_vif_group",              /* E000 1100 */
        "illegal_vif_exponent",           /* E000 1101 */
        "vif_dif_mismatch",               /* E000 1110 */
        "unimplemented_action",           /* E000 1111 */
        "reserved_vif_error",             /* E001 0000 .. E001 0010 */
        "reserved_vif_error",
        "reserved_vif_error",
        "inverse_compact_profile",        /* E001 0011 (2013: was a reserved VIF error) */
        "relative_deviation",             /* E001 0100 (idem) */
        "no_data_available",              /* E001 0101: undefined value */
        "data_overflow",                  /* E001 0110 */
        "data_underflow",                 /* E001 0111 */
        "data_error",                     /* E001 1000 */
        "reserved_data_error",            /* E001 1001 .. E001 1011 */
        "reserved_data_error",
        "reserved_data_error",
        "premature_end_of_record",        /* E001 1100 */
        "standard_conform_data_content",  /* E001 1101 (2013: was reserved) */
        "compact_profile_with_register_numbers", /* E001 1110 (idem) */
        "compact_profile",                /* E001 1111 (idem) */
    };
    return names[v & 0x1F];
}

/* Is this combinable VIFE a record error (a slave's answer that the record
 * has no valid value: "no data available", "data error", ...)? */
bool mbus_vife_is_record_error(uint8_t vife) {
    unsigned v = vife & 0x7F;
    return v >= 0x01 && v <= 0x1C && v != 0x13 && v != 0x14;
}

/* E100 xxxx: limit values, exceed counts, date/time of exceeds (E100 uf1b). */
static const char *vife_limits(unsigned v) {
    switch (v) {
    case 0x40: return "lower_limit";
    case 0x48: return "upper_limit";
    case 0x41: return "lower_limit_exceed_count";
    case 0x49: return "upper_limit_exceed_count";
    default: return v & 2 ? "date_time_of_limit_exceed" : "reserved";
    }
}

/* E110 xxxx: duration of (E110 0fnn), values during exceeds, leakage and
 * overflow values, date/time of (E110 1f1b). */
static const char *vife_e110(unsigned v) {
    if (v < 0x68)
        return "duration_of";
    switch (v) {
    case 0x68: return "value_during_lower_limit_exceed";
    case 0x6C: return "value_during_upper_limit_exceed";
    case 0x69: return "leakage_values";
    case 0x6D: return "overflow_values";
    default: return "date_time_of"; /* 0x6A, 0x6B, 0x6E, 0x6F */
    }
}

/* E010 xxxx and E011 xxxx: per unit, increments, accumulation, conditions. */
static const char *vife_per(unsigned v) {
    static const char *const names[0x20] = {
        "per_second", "per_minute", "per_hour", "per_day", "per_week", "per_month", "per_year",
        "per_revolution_or_measurement", "increment_per_input_pulse_0",
        "increment_per_input_pulse_1", "increment_per_output_pulse_0",
        "increment_per_output_pulse_1", "per_litre", "per_m3", "per_kg", "per_kelvin",
        "per_kwh", "per_gj", "per_kw", "per_kelvin_litre", "per_volt", "per_ampere",
        "multiplied_by_s", "multiplied_by_s_per_v", "multiplied_by_s_per_a",
        "start_date_time_of", "uncorrected_unit", "accumulation_if_positive",
        "accumulation_abs_if_negative", "reserved", /* 0x3D: non-metric units */
        "value_at_base_conditions", "obis_declaration",
    };
    return names[v - 0x20];
}

/* Orthogonal VIFE (EN 13757-3:2018 combinable VIFE table), extension bit
 * ignored. 0x7C announces a VIFE of the second table (mbus_vife2_name). */
const char *mbus_vife_name(uint8_t vife) {
    uint8_t v = vife & 0x7F;
    if (v < 0x20)
        return vife_low(v);
    if (v < 0x40)
        return vife_per(v);
    if (v < 0x50)
        return vife_limits(v);
    if (v < 0x60)
        return "duration_of_limit_exceed"; /* E101 ufnn */
    if (v < 0x70)
        return vife_e110(v);
    if (v < 0x78 || v == 0x7D)
        return "multiplicative_correction";
    switch (v) {
    case 0x7C: return "combinable_extension";
    case 0x7E: return "future_value";
    case 0x7F: return "manufacturer_specific";
    default: return "additive_correction"; /* 0x78..0x7B */
    }
}

/* The second combinable VIFE table (after VIFE 0x7C/0xFC, EN 13757-3:2018):
 * phases, quadrants, directions; the rest is reserved. */
const char *mbus_vife2_name(uint8_t vife) {
    static const char *const names[0x15] = {
        "reserved", "at_phase_l1", "at_phase_l2", "at_phase_l3", "at_neutral",
        "between_phase_l1_l2", "between_phase_l2_l3", "between_phase_l3_l1",
        "at_quadrant_q1", "at_quadrant_q2", "at_quadrant_q3", "at_quadrant_q4",
        "delta_import_export", "reserved", "reserved", "reserved",
        "accumulation_abs_both_directions", "data_type_c", "data_type_d",
        "direction_to_meter", "direction_from_meter",
    };
    uint8_t v = vife & 0x7F;
    return v < 0x15 ? names[v] : "reserved";
}
