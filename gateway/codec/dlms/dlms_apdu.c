/* dlms_apdu: ACSE (BER) and xDLMS (A-XDR) APDUs, LN referencing (see dlms_apdu.h). */
#include "codec/dlms/dlms_apdu.h"

#include <string.h>

/* application-context-name 2.16.756.5.8.1.x and mechanism-name 2.16.756.5.8.2.x */
static const uint8_t CONTEXT_PREFIX[6] = {0x60, 0x85, 0x74, 0x05, 0x08, 0x01};
static const uint8_t MECHANISM_PREFIX[6] = {0x60, 0x85, 0x74, 0x05, 0x08, 0x02};
static const uint8_t CLOCK_OBIS[6] = {0, 0, 1, 0, 0, 255};

/* ---- BER helpers ---------------------------------------------------------- */

static void ber_len(axdr_writer *w, size_t n) {
    if (n < 0x80) axdr_put_u8(w, (uint8_t)n);
    else if (n <= 0xFF) { axdr_put_u8(w, 0x81); axdr_put_u8(w, (uint8_t)n); }
    else { axdr_put_u8(w, 0x82); axdr_put_u16(w, (uint16_t)n); }
}

static void ber_tlv(axdr_writer *w, uint8_t tag, const uint8_t *v, size_t n) {
    axdr_put_u8(w, tag);
    ber_len(w, n);
    axdr_put_bytes(w, v, n);
}

/* tag { inner_tag len value }: the constructed wrappers ACSE uses around values. */
static void ber_wrapped(axdr_writer *w, uint8_t tag, uint8_t inner, const uint8_t *v, size_t n) {
    uint8_t hdr[4];
    axdr_writer h;
    axdr_writer_init(&h, hdr, sizeof hdr);
    axdr_put_u8(&h, inner);
    ber_len(&h, n);
    axdr_put_u8(w, tag);
    ber_len(w, h.len + n);
    axdr_put_bytes(w, hdr, h.len);
    axdr_put_bytes(w, v, n);
}

static void put_context(axdr_writer *w, bool ciphered) {
    uint8_t oid[7];
    memcpy(oid, CONTEXT_PREFIX, 6);
    oid[6] = ciphered ? 3 : 1;
    ber_wrapped(w, 0xA1, 0x06, oid, 7);
}

/* Read one BER TLV: tag, value. */
static bool ber_next(axdr_reader *r, uint8_t *tag, const uint8_t **v, size_t *n) {
    if (!axdr_u8(r, tag) || !axdr_length(r, n)) return false;
    return axdr_bytes(r, *n, v);
}

/* The value inside tag { inner len value }. */
static bool ber_unwrap(const uint8_t *p, size_t len, uint8_t inner, const uint8_t **v, size_t *n) {
    axdr_reader r;
    uint8_t t;
    axdr_reader_init(&r, p, len);
    return ber_next(&r, &t, v, n) && t == inner;
}

static bool parse_context(const uint8_t *p, size_t n, bool *ciphered) {
    const uint8_t *oid;
    size_t len;
    if (!ber_unwrap(p, n, 0x06, &oid, &len) || len != 7 || memcmp(oid, CONTEXT_PREFIX, 6) != 0)
        return false;
    if (oid[6] != 1 && oid[6] != 3) return false;
    *ciphered = oid[6] == 3;
    return true;
}

static bool parse_mechanism(const uint8_t *p, size_t n, dlms_auth *auth) {
    if (n != 7 || memcmp(p, MECHANISM_PREFIX, 6) != 0) return false;
    *auth = (dlms_auth)p[6];
    return true;
}

/* An int inside tag { 02 01 v } (AARE result) or tag { A1 { 02 01 v } } (diagnostic). */
static bool parse_small_int(const uint8_t *p, size_t n, int *out) {
    const uint8_t *v;
    size_t len;
    if (!ber_unwrap(p, n, 0x02, &v, &len) || len != 1) return false;
    *out = v[0];
    return true;
}

/* ---- InitiateRequest / InitiateResponse --------------------------------------- */

static void put_conformance(axdr_writer *w, uint32_t c) {
    const uint8_t hdr[4] = {0x5F, 0x1F, 0x04, 0x00};
    axdr_put_bytes(w, hdr, 4);
    axdr_put_u8(w, (uint8_t)(c >> 16));
    axdr_put_u8(w, (uint8_t)(c >> 8));
    axdr_put_u8(w, (uint8_t)c);
}

