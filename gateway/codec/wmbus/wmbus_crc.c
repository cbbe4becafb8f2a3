/* CRC-16 of EN 13757-4: polynomial x^16+x^13+x^12+x^11+x^10+x^8+x^6+x^5+x^2+1
 * (0x3D65), initial value 0, no reflection, result inverted. Table driven:
 * it runs over every byte of every wireless frame. */
#include "codec/wmbus/wmbus.h"

static uint16_t table[256];
static bool table_ready;

static void make_table(void) {
    for (unsigned i = 0; i < 256; i++) {
        uint16_t crc = (uint16_t)(i << 8);
        for (int b = 0; b < 8; b++)
            crc = (uint16_t)(crc & 0x8000 ? (crc << 1) ^ 0x3D65 : crc << 1);
        table[i] = crc;
    }
    table_ready = true;
}

uint16_t wmbus_crc16(const uint8_t *data, size_t len) {
    if (!table_ready)
        make_table();
    uint16_t crc = 0;
    for (size_t i = 0; i < len; i++)
        crc = (uint16_t)(crc << 8 ^ table[(crc >> 8 ^ data[i]) & 0xFF]);
    return (uint16_t)~crc;
}
