/* Secondary addresses and select masks (see mbus_secondary.h). */
#include "codec/mbus/mbus_secondary.h"

#include <stdio.h>
#include <string.h>

/* The address as one 64-bit value, nibble 0 in the top four bits. */
static uint64_t to_bits(const mbus_secondary *sa) {
    return (uint64_t)sa->id_bcd << 32 | (uint64_t)sa->manufacturer << 16 |
           (uint64_t)sa->version << 8 | sa->medium;
}

static mbus_secondary from_bits(uint64_t v) {
    mbus_secondary sa = {(uint32_t)(v >> 32), (uint16_t)(v >> 16), (uint8_t)(v >> 8),
                         (uint8_t)v};
    return sa;
}

static int shift_of(int pos) {
    return 4 * (MBUS_SECONDARY_NIBBLES - 1 - pos);
}

mbus_secondary mbus_secondary_any(void) {
    return from_bits(UINT64_MAX);
}

void mbus_secondary_encode(const mbus_secondary *sa, uint8_t out[8]) {
    for (int i = 0; i < 4; i++)
        out[i] = (uint8_t)(sa->id_bcd >> (8 * i));
    out[4] = (uint8_t)sa->manufacturer;
    out[5] = (uint8_t)(sa->manufacturer >> 8);
    out[6] = sa->version;
    out[7] = sa->medium;
}

void mbus_secondary_decode(const uint8_t in[8], mbus_secondary *sa) {
    sa->id_bcd = (uint32_t)in[0] | (uint32_t)in[1] << 8 | (uint32_t)in[2] << 16 |
                 (uint32_t)in[3] << 24;
    sa->manufacturer = (uint16_t)(in[4] | in[5] << 8);
    sa->version = in[6];
    sa->medium = in[7];
}

bool mbus_secondary_match(const mbus_secondary *mask, const mbus_secondary *addr) {
    for (int pos = 0; pos < MBUS_SECONDARY_NIBBLES; pos++) {
        unsigned want = mbus_secondary_nibble(mask, pos);
        if (want != MBUS_NIBBLE_WILDCARD && want != mbus_secondary_nibble(addr, pos))
            return false;
    }
    return true;
}

bool mbus_secondary_equal(const mbus_secondary *a, const mbus_secondary *b) {
    return to_bits(a) == to_bits(b);
}

unsigned mbus_secondary_nibble(const mbus_secondary *sa, int pos) {
    return (unsigned)(to_bits(sa) >> shift_of(pos)) & 0xF;
}

void mbus_secondary_set_nibble(mbus_secondary *sa, int pos, unsigned value) {
    uint64_t v = to_bits(sa) & ~((uint64_t)0xF << shift_of(pos));
    *sa = from_bits(v | (uint64_t)(value & 0xF) << shift_of(pos));
}

int mbus_secondary_first_wildcard(const mbus_secondary *sa) {
    for (int pos = 0; pos < MBUS_SECONDARY_NIBBLES; pos++)
        if (mbus_secondary_nibble(sa, pos) == MBUS_NIBBLE_WILDCARD)
            return pos;
    return -1;
}

bool mbus_secondary_id_complete(const mbus_secondary *sa) {
    for (int pos = 0; pos < MBUS_SECONDARY_ID_NIBBLES; pos++)
        if (mbus_secondary_nibble(sa, pos) == MBUS_NIBBLE_WILDCARD)
            return false;
    return true;
}

void mbus_secondary_format(const mbus_secondary *sa, char out[MBUS_SECONDARY_TEXT]) {
    snprintf(out, MBUS_SECONDARY_TEXT, "%08X%04X%02X%02X", (unsigned)sa->id_bcd,
             (unsigned)sa->manufacturer, (unsigned)sa->version, (unsigned)sa->medium);
}

static int hex_digit(char ch) {
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    return -1;
}

/* n nibbles of text from nibble 0 on; the rest stay wildcards. */
static bool parse_nibbles(const char *text, int n, mbus_secondary *sa) {
    uint64_t v = UINT64_MAX;
    for (int pos = 0; pos < n; pos++) {
        int d = hex_digit(text[pos]);
        if (d < 0 || (pos < MBUS_SECONDARY_ID_NIBBLES && d > 9 && d != MBUS_NIBBLE_WILDCARD))
            return false;
        v = (v & ~((uint64_t)0xF << shift_of(pos))) | (uint64_t)d << shift_of(pos);
    }
    *sa = from_bits(v);
    return true;
}

bool mbus_secondary_parse(const char *text, mbus_secondary *sa) {
    if (!text || strlen(text) != MBUS_SECONDARY_NIBBLES)
        return false;
    return parse_nibbles(text, MBUS_SECONDARY_NIBBLES, sa);
}

bool mbus_secondary_parse_mask(const char *text, mbus_secondary *sa) {
    size_t len = text ? strlen(text) : 0;
    if (len != MBUS_SECONDARY_ID_NIBBLES && len != MBUS_SECONDARY_NIBBLES)
        return false;
    return parse_nibbles(text, (int)len, sa);
}