static bool get_conformance(axdr_reader *r, uint32_t *c) {
    const uint8_t *p;
    if (!axdr_bytes(r, 7, &p)) return false;
    if (p[0] != 0x5F || p[1] != 0x1F || p[2] != 0x04) return axdr_fail(r, "bad conformance block");
    *c = (uint32_t)p[4] << 16 | (uint32_t)p[5] << 8 | p[6];
    return true;
}

void dlms_initiate_request_encode(axdr_writer *w, const dlms_initiate *in) {
    axdr_put_u8(w, APDU_INITIATE_REQUEST);
    axdr_put_u8(w, 0); /* no dedicated key */
    axdr_put_u8(w, 0); /* response-allowed: default (true) */
    axdr_put_u8(w, 0); /* no proposed quality of service */
    axdr_put_u8(w, in->dlms_version);
    put_conformance(w, in->conformance);
    axdr_put_u16(w, in->max_pdu);
}

/* An optional field: 00 absent, 01 present followed by what skip_fn reads. */
static bool skip_optional(axdr_reader *r, size_t fixed, bool with_length) {
    uint8_t present;
    const uint8_t *p;
    size_t n = fixed;
    if (!axdr_u8(r, &present)) return false;
    if (!present) return true;
    if (with_length && !axdr_length(r, &n)) return false;
    return axdr_bytes(r, n, &p);
}

bool dlms_initiate_request_decode(const uint8_t *p, size_t len, dlms_initiate *out) {
    axdr_reader r;
    uint8_t tag;
    axdr_reader_init(&r, p, len);
    if (!axdr_u8(&r, &tag) || tag != APDU_INITIATE_REQUEST) return false;
    if (!skip_optional(&r, 0, true) || !skip_optional(&r, 1, false) ||
        !skip_optional(&r, 1, false))
        return false;
    memset(out, 0, sizeof *out);
    return axdr_u8(&r, &out->dlms_version) && get_conformance(&r, &out->conformance) &&
           axdr_u16(&r, &out->max_pdu);
}

void dlms_initiate_response_encode(axdr_writer *w, const dlms_initiate *in) {
    axdr_put_u8(w, APDU_INITIATE_RESPONSE);
    axdr_put_u8(w, 0); /* no negotiated quality of service */
    axdr_put_u8(w, in->dlms_version);
    put_conformance(w, in->conformance);
    axdr_put_u16(w, in->max_pdu);
    axdr_put_u16(w, in->vaa_name);
}

bool dlms_initiate_response_decode(const uint8_t *p, size_t len, dlms_initiate *out) {
    axdr_reader r;
    uint8_t tag;
    axdr_reader_init(&r, p, len);
    if (!axdr_u8(&r, &tag) || tag != APDU_INITIATE_RESPONSE) return false;
    if (!skip_optional(&r, 1, false)) return false;
    memset(out, 0, sizeof *out);
    return axdr_u8(&r, &out->dlms_version) && get_conformance(&r, &out->conformance) &&
           axdr_u16(&r, &out->max_pdu) && axdr_u16(&r, &out->vaa_name);
}

/* ---- AARQ / AARE ----------------------------------------------------------------- */

static void finish_outer(axdr_writer *w, uint8_t tag, const axdr_writer *body) {
    if (body->overflow) {
        w->overflow = true;
        return;
    }
    ber_tlv(w, tag, body->p, body->len);
}

void dlms_aarq_encode(axdr_writer *w, const dlms_aarq *q) {
    uint8_t buf[512];
    axdr_writer b;
    axdr_writer_init(&b, buf, sizeof buf);
    put_context(&b, q->ciphered);
    if (q->calling_title_len) ber_wrapped(&b, 0xA6, 0x04, q->calling_title, q->calling_title_len);
    if (q->auth != DLMS_AUTH_NONE) {
        const uint8_t req[2] = {0x07, 0x80}; /* sender-acse-requirements: authentication */
        uint8_t mech[7];
        memcpy(mech, MECHANISM_PREFIX, 6);
        mech[6] = (uint8_t)q->auth;
        ber_tlv(&b, 0x8A, req, 2);
        ber_tlv(&b, 0x8B, mech, 7);
        ber_wrapped(&b, 0xAC, 0x80, q->auth_value, q->auth_value_len);
    }
    ber_wrapped(&b, 0xBE, 0x04, q->user_info, q->user_info_len);
    finish_outer(w, APDU_AARQ, &b);
}

