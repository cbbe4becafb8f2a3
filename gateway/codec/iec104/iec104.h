/* iec104: a pure codec for IEC 60870-5-104 — the APCI (I, S and U frames with
 * their sequence numbers) and the ASDUs of IEC 60870-5-101/104 a metering
 * gateway serves. Bytes in, structs out, and back: no I/O, no clock, no malloc.
 *
 * Fixed profile (the 104 standard's, and what every master expects):
 * cause of transmission 2 octets (cause + P/N + T, originator address),
 * common address 2 octets, information object address 3 octets. */
#ifndef GW_IEC104_H
#define GW_IEC104_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- APCI ---------------------------------------------------------------- */

#define IEC104_START 0x68
#define IEC104_APCI_LEN 6      /* start, length, 4 control octets */
#define IEC104_APDU_MAX 255    /* length octet at most 253 */
#define IEC104_ASDU_MAX 249    /* 253 - 4 control octets */
#define IEC104_SEQ_MOD 32768   /* send/receive sequence numbers are 15 bits */

typedef enum { IEC104_FRAME_I, IEC104_FRAME_S, IEC104_FRAME_U } iec104_frame_kind;

/* U-format functions (octet 1 of the control field, bits 0-1 = 11). */
enum {
    IEC104_U_STARTDT_ACT = 0x07,
    IEC104_U_STARTDT_CON = 0x0B,
    IEC104_U_STOPDT_ACT = 0x13,
    IEC104_U_STOPDT_CON = 0x23,
    IEC104_U_TESTFR_ACT = 0x43,
    IEC104_U_TESTFR_CON = 0x83,
};

typedef struct iec104_apdu {
    iec104_frame_kind kind;
    uint16_t ns, nr;        /* I: both; S: nr only */
    uint8_t u;              /* U: the function (IEC104_U_*) */
    const uint8_t *asdu;    /* I: points into the parsed buffer */
    size_t asdu_len;
    size_t len;             /* whole APDU (2 + length octet) */
} iec104_apdu;

/* Errors (negative). */
enum {
    IEC104_ERR_START = -1,     /* first octet is not 0x68 */
    IEC104_ERR_LENGTH = -2,    /* length octet < 4 or > 253, or wrong for the format */
    IEC104_ERR_CONTROL = -3,   /* U frame with no or several functions, bad S octets */
    IEC104_ERR_TYPE = -4,      /* ASDU type not supported by this codec */
    IEC104_ERR_COUNT = -5,     /* number of objects 0, or too many */
    IEC104_ERR_SIZE = -6,      /* ASDU length does not match its type and count */
    IEC104_ERR_SPACE = -7,     /* output buffer too small / ASDU over 249 octets */
    IEC104_ERR_VALUE = -8,     /* a field out of range (IOA > 24 bits, bad time) */
};
const char *iec104_strerror(int err);

/* How many octets the APDU starting at buf needs in total: 0 when fewer than
 * two octets are known, IEC104_ERR_START / IEC104_ERR_LENGTH when it cannot be one. */
int iec104_apdu_needed(const uint8_t *buf, size_t len);
/* Parse one complete APDU (len >= its length). 0 or a negative error. */
int iec104_apdu_parse(const uint8_t *buf, size_t len, iec104_apdu *out);
/* Write frames; return the length written (6 for S/U). out needs 6 octets. */
size_t iec104_encode_s(uint8_t *out, uint16_t nr);
size_t iec104_encode_u(uint8_t *out, uint8_t function);
/* Write the APCI of an I frame whose ASDU (asdu_len octets) already sits at out + 6. */
void iec104_encode_i_header(uint8_t *out, size_t asdu_len, uint16_t ns, uint16_t nr);

/* ---- ASDU ---------------------------------------------------------------- */

/* Type identifications (IEC 60870-5-101 7.2.1 / -104 table). */
enum {
    M_SP_NA_1 = 1, M_DP_NA_1 = 3, M_ME_NA_1 = 9, M_ME_NB_1 = 11, M_ME_NC_1 = 13,
    M_IT_NA_1 = 15, M_SP_TB_1 = 30, M_DP_TB_1 = 31, M_ME_TD_1 = 34, M_ME_TE_1 = 35,
    M_ME_TF_1 = 36, M_IT_TB_1 = 37, C_SC_NA_1 = 45, C_DC_NA_1 = 46, C_SC_TA_1 = 58,
    C_DC_TA_1 = 59, M_EI_NA_1 = 70, C_IC_NA_1 = 100, C_CI_NA_1 = 101, C_RD_NA_1 = 102,
    C_CS_NA_1 = 103,
};

/* Causes of transmission (6 bits). */
enum {
    COT_PERIODIC = 1, COT_BACKGROUND = 2, COT_SPONTANEOUS = 3, COT_INIT = 4, COT_REQUEST = 5,
    COT_ACT = 6, COT_ACT_CON = 7, COT_DEACT = 8, COT_DEACT_CON = 9, COT_ACT_TERM = 10,
    COT_INROGEN = 20,             /* 21..36: interrogated by group 1..16 */
    COT_REQCOGEN = 37,            /* 38..41: counter group 1..4 */
    COT_UNKNOWN_TYPE = 44, COT_UNKNOWN_COT = 45, COT_UNKNOWN_CA = 46, COT_UNKNOWN_IOA = 47,
};

