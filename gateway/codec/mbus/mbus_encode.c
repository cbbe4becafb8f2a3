/* Encoder: variable data records (EN 13757-3) from values. The VIF table
 * here is written from the standard's tables as ranges, independently of
 * the decoder's (mbus_vif.c), so the property test compares two readings of
 * the standard. Pure: no I/O, no allocation. */
#include <string.h>
#include "codec/mbus/mbus_app.h"

#define MAX_VIFS 256
#define MIN 60.0
#define HOUR 3600.0
#define DAY 86400.0

static mbus_enc_vif table[MAX_VIFS];
static size_t n_table;

static void add(uint8_t v0, int ext, const char *q, const char *unit, int exp, double mult) {
    mbus_enc_vif *e = &table[n_table++];
    e->vif[0] = v0;
    e->n_vif = 1;
    if (ext >= 0) {
        e->vif[0] = (uint8_t)(v0 | 0x80);
        e->vif[1] = (uint8_t)ext;
        e->n_vif = 2;
    }
    e->quantity = q;
    e->unit = unit;
    e->exp = exp;
    e->mult = mult;
    e->time_point = false;
}

/* Eight VIFs v0..v0+7 (or four): exponents first_exp.. upwards. */
static void add_range(uint8_t v0, int count, const char *q, const char *unit, int first_exp) {
    for (int n = 0; n < count; n++)
        add((uint8_t)(v0 + n), -1, q, unit, first_exp + n, 1.0);
}

static void add_durations(uint8_t v0, const char *q) {
    static const double units[4] = {1.0, MIN, HOUR, DAY};
    for (int n = 0; n < 4; n++)
        add((uint8_t)(v0 + n), -1, q, "s", 0, units[n]);
}

static void build_table(void) {
    /* primary table */
    add_range(0x00, 8, "energy", "Wh", -3);
    add_range(0x08, 8, "energy", "J", 0);
    add_range(0x10, 8, "volume", "m3", -6);
    add_range(0x18, 8, "mass", "kg", -3);
    add_durations(0x20, "on_time");
    add_durations(0x24, "operating_time");
    add_range(0x28, 8, "power", "W", -3);
    add_range(0x30, 8, "power", "J/h", 0);
    add_range(0x38, 8, "volume_flow", "m3/h", -6);
    add_range(0x40, 8, "volume_flow", "m3/min", -7);
    add_range(0x48, 8, "volume_flow", "m3/s", -9);
    add_range(0x50, 8, "mass_flow", "kg/h", -3);
    add_range(0x58, 4, "flow_temperature", "C", -3);
    add_range(0x5C, 4, "return_temperature", "C", -3);
    add_range(0x60, 4, "temperature_difference", "K", -3);
    add_range(0x64, 4, "external_temperature", "C", -3);
    add_range(0x68, 4, "pressure", "bar", -3);
    add(0x6C, -1, "date", "", 0, 1.0);
    table[n_table - 1].time_point = true;
    add(0x6D, -1, "date_time", "", 0, 1.0);
    table[n_table - 1].time_point = true;
    add(0x6E, -1, "hca", "HCA", 0, 1.0);
    add_durations(0x70, "averaging_duration");
    add_durations(0x74, "actuality_duration");
    add(0x78, -1, "fabrication_no", "", 0, 1.0);
    add(0x79, -1, "enhanced_identification", "", 0, 1.0);
    add(0x7A, -1, "bus_address", "", 0, 1.0);
    /* table FD */
    add(0x7D, 0x08, "access_number", "", 0, 1.0);
    add(0x7D, 0x0E, "firmware_version", "", 0, 1.0);
    add(0x7D, 0x10, "customer_location", "", 0, 1.0);
    add(0x7D, 0x11, "customer", "", 0, 1.0);
    add(0x7D, 0x17, "error_flags", "", 0, 1.0);
    add(0x7D, 0x1B, "digital_input", "", 0, 1.0);
    add(0x7D, 0x3A, "dimensionless", "", 0, 1.0);
    for (int n = 0; n < 16; n++)
        add(0x7D, 0x40 + n, "voltage", "V", n - 9, 1.0);
    for (int n = 0; n < 16; n++)
        add(0x7D, 0x50 + n, "current", "A", n - 12, 1.0);
    add(0x7D, 0x60, "reset_counter", "", 0, 1.0);
    add(0x7D, 0x61, "cumulation_counter", "", 0, 1.0);
    add(0x7D, 0x74, "remaining_battery_life", "s", 0, DAY);
    /* table FB: the large units */
    add(0x7B, 0x00, "energy", "Wh", 5, 1.0);
    add(0x7B, 0x01, "energy", "Wh", 6, 1.0);
    add(0x7B, 0x08, "energy", "J", 8, 1.0);
    add(0x7B, 0x09, "energy", "J", 9, 1.0);
    add(0x7B, 0x10, "volume", "m3", 2, 1.0);
    add(0x7B, 0x11, "volume", "m3", 3, 1.0);
    add(0x7B, 0x18, "mass", "kg", 5, 1.0);
    add(0x7B, 0x19, "mass", "kg", 6, 1.0);
    add(0x7B, 0x28, "power", "W", 5, 1.0);
    add(0x7B, 0x29, "power", "W", 6, 1.0);
    add(0x7B, 0x30, "power", "J/h", 8, 1.0);
    add(0x7B, 0x31, "power", "J/h", 9, 1.0);
}

