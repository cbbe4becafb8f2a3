/* Wireless M-Bus (EN 13757-4) link layer and the layers OMS puts between it
 * and the application data: frame formats A and B with their block CRCs, the
 * link header (C, M, A), the extended link layer (ELL, CI 0x8C..0x8F), the
 * authentication and fragmentation layer (AFL, CI 0x90) and the transport
 * layer headers (EN 13757-7: none, short, long) of the OMS CIs.
 *
 * Pure: bytes in, structs out. No I/O, no allocation. Pointers in the result
 * structs point into the caller's buffer. Security (decryption, MAC) lives in
 * oms_security.h; this file only says where things are. */
#ifndef WMBUS_H
#define WMBUS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Largest frame with CRCs: L = 255, format A: 255 + 1 + 2 * 17 bytes of CRC. */
#define WMBUS_FRAME_MAX 300
#define WMBUS_LINK_HEADER_LEN 10 /* L C M M A A A A A A */

typedef enum {
    WMBUS_OK = 0,
    WMBUS_ERR_LENGTH,   /* L field does not fit the number of bytes */
    WMBUS_ERR_CRC,      /* a block CRC is wrong */
    WMBUS_ERR_HEADER,   /* a header (link, ELL, AFL, TPL) is cut short */
    WMBUS_ERR_CI,       /* CI not supported */
    WMBUS_ERR_FRAGMENT, /* AFL: a fragment of a longer message */
    WMBUS_ERR_ARGUMENT, /* caller error: buffer too small */
} wmbus_err_code;

typedef struct wmbus_error {
    wmbus_err_code code;
    size_t offset; /* byte offset in the buffer handed to the function */
    char msg[128]; /* reason, without the offset */
} wmbus_error;

/* ---- frame formats ---------------------------------------------------------- */
typedef enum {
    WMBUS_FMT_PLAIN, /* no block CRCs (as delivered by most receivers) */
    WMBUS_FMT_A,     /* format A: CRC after the first 10 bytes and after every 16 */
    WMBUS_FMT_B,     /* format B: CRC after byte 126 (when longer) and at the end */
} wmbus_format;

/* CRC-16 of EN 13757-4 (polynomial 0x3D65, init 0, result inverted). */
uint16_t wmbus_crc16(const uint8_t *data, size_t len);

/* Find the frame format of a wireless frame (L first) and copy it without its
 * CRCs to out (cap >= len); out[0] is rewritten to the L of the plain frame
 * (out_len - 1). The format is decided by the length: L + 1 bytes is format B
 * when its CRCs are right, else plain; the format A length must have right
 * CRCs. Errors: WMBUS_ERR_LENGTH (no format fits, offset 0), WMBUS_ERR_CRC
 * (offset = first CRC byte of the bad block). */
wmbus_err_code wmbus_frame_strip(const uint8_t *in, size_t len, uint8_t *out, size_t cap,
                                 size_t *out_len, wmbus_format *fmt, wmbus_error *err);

/* Add the block CRCs of format A or B to a plain frame (L = len - 1). Returns
 * the new length, 0 when cap is too small or len < 11. For B, L is adjusted to
 * count the CRC bytes. Used by tests and the bench's encoder. */
/* The same for a buffer that may hold bytes after the frame (as some USB
 * receivers deliver it): when len is more than L covers, the frame is the
 * first *used bytes (format A if its first block CRC is right, else B if
 * its CRCs are, else without CRCs) and the rest is left to the caller.
 * *used = len when the frame fits exactly. */
wmbus_err_code wmbus_frame_strip_prefix(const uint8_t *in, size_t len, uint8_t *out, size_t cap,
                                        size_t *out_len, wmbus_format *fmt, size_t *used,
                                        wmbus_error *err);

size_t wmbus_frame_add_crcs(const uint8_t *plain, size_t len, wmbus_format fmt, uint8_t *out,
                            size_t cap);
const char *wmbus_format_name(wmbus_format fmt);

/* ---- addresses -------------------------------------------------------------- */
/* Manufacturer, id, version, device type as transmitted (M 2 bytes LE, then
 * A: id 4 bytes BCD LSB first, version, device type). */
typedef struct wmbus_address {
    uint16_t manufacturer;
    char man[4];
    uint32_t id_bcd;
    char id[9];
    uint8_t version, device_type;
    const uint8_t *raw; /* the 8 bytes M A as transmitted */
} wmbus_address;

/* Read 8 bytes M(2) A(6). */
void wmbus_address_read(const uint8_t *p, wmbus_address *a);

/* ---- link layer ------------------------------------------------------------- */
typedef struct wmbus_link {
    uint8_t l, c;
    wmbus_address addr;
} wmbus_link;

/* Parse the link header of a plain frame (after wmbus_frame_strip). CI is at
 * WMBUS_LINK_HEADER_LEN. */