bool dlms_aarq_decode(const uint8_t *p, size_t len, dlms_aarq *q, const char **why) {
    axdr_reader outer, r;
    uint8_t tag;
    const uint8_t *body, *v;
    size_t n, vn;
    memset(q, 0, sizeof *q);
    axdr_reader_init(&outer, p, len);
    if (!ber_next(&outer, &tag, &body, &n) || tag != APDU_AARQ) {
        *why = "not an AARQ";
        return false;
    }
    axdr_reader_init(&r, body, n);
    bool have_context = false;
    while (axdr_remaining(&r) > 0) {
        if (!ber_next(&r, &tag, &v, &vn)) {
            *why = "AARQ field runs past its end";
            return false;
        }
        switch (tag) {
        case 0xA1:
            if (!parse_context(v, vn, &q->ciphered)) { *why = "unknown application context"; return false; }
            have_context = true;
            break;
        case 0xA6:
            if (!ber_unwrap(v, vn, 0x04, &q->calling_title, &q->calling_title_len)) { *why = "bad calling AP title"; return false; }
            break;
        case 0x8B:
            if (!parse_mechanism(v, vn, &q->auth)) { *why = "unknown mechanism name"; return false; }
            break;
        case 0xAC:
            if (!ber_unwrap(v, vn, 0x80, &q->auth_value, &q->auth_value_len)) { *why = "bad authentication value"; return false; }
            break;
        case 0xBE:
            if (!ber_unwrap(v, vn, 0x04, &q->user_info, &q->user_info_len)) { *why = "bad user information"; return false; }
            break;
        default: break; /* sender-acse-requirements and others */
        }
    }
    if (!have_context) { *why = "AARQ without application context"; return false; }
    return true;
}

void dlms_aare_encode(axdr_writer *w, const dlms_aare *a) {
    uint8_t buf[512];
    axdr_writer b;
    axdr_writer_init(&b, buf, sizeof buf);
    put_context(&b, a->ciphered);
    const uint8_t result[3] = {0x02, 0x01, (uint8_t)a->result};
    ber_tlv(&b, 0xA2, result, 3);
    const uint8_t diag[5] = {(uint8_t)(a->diag_source == 2 ? 0xA2 : 0xA1), 0x03, 0x02, 0x01,
                             (uint8_t)a->diagnostic};
    ber_tlv(&b, 0xA3, diag, 5);
    if (a->responding_title_len)
        ber_wrapped(&b, 0xA4, 0x04, a->responding_title, a->responding_title_len);
    if (a->auth != DLMS_AUTH_NONE) {
        const uint8_t req[2] = {0x07, 0x80};
        uint8_t mech[7];
        memcpy(mech, MECHANISM_PREFIX, 6);
        mech[6] = (uint8_t)a->auth;
        ber_tlv(&b, 0x88, req, 2);
        ber_tlv(&b, 0x89, mech, 7);
        if (a->auth_value_len) ber_wrapped(&b, 0xAA, 0x80, a->auth_value, a->auth_value_len);
    }
    if (a->user_info_len) ber_wrapped(&b, 0xBE, 0x04, a->user_info, a->user_info_len);
    finish_outer(w, APDU_AARE, &b);
}

