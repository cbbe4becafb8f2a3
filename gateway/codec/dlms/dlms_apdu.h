/* dlms_apdu: xDLMS and ACSE APDUs with logical name referencing
 * (IEC 62056-5-3, DLMS UA Green Book), pure codec.
 *
 * Encoders write into an axdr_writer (check w->overflow); decoders read a
 * whole APDU and point into it (data stays in the caller's buffer). */
#ifndef DLMS_APDU_H
#define DLMS_APDU_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "codec/dlms/dlms_axdr.h"

enum {
    APDU_AARQ = 0x60, APDU_AARE = 0x61, APDU_RLRQ = 0x62, APDU_RLRE = 0x63,
    APDU_INITIATE_REQUEST = 0x01, APDU_INITIATE_RESPONSE = 0x08,
    APDU_CONFIRMED_SERVICE_ERROR = 0x0E,
    APDU_GET_REQUEST = 0xC0, APDU_SET_REQUEST = 0xC1, APDU_ACTION_REQUEST = 0xC3,
    APDU_GET_RESPONSE = 0xC4, APDU_SET_RESPONSE = 0xC5, APDU_ACTION_RESPONSE = 0xC7,
    APDU_GLO_INITIATE_REQUEST = 0x21, APDU_GLO_INITIATE_RESPONSE = 0x28,
    APDU_GLO_GET_REQUEST = 0xC8, APDU_GLO_SET_REQUEST = 0xC9, APDU_GLO_ACTION_REQUEST = 0xCB,
    APDU_GLO_GET_RESPONSE = 0xCC, APDU_GLO_SET_RESPONSE = 0xCD, APDU_GLO_ACTION_RESPONSE = 0xCF,
    APDU_EXCEPTION_RESPONSE = 0xD8,
};

/* Authentication mechanisms (mechanism-name last arc). */
typedef enum { DLMS_AUTH_NONE = 0, DLMS_AUTH_LLS = 1, DLMS_AUTH_HLS_GMAC = 5 } dlms_auth;

/* Conformance block bits as a 24-bit number: ASN.1 bit n is 1 << (23 - n). */
#define DLMS_CONF_BLOCK_READ (1u << 12)      /* bit 11 block-transfer-with-get-or-read */
#define DLMS_CONF_MULTIPLE_REFS (1u << 9)    /* bit 14 multiple-references (with list) */
#define DLMS_CONF_GET (1u << 4)
#define DLMS_CONF_SET (1u << 3)
#define DLMS_CONF_SELECTIVE_ACCESS (1u << 2)
#define DLMS_CONF_ACTION (1u << 0)
#define DLMS_CONF_DEFAULT 0x00121Du /* get, set, action, selective access, block get, with list */

#define DLMS_MAX_SECRET 64

typedef struct dlms_initiate {
    uint8_t dlms_version;  /* 6 */
    uint32_t conformance;  /* 24 bits */
    uint16_t max_pdu;      /* client: max receive PDU size; server: max PDU size */
    uint16_t vaa_name;     /* response only: 0x0007 for LN */
} dlms_initiate;

typedef struct dlms_aarq {
    bool ciphered;         /* application context LN with ciphering */
    dlms_auth auth;
    const uint8_t *calling_title; size_t calling_title_len;  /* client system title */
    const uint8_t *auth_value; size_t auth_value_len;        /* password or CtoS */
    /* user-information: the InitiateRequest APDU (plain 01... or glo 21...) */
    const uint8_t *user_info; size_t user_info_len;
} dlms_aarq;

typedef struct dlms_aare {
    bool ciphered;
    int result;            /* 0 accepted, 1 rejected-permanent, 2 rejected-transient */
    int diag_source;       /* 1 acse-service-user, 2 acse-service-provider */
    int diagnostic;        /* 0 null, 1 no reason, 2 context, 13 authentication failure, 14 required ... */
    dlms_auth auth;        /* mechanism the server named, DLMS_AUTH_NONE when absent */
    const uint8_t *responding_title; size_t responding_title_len;
    const uint8_t *auth_value; size_t auth_value_len;        /* StoC */
    const uint8_t *user_info; size_t user_info_len;          /* InitiateResponse (plain/glo) or error */
} dlms_aare;

/* Diagnostics of AARE (acse-service-user). */
enum { AARE_DIAG_NONE = 0, AARE_DIAG_NO_REASON = 1, AARE_DIAG_CONTEXT_NOT_SUPPORTED = 2,
       AARE_DIAG_MECH_NOT_RECOGNISED = 11, AARE_DIAG_MECH_REQUIRED = 12,
       AARE_DIAG_AUTH_FAILURE = 13, AARE_DIAG_AUTH_REQUIRED = 14 };

void dlms_initiate_request_encode(axdr_writer *w, const dlms_initiate *in);
bool dlms_initiate_request_decode(const uint8_t *p, size_t len, dlms_initiate *out);
void dlms_initiate_response_encode(axdr_writer *w, const dlms_initiate *in);
bool dlms_initiate_response_decode(const uint8_t *p, size_t len, dlms_initiate *out);

