/* dlms_cipher: DLMS security suite 0 (AES-GCM-128) for glo-ciphered APDUs and
 * HLS-GMAC authentication (Green Book "Cryptographic protection").
 *
 *   ciphered APDU = glo tag | length | SC | frame counter (4) | ciphertext | tag (12)
 *   IV = system title (8) | frame counter (4)
 *   AAD = SC | AK (encryption + authentication), SC | AK | plaintext (authentication only)
 * Pure computation with OpenSSL libcrypto: no I/O, no clock. */
#ifndef DLMS_CIPHER_H
#define DLMS_CIPHER_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DLMS_KEY_LEN 16
#define DLMS_SYSTITLE_LEN 8
#define DLMS_TAG_LEN 12
#define DLMS_SC_AUTH 0x10
#define DLMS_SC_ENCRYPT 0x20
#define DLMS_SC_AUTH_ENCRYPT 0x30

typedef struct dlms_keys {
    uint8_t ek[DLMS_KEY_LEN];  /* global unicast encryption key */
    uint8_t ak[DLMS_KEY_LEN];  /* authentication key */
} dlms_keys;

/* The glo-ciphered tag for a plain APDU tag (C0 -> C8, 01 -> 21, ...); 0 when none. */
uint8_t dlms_glo_tag(uint8_t plain_tag);

/* Protect plain (SC 0x30 or 0x10) into out as a complete glo APDU. Returns the
 * length, 0 when out is too small or the tag has no glo form. */
size_t dlms_cipher_protect(const dlms_keys *k, const uint8_t systitle[8], uint32_t fc, uint8_t sc,
                           const uint8_t *plain, size_t len, uint8_t *out, size_t cap);

/* Check and decrypt a glo APDU (from the peer with systitle) into out.
 * Returns the plaintext length, or -1 with *why ("authentication tag mismatch",
 * ...). *fc gets the frame counter the peer used. */
long dlms_cipher_unprotect(const dlms_keys *k, const uint8_t systitle[8], const uint8_t *in,
                           size_t len, uint8_t *out, size_t cap, uint32_t *fc, const char **why);

/* HLS-GMAC: f(challenge) = SC (0x10) | FC | GMAC over SC | AK | challenge with
 * IV = systitle | FC. Writes 17 bytes. */
#define DLMS_GMAC_LEN (1 + 4 + DLMS_TAG_LEN)
bool dlms_hls_gmac(const dlms_keys *k, const uint8_t systitle[8], uint32_t fc,
                   const uint8_t *challenge, size_t len, uint8_t out[DLMS_GMAC_LEN]);
/* Verify a peer's f(challenge) (17 bytes from systitle). */
bool dlms_hls_gmac_verify(const dlms_keys *k, const uint8_t systitle[8], const uint8_t *challenge,
                          size_t len, const uint8_t *answer, size_t answer_len);

/* Parse 32 hex digits into a key; false when malformed. */
bool dlms_key_parse(const char *hex, uint8_t out[DLMS_KEY_LEN]);
/* Parse 16 hex digits (or 8 printable chars) into a system title. */
bool dlms_systitle_parse(const char *text, uint8_t out[DLMS_SYSTITLE_LEN]);
#endif