bool dlms_aare_decode(const uint8_t *p, size_t len, dlms_aare *a, const char **why) {
    axdr_reader outer, r;
    uint8_t tag;
    const uint8_t *body, *v, *inner;
    size_t n, vn, in_n;
    memset(a, 0, sizeof *a);
    a->result = -1;
    axdr_reader_init(&outer, p, len);
    if (!ber_next(&outer, &tag, &body, &n) || tag != APDU_AARE) {
        *why = "not an AARE";
        return false;
    }
    axdr_reader_init(&r, body, n);
    while (axdr_remaining(&r) > 0) {
        if (!ber_next(&r, &tag, &v, &vn)) { *why = "AARE field runs past its end"; return false; }
        switch (tag) {
        case 0xA1:
            if (!parse_context(v, vn, &a->ciphered)) { *why = "unknown application context"; return false; }
            break;
        case 0xA2:
            if (!parse_small_int(v, vn, &a->result)) { *why = "bad association result"; return false; }
            break;
        case 0xA3: {
            axdr_reader d;
            uint8_t src;
            axdr_reader_init(&d, v, vn);
            if (!ber_next(&d, &src, &inner, &in_n) || !parse_small_int(inner, in_n, &a->diagnostic)) {
                *why = "bad result source diagnostic";
                return false;
            }
            a->diag_source = src == 0xA2 ? 2 : 1;
            break;
        }
        case 0xA4:
            if (!ber_unwrap(v, vn, 0x04, &a->responding_title, &a->responding_title_len)) { *why = "bad responding AP title"; return false; }
            break;
        case 0x89:
            if (!parse_mechanism(v, vn, &a->auth)) { *why = "unknown mechanism name"; return false; }
            break;
        case 0xAA:
            if (!ber_unwrap(v, vn, 0x80, &a->auth_value, &a->auth_value_len)) { *why = "bad responding authentication value"; return false; }
            break;
        case 0xBE:
            if (!ber_unwrap(v, vn, 0x04, &a->user_info, &a->user_info_len)) { *why = "bad user information"; return false; }
            break;
        default: break;
        }
    }
    if (a->result < 0) { *why = "AARE without result"; return false; }
    return true;
}

const char *dlms_aare_diag_text(int d) {
    switch (d) {
    case AARE_DIAG_NONE: return "none";
    case AARE_DIAG_NO_REASON: return "no reason given";
    case AARE_DIAG_CONTEXT_NOT_SUPPORTED: return "application context not supported";
    case AARE_DIAG_MECH_NOT_RECOGNISED: return "authentication mechanism not recognised";
    case AARE_DIAG_MECH_REQUIRED: return "authentication mechanism required";
    case AARE_DIAG_AUTH_FAILURE: return "authentication failure (wrong password or key)";
    case AARE_DIAG_AUTH_REQUIRED: return "authentication required";
    default: return "other diagnostic";
    }
}

void dlms_rlrq_encode(axdr_writer *w) {
    const uint8_t rlrq[5] = {APDU_RLRQ, 0x03, 0x80, 0x01, 0x00}; /* reason: normal */
    axdr_put_bytes(w, rlrq, 5);
}

void dlms_rlre_encode(axdr_writer *w) {
    const uint8_t rlre[5] = {APDU_RLRE, 0x03, 0x80, 0x01, 0x00};
    axdr_put_bytes(w, rlre, 5);
}

/* ---- xDLMS helpers ------------------------------------------------------------------ */

static void put_ref(axdr_writer *w, const cosem_ref *ref) {
    axdr_put_u16(w, ref->class_id);
    axdr_put_bytes(w, ref->obis, 6);
    axdr_put_u8(w, (uint8_t)ref->index);
}

static bool get_ref(axdr_reader *r, cosem_ref *ref) {
    const uint8_t *o;
    uint8_t idx;
    if (!axdr_u16(r, &ref->class_id) || !axdr_bytes(r, 6, &o) || !axdr_u8(r, &idx)) return false;
    memcpy(ref->obis, o, 6);
    ref->index = (int8_t)idx;
    return true;
}

static void put_access(axdr_writer *w, const dlms_access *a) {
    if (!a->selector) {
        axdr_put_u8(w, 0);
        return;
    }
    axdr_put_u8(w, 1);
    axdr_put_u8(w, a->selector);
    axdr_put_bytes(w, a->params, a->params_len);
}

/* One whole A-XDR element at the reader: its bytes. */
static bool get_element(axdr_reader *r, const uint8_t **p, size_t *n) {
    size_t start = r->pos;
    if (!axdr_skip(r)) return false;
    *p = r->p + start;
    *n = r->pos - start;
    return true;
}

static bool get_access(axdr_reader *r, dlms_access *a) {
    uint8_t present;
    memset(a, 0, sizeof *a);
    if (!axdr_u8(r, &present)) return false;
    if (!present) return true;
    return axdr_u8(r, &a->selector) && get_element(r, &a->params, &a->params_len);
}

