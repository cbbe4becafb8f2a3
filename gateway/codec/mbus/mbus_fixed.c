/* Fixed data structure (EN 1434-3 / EN 13757-3 CI 0x73, and 0x77 with the
 * multi-byte fields MSB first): id, access number, status, a medium/unit
 * word and two 32-bit counters, 16 bytes in all. */
#include <string.h>
#include "codec/mbus/mbus_internal.h"

#define FIXED_LEN 16
#define STATUS_BINARY 0x80   /* counters are binary, not BCD */
#define STATUS_HISTORIC 0x40 /* counters are stored values, not actual ones */
#define UNIT_SAME_HISTORIC 0x3E

typedef struct fixed_unit {
    const char *quantity, *unit;
    int exp;
} fixed_unit;

/* Units table of the fixed structure (6 bits): decades of Wh, J, W, J/h,
 * m3 and m3/h, and a few specials. */
static fixed_unit unit_of(unsigned code) {
    if (code >= 0x02 && code <= 0x0A)
        return (fixed_unit){"energy", "Wh", (int)code - 0x02};
    if (code >= 0x0B && code <= 0x13)
        return (fixed_unit){"energy", "J", (int)code - 0x0B + 3};
    if (code >= 0x14 && code <= 0x1C)
        return (fixed_unit){"power", "W", (int)code - 0x14};
    if (code >= 0x1D && code <= 0x25)
        return (fixed_unit){"power", "J/h", (int)code - 0x1D + 3};
    if (code >= 0x26 && code <= 0x2E)
        return (fixed_unit){"volume", "m3", (int)code - 0x26 - 6};
    if (code >= 0x2F && code <= 0x37)
        return (fixed_unit){"volume_flow", "m3/h", (int)code - 0x2F - 6};
    switch (code) {
    case 0x00: return (fixed_unit){"time", "", 0};
    case 0x01: return (fixed_unit){"date", "", 0};
    case 0x38: return (fixed_unit){"temperature", "C", -3};
    case 0x39: return (fixed_unit){"hca", "HCA", 0};
    case 0x3F: return (fixed_unit){"dimensionless", "", 0};
    default: return (fixed_unit){"reserved", "", 0};
    }
}

/* Medium of the fixed structure (4 bits) as an EN 13757-3 device type. */
static uint8_t device_type(unsigned fixed_medium) {
    static const uint8_t types[16] = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
                                      0x08, 0x0F, 0x03, 0x04, 0x06, 0x07, 0x08, 0x0F};
    return types[fixed_medium & 0xF];
}

static uint32_t read_u32(const uint8_t *b, bool msb_first) {
    uint8_t le[4];
    for (int i = 0; i < 4; i++)
        le[i] = msb_first ? b[3 - i] : b[i];
    return (uint32_t)le[0] | (uint32_t)le[1] << 8 | (uint32_t)le[2] << 16 | (uint32_t)le[3] << 24;
}

static void add_counter(mbus_data *out, const uint8_t *data, size_t offset, bool msb_first,
                        unsigned unit_code, bool historic) {
    const uint8_t *b = data + offset;
    mbus_record *r = &out->records[out->n_records++];
    memset(r, 0, sizeof *r);
    fixed_unit u = unit_of(unit_code);
    uint32_t word = read_u32(b, msb_first);
    int64_t raw;
    int bad = -1;
    unsigned digit = 0;
    if (out->hdr.status & STATUS_BINARY) {
        raw = word;
    } else {
        uint8_t le[4] = {(uint8_t)word, (uint8_t)(word >> 8), (uint8_t)(word >> 16),
                         (uint8_t)(word >> 24)};
        bad = mbus_bcd_bad_nibble(le, 4, &digit);
        raw = mbus_bcd_decode(le, 4);
    }
    r->offset = (uint16_t)offset;
    r->data = b;
    r->data_len = 4;
    r->function = MBUS_FN_INSTANT;
    r->storage = historic ? 1 : 0;
    r->quantity = u.quantity;
    r->unit = u.unit;
    r->kind = MBUS_VAL_NUMBER;
    r->raw_int = raw;
    r->has_raw = true;
    r->scale_exp = u.exp;
    r->unit_mult = 1.0;
    r->value = u.exp < 0 ? (double)raw / mbus_pow10(-u.exp) : (double)raw * mbus_pow10(u.exp);
    if (bad >= 0)
        mbus_set_invalid_bcd(r, digit, bad);
}

mbus_err_code mbus_fixed_decode(const uint8_t *data, size_t len, bool msb_first, mbus_data *out,
                                mbus_error *err) {
    if (len < FIXED_LEN)
        return mbus_fail(err, MBUS_ERR_HEADER, len, "fixed data structure needs %d bytes, have %zu",
                         FIXED_LEN, len);
    if (len > FIXED_LEN)
        return mbus_fail(err, MBUS_ERR_DATA, FIXED_LEN,
                         "fixed data structure has %d bytes, %zu more follow", FIXED_LEN,
                         len - FIXED_LEN);
    static const char digits[] = "0123456789ABCDEF";
    mbus_header *h = &out->hdr;
    out->fixed = true;
    h->present = true;
    h->id_bcd = read_u32(data, msb_first);
    for (int i = 0; i < 8; i++)
        h->id[i] = digits[(h->id_bcd >> (28 - 4 * i)) & 0xF];
    h->id[8] = '\0';
    h->access_number = data[4];
    h->status = data[5];
    unsigned unit1 = data[6] & 0x3F, unit2 = data[7] & 0x3F;
    h->medium = device_type((data[6] >> 6) | (data[7] >> 6) << 2);
    bool historic = h->status & STATUS_HISTORIC;
    add_counter(out, data, 8, msb_first, unit1, historic);
    if (unit2 == UNIT_SAME_HISTORIC)
        add_counter(out, data, 12, msb_first, unit1, true);
    else
        add_counter(out, data, 12, msb_first, unit2, historic);
    return MBUS_OK;
}
