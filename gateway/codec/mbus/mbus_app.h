/* M-Bus application layer (EN 13757-3): headers for CI 0x72 (long), 0x7A
 * (short), 0x78 (none), 0x73/0x7B/0x79 variants, the fixed data structure
 * (CI 0x73/0x77 ... see mbus_app.c), and variable data records with their
 * DIF/DIFE/VIF/VIFE. Pure: no I/O, no allocation — results live in the caller's
 * mbus_data. */
#ifndef MBUS_APP_H
#define MBUS_APP_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "mbus_error.h"

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
    int scale_exp;          /* value = raw_int * 10^scale_exp when has_raw */
    char text[96];          /* date / string / hex */
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
} mbus_data;

/* Decode the application layer: ci and the bytes after it (frame->data). */
mbus_err_code mbus_app_decode(uint8_t ci, const uint8_t *data, size_t len, mbus_data *out,
                              mbus_error *err);

/* Manufacturer code <-> 3 letters. */
void mbus_manufacturer_text(uint16_t code, char out[4]);
uint16_t mbus_manufacturer_code(const char *text);
/* Device type (medium) name: "heat_outlet", "water", ... ("unknown" otherwise). */
const char *mbus_medium_name(uint8_t medium);
const char *mbus_function_name(mbus_function fn);
#endif
