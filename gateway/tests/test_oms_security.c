/* OMS security: AES-CMAC against RFC 4493, and telegrams protected by this
 * test with OpenSSL directly (its own KDF, CBC, CTR and CMAC calls, not the
 * gateway's) decoded by the gateway's decode path: mode 7 (security profile
 * B: KDF, zero IV, AFL CMAC), mode 5, the encrypted ELL, and every distinct
 * outcome (ok, no_key, wrong_key, mac_mismatch, plain_flagged_encrypted). */
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <stdio.h>
#include "codec/decode/decode.h"
#include "tests/test.h"

static telegram tg;

/* ---- independent crypto, straight from OpenSSL ---------------------------- */
static void ref_cmac(const uint8_t key[16], const uint8_t *msg, size_t n, uint8_t out[16]) {
    EVP_MAC *mac = EVP_MAC_fetch(NULL, "CMAC", NULL);
    EVP_MAC_CTX *ctx = EVP_MAC_CTX_new(mac);
    char cipher[] = "aes-128-cbc";
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string("cipher", cipher, 0),
                           OSSL_PARAM_construct_end()};
    size_t len = 0;
    EVP_MAC_init(ctx, key, 16, params);
    EVP_MAC_update(ctx, msg, n);
    EVP_MAC_final(ctx, out, &len, 16);
    EVP_MAC_CTX_free(ctx);
    EVP_MAC_free(mac);
}

static void ref_cipher(const EVP_CIPHER *type, const uint8_t key[16], const uint8_t iv[16],
                       uint8_t *buf, size_t n) {
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int len = 0, fin = 0;
    EVP_EncryptInit_ex(ctx, type, NULL, key, iv);
    EVP_CIPHER_CTX_set_padding(ctx, 0);
    EVP_EncryptUpdate(ctx, buf, &len, buf, (int)n);
    EVP_EncryptFinal_ex(ctx, buf + len, &fin);
    EVP_CIPHER_CTX_free(ctx);
}

/* ---- RFC 4493 -------------------------------------------------------------- */
static void test_cmac_rfc4493(void) {
    const uint8_t key[16] = {0x2b, 0x7e, 0x15, 0x16, 0x28, 0xae, 0xd2, 0xa6,
                             0xab, 0xf7, 0x15, 0x88, 0x09, 0xcf, 0x4f, 0x3c};
    const uint8_t msg[16] = {0x6b, 0xc1, 0xbe, 0xe2, 0x2e, 0x40, 0x9f, 0x96,
                             0xe9, 0x3d, 0x7e, 0x11, 0x73, 0x93, 0x17, 0x2a};
    const uint8_t want_empty[16] = {0xbb, 0x1d, 0x69, 0x29, 0xe9, 0x59, 0x37, 0x28,
                                    0x7f, 0xa3, 0x7d, 0x12, 0x9b, 0x75, 0x67, 0x46};
    const uint8_t want_16[16] = {0x07, 0x0a, 0x16, 0xb4, 0x6b, 0x4d, 0x41, 0x44,
                                 0xf7, 0x9b, 0xdd, 0x9d, 0xd0, 0x4a, 0x28, 0x7c};
    oms_crypto *c = oms_crypto_new();
    uint8_t mac[16];
    CHECK(oms_cmac(c, key, msg, 0, mac) && memcmp(mac, want_empty, 16) == 0);
    CHECK(oms_cmac(c, key, msg, 16, mac) && memcmp(mac, want_16, 16) == 0);
    oms_crypto_free(c);
}

/* ---- a mode 7 telegram ------------------------------------------------------ */
static const uint8_t meter_key[16] = {0x10, 0x21, 0x32, 0x43, 0x54, 0x65, 0x76, 0x87,
                                      0x98, 0xA9, 0xBA, 0xCB, 0xDC, 0xED, 0xFE, 0x0F};

/* Records in the clear: 2F 2F, energy 12345 Wh (04 03), volume 2.5 m3
 * (04 13 = l), padding 2F to two blocks; then a plain record after the
 * encrypted part: customer location 87654321 (0C FD 10). */
static const uint8_t records[] = {0x2F, 0x2F, 0x04, 0x03, 0x39, 0x30, 0x00, 0x00,
                                  0x04, 0x13, 0xC4, 0x09, 0x00, 0x00, 0x2F, 0x2F,
                                  0x2F, 0x2F, 0x2F, 0x2F, 0x2F, 0x2F, 0x2F, 0x2F,
                                  0x2F, 0x2F, 0x2F, 0x2F, 0x2F, 0x2F, 0x2F, 0x2F};
