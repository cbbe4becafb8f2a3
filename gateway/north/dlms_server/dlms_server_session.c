/* dlms_server_session: associations and services of the COSEM server (see
 * dlms_server_session.h). */
#include "north/dlms_server/dlms_server_session.h"

#include <stdlib.h>
#include <string.h>

#include "codec/dlms/dlms_axdr.h"
#include "codec/dlms/dlms_cipher.h"
#include "codec/dlms/dlms_exception.h"

static const uint8_t ASSOCIATION_LN[6] = {0, 0, 40, 0, 0, 255};
/* glo tag, length (up to 3 bytes), SC, frame counter, GCM tag */
#define CIPHER_OVERHEAD (1 + 3 + 1 + 4 + DLMS_TAG_LEN)
/* C4 02 invoke | last | block number | choice | raw-data length (up to 3) */
#define BLOCK_HEADER (3 + 1 + 4 + 1 + 3)
/* What the server proposes (and keeps to): get, selective access, block get, with list. */
#define SERVER_CONFORMANCE (DLMS_CONF_GET | DLMS_CONF_SELECTIVE_ACCESS | DLMS_CONF_BLOCK_READ | \
                            DLMS_CONF_MULTIPLE_REFS)

void dlms_session_init(dlms_session *s, const dlms_srv_params *p) {
    memset(s, 0, sizeof *s);
    s->p = p;
}

static void drop_result(dlms_session *s) {
    free(s->result);
    s->result = NULL;
    s->result_len = s->result_off = s->block_off = 0;
    s->block = 0;
}

void dlms_session_reset(dlms_session *s) {
    drop_result(s);
    s->state = SESS_IDLE;
    s->ciphered = false;
    s->client = NULL;
}

static size_t exception(dlms_session *s, uint8_t state, uint8_t service, uint8_t *out, size_t cap) {
    axdr_writer w;
    dlms_exception e = {.state_error = state, .service_error = service, .invocation_counter = s->fc_rx_last + 1};
    axdr_writer_init(&w, out, cap);
    dlms_exception_encode(&w, &e);
    s->refused++;
    return w.overflow ? 0 : w.len;
}

size_t dlms_session_too_long(dlms_session *s, uint8_t *out, size_t cap) {
    return exception(s, DLMS_STATE_SERVICE_NOT_ALLOWED, DLMS_SERVICE_PDU_TOO_LONG, out, cap);
}

/* The plain answer, ciphered when the association is. */
static size_t finish(dlms_session *s, const uint8_t *plain, size_t len, uint8_t *out, size_t cap) {
    if (!s->ciphered) {
        if (len > cap) return 0;
        memmove(out, plain, len);
        return len;
    }
    return dlms_cipher_protect(&s->client->keys, s->p->cfg->systitle, s->p->next_fc(s->p->arg),
                               DLMS_SC_AUTH_ENCRYPT, plain, len, out, cap);
}

/* ---- association ---------------------------------------------------------------- */

static size_t aare_reject(dlms_session *s, bool ciphered, int diag, uint8_t *out, size_t cap) {
    axdr_writer w;
    dlms_aare a = {.ciphered = ciphered, .result = 1, .diag_source = 1, .diagnostic = diag};
    dlms_session_reset(s);
    axdr_writer_init(&w, out, cap);
    dlms_aare_encode(&w, &a);
    s->refused++;
    return w.overflow ? 0 : w.len;
}

/* The client's credentials; for HLS the InitiateRequest is deciphered into plain.
 * Returns an AARE diagnostic, AARE_DIAG_NONE when the AARQ may go on. */
static int authenticate(dlms_session *s, const dlms_srv_client *c, const dlms_aarq *q, uint8_t *plain,
                        size_t pcap, const uint8_t **ini, size_t *ini_len) {
    const char *why;
    uint32_t fc;
    *ini = q->user_info;
    *ini_len = q->user_info_len;
    if (c->auth == DLMS_AUTH_NONE) return q->auth == DLMS_AUTH_NONE ? AARE_DIAG_NONE : AARE_DIAG_MECH_NOT_RECOGNISED;
    if (q->auth != c->auth) return AARE_DIAG_AUTH_REQUIRED;
    if (c->auth == DLMS_AUTH_LLS)
        return q->auth_value_len == strlen(c->password) && memcmp(q->auth_value, c->password, q->auth_value_len) == 0
                   ? AARE_DIAG_NONE : AARE_DIAG_AUTH_FAILURE;
    if (!q->ciphered || q->calling_title_len != DLMS_SYSTITLE_LEN || q->auth_value_len < 8 ||
        q->auth_value_len > sizeof s->ctos)
        return AARE_DIAG_AUTH_REQUIRED;
    long n = dlms_cipher_unprotect(&c->keys, q->calling_title, q->user_info, q->user_info_len, plain, pcap, &fc, &why);
    if (n < 0) return AARE_DIAG_AUTH_FAILURE;
    memcpy(s->client_title, q->calling_title, DLMS_SYSTITLE_LEN);
    memcpy(s->ctos, q->auth_value, q->auth_value_len);
    s->ctos_len = q->auth_value_len;
    s->fc_rx_last = fc;
    *ini = plain;
    *ini_len = (size_t)n;
    return AARE_DIAG_NONE;
}