wmbus_err_code wmbus_link_parse(const uint8_t *f, size_t len, wmbus_link *out, wmbus_error *err);
/* "SND_NR", "RSP_UD", ... for a wireless C field; NULL when not named. */
const char *wmbus_c_name(uint8_t c);

/* ---- CI classes --------------------------------------------------------------- */
bool wmbus_ci_is_ell(uint8_t ci);
#define WMBUS_CI_AFL 0x90

/* ---- extended link layer (CI 0x8C..0x8F) -------------------------------------- */
typedef struct wmbus_ell {
    uint8_t ci;
    uint8_t cc, acc;
    bool has_addr;        /* 0x8E / 0x8F: M and A of the sender */
    wmbus_address addr;
    bool has_sn;          /* 0x8D / 0x8F: session number and encrypted payload */
    uint32_t sn;
    const uint8_t *sn_raw;
    unsigned enc;         /* SN bits 29..31: 0 none, 1 AES-128-CTR */
    size_t len;           /* bytes from the CI up to the payload CRC (or the next CI) */
} wmbus_ell;

/* Parse the ELL at p[0] (the CI). For 0x8D/0x8F the payload CRC (2 bytes,
 * encrypted when enc != 0) follows at p[len]. */
wmbus_err_code wmbus_ell_parse(const uint8_t *p, size_t n, wmbus_ell *out, wmbus_error *err);

/* ---- authentication and fragmentation layer (CI 0x90) ------------------------- */
typedef struct wmbus_afl {
    uint8_t afl_len;       /* AFL.L: bytes after it */
    uint16_t fcl;
    bool more_fragments;
    uint8_t fragment_id;
    bool has_mcl, has_ki, has_mcr, has_mac, has_ml;
    uint8_t mcl;
    uint16_t ki;
    uint32_t mcr;          /* message counter */
    const uint8_t *mcl_raw, *mcr_raw, *ml_raw, *mac;
    uint8_t mac_len;
    unsigned auth_type;    /* MCL bits 0..3 */
    uint16_t ml;           /* message length */
    size_t len;            /* bytes from the CI to the next CI */
} wmbus_afl;

/* MAC length for an AFL authentication type; 0 for none/reserved. */
unsigned wmbus_afl_mac_len(unsigned auth_type);
wmbus_err_code wmbus_afl_parse(const uint8_t *p, size_t n, wmbus_afl *out, wmbus_error *err);

/* ---- transport layer (EN 13757-7) --------------------------------------------- */
typedef enum { WMBUS_TPL_NONE, WMBUS_TPL_SHORT, WMBUS_TPL_LONG } wmbus_tpl_kind;

typedef struct wmbus_tpl {
    uint8_t ci;
    wmbus_tpl_kind kind;
    bool has_apl;          /* false for the transport-only CIs 0x8A/0x8B */
    wmbus_address addr;    /* long header only */
    uint8_t access_number, status;
    uint16_t cf;           /* configuration field */
    unsigned mode;         /* security mode, CF bits 8..12 */
    unsigned blocks;       /* encrypted 16-byte blocks, CF bits 4..7 */
    bool has_cfe;          /* mode 7: configuration field extension */
    uint8_t cfe;
    size_t len;            /* bytes from the CI to the application data */
} wmbus_tpl;

/* What follows the transport header of a CI. */
typedef enum {
    WMBUS_APL_RECORDS, /* EN 13757-3 variable data records */
    WMBUS_APL_COMPACT, /* EN 13757-3 compact frame: format signature, frame CRC, data
                        * without DIF/VIF (the format comes in a format frame) */
    WMBUS_APL_FORMAT,  /* EN 13757-3 format frame: the DIF/VIF of compact frames */
    WMBUS_APL_ALARM,
    WMBUS_APL_ERROR,   /* application error from the device */
    WMBUS_APL_NONE,    /* transport layer only */
    WMBUS_APL_OTHER,   /* COSEM, OBIS, commands to a device, clock synchronisation,
                        * image and security information transfer: not decoded here */
} wmbus_apl_kind;

typedef struct wmbus_ci_info {
    uint8_t ci;
    wmbus_tpl_kind header;
    wmbus_apl_kind apl;
    bool to_device;   /* sent to a meter (commands, selection, ...): not decoded */
    const char *name; /* snake_case, e.g. "compact_frame" */
} wmbus_ci_info;

/* The EN 13757-7 / OMS CI table entry with a transport header; NULL for the
 * CIs without one (ELL, AFL, 0x70, manufacturer specific, reserved). */
const wmbus_ci_info *wmbus_ci_info_of(uint8_t ci);

/* Header kind of a CI that carries a transport header (0x72 long, 0x7A short,
 * 0x78 none, and every other CI of wmbus_ci_info_of that a meter sends); false
 * for other CIs and for those sent to a meter. */
bool wmbus_tpl_kind_of(uint8_t ci, wmbus_tpl_kind *kind, bool *has_apl);
wmbus_err_code wmbus_tpl_parse(const uint8_t *p, size_t n, wmbus_tpl *out, wmbus_error *err);
#endif