static const uint8_t plain_tail[] = {0x0C, 0xFD, 0x10, 0x21, 0x43, 0x65, 0x87};

/* Link: L 44 KAM 78563412 v=0x1B type=0x07 (water). AFL: 90 0F FCL=2C00
 * (MCL, MCR, MAC present) MCL=25 (counter in MAC, AT 5 = CMAC 8 bytes)
 * MCR=00 00 12 34 (counter 0x34120000) MAC(8). TPL: 7A 5C 00 CF=0720 (mode 7,
 * 2 blocks) CFE=10 (KDF 1). */
static size_t build_mode7(uint8_t *f, bool encrypt, const uint8_t key[16]) {
    static const uint8_t head[] = {0x00, 0x44, 0x2D, 0x2C, 0x78, 0x56, 0x34, 0x12, 0x1B, 0x07,
                                   0x90, 0x0F, 0x00, 0x2C, 0x25, 0x00, 0x00, 0x12, 0x34};
    size_t n = 0;
    memcpy(f, head, sizeof head);
    n = sizeof head;
    size_t mac_at = n;
    memset(f + n, 0, 8);
    n += 8;
    size_t tpl_at = n;
    const uint8_t tpl[] = {0x7A, 0x5C, 0x00, 0x20, 0x07, 0x10};
    memcpy(f + n, tpl, sizeof tpl);
    n += sizeof tpl;
    size_t enc_at = n;
    memcpy(f + n, records, sizeof records);
    n += sizeof records;
    memcpy(f + n, plain_tail, sizeof plain_tail);
    n += sizeof plain_tail;
    f[0] = (uint8_t)(n - 1);

    /* Kenc / Kmac: CMAC(key, DC || MCR || ID || 07 x 7), ID = link id as sent */
    uint8_t in[16], kenc[16], kmac[16];
    in[0] = 0x00;
    memcpy(in + 1, f + 15, 4);
    memcpy(in + 5, f + 4, 4);
    memset(in + 9, 0x07, 7);
    ref_cmac(key, in, 16, kenc);
    in[0] = 0x01;
    ref_cmac(key, in, 16, kmac);
    if (encrypt) {
        uint8_t zero[16] = {0};
        ref_cipher(EVP_aes_128_cbc(), kenc, zero, f + enc_at, sizeof records);
    }
    /* MAC over MCL || MCR || TPL CI .. end */
    uint8_t mac_in[256], mac[16];
    size_t m = 0;
    mac_in[m++] = f[14];
    memcpy(mac_in + m, f + 15, 4);
    m += 4;
    memcpy(mac_in + m, f + tpl_at, n - tpl_at);
    m += n - tpl_at;
    ref_cmac(kmac, mac_in, m, mac);
    memcpy(f + mac_at, mac, 8);
    return n;
}

static decoder *with_key(const uint8_t *key) {
    decoder *d = decoder_new();
    if (key) {
        d->keys.has_default = true;
        memcpy(d->keys.default_key, key, 16);
    }
    return d;
}

static bool json_has(const char *needle) {
    static char json[DECODE_JSON_MAX];
    decode_json(&tg, json, sizeof json);
    bool found = strstr(json, needle) != NULL;
    if (!found)
        fprintf(stderr, "  JSON without %s: %s\n", needle, json);
    return found;
}

