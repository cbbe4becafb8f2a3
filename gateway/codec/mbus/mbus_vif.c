/* VIF/VIFE tables of EN 13757-3: the primary table, the extension tables
 * behind VIF 0xFD and 0xFB, and the combinable (orthogonal) VIFEs that scale
 * a value. Each entry gives a snake_case quantity, the base unit and the power
 * of ten (plus a factor for units like minutes) from the raw number to it. */
#include "codec/mbus/mbus_internal.h"

#define MINUTE 60.0
#define HOUR 3600.0
#define DAY 86400.0
#define MONTH 2629746.0   /* average Gregorian month, 365.2425 d / 12 */
#define YEAR 31556952.0   /* average Gregorian year */
#define FT3 0.028316846592 /* cubic foot in m3 */
#define USGAL 0.003785411784 /* US gallon in m3 */

static void set(mbus_vif_info *vi, const char *quantity, const char *unit, int exp) {
    vi->quantity = quantity;
    vi->unit = unit;
    vi->exp = exp;
    vi->mult = 1.0;
    vi->kind = MBUS_VK_NUMBER;
}

static void set_time_point(mbus_vif_info *vi, const char *quantity) {
    set(vi, quantity, "", 0);
    vi->kind = MBUS_VK_TIME_POINT;
}

static void set_duration(mbus_vif_info *vi, const char *quantity, double seconds) {
    set(vi, quantity, "s", 0);
    vi->mult = seconds;
}

/* nn = 0..3: seconds, minutes, hours, days (EN 13757-3 duration coding). */
static void set_duration_smhd(mbus_vif_info *vi, const char *quantity, unsigned nn) {
    static const double unit[4] = {1.0, MINUTE, HOUR, DAY};
    set_duration(vi, quantity, unit[nn & 3]);
}

/* pp = 0..3: hours, days, months, years. */
static void set_duration_hdmy(mbus_vif_info *vi, const char *quantity, unsigned pp) {
    static const double unit[4] = {HOUR, DAY, MONTH, YEAR};
    set_duration(vi, quantity, unit[pp & 3]);
}

/* The primary table (VIF & 0x7F), looked up directly: a record costs one
 * copy instead of a switch and five stores. Rows are in code order. */
#define NUM(q, u, e) {q, u, e, 1.0, MBUS_VK_NUMBER}
#define NUM4(q, u, e) NUM(q, u, e), NUM(q, u, e + 1), NUM(q, u, e + 2), NUM(q, u, e + 3)
#define NUM8(q, u, e) NUM4(q, u, e), NUM4(q, u, e + 4)
#define DUR(q, seconds) {q, "s", 0, seconds, MBUS_VK_NUMBER}
#define SMHD(q) DUR(q, 1.0), DUR(q, MINUTE), DUR(q, HOUR), DUR(q, DAY)
#define TIME_POINT(q) {q, "", 0, 1.0, MBUS_VK_TIME_POINT}

static const mbus_vif_info primary[0x80] = {
    NUM8("energy", "Wh", -3),                 /* 0x00 */
    NUM8("energy", "J", 0),                   /* 0x08 */
    NUM8("volume", "m3", -6),                 /* 0x10 */
    NUM8("mass", "kg", -3),                   /* 0x18 */
    SMHD("on_time"), SMHD("operating_time"),  /* 0x20 */
    NUM8("power", "W", -3),                   /* 0x28 */
    NUM8("power", "J/h", 0),                  /* 0x30 */
    NUM8("volume_flow", "m3/h", -6),          /* 0x38 */
    NUM8("volume_flow", "m3/min", -7),        /* 0x40 */
    NUM8("volume_flow", "m3/s", -9),          /* 0x48 */
    NUM8("mass_flow", "kg/h", -3),            /* 0x50 */
    NUM4("flow_temperature", "C", -3),        /* 0x58 */
    NUM4("return_temperature", "C", -3),      /* 0x5C */
    NUM4("temperature_difference", "K", -3),  /* 0x60 */
    NUM4("external_temperature", "C", -3),    /* 0x64 */
    NUM4("pressure", "bar", -3),              /* 0x68 */
    TIME_POINT("date"), TIME_POINT("date_time"), NUM("hca", "HCA", 0),
    NUM("reserved", "", 0),                   /* 0x6C..0x6F */
    SMHD("averaging_duration"),               /* 0x70 */
    SMHD("actuality_duration"),               /* 0x74 */
    NUM("fabrication_no", "", 0),             /* 0x78 */
    NUM("enhanced_identification", "", 0),
    NUM("bus_address", "", 0),
    NUM("reserved", "", 0),                   /* 0x7B without a VIFE */
    NUM("plain_text_unit", "", 0),
    NUM("reserved", "", 0),                   /* 0x7D without a VIFE */
    NUM("any", "", 0),
    NUM("manufacturer_specific", "", 0),      /* 0x7F */
};