static size_t handle_aarq(dlms_session *s, uint8_t sap, const uint8_t *p, size_t len, uint8_t *out, size_t cap) {
    dlms_aarq q;
    dlms_initiate ini;
    const char *why;
    const uint8_t *ini_bytes;
    size_t ini_len;
    uint8_t plain[256], ui[64], uic[128];
    dlms_session_reset(s);
    const dlms_srv_client *c = dlms_server_client(s->p->cfg, sap);
    if (!dlms_aarq_decode(p, len, &q, &why)) return aare_reject(s, false, AARE_DIAG_NO_REASON, out, cap);
    if (!c) return aare_reject(s, q.ciphered, AARE_DIAG_NO_REASON, out, cap);
    if (q.ciphered != (c->auth == DLMS_AUTH_HLS_GMAC))
        return aare_reject(s, q.ciphered, AARE_DIAG_CONTEXT_NOT_SUPPORTED, out, cap);
    int diag = authenticate(s, c, &q, plain, sizeof plain, &ini_bytes, &ini_len);
    if (diag != AARE_DIAG_NONE) return aare_reject(s, q.ciphered, diag, out, cap);
    if (!dlms_initiate_request_decode(ini_bytes, ini_len, &ini) || ini.dlms_version < 6)
        return aare_reject(s, q.ciphered, AARE_DIAG_NO_REASON, out, cap);
    s->client = c;
    s->client_pdu = ini.max_pdu == 0 ? 65535 : ini.max_pdu < 64 ? 64 : ini.max_pdu;
    dlms_initiate resp = {.dlms_version = 6, .conformance = ini.conformance & SERVER_CONFORMANCE,
                          .max_pdu = s->p->cfg->max_pdu, .vaa_name = 7};
    axdr_writer w;
    axdr_writer_init(&w, ui, sizeof ui);
    dlms_initiate_response_encode(&w, &resp);
    dlms_aare a = {.result = 0, .diag_source = 1, .auth = c->auth, .user_info = ui, .user_info_len = w.len};
    if (c->auth == DLMS_AUTH_HLS_GMAC) {
        s->p->random(s->p->arg, s->stoc, sizeof s->stoc);
        size_t n = dlms_cipher_protect(&c->keys, s->p->cfg->systitle, s->p->next_fc(s->p->arg),
                                       DLMS_SC_AUTH_ENCRYPT, ui, w.len, uic, sizeof uic);
        a = (dlms_aare){.ciphered = true, .result = 0, .diag_source = 1, .diagnostic = AARE_DIAG_AUTH_REQUIRED,
                        .auth = DLMS_AUTH_HLS_GMAC, .responding_title = s->p->cfg->systitle,
                        .responding_title_len = DLMS_SYSTITLE_LEN, .auth_value = s->stoc,
                        .auth_value_len = sizeof s->stoc, .user_info = uic, .user_info_len = n};
        s->ciphered = true;
        s->state = SESS_PENDING_HLS;
    } else {
        s->state = SESS_OPEN;
    }
    axdr_writer_init(&w, out, cap);
    dlms_aare_encode(&w, &a);
    return w.overflow ? 0 : w.len;
}

/* ACTION: reply_to_HLS_authentication while HLS is pending; nothing else can be done. */
static size_t handle_action(dlms_session *s, const dlms_action_request *q, uint8_t *out, size_t cap) {
    uint8_t plain[64], data[32];
    axdr_writer w, dw;
    dlms_simple_response r = {.invoke = q->invoke, .result = DAR_READ_WRITE_DENIED};
    bool hls = q->ref.class_id == 15 && memcmp(q->ref.obis, ASSOCIATION_LN, 6) == 0 && q->ref.index == 1;
    if (hls && s->state == SESS_PENDING_HLS) {
        axdr_reader rd;
        dlms_value v;
        axdr_reader_init(&rd, q->data, q->len);
        if (axdr_value(&rd, &v) && v.type == DT_OCTET_STRING &&
            dlms_hls_gmac_verify(&s->client->keys, s->client_title, s->stoc, sizeof s->stoc, v.bytes, v.len)) {
            uint8_t f[DLMS_GMAC_LEN];
            dlms_hls_gmac(&s->client->keys, s->p->cfg->systitle, s->p->next_fc(s->p->arg), s->ctos, s->ctos_len, f);
            axdr_writer_init(&dw, data, sizeof data);
            axdr_put_octets(&dw, f, sizeof f);
            r = (dlms_simple_response){.invoke = q->invoke, .result = 0, .data = data, .len = dw.len, .data_ok = true};
            s->state = SESS_OPEN;
        } else {
            s->refused++;
        }
    }
    axdr_writer_init(&w, plain, sizeof plain);
    dlms_action_response_encode(&w, &r);
    size_t n = finish(s, plain, w.len, out, cap);
    if (s->state == SESS_PENDING_HLS) dlms_session_reset(s); /* a wrong f(StoC) ends the attempt */
    return n;
}

