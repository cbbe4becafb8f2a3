/* The decisions of OMS security: which key, which IV, and what a failed
 * check means. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "codec/wmbus/oms_security.h"
#include "codec/wmbus/wmbus_internal.h"

#define FILLER 0x2F
#define ELL_CC_HOP 0x10
#define ELL_CC_RA 0x02
#define ELL_ENC_CTR 1
#define PAYLOAD_MAX 256

const char *oms_sec_name(oms_sec_outcome s) {
    switch (s) {
    case OMS_SEC_NONE: return "none";
    case OMS_SEC_OK: return "ok";
    case OMS_SEC_NO_KEY: return "no_key";
    case OMS_SEC_WRONG_KEY: return "wrong_key";
    case OMS_SEC_MAC_MISMATCH: return "mac_mismatch";
    case OMS_SEC_PLAIN_FLAGGED: return "plain_flagged_encrypted";
    case OMS_SEC_UNSUPPORTED: return "unsupported";
    case OMS_SEC_MALFORMED: return "malformed";
    }
    return "?";
}

static void outcome(oms_sec_result *res, oms_sec_outcome o, size_t offset, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void outcome(oms_sec_result *res, oms_sec_outcome o, size_t offset, const char *fmt, ...) {
    res->outcome = o;
    res->offset = offset;
    if (!strchr(fmt, '%')) { /* a fixed text (every plain telegram): no formatting */
        size_t n = strlen(fmt);
        n = n < sizeof res->why ? n : sizeof res->why - 1;
        memcpy(res->why, fmt, n);
        res->why[n] = '\0';
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(res->why, sizeof res->why, fmt, ap);
    va_end(ap);
}

bool oms_mode_encrypts(unsigned mode) {
    /* 2/3 DES, 4 reserved for DES, 5 and 7 AES-CBC, 6 reserved, 8 AES-CTR, 9 AES-GCM,
     * 10 AES-CCM, 13 TLS (EN 13757-7 and OMS); the rest are reserved */
    return (mode >= 2 && mode <= 10) || mode == 13;
}

void oms_mode5_iv(const uint8_t ma[8], uint8_t access_number, uint8_t iv[16]) {
    memcpy(iv, ma, 8);
    memset(iv + 8, access_number, 8);
}

void oms_ell_iv(const uint8_t ma[8], uint8_t cc, const uint8_t sn[4], uint8_t iv[16]) {
    memcpy(iv, ma, 8);
    iv[8] = (uint8_t)(cc & ~(ELL_CC_HOP | ELL_CC_RA));
    memcpy(iv + 9, sn, 4);
    iv[13] = iv[14] = iv[15] = 0;
}

static bool starts_plain(const uint8_t *p, size_t n) {
    return n >= 2 && p[0] == FILLER && p[1] == FILLER;
}

/* Mode 7 MAC: CMAC(Kmac, MCL || MCR || [ML] || TPL CI .. end), truncated. */
static bool mac_matches(oms_crypto *c, const uint8_t kmac[16], const wmbus_afl *afl,
                        const uint8_t *msg, size_t len) {
    uint8_t input[1 + 4 + 2 + WMBUS_FRAME_MAX], mac[16];
    size_t n = 0;
    input[n++] = afl->mcl;
    memcpy(input + n, afl->mcr_raw, 4);
    n += 4;
    if (afl->has_ml) {
        memcpy(input + n, afl->ml_raw, 2);
        n += 2;
    }
    if (len > WMBUS_FRAME_MAX)
        return false;
    memcpy(input + n, msg, len);
    n += len;
    return oms_cmac(c, kmac, input, n, mac) && memcmp(mac, afl->mac, afl->mac_len) == 0;
}

/* Decrypt a copy; on success with 2F 2F the caller keeps it. */
static bool try_cbc(oms_crypto *c, const uint8_t key[16], const uint8_t iv[16], const uint8_t *enc,
                    size_t n, uint8_t *plain) {
    memcpy(plain, enc, n);
    return oms_cbc_decrypt(c, key, iv, plain, n) && starts_plain(plain, n);
}