static void test_mode7(void) {
    uint8_t f[256];
    size_t n = build_mode7(f, true, meter_key);
    decoder *d = with_key(meter_key);
    CHECK(decode_telegram(d, f, n, &tg));
    CHECK_INT(tg.sec.outcome, OMS_SEC_OK);
    CHECK_INT(tg.tpl.mode, 7);
    CHECK_INT(tg.afl.mcr, 0x34120000);
    CHECK_INT(tg.app.n_records, 3);
    if (tg.app.n_records == 3) {
        CHECK_STR(tg.app.records[0].quantity, "energy");
        CHECK_NEAR(tg.app.records[0].value, 12345, 0);
        CHECK_STR(tg.app.records[1].unit, "m3");
        CHECK_NEAR(tg.app.records[1].value, 2.5, 1e-12);
        CHECK_STR(tg.app.records[2].quantity, "customer_location");
        CHECK_INT(tg.app.records[2].raw_int, 87654321);
    }
    CHECK(json_has("\"security\":\"ok\""));
    CHECK(json_has("\"security_mode\":7"));

    /* a wrong MAC byte: decrypts, but the MAC differs */
    f[20] ^= 0x01;
    CHECK(!decode_telegram(d, f, n, &tg));
    CHECK_INT(tg.sec.outcome, OMS_SEC_MAC_MISMATCH);
    CHECK(json_has("\"security\":\"mac_mismatch\""));
    CHECK_INT(tg.app.n_records, 0);
    f[20] ^= 0x01;

    /* a changed plain record after the encrypted blocks: the MAC covers it */
    f[n - 1] ^= 0x10;
    CHECK(!decode_telegram(d, f, n, &tg));
    CHECK_INT(tg.sec.outcome, OMS_SEC_MAC_MISMATCH);
    f[n - 1] ^= 0x10;

    /* a changed message counter changes both keys: wrong key, not MAC */
    f[16] ^= 0x01;
    CHECK(!decode_telegram(d, f, n, &tg));
    CHECK_INT(tg.sec.outcome, OMS_SEC_WRONG_KEY);
    f[16] ^= 0x01;
    decoder_free(d);

    uint8_t other[16];
    memcpy(other, meter_key, 16);
    other[0] ^= 0x80;
    d = with_key(other);
    CHECK(!decode_telegram(d, f, n, &tg));
    CHECK_INT(tg.sec.outcome, OMS_SEC_WRONG_KEY);
    CHECK(json_has("\"security\":\"wrong_key\""));
    decoder_free(d);

    d = with_key(NULL);
    CHECK(!decode_telegram(d, f, n, &tg));
    CHECK_INT(tg.sec.outcome, OMS_SEC_NO_KEY);
    CHECK(json_has("\"security\":\"no_key\""));
    decoder_free(d);

    /* header says mode 7, the data was never encrypted */
    n = build_mode7(f, false, meter_key);
    d = with_key(meter_key);
    CHECK(decode_telegram(d, f, n, &tg));
    CHECK_INT(tg.sec.outcome, OMS_SEC_PLAIN_FLAGGED);
    CHECK(json_has("\"security\":\"plain_flagged_encrypted\""));
    CHECK_INT(tg.app.n_records, 3);
    decoder_free(d);

    /* the same frame with format A CRCs decodes the same */
    n = build_mode7(f, true, meter_key);
    uint8_t with_crc[WMBUS_FRAME_MAX];
    size_t m = wmbus_frame_add_crcs(f, n, WMBUS_FMT_A, with_crc, sizeof with_crc);
    d = with_key(meter_key);
    CHECK(m > n && decode_telegram(d, with_crc, m, &tg));
    CHECK_INT(tg.format, WMBUS_FMT_A);
    CHECK_INT(tg.sec.outcome, OMS_SEC_OK);
    decoder_free(d);
}

/* Mode 5 header over plain data: not "wrong key". Annex N.2.1's header with
 * the records of N.2.2 in the clear. */
static void test_plain_flagged_mode5(void) {
    uint8_t f[64] = {0x00, 0x44, 0x93, 0x15, 0x78, 0x56, 0x34, 0x12, 0x33, 0x03,
                     0x7A, 0x2A, 0x00, 0x20, 0x25, 0x2F, 0x2F, 0x0C, 0x14, 0x27,
                     0x04, 0x85, 0x02, 0x04, 0x6D, 0x32, 0x37, 0x1F, 0x15, 0x02,
                     0xFD, 0x17, 0x00, 0x00};
    size_t n = 34;
    while (n < 15 + 32)
        f[n++] = 0x2F;
    f[0] = (uint8_t)(n - 1);
    decoder *d = with_key(meter_key);
    CHECK(decode_telegram(d, f, n, &tg));
    CHECK_INT(tg.sec.outcome, OMS_SEC_PLAIN_FLAGGED);
    CHECK_INT(tg.app.n_records, 3);
    CHECK_NEAR(tg.app.records[0].value, 28504.27, 1e-9);
    decoder_free(d);
    d = with_key(NULL);
    CHECK(decode_telegram(d, f, n, &tg));
    CHECK_INT(tg.sec.outcome, OMS_SEC_PLAIN_FLAGGED);
    decoder_free(d);
    /* more blocks announced than there are bytes: malformed, with offset */
    f[13] = 0x40; /* 4 blocks */
    d = with_key(meter_key);
    CHECK(!decode_telegram(d, f, n, &tg));
    CHECK_INT(tg.sec.outcome, OMS_SEC_MALFORMED);
    CHECK(tg.has_error && strstr(tg.error, "4 encrypted blocks") != NULL);
    decoder_free(d);
}

