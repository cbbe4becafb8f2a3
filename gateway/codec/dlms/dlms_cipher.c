/* dlms_cipher: security suite 0 with OpenSSL's AES-128-GCM (see dlms_cipher.h). */
#include "codec/dlms/dlms_cipher.h"

#include <ctype.h>
#include <string.h>

#include <openssl/evp.h>

#include "codec/dlms/dlms_axdr.h"

#define MAX_AAD (1 + DLMS_KEY_LEN + 2048)

uint8_t dlms_glo_tag(uint8_t t) {
    switch (t) {
    case 0x01: return 0x21; /* initiateRequest */
    case 0x08: return 0x28; /* initiateResponse */
    case 0xC0: return 0xC8;
    case 0xC1: return 0xC9;
    case 0xC3: return 0xCB;
    case 0xC4: return 0xCC;
    case 0xC5: return 0xCD;
    case 0xC7: return 0xCF;
    default: return 0;
    }
}

static void make_iv(uint8_t iv[12], const uint8_t systitle[8], uint32_t fc) {
    memcpy(iv, systitle, 8);
    iv[8] = (uint8_t)(fc >> 24);
    iv[9] = (uint8_t)(fc >> 16);
    iv[10] = (uint8_t)(fc >> 8);
    iv[11] = (uint8_t)fc;
}

/* One GCM pass. encrypt: in -> out, tag written; decrypt: in -> out, tag checked.
 * aad is AAD; in may be empty (GMAC). */
static bool gcm(bool encrypt, const uint8_t key[16], const uint8_t iv[12], const uint8_t *aad,
                size_t aad_len, const uint8_t *in, size_t len, uint8_t *out, uint8_t tag[12]) {
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int n = 0;
    bool ok = ctx && EVP_CipherInit_ex(ctx, EVP_aes_128_gcm(), NULL, NULL, NULL, encrypt) == 1 &&
              EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, 12, NULL) == 1 &&
              EVP_CipherInit_ex(ctx, NULL, NULL, key, iv, encrypt) == 1 &&
              (aad_len == 0 || EVP_CipherUpdate(ctx, NULL, &n, aad, (int)aad_len) == 1) &&
              (len == 0 || EVP_CipherUpdate(ctx, out, &n, in, (int)len) == 1);
    if (ok && !encrypt)
        ok = EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, DLMS_TAG_LEN, tag) == 1;
    uint8_t last[16];
    ok = ok && EVP_CipherFinal_ex(ctx, last, &n) == 1;
    if (ok && encrypt) ok = EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, DLMS_TAG_LEN, tag) == 1;
    EVP_CIPHER_CTX_free(ctx);
    return ok;
}

size_t dlms_cipher_protect(const dlms_keys *k, const uint8_t systitle[8], uint32_t fc, uint8_t sc,
                           const uint8_t *plain, size_t len, uint8_t *out, size_t cap) {
    uint8_t glo = len ? dlms_glo_tag(plain[0]) : 0;
    if (!glo || (sc != DLMS_SC_AUTH_ENCRYPT && sc != DLMS_SC_AUTH) ||
        len > MAX_AAD - 1 - DLMS_KEY_LEN)
        return 0;
    size_t body = 1 + 4 + len + DLMS_TAG_LEN;
    axdr_writer w;
    axdr_writer_init(&w, out, cap);
    axdr_put_u8(&w, glo);
    axdr_put_length(&w, body);
    axdr_put_u8(&w, sc);
    axdr_put_u32(&w, fc);
    if (w.overflow || w.len + len + DLMS_TAG_LEN > cap) return 0;
    uint8_t iv[12], aad[MAX_AAD], tag[DLMS_TAG_LEN];
    make_iv(iv, systitle, fc);
    aad[0] = sc;
    memcpy(aad + 1, k->ak, DLMS_KEY_LEN);
    size_t aad_len = 1 + DLMS_KEY_LEN;
    uint8_t *payload = out + w.len;
    bool ok;
    if (sc == DLMS_SC_AUTH) { /* authentication only: the APDU travels in clear */
        memcpy(aad + aad_len, plain, len);
        aad_len += len;
        memmove(payload, plain, len);
        ok = gcm(true, k->ek, iv, aad, aad_len, NULL, 0, NULL, tag);
    } else {
        ok = gcm(true, k->ek, iv, aad, aad_len, plain, len, payload, tag);
    }
    if (!ok) return 0;
    memcpy(payload + len, tag, DLMS_TAG_LEN);
    return w.len + len + DLMS_TAG_LEN;
}