/* Extension table behind VIF 0xFD, entries 0x00..0x3F. */
static void fd_vife_low(unsigned v, mbus_vif_info *vi) {
    static const char *const plain[0x20] = {
        [0x08] = "access_number",   [0x09] = "medium",
        [0x0A] = "manufacturer",    [0x0B] = "parameter_set_id",
        [0x0C] = "model_version",   [0x0D] = "hardware_version",
        [0x0E] = "firmware_version", [0x0F] = "software_version",
        [0x10] = "customer_location", [0x11] = "customer",
        [0x12] = "access_code_user", [0x13] = "access_code_operator",
        [0x14] = "access_code_system_operator", [0x15] = "access_code_developer",
        [0x16] = "password",        [0x17] = "error_flags",
        [0x18] = "error_mask",      [0x19] = "security_key",
        [0x1A] = "digital_output",
        [0x1B] = "digital_input",   [0x1C] = "baud_rate",
        [0x1D] = "response_delay_time", [0x1E] = "retry",
        [0x1F] = "remote_control",
    };
    if (v < 0x04) {
        set(vi, "credit", "", (int)(v & 3) - 3);
    } else if (v < 0x08) {
        set(vi, "debit", "", (int)(v & 3) - 3);
    } else if (v < 0x20) {
        set(vi, plain[v] ? plain[v] : "reserved", "", 0);
    } else if (v == 0x20) {
        set(vi, "first_storage_number", "", 0);
    } else if (v == 0x21) {
        set(vi, "last_storage_number", "", 0);
    } else if (v == 0x22) {
        set(vi, "storage_block_size", "", 0);
    } else if (v == 0x23) {
        set(vi, "tariff_subunit_descriptor", "", 0);
    } else if (v == 0x2A) {
        set(vi, "operator_specific_data", "", 0);
    } else if (v == 0x2B) {
        set(vi, "time_point_second", "s", 0);
    } else if (v >= 0x24 && v <= 0x27) {
        set_duration_smhd(vi, "storage_interval", v & 3);
    } else if (v == 0x28 || v == 0x29) {
        set_duration(vi, "storage_interval", v == 0x28 ? MONTH : YEAR);
    } else if (v >= 0x2C && v <= 0x2F) {
        set_duration_smhd(vi, "duration_since_last_readout", v & 3);
    } else if (v == 0x30) {
        set_time_point(vi, "tariff_start");
    } else if (v >= 0x31 && v <= 0x33) {
        set_duration_smhd(vi, "tariff_duration", v & 3);
    } else if (v >= 0x34 && v <= 0x37) {
        set_duration_smhd(vi, "tariff_period", v & 3);
    } else if (v == 0x38 || v == 0x39) {
        set_duration(vi, "tariff_period", v == 0x38 ? MONTH : YEAR);
    } else if (v == 0x3A) {
        set(vi, "dimensionless", "", 0);
    } else if (v == 0x3B) {
        set(vi, "wmbus_data_container", "", 0);
    } else if (v >= 0x3C) {
        set_duration_smhd(vi, "nominal_transmission_period", v & 3);
    } else {
        set(vi, "reserved", "", 0);
    }
}

