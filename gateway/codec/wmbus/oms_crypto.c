/* OpenSSL (libcrypto 3) behind the few AES operations OMS needs. The cipher
 * and MAC objects are fetched once per oms_crypto and reused. */
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <stdlib.h>
#include <string.h>
#include "codec/wmbus/oms_crypto.h"

struct oms_crypto {
    EVP_CIPHER_CTX *cipher;
    EVP_CIPHER *cbc, *ctr;
    EVP_MAC *mac;
    EVP_MAC_CTX *mac_ctx;
};

oms_crypto *oms_crypto_new(void) {
    oms_crypto *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->cipher = EVP_CIPHER_CTX_new();
    c->cbc = EVP_CIPHER_fetch(NULL, "AES-128-CBC", NULL);
    c->ctr = EVP_CIPHER_fetch(NULL, "AES-128-CTR", NULL);
    c->mac = EVP_MAC_fetch(NULL, "CMAC", NULL);
    c->mac_ctx = c->mac ? EVP_MAC_CTX_new(c->mac) : NULL;
    /* the CMAC's cipher is set once; each oms_cmac only sets the key */
    char cipher_name[] = "AES-128-CBC";
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_CIPHER, cipher_name, 0),
        OSSL_PARAM_construct_end(),
    };
    if (!c->cipher || !c->cbc || !c->ctr || !c->mac_ctx || !EVP_MAC_CTX_set_params(c->mac_ctx, params)) {
        oms_crypto_free(c);
        return NULL;
    }
    return c;
}

void oms_crypto_free(oms_crypto *c) {
    if (!c)
        return;
    EVP_CIPHER_CTX_free(c->cipher);
    EVP_CIPHER_free(c->cbc);
    EVP_CIPHER_free(c->ctr);
    EVP_MAC_CTX_free(c->mac_ctx);
    EVP_MAC_free(c->mac);
    free(c);
}

static bool run_cipher(oms_crypto *c, const EVP_CIPHER *type, int enc, const uint8_t key[16],
                       const uint8_t iv[16], uint8_t *buf, size_t n) {
    int out_len = 0, final_len = 0;
    if (n > (size_t)INT32_MAX)
        return false;
    if (!EVP_CipherInit_ex2(c->cipher, type, key, iv, enc, NULL))
        return false;
    EVP_CIPHER_CTX_set_padding(c->cipher, 0);
    if (!EVP_CipherUpdate(c->cipher, buf, &out_len, buf, (int)n))
        return false;
    if (!EVP_CipherFinal_ex(c->cipher, buf + out_len, &final_len))
        return false;
    return (size_t)(out_len + final_len) == n;
}

bool oms_cbc_decrypt(oms_crypto *c, const uint8_t key[16], const uint8_t iv[16], uint8_t *buf,
                     size_t n) {
    return n % OMS_BLOCK == 0 && run_cipher(c, c->cbc, 0, key, iv, buf, n);
}

bool oms_cbc_encrypt(oms_crypto *c, const uint8_t key[16], const uint8_t iv[16], uint8_t *buf,
                     size_t n) {
    return n % OMS_BLOCK == 0 && run_cipher(c, c->cbc, 1, key, iv, buf, n);
}

bool oms_ctr(oms_crypto *c, const uint8_t key[16], const uint8_t iv[16], uint8_t *buf, size_t n) {
    return run_cipher(c, c->ctr, 1, key, iv, buf, n);
}

bool oms_cmac(oms_crypto *c, const uint8_t key[16], const uint8_t *data, size_t n,
              uint8_t mac[16]) {
    size_t out_len = 0;
    return EVP_MAC_init(c->mac_ctx, key, OMS_KEY_LEN, NULL) &&
           EVP_MAC_update(c->mac_ctx, data, n) && EVP_MAC_final(c->mac_ctx, mac, &out_len, 16) &&
           out_len == 16;
}

bool oms_kdf(oms_crypto *c, const uint8_t key[16], uint8_t dc, const uint8_t counter[4],
             const uint8_t id[4], uint8_t out[16]) {
    uint8_t input[16];
    input[0] = dc;
    memcpy(input + 1, counter, 4);
    memcpy(input + 5, id, 4);
    memset(input + 9, 0x07, 7);
    return oms_cmac(c, key, input, sizeof input, out);
}
