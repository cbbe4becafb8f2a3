/* M-Bus application layer (EN 13757-3): headers for CI 0x72 (long), 0x7A
 * (short), 0x78 (none), the fixed data structure (CI 0x73/0x77, see
 * mbus_fixed.c), application errors (CI 0x70), and variable data records with
 * their DIF/DIFE/VIF/VIFE (mbus_record.c, tables in mbus_vif.c). Not decoded:
 * CI 0x76 (variable data, MSB first) and any other CI (compact and format
 * frames among them): MBUS_ERR_CI. Pure: no I/O, no allocation —
 * results live in the caller's mbus_data. */
#ifndef MBUS_APP_H
#define MBUS_APP_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "codec/mbus/mbus_error.h"

#define MBUS_MAX_RECORDS 128
#define MBUS_MAX_DIFE 10
#define MBUS_MAX_VIFE 10

typedef enum { MBUS_FN_INSTANT, MBUS_FN_MAX, MBUS_FN_MIN, MBUS_FN_ERROR } mbus_function;

typedef enum {
    MBUS_VAL_NUMBER,   /* value / raw_int / scale_exp valid */
    MBUS_VAL_DATE,     /* text: ISO 8601 ("2014-03-13" or "2014-03-13T11:11:00") */
    MBUS_VAL_STRING,   /* text: plain text (LVAR text, reversed to reading order) */
    MBUS_VAL_BYTES,    /* text: hex of binary/manufacturer data */
    MBUS_VAL_NONE,     /* no data (DIF data field 0) */
} mbus_value_kind;

typedef struct mbus_record {
    /* raw coding */
    uint8_t dif[1 + MBUS_MAX_DIFE];
    uint8_t n_dif;
    uint8_t vif[1 + MBUS_MAX_VIFE];
    uint8_t n_vif;
    uint16_t offset;        /* byte offset of the DIF in the application data */
    const uint8_t *data;    /* raw data bytes (points into the input) */
    uint8_t data_len;
    /* meaning */
    mbus_function function;
    uint64_t storage;       /* storage number from DIF bit 6 and DIFEs */
    uint32_t tariff;
    uint32_t subunit;
    const char *quantity;   /* "energy", "volume", "fabrication_no", ... static string */
    const char *unit;       /* base unit, e.g. "Wh", "m3", "C", "" static string */
    char vif_text[32];      /* plain-text VIF (VIF 0x7C/0xFC), reversed to reading order */
    mbus_value_kind kind;
    double value;           /* scaled to the base unit */
    int64_t raw_int;        /* integral value as transmitted (BCD decoded), when has_raw */
    bool has_raw;
    int scale_exp;          /* value = raw_int * 10^scale_exp * unit_mult when has_raw */
    double unit_mult;       /* 1, except for units that are not decades of the base
                             * unit: durations in minutes/hours/days/months/years
                             * (60, 3600, 86400, 2629746, 31556952 s), US gallons
                             * and cubic feet (in m3) */
    char text[96];          /* date / string / hex */
    bool invalid;           /* time point with its IV bit set (types F and I): the
                             * meter says the time is not valid; or a number that
                             * cannot be read (BCD with a digit A..F): kind NONE,
                             * the reason in text ("BCD digit 0xB at nibble 2") */
    /* compact profiles (EN 13757-3:2018 Annex F), expanded one record per value */
    uint8_t profile;        /* 0, or the profile VIFE: 0x1F compact, 0x1E with register
                             * numbers, 0x13 inverse */
    bool profile_timed;     /* the spacing is stated: profile_offset is valid */
    bool profile_months;    /* profile_offset counts half months, else seconds */
    uint16_t profile_index; /* element number, 0 = first sent */
    int64_t profile_offset; /* time of this value relative to the record's storage
                             * (<= 0: into the past) */
} mbus_record;

typedef struct mbus_header {
    bool present;           /* false for CI 0x78 (no header) */
    bool is_long;           /* CI 0x72: id/man/version/medium present */
    uint32_t id_bcd;        /* identification number as BCD, e.g. 0x11490378 */
    char id[9];             /* "11490378" */
    uint16_t manufacturer;
    char man[4];            /* "ACW" */
    uint8_t version;
    uint8_t medium;         /* device type */
    uint8_t access_number;
    uint8_t status;
    uint16_t signature;     /* configuration word; security mode in bits 8..12 */
} mbus_header;