static void mode5(oms_crypto *c, const oms_tpl_job *job, uint8_t *payload, size_t n,
                  uint8_t *plain, oms_sec_result *res) {
    uint8_t iv[16];
    oms_mode5_iv(job->ma, job->tpl->access_number, iv);
    if (try_cbc(c, job->key, iv, payload, n, plain)) {
        memcpy(payload, plain, n);
        outcome(res, OMS_SEC_OK, 0, "decrypted");
    } else if (starts_plain(payload, n)) {
        outcome(res, OMS_SEC_PLAIN_FLAGGED, job->tpl->len,
                "security mode 5 in the header, but the data is not encrypted (starts with 2F 2F)");
    } else {
        outcome(res, OMS_SEC_WRONG_KEY, job->tpl->len,
                "wrong key: decrypted data does not start with 2F 2F");
    }
}

static void mode7(oms_crypto *c, const oms_tpl_job *job, uint8_t *payload, size_t n,
                  uint8_t *plain, oms_sec_result *res) {
    const wmbus_afl *afl = job->afl;
    if (!afl || !afl->has_mcr) {
        outcome(res, OMS_SEC_UNSUPPORTED, 0,
                "security mode 7 needs the message counter of an AFL (CI 0x90), there is none");
        return;
    }
    uint8_t kenc[16], kmac[16], zero_iv[16] = {0};
    if (!oms_kdf(c, job->key, OMS_DC_ENC, afl->mcr_raw, job->id, kenc) ||
        !oms_kdf(c, job->key, OMS_DC_MAC, afl->mcr_raw, job->id, kmac)) {
        outcome(res, OMS_SEC_UNSUPPORTED, 0, "key derivation failed in libcrypto");
        return;
    }
    bool has_mac = afl->has_mac && afl->mac_len > 0;
    bool mac_ok = has_mac && mac_matches(c, kmac, afl, job->msg, job->len);
    bool dec_ok = n == 0 || try_cbc(c, kenc, zero_iv, payload, n, plain);
    if (dec_ok && (mac_ok || !has_mac)) {
        memcpy(payload, plain, n);
        outcome(res, OMS_SEC_OK, 0, has_mac ? "decrypted, MAC verified" : "decrypted, no MAC sent");
    } else if (dec_ok) {
        outcome(res, OMS_SEC_MAC_MISMATCH, 0,
                "MAC mismatch: the data decrypts with this key, but the AFL MAC is not the one computed");
    } else if (starts_plain(payload, n)) {
        outcome(res, OMS_SEC_PLAIN_FLAGGED, job->tpl->len,
                "security mode 7 in the header, but the data is not encrypted (starts with 2F 2F)");
    } else {
        outcome(res, OMS_SEC_WRONG_KEY, job->tpl->len,
                mac_ok ? "MAC verified, but the decrypted data does not start with 2F 2F"
                       : "wrong key: decrypted data does not start with 2F 2F and the MAC differs");
    }
}