long dlms_cipher_unprotect(const dlms_keys *k, const uint8_t systitle[8], const uint8_t *in,
                           size_t len, uint8_t *out, size_t cap, uint32_t *fc, const char **why) {
    axdr_reader r;
    uint8_t tag, sc;
    size_t body;
    const uint8_t *p;
    axdr_reader_init(&r, in, len);
    if (!axdr_u8(&r, &tag) || !axdr_length(&r, &body) || body != axdr_remaining(&r)) {
        *why = "ciphered APDU length does not match";
        return -1;
    }
    if (body < 5 + DLMS_TAG_LEN || !axdr_u8(&r, &sc) || !axdr_u32(&r, fc)) {
        *why = "ciphered APDU too short";
        return -1;
    }
    if (sc != DLMS_SC_AUTH_ENCRYPT && sc != DLMS_SC_AUTH) {
        *why = "security control byte not supported (suite 0, authenticated)";
        return -1;
    }
    size_t n = body - 5 - DLMS_TAG_LEN;
    if (n > cap || n > MAX_AAD - 1 - DLMS_KEY_LEN || !axdr_bytes(&r, n, &p)) {
        *why = "ciphered APDU too long";
        return -1;
    }
    uint8_t iv[12], aad[MAX_AAD], t[DLMS_TAG_LEN];
    memcpy(t, p + n, DLMS_TAG_LEN);
    make_iv(iv, systitle, *fc);
    aad[0] = sc;
    memcpy(aad + 1, k->ak, DLMS_KEY_LEN);
    size_t aad_len = 1 + DLMS_KEY_LEN;
    bool ok;
    if (sc == DLMS_SC_AUTH) {
        memcpy(aad + aad_len, p, n);
        aad_len += n;
        ok = gcm(false, k->ek, iv, aad, aad_len, NULL, 0, NULL, t);
        if (ok) memcpy(out, p, n);
    } else {
        ok = gcm(false, k->ek, iv, aad, aad_len, p, n, out, t);
    }
    if (!ok) {
        *why = "authentication tag mismatch (wrong key or system title)";
        return -1;
    }
    return (long)n;
}

bool dlms_hls_gmac(const dlms_keys *k, const uint8_t systitle[8], uint32_t fc,
                   const uint8_t *challenge, size_t len, uint8_t out[DLMS_GMAC_LEN]) {
    uint8_t iv[12], aad[MAX_AAD];
    if (len > MAX_AAD - 1 - DLMS_KEY_LEN) return false;
    make_iv(iv, systitle, fc);
    aad[0] = DLMS_SC_AUTH;
    memcpy(aad + 1, k->ak, DLMS_KEY_LEN);
    memcpy(aad + 1 + DLMS_KEY_LEN, challenge, len);
    out[0] = DLMS_SC_AUTH;
    out[1] = (uint8_t)(fc >> 24);
    out[2] = (uint8_t)(fc >> 16);
    out[3] = (uint8_t)(fc >> 8);
    out[4] = (uint8_t)fc;
    return gcm(true, k->ek, iv, aad, 1 + DLMS_KEY_LEN + len, NULL, 0, NULL, out + 5);
}

bool dlms_hls_gmac_verify(const dlms_keys *k, const uint8_t systitle[8], const uint8_t *challenge,
                          size_t len, const uint8_t *answer, size_t answer_len) {
    uint8_t expect[DLMS_GMAC_LEN];
    if (answer_len != DLMS_GMAC_LEN || answer[0] != DLMS_SC_AUTH) return false;
    uint32_t fc = (uint32_t)answer[1] << 24 | (uint32_t)answer[2] << 16 |
                  (uint32_t)answer[3] << 8 | answer[4];
    if (!dlms_hls_gmac(k, systitle, fc, challenge, len, expect)) return false;
    return memcmp(expect, answer, DLMS_GMAC_LEN) == 0;
}

static int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    c = (char)tolower((unsigned char)c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static bool parse_hex(const char *hex, uint8_t *out, size_t n) {
    if (strlen(hex) != 2 * n) return false;
    for (size_t i = 0; i < n; i++) {
        int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) return false;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return true;
}

bool dlms_key_parse(const char *hex, uint8_t out[DLMS_KEY_LEN]) {
    return parse_hex(hex, out, DLMS_KEY_LEN);
}

bool dlms_systitle_parse(const char *text, uint8_t out[DLMS_SYSTITLE_LEN]) {
    if (strlen(text) == DLMS_SYSTITLE_LEN) {
        memcpy(out, text, DLMS_SYSTITLE_LEN);
        return true;
    }
    return parse_hex(text, out, DLMS_SYSTITLE_LEN);
}
