/* dlms_server_session: one head-end's association with the gateway's COSEM
 * server, bytes in and bytes out (no I/O, no clock: the transport hands in
 * each APDU with the client's SAP; the objects answer through the model).
 *
 * AARQ -> AARE by the client's SAP as configured: no security, LLS (password)
 * or HLS-GMAC (suite 0: ciphered InitiateRequest, StoC, then the client's
 * f(StoC) in ACTION reply_to_HLS_authentication on 0-0:40.0.0.255, answered
 * with f(CtoS); every later APDU glo-ciphered with rising frame counters).
 * GET normal / with list; answers longer than the client's max receive PDU go
 * out in blocks (GET next). SET and ACTION on data: read-write-denied (the
 * server is read-only). What it cannot take at all gets an ExceptionResponse
 * (codec/dlms/dlms_exception.h); nothing is left unanswered but APDUs from
 * another SAP than the associated one. */
#ifndef DLMS_SERVER_SESSION_H
#define DLMS_SERVER_SESSION_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "codec/dlms/dlms_apdu.h"
#include "north/dlms_server/dlms_server_config.h"

/* The objects: encode attribute ref (with selective access) into w; returns a
 * data-access-result. identity_only: the client may read only the gateway's
 * own objects (others answer object-unavailable... as read-write-denied). */
typedef uint8_t (*dlms_srv_get_fn)(void *arg, const cosem_ref *ref, const dlms_access *acc,
                                   bool identity_only, axdr_writer *w);

typedef struct dlms_srv_params {
    const dlms_server_config *cfg;
    dlms_srv_get_fn get;
    void *arg;
    /* 16 bytes of challenge (StoC); a real source of randomness */
    void (*random)(void *arg, uint8_t *out, size_t n);
    /* the server's frame counter: next value, and keep it (survives restarts) */
    uint32_t (*next_fc)(void *arg);
} dlms_srv_params;

typedef enum { SESS_IDLE, SESS_PENDING_HLS, SESS_OPEN } dlms_sess_state;

#define DLMS_SRV_RESULT_MAX (512 * 1024)

typedef struct dlms_session {
    const dlms_srv_params *p;
    const dlms_srv_client *client; /* the association's client (SESS_PENDING_HLS, SESS_OPEN) */
    dlms_sess_state state;
    bool ciphered;
    uint16_t client_pdu;           /* the client's max receive PDU */
    uint8_t client_title[DLMS_SYSTITLE_LEN];
    uint8_t ctos[64];
    size_t ctos_len;
    uint8_t stoc[16];
    uint32_t fc_rx_last;
    /* a long GET in progress */
    uint8_t *result;
    size_t result_len, result_off, block_off;
    uint32_t block;
    uint8_t invoke;
    /* counters (for the log and tests) */
    unsigned refused, blocks_sent;
} dlms_session;

void dlms_session_init(dlms_session *s, const dlms_srv_params *p);
void dlms_session_reset(dlms_session *s); /* the association ends (RLRQ, disconnect) */
/* Answer one APDU from client sap into out; returns the answer's length, 0 for none. */
size_t dlms_session_handle(dlms_session *s, uint8_t sap, const uint8_t *req, size_t len, uint8_t *out,
                           size_t cap);
/* The refusal of an APDU longer than max_pdu (the transport drops its bytes). */
size_t dlms_session_too_long(dlms_session *s, uint8_t *out, size_t cap);
#endif