static bool start_apdu(const uint8_t *p, size_t len, axdr_reader *r, uint8_t tag, uint8_t *kind,
                       uint8_t *invoke) {
    uint8_t t;
    axdr_reader_init(r, p, len);
    if (!axdr_u8(r, &t) || t != tag) return axdr_fail(r, "unexpected APDU tag");
    return axdr_u8(r, kind) && axdr_u8(r, invoke);
}

static bool finish_decode(axdr_reader *r, const char **why) {
    if (r->err) {
        *why = r->err;
        return false;
    }
    if (axdr_remaining(r)) {
        *why = "trailing bytes after the APDU";
        return false;
    }
    return true;
}

/* Answers from meters: bytes after the APDU are tolerated (real servers send them,
 * e.g. padding after a clock value) and counted in *trailing for the caller to report. */
static bool finish_response(axdr_reader *r, size_t *trailing, const char **why) {
    *trailing = 0;
    if (r->err) {
        *why = r->err;
        return false;
    }
    *trailing = axdr_remaining(r);
    return true;
}

/* ---- GET ------------------------------------------------------------------------------ */

void dlms_get_request_encode(axdr_writer *w, const dlms_get_request *q) {
    axdr_put_u8(w, APDU_GET_REQUEST);
    axdr_put_u8(w, (uint8_t)q->kind);
    axdr_put_u8(w, q->invoke);
    switch (q->kind) {
    case GET_NORMAL:
        put_ref(w, &q->ref[0]);
        put_access(w, &q->access[0]);
        break;
    case GET_NEXT: axdr_put_u32(w, q->block); break;
    case GET_WITH_LIST:
        axdr_put_length(w, q->n);
        for (size_t i = 0; i < q->n; i++) {
            put_ref(w, &q->ref[i]);
            put_access(w, &q->access[i]);
        }
        break;
    }
}

bool dlms_get_request_decode(const uint8_t *p, size_t len, dlms_get_request *q, const char **why) {
    axdr_reader r;
    uint8_t kind;
    memset(q, 0, sizeof *q);
    if (start_apdu(p, len, &r, APDU_GET_REQUEST, &kind, &q->invoke)) {
        q->kind = (get_kind)kind;
        switch (kind) {
        case GET_NORMAL:
            q->n = 1;
            if (get_ref(&r, &q->ref[0])) get_access(&r, &q->access[0]);
            break;
        case GET_NEXT: axdr_u32(&r, &q->block); break;
        case GET_WITH_LIST:
            if (!axdr_length(&r, &q->n)) break;
            if (q->n == 0 || q->n > DLMS_MAX_LIST) {
                axdr_fail(&r, "GET with list: too many or no items");
                break;
            }
            for (size_t i = 0; i < q->n; i++)
                if (!get_ref(&r, &q->ref[i]) || !get_access(&r, &q->access[i])) break;
            break;
        default: axdr_fail(&r, "unknown GET request type");
        }
    }
    return finish_decode(&r, why);
}

static void put_result(axdr_writer *w, const dlms_result *res) {
    if (res->ok) {
        axdr_put_u8(w, 0);
        axdr_put_bytes(w, res->data, res->len);
    } else {
        axdr_put_u8(w, 1);
        axdr_put_u8(w, res->error);
    }
}

static bool get_result(axdr_reader *r, dlms_result *res) {
    uint8_t choice;
    memset(res, 0, sizeof *res);
    if (!axdr_u8(r, &choice)) return false;
    if (choice == 0) {
        res->ok = true;
        return get_element(r, &res->data, &res->len);
    }
    if (choice != 1) return axdr_fail(r, "bad get-data-result choice");
    return axdr_u8(r, &res->error);
}

void dlms_get_response_encode(axdr_writer *w, const dlms_get_response *g) {
    axdr_put_u8(w, APDU_GET_RESPONSE);
    axdr_put_u8(w, (uint8_t)g->kind);
    axdr_put_u8(w, g->invoke);
    switch (g->kind) {
    case GETR_NORMAL: put_result(w, &g->res[0]); break;
    case GETR_BLOCK:
        axdr_put_u8(w, g->last_block ? 1 : 0);
        axdr_put_u32(w, g->block);
        if (g->block_ok) {
            axdr_put_u8(w, 0);
            axdr_put_length(w, g->raw_len);
            axdr_put_bytes(w, g->raw, g->raw_len);
        } else {
            axdr_put_u8(w, 1);
            axdr_put_u8(w, g->res[0].error);
        }
        break;
    case GETR_WITH_LIST:
        axdr_put_length(w, g->n);
        for (size_t i = 0; i < g->n; i++) put_result(w, &g->res[i]);
        break;
    }
}