/* Extension table behind VIF 0xFD, entries 0x40..0x7F. */
static void fd_vife_high(unsigned v, mbus_vif_info *vi) {
    static const char *const plain[8] = {
        "reset_counter",  "cumulation_counter", "control_signal",
        "day_of_week",    "week_number",        "day_change_time_point",
        "parameter_activation_state", "special_supplier_info",
    };
    if (v < 0x50) {
        set(vi, "voltage", "V", (int)(v & 0xF) - 9);
    } else if (v < 0x60) {
        set(vi, "current", "A", (int)(v & 0xF) - 12);
    } else if (v < 0x68) {
        set(vi, plain[v - 0x60], "", 0);
    } else if (v < 0x6C) {
        set_duration_hdmy(vi, "duration_since_last_cumulation", v & 3);
    } else if (v < 0x70) {
        set_duration_hdmy(vi, "battery_operating_time", v & 3);
    } else if (v == 0x70) {
        set_time_point(vi, "battery_change_date_time");
    } else if (v == 0x71) {
        set(vi, "rf_level", "dBm", 0);
    } else if (v == 0x72) {
        set(vi, "daylight_saving", "", 0);
    } else if (v == 0x73) {
        set(vi, "listening_window", "", 0);
    } else if (v == 0x74) {
        set_duration(vi, "remaining_battery_life", DAY);
    } else if (v == 0x75) {
        set(vi, "meter_stop_count", "", 0);
    } else if (v == 0x76) {
        set(vi, "manufacturer_data_container", "", 0);
    } else {
        set(vi, "reserved", "", 0);
    }
}

/* Extension table behind VIF 0xFB (large units, Fahrenheit, US units). */
static void fb_vife(unsigned v, mbus_vif_info *vi) {
    unsigned n1 = v & 1, n2 = v & 3;
    switch (v & ~1u) {
    case 0x00: set(vi, "energy", "Wh", 5 + (int)n1); return;       /* 10^(n-1) MWh */
    case 0x02: set(vi, "reactive_energy", "VARh", 3 + (int)n1); return; /* 10^n kVARh */
    case 0x04: set(vi, "apparent_energy", "VAh", 3 + (int)n1); return;  /* 10^n kVAh */
    case 0x0C: case 0x0E: set(vi, "energy", "cal", 5 + (int)n2); return; /* 10^(nn-1) MCal */
    case 0x14: case 0x16: set(vi, "reactive_power", "VAR", (int)n2); return; /* 10^(nn-3) kVAR */
    case 0x1A: set(vi, "relative_humidity", "%", (int)n1 - 1); return;  /* 10^(n-1) % */
    case 0x2C: case 0x2E: set(vi, "frequency", "Hz", (int)n2 - 3); return;
    case 0x34: case 0x36: set(vi, "apparent_power", "VA", (int)n2); return; /* 10^(nn-3) kVA */
    case 0x08: set(vi, "energy", "J", 8 + (int)n1); return;        /* 10^(n-1) GJ */
    case 0x10: set(vi, "volume", "m3", 2 + (int)n1); return;       /* 10^(n+2) m3 */
    case 0x18: set(vi, "mass", "kg", 5 + (int)n1); return;         /* 10^(n+2) t */
    case 0x28: set(vi, "power", "W", 5 + (int)n1); return;         /* 10^(n-1) MW */
    case 0x30: set(vi, "power", "J/h", 8 + (int)n1); return;       /* 10^(n-1) GJ/h */
    default: break;
    }
    switch (v) {
    case 0x20: set(vi, "volume", "m3", 0); vi->mult = FT3; return;
    case 0x21: set(vi, "volume", "m3", -1); vi->mult = FT3; return;
    case 0x2A: set(vi, "phase_voltage_voltage", "deg", -1); return; /* 0.1 degree */
    case 0x2B: set(vi, "phase_voltage_current", "deg", -1); return;
    case 0x22: set(vi, "volume", "m3", -1); vi->mult = USGAL; return;
    case 0x23: set(vi, "volume", "m3", 0); vi->mult = USGAL; return;
    case 0x24: set(vi, "volume_flow", "m3/min", -3); vi->mult = USGAL; return;
    case 0x25: set(vi, "volume_flow", "m3/min", 0); vi->mult = USGAL; return;
    case 0x26: set(vi, "volume_flow", "m3/h", 0); vi->mult = USGAL; return;
    default: break;
    }
    if (v >= 0x58 && v < 0x68) {
        static const char *const temps[4] = {"flow_temperature", "return_temperature",
                                             "temperature_difference", "external_temperature"};
        set(vi, temps[(v - 0x58) >> 2], "F", (int)n2 - 3);
    } else if (v >= 0x70 && v < 0x74) {
        set(vi, "temperature_limit", "F", (int)n2 - 3);
    } else if (v >= 0x74 && v < 0x78) {
        set(vi, "temperature_limit", "C", (int)n2 - 3);
    } else if (v >= 0x78) {
        set(vi, "cumulative_max_power", "W", (int)(v & 7) - 3);
    } else {
        set(vi, "reserved", "", 0);
    }
}

