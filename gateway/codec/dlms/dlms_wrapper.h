/* dlms_wrapper: the IEC 62056-47 (TCP/UDP) wrapper header, pure codec.
 *   version 00 01 | source wPort (2) | destination wPort (2) | length (2) | APDU */
#ifndef DLMS_WRAPPER_H
#define DLMS_WRAPPER_H
#include <stddef.h>
#include <stdint.h>

#define WRAPPER_HEADER 8
#define WRAPPER_VERSION 1
#define WPORT_PUBLIC_CLIENT 0x10
#define WPORT_MANAGEMENT 0x01

typedef struct wrapper_pdu {
    uint16_t src, dst;
    const uint8_t *apdu; /* points into the parsed buffer */
    size_t len;
} wrapper_pdu;

/* Header + apdu into out; returns the length, 0 when it does not fit. */
size_t wrapper_encode(uint8_t *out, size_t cap, uint16_t src, uint16_t dst, const uint8_t *apdu,
                      size_t len);
/* >0: one complete PDU of that many bytes at buf; 0: need more bytes;
 * -1: not a wrapper header (*why says why). */
long wrapper_decode(const uint8_t *buf, size_t len, wrapper_pdu *pdu, const char **why);
#endif