/* Quality descriptor bits as on the wire (QDS; SIQ/DIQ share the upper four). */
enum { IEC104_QDS_OV = 0x01, IEC104_QDS_BL = 0x10, IEC104_QDS_SB = 0x20,
       IEC104_QDS_NT = 0x40, IEC104_QDS_IV = 0x80 };
/* Binary counter reading flags (octet 5 of BCR, low 5 bits are the sequence number). */
enum { IEC104_BCR_CY = 0x20, IEC104_BCR_CA = 0x40, IEC104_BCR_IV = 0x80 };
/* Command qualifier bits (SCO/DCO): select (1) or execute (0); QU in bits 2-6. */
enum { IEC104_CMD_SELECT = 0x80 };
#define IEC104_QOI_STATION 20     /* QOI 21..36: group 1..16 */
#define IEC104_QCC_GENERAL 5      /* RQT 1..4: counter group; FRZ in bits 6-7 */
#define IEC104_IOA_MAX 0xFFFFFF
#define IEC104_CA_BROADCAST 0xFFFF

/* CP56Time2a, as the fields travel (no time zone: the gateway sends UTC). */
typedef struct iec104_cp56 {
    uint16_t ms;      /* 0..59999: milliseconds within the minute */
    uint8_t min;      /* 0..59 */
    uint8_t hour;     /* 0..23 */
    uint8_t mday;     /* 1..31 */
    uint8_t wday;     /* 1 = Monday .. 7 = Sunday, 0 = not used */
    uint8_t month;    /* 1..12 */
    uint8_t year;     /* 0..99 → 2000..2099 */
    bool iv;          /* time invalid */
    bool su;          /* summer time */
} iec104_cp56;

/* One information object. Which fields matter depends on the type:
 *  M_SP: ival 0/1;  M_DP: ival 0..3;  M_ME_NA (normalized) / M_ME_NB (scaled): ival int16;
 *  M_ME_NC: fval;  M_IT: ival = counter (int32), bcr_seq 0..31, q = IEC104_BCR_* flags;
 *  C_SC: ival = SCS 0/1;  C_DC: ival = DCS 0..3;  q = S/E and QU bits (qualifier without state);
 *  M_EI (COI), C_IC (QOI), C_CI (QCC): ival = the qualifier octet;  C_RD: nothing;
 *  C_CS and every type with a time tag (..._TA_1, ..._TB_1): t.
 *  q for monitor types: IEC104_QDS_* (OV is dropped for SIQ/DIQ). */
typedef struct iec104_io {
    uint32_t ioa;
    int32_t ival;
    float fval;
    uint8_t q;
    uint8_t bcr_seq;
    iec104_cp56 t;
} iec104_io;

#define IEC104_MAX_IO 127  /* the 7-bit number field of the VSQ */

typedef struct iec104_asdu {
    uint8_t type;
    bool sq;          /* SQ=1: one IOA, the objects have consecutive addresses */
    uint8_t n;        /* number of objects */
    uint8_t cot;      /* cause, 1..63 */
    bool negative;    /* P/N: negative confirmation */
    bool test;        /* T */
    uint8_t oa;       /* originator address */
    uint16_t ca;      /* common address of ASDU */
    iec104_io io[IEC104_MAX_IO];
} iec104_asdu;

/* Octets of one object without its IOA (and without time when the type has none);
 * -1 for a type this codec does not know. */
int iec104_element_size(uint8_t type);
bool iec104_type_known(uint8_t type);
bool iec104_type_has_time(uint8_t type);
/* The type with CP56Time2a for a monitor type without (M_ME_NC_1 → M_ME_TF_1) and back. */
uint8_t iec104_type_with_time(uint8_t type);
uint8_t iec104_type_without_time(uint8_t type);
/* How many objects of type fit one ASDU with SQ=0. */
unsigned iec104_max_objects(uint8_t type);

/* Encode into out (cap octets, at most IEC104_ASDU_MAX are used): length, or a negative error. */
int iec104_asdu_encode(const iec104_asdu *a, uint8_t *out, size_t cap);
/* Decode. The 6 header octets (type .. CA) are filled even when the result is
 * IEC104_ERR_TYPE, so a server can answer "unknown type" with the same header. */
int iec104_asdu_decode(const uint8_t *in, size_t len, iec104_asdu *a);

/* ---- CP56Time2a ---------------------------------------------------------- */
void iec104_cp56_encode(const iec104_cp56 *t, uint8_t out[7]);
void iec104_cp56_decode(const uint8_t in[7], iec104_cp56 *t);
/* UTC milliseconds since 1970 ↔ fields (years 2000..2099). from_ms sets wday. */
void iec104_cp56_from_ms(int64_t unix_ms, iec104_cp56 *t);
bool iec104_cp56_to_ms(const iec104_cp56 *t, int64_t *unix_ms);

/* ---- names --------------------------------------------------------------- */
const char *iec104_type_name(uint8_t type);  /* "M_ME_NC_1", or NULL */
int iec104_type_parse(const char *name);     /* -1 when unknown */
const char *iec104_cot_name(uint8_t cot);    /* "spont", "actcon", "inrogen", ... or NULL */
int iec104_cot_parse(const char *name);      /* name or number; -1 when unknown */
/* One-line description of an ASDU ("M_ME_NC_1 spont ca=1 ioa=1001 13.5 q=00"). */
void iec104_asdu_describe(const iec104_asdu *a, char *out, size_t cap);
#endif
