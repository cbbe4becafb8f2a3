/* Wireless M-Bus telegrams from records (see wmbus_build.h). */
#include "codec/wmbus/wmbus_build.h"

#include <string.h>
#include "codec/wmbus/oms_security.h"

#define CI_SHORT 0x7A
#define CI_AFL 0x90
#define FILLER 0x2F
#define AFL_FCL (1u << 13 | 1u << 11 | 1u << 10) /* MCL, MCR and MAC present */
#define AFL_MCL 0x05                             /* AES-CMAC-128, 8 bytes */
#define AFL_MAC_LEN 8
#define AFL_LEN (2 + 1 + 4 + AFL_MAC_LEN)        /* AFL.L: FCL MCL MCR MAC */
#define CFE_KDF_OMS 0x10                         /* KDFS 1 */

uint16_t wmbus_manufacturer_code(const char *s) {
    if (!s || strlen(s) != 3)
        return 0;
    uint16_t code = 0;
    for (int i = 0; i < 3; i++) {
        if (s[i] < 'A' || s[i] > 'Z')
            return 0;
        code = (uint16_t)(code << 5 | (s[i] - 64));
    }
    return code;
}

static size_t put_link(const wmbus_build *b, uint8_t *f) {
    f[1] = b->c;
    f[2] = (uint8_t)b->manufacturer, f[3] = (uint8_t)(b->manufacturer >> 8);
    for (int i = 0; i < 4; i++)
        f[4 + i] = (uint8_t)(b->id_bcd >> (8 * i));
    f[8] = b->version, f[9] = b->device_type;
    return WMBUS_LINK_HEADER_LEN;
}

/* Short transport header; returns the position of its configuration field. */
static size_t put_short_header(const wmbus_build *b, uint8_t *f, size_t *len) {
    f[(*len)++] = CI_SHORT;
    f[(*len)++] = b->access_number;
    f[(*len)++] = b->status;
    size_t cf_at = *len;
    f[(*len)++] = 0, f[(*len)++] = 0;
    if (b->mode == 7)
        f[(*len)++] = CFE_KDF_OMS;
    return cf_at;
}

/* 2F 2F, the records, 2F filler to whole blocks; returns the block count. */
static unsigned put_encrypted_body(uint8_t *f, size_t *len, const uint8_t *rec, size_t n) {
    size_t start = *len;
    f[(*len)++] = FILLER, f[(*len)++] = FILLER;
    memcpy(f + *len, rec, n);
    *len += n;
    while ((*len - start) % OMS_BLOCK)
        f[(*len)++] = FILLER;
    return (unsigned)((*len - start) / OMS_BLOCK);
}

static bool mode7_seal(oms_crypto *c, const wmbus_build *b, uint8_t *f, size_t afl_at,
                       size_t tpl_at, size_t body_at, size_t len) {
    uint8_t counter[4], kenc[16], kmac[16], zero[16] = {0}, mac[16];
    for (int i = 0; i < 4; i++)
        counter[i] = (uint8_t)(b->counter >> (8 * i));
    if (!oms_kdf(c, b->key, OMS_DC_ENC, counter, f + 4, kenc) ||
        !oms_kdf(c, b->key, OMS_DC_MAC, counter, f + 4, kmac) ||
        !oms_cbc_encrypt(c, kenc, zero, f + body_at, len - body_at))
        return false;
    /* MAC input: MCL, MCR, then the message from the transport CI on */
    uint8_t input[1 + 4 + WMBUS_FRAME_MAX];
    input[0] = AFL_MCL;
    memcpy(input + 1, counter, 4);
    memcpy(input + 5, f + tpl_at, len - tpl_at);
    if (!oms_cmac(c, kmac, input, 5 + len - tpl_at, mac))
        return false;
    if (b->corrupt_mac)
        mac[0] ^= 0x01;
    memcpy(f + afl_at + 2 + 2 + 1 + 4, mac, AFL_MAC_LEN);
    return true;
}

size_t wmbus_build_frame(oms_crypto *c, const wmbus_build *b, const uint8_t *records, size_t n,
                         uint8_t *out, size_t cap) {
    uint8_t f[WMBUS_FRAME_MAX];
    bool secure = b->mode == 5 || b->mode == 7;
    if ((b->mode != 0 && !secure) || (secure && (!b->key || !c)) || n > 200)
        return 0;
    size_t len = put_link(b, f), afl_at = len;
    if (b->mode == 7) {
        f[len++] = CI_AFL;
        f[len++] = AFL_LEN;
        f[len++] = (uint8_t)AFL_FCL, f[len++] = (uint8_t)(AFL_FCL >> 8);
        f[len++] = AFL_MCL;
        for (int i = 0; i < 4; i++)
            f[len++] = (uint8_t)(b->counter >> (8 * i));
        memset(f + len, 0, AFL_MAC_LEN);
        len += AFL_MAC_LEN;
    }
    size_t tpl_at = len, cf_at = put_short_header(b, f, &len), body_at = len;
    if (!secure) {
        memcpy(f + len, records, n);
        len += n;
    } else {
        unsigned blocks = put_encrypted_body(f, &len, records, n);
        uint16_t cf = (uint16_t)(b->mode << 8 | blocks << 4);
        f[cf_at] = (uint8_t)cf, f[cf_at + 1] = (uint8_t)(cf >> 8);
    }
    if (len > 256 || len > cap)
        return 0;
    f[0] = (uint8_t)(len - 1);
    if (b->mode == 5) {
        uint8_t iv[16];
        oms_mode5_iv(f + 2, b->access_number, iv);
        if (!oms_cbc_encrypt(c, b->key, iv, f + body_at, len - body_at))
            return 0;
    } else if (b->mode == 7 && !mode7_seal(c, b, f, afl_at, tpl_at, body_at, len)) {
        return 0;
    }
    memcpy(out, f, len);
    return len;
}