bool dlms_get_response_decode(const uint8_t *p, size_t len, dlms_get_response *g, const char **why) {
    axdr_reader r;
    uint8_t kind, u8;
    memset(g, 0, sizeof *g);
    if (start_apdu(p, len, &r, APDU_GET_RESPONSE, &kind, &g->invoke)) {
        g->kind = (get_resp_kind)kind;
        switch (kind) {
        case GETR_NORMAL:
            g->n = 1;
            get_result(&r, &g->res[0]);
            break;
        case GETR_BLOCK:
            if (!axdr_u8(&r, &u8) || !axdr_u32(&r, &g->block)) break;
            g->last_block = u8 != 0;
            if (!axdr_u8(&r, &u8)) break;
            if (u8 == 0) {
                g->block_ok = true;
                if (axdr_length(&r, &g->raw_len)) axdr_bytes(&r, g->raw_len, &g->raw);
            } else {
                axdr_u8(&r, &g->res[0].error);
            }
            break;
        case GETR_WITH_LIST:
            if (!axdr_length(&r, &g->n)) break;
            if (g->n == 0 || g->n > DLMS_MAX_LIST) {
                axdr_fail(&r, "GET response with list: too many or no items");
                break;
            }
            for (size_t i = 0; i < g->n; i++)
                if (!get_result(&r, &g->res[i])) break;
            break;
        default: axdr_fail(&r, "unknown GET response type");
        }
    }
    return finish_response(&r, &g->trailing, why);
}

/* ---- SET and ACTION -------------------------------------------------------------------- */

void dlms_set_request_encode(axdr_writer *w, const dlms_set_request *q) {
    axdr_put_u8(w, APDU_SET_REQUEST);
    axdr_put_u8(w, 1);
    axdr_put_u8(w, q->invoke);
    put_ref(w, &q->ref);
    put_access(w, &q->access);
    axdr_put_bytes(w, q->data, q->len);
}

bool dlms_set_request_decode(const uint8_t *p, size_t len, dlms_set_request *q, const char **why) {
    axdr_reader r;
    uint8_t kind;
    memset(q, 0, sizeof *q);
    if (start_apdu(p, len, &r, APDU_SET_REQUEST, &kind, &q->invoke)) {
        if (kind != 1) axdr_fail(&r, "only SET normal is supported");
        else if (get_ref(&r, &q->ref) && get_access(&r, &q->access))
            get_element(&r, &q->data, &q->len);
    }
    return finish_decode(&r, why);
}

void dlms_set_response_encode(axdr_writer *w, const dlms_simple_response *s) {
    const uint8_t b[4] = {APDU_SET_RESPONSE, 1, s->invoke, s->result};
    axdr_put_bytes(w, b, 4);
}

bool dlms_set_response_decode(const uint8_t *p, size_t len, dlms_simple_response *s, const char **why) {
    axdr_reader r;
    uint8_t kind;
    memset(s, 0, sizeof *s);
    if (start_apdu(p, len, &r, APDU_SET_RESPONSE, &kind, &s->invoke)) {
        if (kind != 1) axdr_fail(&r, "only SET response normal is supported");
        else axdr_u8(&r, &s->result);
    }
    return finish_response(&r, &s->trailing, why);
}

void dlms_action_request_encode(axdr_writer *w, const dlms_action_request *q) {
    axdr_put_u8(w, APDU_ACTION_REQUEST);
    axdr_put_u8(w, 1);
    axdr_put_u8(w, q->invoke);
    put_ref(w, &q->ref);
    axdr_put_u8(w, q->len ? 1 : 0);
    axdr_put_bytes(w, q->data, q->len);
}