/* Combinable VIFEs change what the number is: corrections its scale, a
 * time point VIFE makes it a date, a duration VIFE a time in s, an exceed
 * count a plain count. The others stay in record->vif (named by
 * mbus_vife_name). The byte after 0x7C belongs to the second table. */
static void orthogonal_vifes(const uint8_t *vife, size_t n, mbus_vif_info *vi) {
    for (size_t i = 0; i < n; i++) {
        unsigned v = vife[i] & 0x7F;
        if (v == 0x7F)
            return; /* the rest is manufacturer specific */
        if (v == 0x7C) {
            i++; /* phases, quadrants, directions: no change of scale */
        } else if (v >= 0x70 && v <= 0x77) {
            vi->exp += (int)(v & 7) - 6;
        } else if (v == 0x7D) {
            vi->exp += 3;
        } else if (v == 0x39 || (v >= 0x40 && v < 0x50 && (v & 2)) ||
                   (v >= 0x68 && v < 0x70 && (v & 2))) {
            vi->kind = MBUS_VK_TIME_POINT; /* start of, date/time of (limit exceed) */
        } else if ((v >= 0x50 && v < 0x68)) {
            set_duration_smhd(vi, vi->quantity, v & 3); /* duration of (limit exceed) */
        } else if (v == 0x41 || v == 0x49) {
            set(vi, vi->quantity, "", 0); /* number of limit exceeds */
        }
    }
}

void mbus_vif_describe(const uint8_t *vif, size_t n_vif, mbus_vif_info *vi) {
    if (n_vif == 0) {
        set(vi, "none", "", 0);
        return;
    }
    size_t first_orthogonal = 1;
    if ((vif[0] == 0xFD || vif[0] == 0xFB) && n_vif >= 2) {
        unsigned v = vif[1] & 0x7F;
        if (vif[0] == 0xFB)
            fb_vife(v, vi);
        else if (v < 0x40)
            fd_vife_low(v, vi);
        else
            fd_vife_high(v, vi);
        first_orthogonal = 2;
    } else {
        *vi = primary[vif[0] & 0x7F];
        if ((vif[0] & 0x7F) == 0x7F)
            return; /* manufacturer specific VIF: its VIFEs are too */
    }
    if (n_vif > first_orthogonal)
        orthogonal_vifes(vif + first_orthogonal, n_vif - first_orthogonal, vi);
}

const mbus_vif_info *mbus_vif_lookup(const uint8_t *vif, size_t n_vif, mbus_vif_info *scratch) {
    if (n_vif == 1)
        return &primary[vif[0] & 0x7F];
    mbus_vif_describe(vif, n_vif, scratch);
    return scratch;
}