static size_t handle_set(dlms_session *s, const dlms_set_request *q, uint8_t *out, size_t cap) {
    uint8_t plain[8];
    axdr_writer w;
    dlms_simple_response r = {.invoke = q->invoke, .result = DAR_READ_WRITE_DENIED};
    axdr_writer_init(&w, plain, sizeof plain);
    dlms_set_response_encode(&w, &r);
    return finish(s, plain, w.len, out, cap);
}

/* ---- GET ------------------------------------------------------------------------ */

static size_t send_response(dlms_session *s, const dlms_get_response *r, uint8_t *out, size_t cap) {
    uint8_t plain[128];
    axdr_writer w;
    axdr_writer_init(&w, plain, sizeof plain);
    dlms_get_response_encode(&w, r);
    return w.overflow ? 0 : finish(s, plain, w.len, out, cap);
}

static size_t send_block(dlms_session *s, uint8_t *out, size_t cap) {
    size_t overhead = BLOCK_HEADER + (s->ciphered ? CIPHER_OVERHEAD : 0);
    size_t room = s->client_pdu > overhead + 16 ? s->client_pdu - overhead : 16;
    size_t n = s->result_len - s->result_off;
    if (n > room) n = room;
    uint8_t *plain = malloc(n + BLOCK_HEADER + 8);
    if (!plain) return 0;
    dlms_get_response r = {.kind = GETR_BLOCK, .invoke = s->invoke, .block = ++s->block, .block_ok = true,
                           .last_block = s->result_off + n == s->result_len, .raw = s->result + s->result_off,
                           .raw_len = n};
    axdr_writer w;
    axdr_writer_init(&w, plain, n + BLOCK_HEADER + 8);
    dlms_get_response_encode(&w, &r);
    s->block_off = s->result_off;
    s->result_off += n;
    s->blocks_sent++;
    size_t len = w.overflow ? 0 : finish(s, plain, w.len, out, cap);
    free(plain);
    if (r.last_block) drop_result(s);
    return len;
}

static size_t handle_get_next(dlms_session *s, const dlms_get_request *q, uint8_t *out, size_t cap) {
    if (s->result && s->block > 0 && q->block == s->block - 1) { /* our block was lost: again */
        s->result_off = s->block_off;
        s->block--;
    }
    if (!s->result || q->block != s->block) {
        dlms_get_response r = {.kind = GETR_BLOCK, .invoke = q->invoke, .block = q->block, .last_block = true};
        r.res[0].error = s->result ? DAR_DATA_BLOCK_UNAVAILABLE : DAR_NO_LONG_GET_IN_PROGRESS;
        drop_result(s);
        return send_response(s, &r, out, cap);
    }
    return send_block(s, out, cap);
}

/* Each attribute's data after the other in data; r's results point into it. */
static void get_all(dlms_session *s, const dlms_get_request *q, axdr_writer *dw, dlms_get_response *r) {
    bool identity = !s->client->reads_all;
    for (size_t i = 0; i < q->n; i++) {
        size_t start = dw->len;
        uint8_t dar = s->p->get(s->p->arg, &q->ref[i], &q->access[i], identity, dw);
        if (dw->overflow) { /* larger than the server answers at all */
            dw->overflow = false;
            dar = DAR_OTHER;
        }
        if (dar != DAR_SUCCESS) dw->len = start;
        r->res[i] = (dlms_result){.ok = dar == DAR_SUCCESS, .error = dar, .data = dw->p + start,
                                  .len = dw->len - start};
    }
}

