/* dlms_wrapper: IEC 62056-47 wrapper (see dlms_wrapper.h). */
#include "codec/dlms/dlms_wrapper.h"

#include <string.h>

static void put16(uint8_t *p, uint16_t v) {
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }

size_t wrapper_encode(uint8_t *out, size_t cap, uint16_t src, uint16_t dst, const uint8_t *apdu,
                      size_t len) {
    if (len > 0xFFFF || len + WRAPPER_HEADER > cap) return 0;
    put16(out, WRAPPER_VERSION);
    put16(out + 2, src);
    put16(out + 4, dst);
    put16(out + 6, (uint16_t)len);
    memmove(out + WRAPPER_HEADER, apdu, len);
    return len + WRAPPER_HEADER;
}

long wrapper_decode(const uint8_t *buf, size_t len, wrapper_pdu *pdu, const char **why) {
    if (len < 2) return 0;
    if (get16(buf) != WRAPPER_VERSION) {
        *why = "wrapper version is not 1";
        return -1;
    }
    if (len < WRAPPER_HEADER) return 0;
    size_t n = get16(buf + 6);
    if (len < WRAPPER_HEADER + n) return 0;
    pdu->src = get16(buf + 2);
    pdu->dst = get16(buf + 4);
    pdu->apdu = buf + WRAPPER_HEADER;
    pdu->len = n;
    return (long)(WRAPPER_HEADER + n);
}