/* Combinable VIFEs that scale: 0x70..0x77 = 10^(n-6), 0x7D = 10^3. The table
 * above gets a few entries with them (energy in Wh with 10^-2, volume with
 * 10^3), so the decoder's handling of orthogonal VIFEs is covered too. */
static void add_corrected(uint8_t vif, uint8_t vife, const char *q, const char *unit, int exp) {
    mbus_enc_vif *e = &table[n_table++];
    e->vif[0] = (uint8_t)(vif | 0x80);
    e->vif[1] = vife;
    e->n_vif = 2;
    e->quantity = q;
    e->unit = unit;
    e->exp = exp;
    e->mult = 1.0;
    e->time_point = false;
}

static void ensure_table(void) {
    if (n_table)
        return;
    build_table();
    for (int n = 0; n < 8; n++)
        add_corrected(0x03, (uint8_t)(0x70 + n), "energy", "Wh", 0 + n - 6);
    add_corrected(0x13, 0x7D, "volume", "m3", -3 + 3);
}

size_t mbus_encode_vif_count(void) {
    ensure_table();
    return n_table;
}

const mbus_enc_vif *mbus_encode_vif_at(size_t i) {
    ensure_table();
    return i < n_table ? &table[i] : NULL;
}

/* DIF data field codes by coding and size; 0xFF: not codable. */
static uint8_t data_field(mbus_enc_coding coding, unsigned size) {
    static const uint8_t ints[9] = {0xFF, 0x1, 0x2, 0x3, 0x4, 0xFF, 0x6, 0xFF, 0x7};
    static const uint8_t bcds[7] = {0xFF, 0x9, 0xA, 0xB, 0xC, 0xFF, 0xE};
    if (coding == MBUS_ENC_INT)
        return size <= 8 ? ints[size] : 0xFF;
    if (coding == MBUS_ENC_BCD)
        return size <= 6 ? bcds[size] : 0xFF;
    return size == 4 ? 0x5 : 0xFF;
}

static bool put_bcd(int64_t raw, unsigned size, uint8_t *out) {
    bool negative = raw < 0;
    uint64_t v = negative ? (uint64_t)(-(raw + 1)) + 1 : (uint64_t)raw;
    for (unsigned i = 0; i < size; i++) {
        unsigned lo = (unsigned)(v % 10);
        v /= 10;
        unsigned hi = (unsigned)(v % 10);
        v /= 10;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    if (v != 0)
        return false;
    if (negative) { /* top nibble F marks a negative number */
        if (out[size - 1] >> 4)
            return false;
        out[size - 1] |= 0xF0;
    }
    return true;
}

size_t mbus_encode_record(const mbus_enc_record *r, uint8_t *out, size_t cap) {
    uint8_t code = data_field(r->coding, r->size);
    if (code == 0xFF || r->n_vif == 0 || r->n_vif > 1 + MBUS_MAX_VIFE)
        return 0;
    uint8_t buf[1 + MBUS_MAX_DIFE + 1 + MBUS_MAX_VIFE + 8];
    size_t n = 0;
    uint64_t storage = r->storage >> 1;
    uint32_t tariff = r->tariff, subunit = r->subunit;
    buf[n++] = (uint8_t)(code | (r->function & 3) << 4 | (r->storage & 1) << 6);
    size_t dif_at = 0;
    while (storage || tariff || subunit) {
        if (n > MBUS_MAX_DIFE)
            return 0;
        buf[dif_at] |= 0x80;
        dif_at = n;
        buf[n++] = (uint8_t)((storage & 0xF) | (tariff & 3) << 4 | (subunit & 1) << 6);
        storage >>= 4, tariff >>= 2, subunit >>= 1;
    }
    memcpy(buf + n, r->vif, r->n_vif);
    n += r->n_vif;
    if (r->coding == MBUS_ENC_BCD) {
        if (!put_bcd(r->raw, r->size, buf + n))
            return 0;
    } else if (r->coding == MBUS_ENC_REAL) {
        uint32_t u;
        memcpy(&u, &r->real, 4);
        for (int i = 0; i < 4; i++)
            buf[n + (size_t)i] = (uint8_t)(u >> (8 * i));
    } else {
        uint64_t u = (uint64_t)r->raw;
        for (unsigned i = 0; i < r->size; i++)
            buf[n + i] = (uint8_t)(u >> (8 * i));
    }
    n += r->size;
    if (n > cap)
        return 0;
    memcpy(out, buf, n);
    return n;
}

uint16_t mbus_encode_date_g(unsigned year, unsigned month, unsigned day) {
    unsigned y = year % 100;
    return (uint16_t)((day & 0x1F) | (y & 7) << 5 | (month & 0xF) << 8 | (y >> 3) << 12);
}

uint32_t mbus_encode_datetime_f(unsigned year, unsigned month, unsigned day, unsigned hour,
                                unsigned minute) {
    return (uint32_t)(minute & 0x3F) | (uint32_t)(hour & 0x1F) << 8 |
           (uint32_t)mbus_encode_date_g(year, month, day) << 16;
}

void mbus_encode_long_header(uint8_t out[12], uint32_t id_bcd, uint16_t manufacturer,
                             uint8_t version, uint8_t device_type, uint8_t access_number,
                             uint8_t status, uint16_t config) {
    for (int i = 0; i < 4; i++)
        out[i] = (uint8_t)(id_bcd >> (8 * i));
    out[4] = (uint8_t)manufacturer, out[5] = (uint8_t)(manufacturer >> 8);
    out[6] = version, out[7] = device_type;
    out[8] = access_number, out[9] = status;
    out[10] = (uint8_t)config, out[11] = (uint8_t)(config >> 8);
}