void oms_tpl_unprotect(oms_crypto *c, const oms_tpl_job *job, oms_sec_result *res) {
    const wmbus_tpl *tpl = job->tpl;
    outcome(res, OMS_SEC_NONE, 0, "not encrypted");
    if (tpl->kind == WMBUS_TPL_NONE || tpl->mode == 0)
        return;
    uint8_t *payload = job->msg + tpl->len;
    size_t avail = job->len - tpl->len, n = (size_t)tpl->blocks * OMS_BLOCK;
    if (!oms_mode_encrypts(tpl->mode))
        return; /* reserved modes: old wired meters put other data in this word */
    if (tpl->mode != 5 && tpl->mode != 7) {
        if (starts_plain(payload, avail))
            outcome(res, OMS_SEC_PLAIN_FLAGGED, tpl->len,
                    "security mode %u in the header, but the data is not encrypted (starts with 2F 2F)",
                    tpl->mode);
        else
            outcome(res, OMS_SEC_UNSUPPORTED, 3, "security mode %u is not supported", tpl->mode);
        return;
    }
    if (n > avail) {
        outcome(res, OMS_SEC_MALFORMED, job->len,
                "configuration field says %u encrypted blocks (%zu bytes), only %zu bytes follow",
                tpl->blocks, n, avail);
        return;
    }
    if (n == 0 && tpl->mode == 5) {
        outcome(res, OMS_SEC_PLAIN_FLAGGED, 3,
                "security mode 5 with 0 encrypted blocks: nothing is encrypted");
        return;
    }
    if (!job->key) {
        if (starts_plain(payload, avail))
            outcome(res, OMS_SEC_PLAIN_FLAGGED, tpl->len,
                    "security mode %u in the header, but the data is not encrypted (starts with 2F 2F)",
                    tpl->mode);
        else
            outcome(res, OMS_SEC_NO_KEY, tpl->len, "encrypted (mode %u, %u blocks), no key for this meter",
                    tpl->mode, tpl->blocks);
        return;
    }
    uint8_t plain[PAYLOAD_MAX];
    if (n > sizeof plain) {
        outcome(res, OMS_SEC_MALFORMED, tpl->len, "encrypted part of %zu bytes is too long", n);
        return;
    }
    if (tpl->mode == 5)
        mode5(c, job, payload, n, plain, res);
    else
        mode7(c, job, payload, n, plain, res);
}

/* The ELL payload CRC (first two bytes, low byte first) over the rest. */
static bool ell_crc_matches(const uint8_t *payload, size_t len) {
    uint16_t crc = wmbus_crc16(payload + 2, len - 2);
    return payload[0] == (crc & 0xFF) && payload[1] == (crc >> 8);
}

/* Some meters set the encryption bits of the SN but send the payload in the
 * clear: its CRC matches as received. A key that decrypts to a matching CRC
 * wins; the clear-text check decides only when none does (a random match of
 * the 16-bit CRC is 1 in 65536). */
static void plain_or(oms_sec_result *res, oms_sec_outcome o, size_t offset, const char *why,
                     const uint8_t *payload, size_t len) {
    if (ell_crc_matches(payload, len))
        outcome(res, OMS_SEC_PLAIN_FLAGGED, offset,
                "ELL says encrypted (AES-CTR), but the payload CRC matches without decryption");
    else
        outcome(res, o, offset, "%s", why);
}

void oms_ell_unprotect(oms_crypto *c, const wmbus_ell *ell, const uint8_t link_ma[8],
                       const uint8_t *key, uint8_t *payload, size_t len, oms_sec_result *res) {
    outcome(res, OMS_SEC_NONE, 0, "not encrypted");
    if (!ell->has_sn || ell->enc == 0)
        return;
    if (len < 2) {
        outcome(res, OMS_SEC_MALFORMED, ell->len, "encrypted ELL without a payload CRC");
        return;
    }
    if (ell->enc != ELL_ENC_CTR) {
        plain_or(res, OMS_SEC_UNSUPPORTED, 3, "ELL encryption is not supported (only AES-CTR)",
                 payload, len);
        return;
    }
    if (!key) {
        plain_or(res, OMS_SEC_NO_KEY, ell->len, "ELL encrypted (AES-CTR), no key for this meter",
                 payload, len);
        return;
    }
    uint8_t iv[16], plain[WMBUS_FRAME_MAX];
    if (len > sizeof plain) {
        outcome(res, OMS_SEC_MALFORMED, ell->len, "ELL payload too long");
        return;
    }
    oms_ell_iv(link_ma, ell->cc, ell->sn_raw, iv);
    memcpy(plain, payload, len);
    if (!oms_ctr(c, key, iv, plain, len)) {
        outcome(res, OMS_SEC_UNSUPPORTED, 0, "AES-CTR failed in libcrypto");
        return;
    }
    if (!ell_crc_matches(plain, len)) {
        plain_or(res, OMS_SEC_WRONG_KEY, ell->len,
                 "wrong key: the decrypted ELL payload CRC does not match", payload, len);
        return;
    }
    memcpy(payload, plain, len);
    outcome(res, OMS_SEC_OK, 0, "decrypted");
}
