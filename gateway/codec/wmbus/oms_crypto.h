/* AES-128 building blocks of OMS security, on OpenSSL's libcrypto: CBC
 * without padding, CTR, CMAC and the OMS key derivation. One oms_crypto holds
 * the OpenSSL contexts so decoding allocates nothing per telegram; it is not
 * shared between threads. */
#ifndef OMS_CRYPTO_H
#define OMS_CRYPTO_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define OMS_KEY_LEN 16
#define OMS_BLOCK 16

typedef struct oms_crypto oms_crypto;

oms_crypto *oms_crypto_new(void);
void oms_crypto_free(oms_crypto *c);

/* AES-128-CBC over n bytes (a multiple of 16), in place, no padding. */
bool oms_cbc_decrypt(oms_crypto *c, const uint8_t key[16], const uint8_t iv[16], uint8_t *buf,
                     size_t n);
bool oms_cbc_encrypt(oms_crypto *c, const uint8_t key[16], const uint8_t iv[16], uint8_t *buf,
                     size_t n);
/* AES-128-CTR over n bytes in place (the same both ways); the counter is the
 * whole 16-byte IV, incremented big-endian per block. */
bool oms_ctr(oms_crypto *c, const uint8_t key[16], const uint8_t iv[16], uint8_t *buf, size_t n);
/* AES-CMAC (RFC 4493) of n bytes. */
bool oms_cmac(oms_crypto *c, const uint8_t key[16], const uint8_t *data, size_t n,
              uint8_t mac[16]);

/* OMS key derivation: CMAC(key, DC || C(4) || ID(4) || 07 x 7). DC 0x00 gives
 * Kenc, 0x01 Kmac (meter to partner). counter and id as transmitted. */
#define OMS_DC_ENC 0x00
#define OMS_DC_MAC 0x01
bool oms_kdf(oms_crypto *c, const uint8_t key[16], uint8_t dc, const uint8_t counter[4],
             const uint8_t id[4], uint8_t out[16]);
#endif
