/* OMS security (OMS Vol.2, EN 13757-7): decrypting and authenticating the
 * transport layer (mode 5: AES-128-CBC with IV from the header; mode 7: keys
 * derived from the message counter, AES-128-CBC with zero IV, CMAC in the
 * AFL) and the encrypted extended link layer (AES-128-CTR).
 *
 * Every call ends in one explicit outcome; "wrong key" is only said when a
 * key was tried and the plaintext check failed while nothing else explains
 * it. The plaintext is written in place only when the outcome is OK. */
#ifndef OMS_SECURITY_H
#define OMS_SECURITY_H
#include "codec/wmbus/oms_crypto.h"
#include "codec/wmbus/wmbus.h"

typedef enum {
    OMS_SEC_NONE,          /* not protected */
    OMS_SEC_OK,            /* decrypted (and MAC verified when there is one) */
    OMS_SEC_NO_KEY,        /* protected, no key for this meter */
    OMS_SEC_WRONG_KEY,     /* plaintext check failed (no 2F 2F / payload CRC) */
    OMS_SEC_MAC_MISMATCH,  /* decrypts fine, but the AFL MAC is not the one computed */
    OMS_SEC_PLAIN_FLAGGED, /* the header says encrypted, the data is plain (2F 2F) */
    OMS_SEC_UNSUPPORTED,   /* a mode or layout this decoder cannot undo */
    OMS_SEC_MALFORMED,     /* the encrypted length runs past the data */
} oms_sec_outcome;

const char *oms_sec_name(oms_sec_outcome s);

typedef struct oms_sec_result {
    oms_sec_outcome outcome;
    size_t offset;  /* where the problem is, from msg[0] (TPL) or the ELL CI */
    char why[128];  /* one line for the user when outcome is not NONE/OK */
} oms_sec_result;

/* Transport layer. msg..msg+len runs from the TPL CI to the end of the
 * frame; the payload after tpl->len is decrypted in place. ma = M(2) A(6) of
 * the meter in link-layer order (mode 5 IV), id = the meter id as
 * transmitted (mode 7 KDF). afl may be NULL; key NULL means no key. */
typedef struct oms_tpl_job {
    const wmbus_tpl *tpl;
    const wmbus_afl *afl;
    const uint8_t *ma;
    const uint8_t *id;
    const uint8_t *key;
    uint8_t *msg;
    size_t len;
} oms_tpl_job;

void oms_tpl_unprotect(oms_crypto *c, const oms_tpl_job *job, oms_sec_result *res);

/* Does a security mode encrypt the data? Reserved modes do not: wired meters
 * written before EN 13757-7 send other things in the configuration word. */
bool oms_mode_encrypts(unsigned mode);

/* The mode 5 IV: M A (8 bytes) then 8 times the access number. */
void oms_mode5_iv(const uint8_t ma[8], uint8_t access_number, uint8_t iv[16]);
/* The ELL IV: M A, CC without hop/repeated-access bits, SN, FN 0, BC 0. */
void oms_ell_iv(const uint8_t ma[8], uint8_t cc, const uint8_t sn[4], uint8_t iv[16]);

/* Encrypted ELL: payload = from the payload CRC to the end of the frame,
 * decrypted in place when the payload CRC then matches. */
void oms_ell_unprotect(oms_crypto *c, const wmbus_ell *ell, const uint8_t link_ma[8],
                       const uint8_t *key, uint8_t *payload, size_t len, oms_sec_result *res);
#endif