typedef struct mbus_data {
    uint8_t ci;
    mbus_header hdr;
    bool fixed;             /* fixed data structure (CI 0x73 / 0x77 ...) */
    size_t n_records;
    mbus_record records[MBUS_MAX_RECORDS];
    bool more_follows;      /* DIF 0x1F seen: ask for the next telegram */
    const uint8_t *mfr_data; /* manufacturer specific data after 0x0F/0x1F */
    size_t mfr_len;
    int app_error;          /* CI 0x70: the error code the slave sent, else -1 */
} mbus_data;

/* Decode the application layer: ci and the bytes after it (frame->data).
 * Error offsets and record offsets count from data[0]. On error, out holds the
 * header and the records decoded before the bad one.
 *
 * CI 0x72/0x7A/0x78: variable data structure with long/short/no header.
 * CI 0x73/0x77: fixed data structure (16 bytes; 0x77 has id and counters MSB
 * first); gives two records, the medium mapped to the device type table.
 * CI 0x70: MBUS_ERR_APPLICATION, out->app_error = code, err->msg names it.
 * Other CIs: MBUS_ERR_CI. Encrypted records (security mode 5/7/8/9/10/13 in
 * the configuration word, no 2F 2F at the start): MBUS_ERR_ENCRYPTED.
 *
 * Records: fillers 0x2F are skipped; DIF 0x0F/0x1F give a last record with
 * quantity "manufacturer_specific", kind MBUS_VAL_BYTES, data = the rest
 * (text holds its hex, truncated with "..." beyond 46 bytes), and 0x1F sets
 * more_follows. Numbers: integers and BCD set has_raw, raw_int, scale_exp
 * and value (scaled to the base unit); 32-bit reals set value only. Time
 * points (VIF 6C/6D, FD 30/70, VIFE 39) of 2/3/4/6 bytes give kind DATE with
 * text "YYYY-MM-DD" (type G), "hh:mm:ss" (J), "YYYY-MM-DDThh:mm:00" (F) or
 * "YYYY-MM-DDThh:mm:ss" (I), local time of the meter. LVAR text is a STRING,
 * LVAR binary is BYTES (upper-case hex without spaces, in transmitted order).
 * Orthogonal VIFE 0x70-0x77 and 0x7D scale the value; date/time VIFEs make
 * it a date, duration VIFEs a time in s, exceed counts a count; the others
 * stay in vif[] (see mbus_vife_name()). BCD with a digit A..F (other than a
 * leading 0xF, the minus sign) gives kind NONE, invalid, the reason in
 * text. A compact profile (DIF data field 0x0D with VIFE 0x13/0x1E/0x1F)
 * gives one record per value (profile, profile_index, profile_offset; see
 * mbus_profile.c).
 *
 * Quantities (static snake_case): energy, volume, mass, on_time,
 * operating_time, power, volume_flow, mass_flow, flow_temperature,
 * return_temperature, temperature_difference, external_temperature,
 * pressure, date, date_time, hca, averaging_duration, actuality_duration,
 * fabrication_no, enhanced_identification, bus_address, plain_text_unit
 * (see vif_text), any, manufacturer_specific, reserved; from table FD:
 * credit, debit, access_number, medium, manufacturer, parameter_set_id,
 * model_version, hardware_version, firmware_version, software_version,
 * customer_location, customer, access_code_*, password, error_flags,
 * error_mask, digital_output, digital_input, baud_rate, response_delay_time,
 * retry, remote_control, first/last_storage_number, storage_block_size,
 * storage_interval, duration_since_last_readout, tariff_start,
 * tariff_duration, tariff_period, dimensionless, voltage, current,
 * reset_counter, cumulation_counter, control_signal, day_of_week,
 * week_number, day_change_time_point, parameter_activation_state,
 * special_supplier_info, duration_since_last_cumulation,
 * battery_operating_time, battery_change_date_time, rf_level,
 * daylight_saving, listening_window, remaining_battery_life,
 * meter_stop_count, manufacturer_data_container; from table FB:
 * temperature_limit, cumulative_max_power (others as above); fixed
 * structure: time, date, temperature, dimensionless.
 * Units: Wh, J, m3, kg, s, W, J/h, m3/h, m3/min, m3/s, kg/h, C, K, F (FB
 * Fahrenheit temperatures, not converted), bar, V, A, HCA, dBm, "" (none).
 * Durations are in s: raw_int is the count sent, unit_mult the seconds per
 * count. */
