/* Helpers shared by the wireless M-Bus codec's files; not part of the API. */
#ifndef WMBUS_INTERNAL_H
#define WMBUS_INTERNAL_H
#include "codec/wmbus/wmbus.h"

/* Fill *err (when not NULL) and return code; only called on the error path. */
wmbus_err_code wmbus_fail(wmbus_error *err, wmbus_err_code code, size_t offset, const char *fmt,
                          ...) __attribute__((format(printf, 4, 5)));
void wmbus_ok(wmbus_error *err);

static inline uint16_t wmbus_le16(const uint8_t *p) {
    return (uint16_t)(p[0] | p[1] << 8);
}
static inline uint32_t wmbus_le32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
#endif