bool dlms_action_request_decode(const uint8_t *p, size_t len, dlms_action_request *q, const char **why) {
    axdr_reader r;
    uint8_t kind, present;
    memset(q, 0, sizeof *q);
    if (start_apdu(p, len, &r, APDU_ACTION_REQUEST, &kind, &q->invoke)) {
        if (kind != 1) axdr_fail(&r, "only ACTION normal is supported");
        else if (get_ref(&r, &q->ref) && axdr_u8(&r, &present) && present)
            get_element(&r, &q->data, &q->len);
    }
    return finish_decode(&r, why);
}

void dlms_action_response_encode(axdr_writer *w, const dlms_simple_response *s) {
    const uint8_t b[4] = {APDU_ACTION_RESPONSE, 1, s->invoke, s->result};
    axdr_put_bytes(w, b, 4);
    if (!s->len) {
        axdr_put_u8(w, 0); /* no return parameters */
        return;
    }
    axdr_put_u8(w, 1);
    axdr_put_u8(w, 0); /* get-data-result: data */
    axdr_put_bytes(w, s->data, s->len);
}

bool dlms_action_response_decode(const uint8_t *p, size_t len, dlms_simple_response *s,
                                 const char **why) {
    axdr_reader r;
    uint8_t kind, present;
    memset(s, 0, sizeof *s);
    if (start_apdu(p, len, &r, APDU_ACTION_RESPONSE, &kind, &s->invoke)) {
        if (kind != 1) axdr_fail(&r, "only ACTION response normal is supported");
        else if (axdr_u8(&r, &s->result) && axdr_u8(&r, &present) && present) {
            dlms_result res;
            if (get_result(&r, &res)) {
                s->data_ok = res.ok;
                s->data = res.data;
                s->len = res.len;
            }
        }
    }
    return finish_response(&r, &s->trailing, why);
}

const char *dlms_access_result_text(uint8_t v) {
    switch (v) {
    case DAR_SUCCESS: return "success";
    case DAR_HARDWARE_FAULT: return "hardware-fault";
    case DAR_TEMPORARY_FAILURE: return "temporary-failure";
    case DAR_READ_WRITE_DENIED: return "read-write-denied";
    case DAR_OBJECT_UNDEFINED: return "object-undefined";
    case 9: return "object-class-inconsistent";
    case DAR_OBJECT_UNAVAILABLE: return "object-unavailable";
    case DAR_TYPE_UNMATCHED: return "type-unmatched";
    case DAR_SCOPE_VIOLATED: return "scope-of-access-violated";
    case DAR_DATA_BLOCK_UNAVAILABLE: return "data-block-unavailable";
    case DAR_LONG_GET_ABORTED: return "long-get-aborted";
    case DAR_NO_LONG_GET_IN_PROGRESS: return "no-long-get-in-progress";
    default: return "other-reason";
    }
}

/* ---- selective access by range ------------------------------------------------------------- */

void dlms_range_encode(axdr_writer *w, int64_t from_ns, int64_t to_ns) {
    dlms_datetime from, to;
    dlms_datetime_from_unix_ns(from_ns, &from);
    dlms_datetime_from_unix_ns(to_ns, &to);
    axdr_put_structure(w, 4);
    axdr_put_structure(w, 4); /* restricting object: the clock's time attribute */
    axdr_put_uint16(w, 8);
    axdr_put_octets(w, CLOCK_OBIS, 6);
    axdr_put_int8(w, 2);
    axdr_put_uint16(w, 0);
    axdr_put_datetime(w, &from);
    axdr_put_datetime(w, &to);
    axdr_put_array(w, 0); /* selected values: all columns */
}

bool dlms_range_decode(const uint8_t *p, size_t len, int64_t *from_ns, int64_t *to_ns) {
    axdr_reader r;
    dlms_value v;
    dlms_datetime dt;
    axdr_reader_init(&r, p, len);
    if (!axdr_value(&r, &v) || v.type != DT_STRUCTURE || v.count != 4) return false;
    if (!axdr_skip(&r)) return false; /* restricting object (only the clock is supported) */
    for (int i = 0; i < 2; i++) {
        if (!axdr_value(&r, &v) || v.type != DT_OCTET_STRING ||
            !dlms_datetime_decode(v.bytes, v.len, &dt) ||
            !dlms_datetime_to_unix_ns(&dt, i == 0 ? from_ns : to_ns))
            return false;
    }
    return axdr_skip(&r);
}
