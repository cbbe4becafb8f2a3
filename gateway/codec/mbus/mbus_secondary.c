/* Secondary addresses (EN 13757-3 selection): 8 BCD id digits, manufacturer,
 * version and medium, each of which may be a wildcard in a search pattern. */
#include <stdio.h>
#include "codec/mbus/mbus_link.h"

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

bool mbus_secondary_match(const mbus_secondary *pattern, const mbus_secondary *addr) {
    for (int shift = 0; shift < 32; shift += 4) {
        uint32_t want = (pattern->id_bcd >> shift) & 0xF;
        if (want != 0xF && want != ((addr->id_bcd >> shift) & 0xF))
            return false;
    }
    if (pattern->manufacturer != 0xFFFF && pattern->manufacturer != addr->manufacturer)
        return false;
    if (pattern->version != 0xFF && pattern->version != addr->version)
        return false;
    return pattern->medium == 0xFF || pattern->medium == addr->medium;
}

void mbus_secondary_format(const mbus_secondary *sa, char out[17]) {
    snprintf(out, 17, "%08X%04X%02X%02X", (unsigned)sa->id_bcd, (unsigned)sa->manufacturer,
             (unsigned)sa->version, (unsigned)sa->medium);
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

/* Exactly 16 hex digits; id digits must be 0-9 or the wildcard F. */
bool mbus_secondary_parse(const char *text, mbus_secondary *sa) {
    uint64_t v = 0;
    for (int i = 0; i < 16; i++) {
        int d = hex_digit(text[i]);
        if (d < 0 || (i < 8 && d > 9 && d != 0xF))
            return false;
        v = v << 4 | (uint64_t)d;
    }
    if (text[16] != '\0')
        return false;
    sa->id_bcd = (uint32_t)(v >> 32);
    sa->manufacturer = (uint16_t)(v >> 16);
    sa->version = (uint8_t)(v >> 8);
    sa->medium = (uint8_t)v;
    return true;
}
