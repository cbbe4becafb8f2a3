/* Telegram builders for the property test and the decode benchmark: records
 * (already encoded by mbus_encode_record) wrapped as a wired long frame
 * (CI 0x72) or a wireless frame (CI 0x7A short header), in the clear or
 * encrypted with security mode 5, plain or with format A/B CRCs. */
#ifndef TEST_DECODE_BUILD_H
#define TEST_DECODE_BUILD_H
#include <string.h>
#include "codec/decode/decode.h"
#include "codec/mbus/mbus_link.h"

#define BUILD_ID 0x12345678u
#define BUILD_MAN 0x1593u /* ELS */

/* Wired RSP_UD, primary address 5. Returns the frame length, 0 if too long. */
static inline size_t build_wired(const uint8_t *records, size_t n, uint8_t access, uint8_t *out, size_t cap) {
    uint8_t data[256];
    if (n + 12 > 252)
        return 0;
    mbus_encode_long_header(data, BUILD_ID, BUILD_MAN, 0x33, 0x03, access, 0, 0);
    memcpy(data + 12, records, n);
    return mbus_encode_long(out, cap, MBUS_C_RSP_UD, 5, 0x72, data, n + 12);
}

/* Wireless SND_NR with a short header; key != NULL: mode 5 over all records
 * (2F 2F first, 2F filler to whole blocks). fmt adds CRCs. */
static inline size_t build_wireless_id(oms_crypto *c, uint32_t id, const uint8_t *key,
                                       const uint8_t *records, size_t n, uint8_t access,
                                       wmbus_format fmt, uint8_t *out, size_t cap) {
    uint8_t f[WMBUS_FRAME_MAX];
    const uint8_t link[10] = {0, 0x44, (uint8_t)BUILD_MAN, BUILD_MAN >> 8, (uint8_t)id, (uint8_t)(id >> 8),
                              (uint8_t)(id >> 16), (uint8_t)(id >> 24), 0x33, 0x03};
    size_t len = 10;
    memcpy(f, link, len);
    f[len++] = 0x7A;
    f[len++] = access;
    f[len++] = 0;
    size_t cf_at = len;
    f[len++] = 0, f[len++] = 0;
    size_t enc_at = len;
    if (key) {
        f[len++] = 0x2F, f[len++] = 0x2F;
    }
    if (len + n + 16 > 250)
        return 0;
    memcpy(f + len, records, n);
    len += n;
    if (key) {
        while ((len - enc_at) % 16)
            f[len++] = 0x2F;
        unsigned blocks = (unsigned)((len - enc_at) / 16);
        uint16_t cf = (uint16_t)(5u << 8 | blocks << 4);
        f[cf_at] = (uint8_t)cf, f[cf_at + 1] = (uint8_t)(cf >> 8);
        uint8_t iv[16];
        oms_mode5_iv(f + 2, access, iv);
        oms_cbc_encrypt(c, key, iv, f + enc_at, len - enc_at);
    }
    f[0] = (uint8_t)(len - 1);
    return wmbus_frame_add_crcs(f, len, fmt, out, cap);
}

static inline size_t build_wireless(oms_crypto *c, const uint8_t *key, const uint8_t *records, size_t n,
                                    uint8_t access, wmbus_format fmt, uint8_t *out, size_t cap) {
    return build_wireless_id(c, BUILD_ID, key, records, n, access, fmt, out, cap);
}
#endif