static size_t handle_get(dlms_session *s, const dlms_get_request *q, uint8_t *out, size_t cap) {
    if (q->kind == GET_NEXT) return handle_get_next(s, q, out, cap);
    drop_result(s); /* a new GET ends a long one in progress */
    size_t n = 0, pcap = DLMS_SRV_RESULT_MAX + 64;
    uint8_t *data = malloc(DLMS_SRV_RESULT_MAX), *plain = malloc(pcap);
    if (!data || !plain) goto done;
    axdr_writer dw, pw;
    axdr_writer_init(&dw, data, DLMS_SRV_RESULT_MAX);
    dlms_get_response r = {.kind = q->kind == GET_WITH_LIST ? GETR_WITH_LIST : GETR_NORMAL,
                           .invoke = q->invoke, .n = q->n};
    get_all(s, q, &dw, &r);
    axdr_writer_init(&pw, plain, pcap);
    dlms_get_response_encode(&pw, &r);
    if (pw.overflow) goto done;
    if (pw.len + (s->ciphered ? CIPHER_OVERHEAD : 0) <= s->client_pdu) {
        n = finish(s, plain, pw.len, out, cap);
        goto done;
    }
    /* in blocks: a normal GET's raw data is the Data alone (after C4 01 invoke
     * 00), a list's the count and the get-data-results (after C4 03 invoke) */
    size_t skip = q->kind == GET_WITH_LIST ? 3 : 4;
    if (!(s->result = malloc(pw.len - skip))) goto done;
    memcpy(s->result, plain + skip, pw.len - skip);
    s->result_len = pw.len - skip;
    s->invoke = q->invoke;
    n = send_block(s, out, cap);
done:
    free(data);
    free(plain);
    return n;
}

/* ---- dispatch ---------------------------------------------------------------------- */

static size_t handle_plain(dlms_session *s, const uint8_t *req, size_t len, uint8_t *out, size_t cap) {
    const char *why;
    if (s->state == SESS_PENDING_HLS && req[0] != APDU_ACTION_REQUEST)
        return exception(s, DLMS_STATE_SERVICE_NOT_ALLOWED, DLMS_SERVICE_OPERATION_NOT_POSSIBLE, out, cap);
    switch (req[0]) {
    case APDU_GET_REQUEST: {
        dlms_get_request q;
        if (!dlms_get_request_decode(req, len, &q, &why)) break;
        return handle_get(s, &q, out, cap);
    }
    case APDU_SET_REQUEST: {
        dlms_set_request q;
        if (!dlms_set_request_decode(req, len, &q, &why)) break;
        return handle_set(s, &q, out, cap);
    }
    case APDU_ACTION_REQUEST: {
        dlms_action_request q;
        if (!dlms_action_request_decode(req, len, &q, &why)) break;
        return handle_action(s, &q, out, cap);
    }
    default:
        return exception(s, DLMS_STATE_SERVICE_UNKNOWN, DLMS_SERVICE_NOT_SUPPORTED, out, cap);
    }
    return exception(s, DLMS_STATE_SERVICE_NOT_ALLOWED, DLMS_SERVICE_OTHER_REASON, out, cap);
}

static size_t handle_rlrq(dlms_session *s, uint8_t *out, size_t cap) {
    axdr_writer w;
    dlms_session_reset(s);
    axdr_writer_init(&w, out, cap);
    dlms_rlre_encode(&w);
    return w.overflow ? 0 : w.len;
}

size_t dlms_session_handle(dlms_session *s, uint8_t sap, const uint8_t *req, size_t len, uint8_t *out, size_t cap) {
    uint8_t *plain = NULL;
    const char *why;
    size_t n;
    if (len == 0) return 0;
    if (req[0] == APDU_AARQ) return handle_aarq(s, sap, req, len, out, cap);
    if (s->state != SESS_IDLE && s->client->sap != sap) return 0; /* another client's: not ours */
    if (req[0] == APDU_RLRQ) return handle_rlrq(s, out, cap);
    if (s->state == SESS_IDLE)
        return exception(s, DLMS_STATE_SERVICE_NOT_ALLOWED, DLMS_SERVICE_OPERATION_NOT_POSSIBLE, out, cap);
    if (!s->ciphered) return handle_plain(s, req, len, out, cap);
    if (req[0] < APDU_GLO_GET_REQUEST || req[0] > APDU_GLO_ACTION_REQUEST)
        return exception(s, DLMS_STATE_SERVICE_NOT_ALLOWED, DLMS_SERVICE_DECIPHERING_ERROR, out, cap);
    if (!(plain = malloc(len))) return 0;
    uint32_t fc;
    long m = dlms_cipher_unprotect(&s->client->keys, s->client_title, req, len, plain, len, &fc, &why);
    if (m <= 0) n = exception(s, DLMS_STATE_SERVICE_NOT_ALLOWED, DLMS_SERVICE_DECIPHERING_ERROR, out, cap);
    else if (fc <= s->fc_rx_last)
        n = exception(s, DLMS_STATE_SERVICE_NOT_ALLOWED, DLMS_SERVICE_INVOCATION_COUNTER_ERROR, out, cap);
    else {
        s->fc_rx_last = fc;
        n = handle_plain(s, plain, (size_t)m, out, cap);
    }
    free(plain);
    return n;
}
