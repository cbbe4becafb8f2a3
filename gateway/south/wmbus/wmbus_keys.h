/* wmbus_keys: the AES key file of the CMe3100 (../shared/spec/cme3100.md
 * R-29, Table 6): CSV with the columns address, key, manufacturer,
 * deviceType, version (header names case-insensitive, in that order).
 *   address       8-digit meter id, or -1 = any
 *   key           32 hex characters (AES-128); any other length is an error
 *   manufacturer  three letters, or * = any
 *   deviceType    device type (decimal, or 0x.. hex), or -1 = any
 *   version       version (decimal, or 0x.. hex), or -1 = any
 * Several rows may match one meter; they are tried most specific first
 * (address, then manufacturer, device type, version), file order breaking
 * ties. Errors read "file:line:col: what is wrong". */
#ifndef GW_WMBUS_KEYS_H
#define GW_WMBUS_KEYS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct wmbus_key_entry {
    bool any_id, any_man;
    uint32_t id_bcd;
    uint16_t manufacturer;
    int device_type, version; /* -1: any */
    uint8_t key[16];
    int line;
    int score;                /* how specific: sorts the candidates */
} wmbus_key_entry;

typedef struct wmbus_keys {
    wmbus_key_entry *entries;
    size_t n;
} wmbus_keys;

/* Parse key file text; name is used in error messages. On error nothing is
 * kept and err holds "name:line:col: message". */
bool wmbus_keys_parse(const char *text, const char *name, wmbus_keys *out, char *err, size_t cap);
bool wmbus_keys_load(const char *path, wmbus_keys *out, char *err, size_t cap);
void wmbus_keys_free(wmbus_keys *k);

/* Keys matching a meter, most specific first; returns how many (at most max). */
size_t wmbus_keys_match(const wmbus_keys *k, uint32_t id_bcd, uint16_t manufacturer,
                        uint8_t version, uint8_t device_type, const uint8_t **out, size_t max);
#endif