mbus_err_code mbus_app_decode(uint8_t ci, const uint8_t *data, size_t len, mbus_data *out,
                              mbus_error *err);
/* Text of a CI 0x70 error code ("Application busy", ...). */
const char *mbus_app_error_text(unsigned code);
/* snake_case name of an orthogonal VIFE ("per_hour", "additive_correction"...),
 * EN 13757-3:2018 combinable VIFE table. */
const char *mbus_vife_name(uint8_t vife);
/* A combinable VIFE that reports a record error (0x01..0x1C less the 2013
 * rows 0x13 and 0x14): the record's data are no valid value. */
bool mbus_vife_is_record_error(uint8_t vife);
/* Name of a VIFE of the second combinable table, the byte after VIFE 0xFC
 * ("at_phase_l1", "at_quadrant_q2", "direction_from_meter", ...). */
const char *mbus_vife2_name(uint8_t vife);

/* Manufacturer code <-> 3 letters. */
void mbus_manufacturer_text(uint16_t code, char out[4]);
uint16_t mbus_manufacturer_code(const char *text);
/* Device type (medium) name: "heat_outlet", "water", ... ("unknown" otherwise). */
const char *mbus_medium_name(uint8_t medium);
const char *mbus_function_name(mbus_function fn);

/* ---- encoder (mbus_encode.c): records and telegrams from values, for the
 * bench's meters and the property test. ---- */
typedef enum { MBUS_ENC_INT, MBUS_ENC_BCD, MBUS_ENC_REAL } mbus_enc_coding;

typedef struct mbus_enc_record {
    mbus_function function;
    uint64_t storage;          /* up to 41 bits (DIF bit + 10 DIFEs) */
    uint32_t tariff;           /* up to 20 bits */
    uint32_t subunit;          /* up to 10 bits */
    uint8_t vif[1 + MBUS_MAX_VIFE];
    uint8_t n_vif;
    mbus_enc_coding coding;
    uint8_t size;              /* data bytes: INT 1,2,3,4,6,8; BCD 1,2,3,4,6; REAL 4 */
    int64_t raw;               /* INT/BCD: the number sent (BCD: |raw| < 10^(2*size), one
                                * digit less when negative); REAL: unused */
    float real;                /* REAL: the number sent */
} mbus_enc_record;

/* A VIF (with its extension byte) the encoder knows, and what it means:
 * value = number sent * 10^exp * mult, in unit. */
typedef struct mbus_enc_vif {
    uint8_t vif[3];
    uint8_t n_vif;
    const char *quantity, *unit;
    int exp;
    double mult;
    bool time_point;           /* date (type G, 2 bytes) or date-time (type F, 4 bytes) */
} mbus_enc_vif;

size_t mbus_encode_vif_count(void);
const mbus_enc_vif *mbus_encode_vif_at(size_t i);

/* One record (DIF, DIFEs, VIF, VIFEs, data); returns its length, 0 when it
 * does not fit cap or cannot be coded (storage/tariff/subunit too large, a
 * BCD raw with too many digits, a bad size). */
size_t mbus_encode_record(const mbus_enc_record *r, uint8_t *out, size_t cap);

/* Time points: type G date (2 bytes) and type F date-time (4 bytes) as the
 * raw little-endian number to send. year 2000..2080. */
uint16_t mbus_encode_date_g(unsigned year, unsigned month, unsigned day);
uint32_t mbus_encode_datetime_f(unsigned year, unsigned month, unsigned day, unsigned hour,
                                unsigned minute);

/* The 12 byte long header of CI 0x72 (id BCD, manufacturer, version,
 * device type, access number, status, configuration word). */
void mbus_encode_long_header(uint8_t out[12], uint32_t id_bcd, uint16_t manufacturer,
                             uint8_t version, uint8_t device_type, uint8_t access_number,
                             uint8_t status, uint16_t config);
#endif
