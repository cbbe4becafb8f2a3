/* libFuzzer target for the wireless M-Bus key file (CMe3100 CSV): any text is
 * accepted or refused with "name:line:col: message"; accepted entries answer
 * lookups, and nothing leaks either way. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "south/wmbus/wmbus_keys.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    wmbus_keys k = {0};
    char err[256] = "";
    if (wmbus_keys_parse(text, "keys.csv", &k, err, sizeof err)) {
        const uint8_t *found[8];
        for (size_t i = 0; i < k.n; i++) {
            const wmbus_key_entry *e = &k.entries[i];
            size_t n = wmbus_keys_match(&k, e->id_bcd, e->manufacturer,
                                        (uint8_t)(e->version < 0 ? 1 : e->version),
                                        (uint8_t)(e->device_type < 0 ? 7 : e->device_type), found, 8);
            if (n == 0 || n > 8)
                abort(); /* an entry always matches the meter it names */
        }
        wmbus_keys_free(&k);
    } else if (strncmp(err, "keys.csv:", 9) != 0) {
        abort();
    }
    free(text);
    return 0;
}