/* ELL with session number, AES-CTR: IV = M A CC SN 00 00 00, payload CRC
 * (low byte first) over the rest of the payload, both encrypted. */
static void test_ell_ctr(void) {
    uint8_t f[128] = {0x00, 0x44, 0x2D, 0x2C, 0x78, 0x56, 0x34, 0x12, 0x1B, 0x16,
                      0x8D, 0x30, 0x07, 0x11, 0x22, 0x33, 0x20};
    size_t n = 17, crc_at = n;
    n += 2;
    const uint8_t payload[] = {0x7A, 0x07, 0x00, 0x00, 0x00, 0x04, 0x13, 0xE8, 0x03, 0x00, 0x00,
                               0x02, 0x5A, 0xD2, 0x00};
    memcpy(f + n, payload, sizeof payload);
    n += sizeof payload;
    f[0] = (uint8_t)(n - 1);
    uint16_t crc = wmbus_crc16(f + crc_at + 2, n - crc_at - 2);
    f[crc_at] = (uint8_t)crc, f[crc_at + 1] = (uint8_t)(crc >> 8);
    uint8_t iv[16] = {0x2D, 0x2C, 0x78, 0x56, 0x34, 0x12, 0x1B, 0x16,
                      0x30 & ~0x12, 0x11, 0x22, 0x33, 0x20, 0, 0, 0};
    ref_cipher(EVP_aes_128_ctr(), meter_key, iv, f + crc_at, n - crc_at);
    decoder *d = with_key(meter_key);
    CHECK(decode_telegram(d, f, n, &tg));
    CHECK_INT(tg.ell_sec.outcome, OMS_SEC_OK);
    CHECK_INT(tg.ell.sn, 0x20332211);
    CHECK_INT(tg.app.n_records, 2);
    if (tg.app.n_records == 2) {
        CHECK_NEAR(tg.app.records[0].value, 1.0, 1e-12);
        CHECK_STR(tg.app.records[1].quantity, "flow_temperature");
        CHECK_NEAR(tg.app.records[1].value, 21.0, 1e-12);
    }
    decoder_free(d);
    uint8_t other[16] = {0};
    d = with_key(other);
    CHECK(!decode_telegram(d, f, n, &tg));
    CHECK_INT(tg.ell_sec.outcome, OMS_SEC_WRONG_KEY);
    CHECK(json_has("\"security\":\"wrong_key\""));
    decoder_free(d);
    d = with_key(NULL);
    CHECK(!decode_telegram(d, f, n, &tg));
    CHECK_INT(tg.ell_sec.outcome, OMS_SEC_NO_KEY);
    decoder_free(d);
}

/* Keys by meter id win over the default key. */
static void test_key_table(void) {
    decode_keys k = {0};
    char why[64];
    CHECK(decode_keys_add_line(&k, "# comment", why, sizeof why));
    CHECK(decode_keys_add_line(&k, "12345678 000102030405060708090A0B0C0D0E0F", why, sizeof why));
    CHECK(!decode_keys_add_line(&k, "1234567 000102030405060708090A0B0C0D0E0F", why, sizeof why));
    CHECK_STR(why, "1: meter id must be 8 digits");
    CHECK(!decode_keys_add_line(&k, "12345678 0001", why, sizeof why));
    CHECK_STR(why, "10: key must be 32 hex digits");
    CHECK(decode_keys_find(&k, 0x12345678) != NULL && decode_keys_find(&k, 0x12345678)[15] == 0x0F);
    CHECK(decode_keys_find(&k, 0x11111111) == NULL);
    k.has_default = true;
    CHECK(decode_keys_find(&k, 0x11111111) == k.default_key);
}

int main(void) {
    test_cmac_rfc4493();
    test_mode7();
    test_plain_flagged_mode5();
    test_ell_ctr();
    test_key_table();
    return test_summary("test_oms_security");
}
