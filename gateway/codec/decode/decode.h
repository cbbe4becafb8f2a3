/* Telegram decoding: one wired M-Bus frame (68.../10.../E5) or one wireless
 * M-Bus frame (L first, with or without block CRCs) in, everything the
 * gateway knows about it out: link, ELL, AFL, transport header, security
 * outcome and the records. The same decoder serves `gwd decode`, the bench
 * and the gateway.
 *
 * Pure: bytes and keys in, a telegram struct (and JSON text) out. No I/O, no
 * clock, no allocation per telegram (the decoder's OpenSSL contexts are made
 * once by decoder_new). */
#ifndef DECODE_H
#define DECODE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "codec/mbus/mbus_app.h"
#include "codec/wmbus/oms_security.h"
#include "codec/wmbus/wmbus.h"

#define DECODE_MAX_KEYS 4096

typedef struct decode_key {
    uint32_t id_bcd; /* meter id as BCD, e.g. 0x12345678 */
    uint8_t key[OMS_KEY_LEN];
} decode_key;

typedef struct decode_keys {
    bool has_default; /* --key: used when no per-meter key matches */
    uint8_t default_key[OMS_KEY_LEN];
    size_t n;
    decode_key keys[DECODE_MAX_KEYS]; /* sorted by id_bcd: found by binary search */
} decode_keys;

/* 32 hex digits (spaces allowed between bytes) -> 16 bytes. */
bool decode_parse_key(const char *hex, uint8_t key[OMS_KEY_LEN]);
/* One line of a key file: "ID KEY" (8 digit meter id, 32 hex digit key);
 * blank lines and lines starting with # are fine. false with *why set on a
 * bad line (why names the column). */
bool decode_keys_add_line(decode_keys *k, const char *line, char *why, size_t why_cap);
/* Key for a meter id, else the default key, else NULL. A meter listed twice
 * keeps its first key. */
const uint8_t *decode_keys_find(const decode_keys *k, uint32_t id_bcd);

typedef struct decoder {
    oms_crypto *crypto;
    decode_keys keys;
} decoder;

/* NULL when libcrypto cannot give AES/CMAC. */
decoder *decoder_new(void);
void decoder_free(decoder *d);

typedef enum { TELEGRAM_MBUS, TELEGRAM_WMBUS } telegram_kind;

typedef struct telegram {
    telegram_kind kind;
    uint8_t buf[WMBUS_FRAME_MAX]; /* the frame without CRCs, decrypted in place */
    size_t len;
    /* link layer */
    wmbus_format format;          /* wireless: which CRCs it came with */
    uint8_t c;
    const char *c_name;           /* "RSP_UD", ...; NULL when not named */
    bool has_c;
    bool has_address;             /* wired: primary address */
    uint8_t address;
    bool has_link;                /* wireless link header */
    wmbus_link link;
    bool has_ell;
    wmbus_ell ell;
    oms_sec_result ell_sec;
    bool has_afl;
    wmbus_afl afl;
    /* transport and application layer */
    bool has_ci;
    uint8_t ci;
    size_t ci_pos;                /* offset of the application CI in buf */
    bool has_tpl;
    wmbus_tpl tpl;
    bool has_meter;               /* id of the meter: long header, else link */
    wmbus_address meter;
    oms_sec_result sec;           /* transport layer security */
    const uint8_t *alarm;         /* alarm CIs: the alarm bytes */
    size_t alarm_len;
    const wmbus_ci_info *ci_info; /* the CI's table entry (NULL: none, e.g. wired 0x73) */
    const uint8_t *apl_data;      /* payload shown as hex: format frames, COSEM, OBIS, ... */
    size_t apl_len;
    bool has_compact;             /* compact frame (CI 0x73/0x79/0x7B) */
    uint16_t format_signature, frame_crc;
    const uint8_t *compact_data;  /* the values, without DIF/VIF */
    size_t compact_len;
    mbus_data app;                /* records */
    /* bytes after the frame its L field covers (some receivers append them) */
    uint8_t trailing[WMBUS_FRAME_MAX];
    size_t trailing_len;
    /* first error; records decoded before it are kept */
    bool has_error;
    size_t error_offset;          /* in buf (wired: from the 68; wireless: L = 0, no CRCs) */
    char error[192];
} telegram;

/* Decode one telegram. Returns true when it decoded without error. */
bool decode_telegram(decoder *d, const uint8_t *bytes, size_t len, telegram *t);

/* The security outcome name of the telegram as a whole: the transport
 * layer's, or the ELL's when that is what failed. */
const char *decode_security_name(const telegram *t);

/* One JSON object (one line, no newline) into out. Returns its length, or 0
 * when cap is too small (DECODE_JSON_MAX is always enough). */
#define DECODE_JSON_MAX 65536
size_t decode_json(const telegram *t, char *out, size_t cap);

/* Hex text (spaces, tabs allowed; "0x" not) to bytes. Returns the count, or
 * -1 with *bad_col (0-based) at the first character that is not hex or when
 * the digits are odd in number. */
long decode_hex_text(const char *text, uint8_t *out, size_t cap, size_t *bad_col);
#endif
