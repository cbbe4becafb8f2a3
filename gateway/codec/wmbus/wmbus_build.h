/* Building wireless M-Bus telegrams from records: the meter's side of what
 * decode.h undoes. Used by the bench's radio meters (readings that change
 * over time) and by tests. Link header, then in the clear (CI 0x7A, mode 0),
 * security mode 5 (CI 0x7A, AES-128-CBC with the mode 5 IV) or security
 * mode 7 (AFL with message counter and CMAC, CI 0x7A with the configuration
 * field extension, AES-128-CBC with the derived Kenc and a zero IV).
 *
 * Pure: no I/O, no clock, no allocation (the caller's oms_crypto). */
#ifndef WMBUS_BUILD_H
#define WMBUS_BUILD_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "codec/wmbus/oms_crypto.h"
#include "codec/wmbus/wmbus.h"

typedef struct wmbus_build {
    uint8_t c;              /* link C field: 0x44 SND_NR */
    uint16_t manufacturer;  /* as transmitted (EN 13757-3 letters code) */
    uint32_t id_bcd;
    uint8_t version, device_type;
    uint8_t access_number;
    uint8_t status;
    unsigned mode;          /* 0, 5 or 7 */
    const uint8_t *key;     /* 16 bytes for modes 5 and 7 */
    uint32_t counter;       /* mode 7: AFL message counter */
    bool corrupt_mac;       /* mode 7: send a MAC with one bit flipped (tests) */
} wmbus_build;

/* The plain frame (L first, no CRCs) into out. Returns its length, 0 when
 * it does not fit cap, the records are too long or a key is missing. */
size_t wmbus_build_frame(oms_crypto *c, const wmbus_build *b, const uint8_t *records, size_t n,
                         uint8_t *out, size_t cap);

/* Manufacturer letters "KAM" → code; 0 when not three letters A..Z. */
uint16_t wmbus_manufacturer_code(const char *letters);
#endif
