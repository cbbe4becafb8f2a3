/* Names of coded values: manufacturer letters (EN 13757-3 / FLAG
 * association coding), device types (EN 13757-3 medium table), functions and
 * orthogonal VIFEs. All names are static snake_case strings. */
#include "mbus_app.h"

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

/* Orthogonal VIFE (EN 13757-3 combinable VIFE table), extension bit ignored. */
const char *mbus_vife_name(uint8_t vife) {
    uint8_t v = vife & 0x7F;
    static const char *const per[] = {"per_second", "per_minute", "per_hour", "per_day",
                                      "per_week", "per_month", "per_year",
                                      "per_revolution_or_measurement"};
    if (v <= 0x1F) /* E00x xxxx: the record error codes, 0x15 "no data available" among them */
        return "record_error";
    if (v >= 0x20 && v <= 0x27)
        return per[v - 0x20];
    if (v >= 0x70 && v <= 0x77)
        return "multiplicative_correction";
    if (v >= 0x78 && v <= 0x7B)
        return "additive_correction";
    if (v >= 0x50 && v <= 0x6F)
        return "duration_of_limit_exceed";
    switch (v) {
    case 0x28: return "increment_per_input_pulse_0";
    case 0x29: return "increment_per_input_pulse_1";
    case 0x2A: return "increment_per_output_pulse_0";
    case 0x2B: return "increment_per_output_pulse_1";
    case 0x2C: return "per_litre";
    case 0x2D: return "per_m3";
    case 0x2E: return "per_kg";
    case 0x2F: return "per_kelvin";
    case 0x30: return "per_kwh";
    case 0x31: return "per_gj";
    case 0x32: return "per_kw";
    case 0x33: return "per_kelvin_litre";
    case 0x34: return "per_volt";
    case 0x35: return "per_ampere";
    case 0x36: return "multiplied_by_s";
    case 0x37: return "multiplied_by_s_per_v";
    case 0x38: return "multiplied_by_s_per_a";
    case 0x39: return "start_date_time_of";
    case 0x3A: return "uncorrected_unit";
    case 0x3B: return "accumulation_if_positive";
    case 0x3C: return "accumulation_abs_if_negative";
    case 0x40: return "lower_limit";
    case 0x48: return "upper_limit";
    case 0x41: return "lower_limit_exceed_count";
    case 0x49: return "upper_limit_exceed_count";
    case 0x42: case 0x43: case 0x46: case 0x47:
    case 0x4A: case 0x4B: case 0x4E: case 0x4F: return "date_time_of_limit_exceed";
    case 0x7D: return "multiplicative_correction";
    case 0x7E: return "future_value";
    case 0x7F: return "manufacturer_specific";
    default: return "reserved";
    }
}