void dlms_aarq_encode(axdr_writer *w, const dlms_aarq *q);
bool dlms_aarq_decode(const uint8_t *p, size_t len, dlms_aarq *q, const char **why);
void dlms_aare_encode(axdr_writer *w, const dlms_aare *a);
bool dlms_aare_decode(const uint8_t *p, size_t len, dlms_aare *a, const char **why);
const char *dlms_aare_diag_text(int diagnostic);
void dlms_rlrq_encode(axdr_writer *w);
void dlms_rlre_encode(axdr_writer *w);

/* A COSEM attribute or method reference. */
typedef struct cosem_ref {
    uint16_t class_id;
    uint8_t obis[6];
    int8_t index; /* attribute or method id */
} cosem_ref;

/* Selective access: selector and raw A-XDR parameters (e.g. a range descriptor). */
typedef struct dlms_access {
    uint8_t selector; /* 0 = none */
    const uint8_t *params; size_t params_len;
} dlms_access;

#define DLMS_MAX_LIST 16

typedef enum { GET_NORMAL = 1, GET_NEXT = 2, GET_WITH_LIST = 3 } get_kind;

typedef struct dlms_get_request {
    get_kind kind;
    uint8_t invoke;          /* invoke-id-and-priority */
    cosem_ref ref[DLMS_MAX_LIST];
    dlms_access access[DLMS_MAX_LIST];
    size_t n;                /* 1 for normal, list length for with-list */
    uint32_t block;          /* next: the block number acknowledged */
} dlms_get_request;

/* One result of a GET: data (raw A-XDR element) or a data-access-result. */
typedef struct dlms_result {
    bool ok;
    uint8_t error;           /* data-access-result when !ok */
    const uint8_t *data; size_t len;
} dlms_result;

typedef enum { GETR_NORMAL = 1, GETR_BLOCK = 2, GETR_WITH_LIST = 3 } get_resp_kind;

typedef struct dlms_get_response {
    get_resp_kind kind;
    uint8_t invoke;
    dlms_result res[DLMS_MAX_LIST]; /* normal: res[0]; with-list: n results */
    size_t n;
    /* with-datablock */
    bool last_block;
    uint32_t block;
    bool block_ok;           /* raw-data (true) or data-access-result in res[0].error */
    const uint8_t *raw; size_t raw_len;
    size_t trailing;         /* bytes after the APDU (tolerated; the caller reports them) */
} dlms_get_response;

void dlms_get_request_encode(axdr_writer *w, const dlms_get_request *q);
bool dlms_get_request_decode(const uint8_t *p, size_t len, dlms_get_request *q, const char **why);
void dlms_get_response_encode(axdr_writer *w, const dlms_get_response *r);
bool dlms_get_response_decode(const uint8_t *p, size_t len, dlms_get_response *r, const char **why);

/* SET normal and ACTION normal (requests with one data element; responses with a result). */
typedef struct dlms_set_request {
    uint8_t invoke;
    cosem_ref ref;
    dlms_access access;
    const uint8_t *data; size_t len;
} dlms_set_request;
typedef struct dlms_action_request {
    uint8_t invoke;
    cosem_ref ref;
    const uint8_t *data; size_t len; /* len 0: no parameter */
} dlms_action_request;
typedef struct dlms_simple_response {
    uint8_t invoke;
    uint8_t result;          /* data-access-result (SET) or action-result (ACTION) */
    const uint8_t *data; size_t len; /* ACTION return data (get-data-result), may be empty */
    bool data_ok;
    size_t trailing;         /* bytes after the APDU (tolerated; the caller reports them) */
} dlms_simple_response;

void dlms_set_request_encode(axdr_writer *w, const dlms_set_request *q);
bool dlms_set_request_decode(const uint8_t *p, size_t len, dlms_set_request *q, const char **why);
void dlms_set_response_encode(axdr_writer *w, const dlms_simple_response *r);
bool dlms_set_response_decode(const uint8_t *p, size_t len, dlms_simple_response *r, const char **why);
void dlms_action_request_encode(axdr_writer *w, const dlms_action_request *q);
bool dlms_action_request_decode(const uint8_t *p, size_t len, dlms_action_request *q, const char **why);
void dlms_action_response_encode(axdr_writer *w, const dlms_simple_response *r);
bool dlms_action_response_decode(const uint8_t *p, size_t len, dlms_simple_response *r, const char **why);

/* Data-access-result names ("object-undefined", ...). */
const char *dlms_access_result_text(uint8_t result);
enum { DAR_SUCCESS = 0, DAR_HARDWARE_FAULT = 1, DAR_TEMPORARY_FAILURE = 2,
       DAR_READ_WRITE_DENIED = 3, DAR_OBJECT_UNDEFINED = 4, DAR_OBJECT_UNAVAILABLE = 11,
       DAR_TYPE_UNMATCHED = 12, DAR_SCOPE_VIOLATED = 13, DAR_DATA_BLOCK_UNAVAILABLE = 14,
       DAR_LONG_GET_ABORTED = 15, DAR_NO_LONG_GET_IN_PROGRESS = 16, DAR_OTHER = 250 };

/* Range descriptor (selector 1) parameters for a profile whose first capture
 * object is the clock: {restricting object, from, to, selected values = all}. */
void dlms_range_encode(axdr_writer *w, int64_t from_ns, int64_t to_ns);
bool dlms_range_decode(const uint8_t *p, size_t len, int64_t *from_ns, int64_t *to_ns);
#endif
