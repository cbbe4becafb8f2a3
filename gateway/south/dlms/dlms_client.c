/* dlms_client: polling engine of the DLMS/COSEM client (see dlms_client.h).
 *
 * Each meter runs at most one job at a time and has at most one request in
 * flight and one timer (answer timeout, or the silent window before the next
 * request). A job walks: AARQ -> (HLS: reply_to_HLS_authentication) -> one
 * step per due object -> RLRQ. Answers that arrive when nothing is awaited
 * (late duplicates after a retry) are dropped. */
#include "south/dlms/dlms_client_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/dp_address.h"
#include "codec/dlms/dlms_apdu.h"
#include "codec/dlms/dlms_obis_quantity.h"
#include "codec/dlms/dlms_cipher.h"
#include "south/dlms/dlms_link.h"
#include "codec/dlms/dlms_wrapper.h"
#include "core/iochan.h"
#include "core/log.h"
#include "core/strhash.h"

static const uint8_t HLS_OBIS[6] = {0, 0, 40, 0, 0, 255};

static void next_request(meter *m);
static void pump(net *n);

/* ---- publishing ----------------------------------------------------------- */

void dlms_publish_event(meter *m, const char *kind, const char *fmt, ...) {
    char text[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    dh_event ev = {.source = m->net->source, .kind = kind, .meter = m->cfg->name, .text = text,
                   .ts_ns = clock_wall_ns()};
    datahub_event(m->net->c->hub, &ev);
}

static void publish_meter(meter *m, const char *status, int64_t last_ok) {
    dh_meter dm = {.name = m->cfg->name, .interface = "dlms", .primary_address = -1,
                   .serial = m->serial[0] ? m->serial : NULL, .status = status,
                   .last_read_ns = last_ok};
    const dh_meter *old = datahub_get_meter(m->net->c->hub, m->cfg->name);
    if (!last_ok && old) dm.last_read_ns = old->last_read_ns;
    datahub_meter(m->net->c->hub, &dm);
}

static double pow10i(int e) {
    double v = 1;
    for (int i = 0; i < (e < 0 ? -e : e); i++) v *= 10;
    return e < 0 ? 1 / v : v;
}

/* Turn one A-XDR data element into a point value. Strings/dates/bytes are
 * written into text (which must outlive the publish). */
bool dlms_to_dp_value(const dlms_value *v, int scaler, dp_value *out, char *text, size_t cap, int64_t *raw,
                      bool *has_raw) {
    double d;
    int64_t i;
    memset(out, 0, sizeof *out);
    *has_raw = false;
    if (v->type == DT_BOOLEAN) {
        out->type = DP_BOOL;
        out->b = v->i != 0;
        return true;
    }
    if (dlms_value_is_integer(v, &i)) {
        *raw = i;
        *has_raw = true;
        out->type = DP_DOUBLE;
        out->d = (double)i * pow10i(scaler);
        return true;
    }
    if (dlms_value_number(v, &d)) {
        out->type = DP_DOUBLE;
        out->d = d * pow10i(scaler);
        return true;
    }
    dlms_datetime dt;
    if ((v->type == DT_OCTET_STRING || v->type == DT_DATE_TIME) &&
        dlms_datetime_decode(v->bytes, v->len, &dt)) {
        dlms_datetime_format(&dt, text, cap);
        out->type = DP_STRING;
        out->s = text;
        return true;
    }
    if (v->type == DT_OCTET_STRING || v->type == DT_VISIBLE_STRING || v->type == DT_UTF8_STRING) {
        bool printable = v->len > 0;
        for (size_t k = 0; k < v->len; k++) printable = printable && v->bytes[k] >= 0x20 && v->bytes[k] < 0x7F;
        if (printable || v->type != DT_OCTET_STRING) {
            snprintf(text, cap, "%.*s", (int)v->len, (const char *)v->bytes);
            out->type = DP_STRING;
            out->s = text;
        } else {
            out->type = DP_BYTES;
            out->bytes = v->bytes;
            out->len = v->len;
        }
        return true;
    }
    return false;
}

void dlms_attr_address(const uint8_t obis[6], unsigned class_id, int attr, char *out, size_t cap) {
    dp_dlms_address_format(obis, (int)class_id, attr, out, cap);
}

void dlms_publish_point(meter *m, const char *id_suffix, const char *quantity, const char *address,
                        const dp_value *value, int scaler, const char *unit, int64_t ts, int64_t meter_ts,
                        int64_t raw, bool has_raw, unsigned quality) {
    char id[3 * DLMS_NAME_MAX + 40];
    snprintf(id, sizeof id, "%s/%s", m->cfg->name, id_suffix);
    dp p = {.id = id, .value = *value, .unit = unit, .ts_ns = ts, .quality = quality};
    p.origin = (dp_origin){.meter = m->cfg->name, .record = -1,
                           .protocol = address ? DP_PROTO_DLMS : DP_PROTO_NONE, .address = address,
                           .quantity = quantity, .function = "instantaneous", .raw_int = raw,
                           .scale_exp = scaler, .has_raw = has_raw, .meter_ts_ns = meter_ts};
    datahub_publish(m->net->c->hub, &p);
    m->values++;
}

/* One attribute of a configured object; quantity NULL: the one its logical name says. */
static void publish_value(meter *m, const char *id_suffix, const dlms_object_cfg *o, int attr,
                          const char *quantity, const dlms_value *v, int scaler, const char *unit,
                          int64_t ts, int64_t meter_ts) {
    char text[128], address[DP_ADDRESS_MAX];
    dp_value value;
    int64_t raw = 0;
    bool has_raw;
    if (!dlms_to_dp_value(v, scaler, &value, text, sizeof text, &raw, &has_raw)) return;
    dlms_attr_address(o->obis, o->class_id, attr, address, sizeof address);
    if (!quantity) quantity = dlms_obis_quantity(o->obis, o->class_id);
    dlms_publish_point(m, id_suffix, quantity, address, &value, scaler, unit, ts, meter_ts, raw, has_raw, 0);
}

/* ---- sending ------------------------------------------------------------------- */

/* The HLS frame counter must never repeat, even across restarts: with a store,
 * counters are reserved in blocks (written before use) and a restart goes on
 * after the last reserved block, skipping at most FC_BLOCK values. */
#define FC_BLOCK 256

static void fc_key(const meter *m, char *key, size_t cap) {
    snprintf(key, cap, "dlms/%s/fc", m->cfg->name);
}

static uint32_t next_fc(meter *m) {
    const gw_state *st = m->net->c->state;
    if (st && m->fc >= m->fc_limit) {
        char key[DLMS_NAME_MAX + 32];
        fc_key(m, key, sizeof key);
        if (gw_state_put(st, key, (int64_t)m->fc + FC_BLOCK)) m->fc_limit = m->fc + FC_BLOCK;
        else log_warn(MOD, "%s: cannot save the frame counter", m->cfg->name);
    }
    return m->fc++;
}

static void on_timeout(gw_loop *loop, void *arg);

static void send_tx(meter *m) {
    m->awaiting = true;
    if (dlms_link_send(m->link, m->tx, m->tx_len) != 0)
        log_debug(MOD, "%s: send failed (counted as a lost request)", m->cfg->name);
    loop_timer_cancel(m->net->c->loop, m->timer);
    m->timer = loop_timer_after(m->net->c->loop, m->net->cfg->timeout_ns, on_timeout, m);
}

/* Protect (HLS context) and send a plain APDU as a new request. */
static bool send_apdu(meter *m, const uint8_t *apdu, size_t len) {
    size_t n = len;
    if (m->ciphered && dlms_glo_tag(apdu[0])) {
        n = dlms_cipher_protect(&m->cfg->keys, m->cfg->systitle, next_fc(m), DLMS_SC_AUTH_ENCRYPT,
                                apdu, len, m->tx, sizeof m->tx);
        if (!n) {
            snprintf(m->error, sizeof m->error, "cannot cipher a %zu-byte request", len);
            return false;
        }
    } else {
        memcpy(m->tx, apdu, len);
    }
    if (m->pdu && n > m->pdu) {
        snprintf(m->error, sizeof m->error, "request of %zu bytes exceeds the meter's PDU size %u",
                 n, m->pdu);
        return false;
    }
    m->tx_len = n;
    m->attempt = 0;
    send_tx(m);
    return true;
}

static uint8_t next_invoke(meter *m) {
    m->invoke = (uint8_t)(0xC0 | ((m->invoke + 1) & 0x0F)); /* high priority, confirmed */
    return m->invoke;
}

/* ---- job end ---------------------------------------------------------------------- */

static void finish_job(meter *m, bool ok) {
    net *n = m->net;
    loop_timer_cancel(n->c->loop, m->timer);
    m->timer = 0;
    m->busy = m->awaiting = false;
    dlms_link_close_session(m->link);
    free(m->blk);
    m->blk = NULL;
    m->blk_len = m->blk_cap = 0;
    int64_t wall = clock_wall_ns();
    if (ok) {
        m->due &= ~m->job_groups;
        publish_meter(m, "ok", wall);
        log_info(MOD, "%s: %s read: %u values", n->cfg->name, m->cfg->name, m->values);
    } else {
        dlms_link_drop(m->link);
        /* a new connection may reach a meter whose profiles were reconfigured meanwhile */
        for (size_t o = 0; o < m->cfg->n_objects; o++) dlms_profile_forget_columns(&m->objs[o].prof);
        m->not_before = clock_mono_ns() + n->cfg->reconnect_delay_ns;
        log_warn(MOD, "%s: %s not read: %s", n->cfg->name, m->cfg->name, m->error);
        dlms_publish_event(m, m->error_kind, "%s", m->error);
        publish_meter(m, strcmp(m->error_kind, "not_read") == 0 ? "not_read" : "error", 0);
        datahub_set_meter_quality(n->c->hub, m->cfg->name, DPQ_INVALID | DPQ_NOT_TOPICAL, wall);
    }
    dlms_publish_link_counters(m, wall);
    n->active--;
    if (m->due) m->queued = true; /* groups due meanwhile, or still due after a failure */
    pump(n);
}

static void fail(meter *m, const char *kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void fail(meter *m, const char *kind, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m->error, sizeof m->error, fmt, ap);
    va_end(ap);
    m->error_kind = kind;
    finish_job(m, false);
}

static void on_timeout(gw_loop *loop, void *arg) {
    meter *m = arg;
    m->timer = 0;
    if (!m->awaiting) return;
    if (m->step == STEP_RELEASE) { /* the data is in; a lost RLRE does not undo it */
        finish_job(m, true);
        return;
    }
    if (m->attempt < m->net->cfg->retries) {
        m->attempt++;
        log_debug(MOD, "%s: no answer, retry %d", m->cfg->name, m->attempt);
        send_tx(m);
        return;
    }
    fail(m, "not_read", "no answer after %d attempts (timeout %.1f s)", m->attempt + 1,
         (double)m->net->cfg->timeout_ns / NS_PER_S);
}

/* The answer was good: the next request goes out after the silent window. */
static void on_silent_over(gw_loop *loop, void *arg) {
    meter *m = arg;
    m->timer = 0;
    next_request(m);
}

static void answered(meter *m) {
    m->awaiting = false;
    loop_timer_cancel(m->net->c->loop, m->timer);
    m->timer = loop_timer_after(m->net->c->loop, m->net->cfg->silent_ns, on_silent_over, m);
}

/* ---- requests ----------------------------------------------------------------------- */

static void send_aarq(meter *m) {
    const dlms_meter_cfg *c = m->cfg;
    uint8_t ui[128], ciph[160], out[512];
    axdr_writer w;
    dlms_initiate ini = {.dlms_version = 6, .conformance = DLMS_CONF_DEFAULT,
                         .max_pdu = (uint16_t)dlms_link_max_apdu(m->link)};
    axdr_writer_init(&w, ui, sizeof ui);
    dlms_initiate_request_encode(&w, &ini);
    dlms_aarq q = {.auth = c->auth, .user_info = ui, .user_info_len = w.len};
    m->ciphered = false;
    m->pdu = 0;
    if (c->auth == DLMS_AUTH_LLS) {
        q.auth_value = (const uint8_t *)c->password;
        q.auth_value_len = strlen(c->password);
    } else if (c->auth == DLMS_AUTH_HLS_GMAC) {
        for (int i = 0; i < CHALLENGE_LEN; i++) { /* xorshift: a fresh challenge per association */
            m->rng ^= m->rng << 13;
            m->rng ^= m->rng >> 7;
            m->rng ^= m->rng << 17;
            m->challenge[i] = (uint8_t)(m->rng >> 24);
        }
        size_t cn = dlms_cipher_protect(&c->keys, c->systitle, next_fc(m), DLMS_SC_AUTH_ENCRYPT, ui,
                                        w.len, ciph, sizeof ciph);
        q.ciphered = true;
        q.calling_title = c->systitle;
        q.calling_title_len = 8;
        q.auth_value = m->challenge;
        q.auth_value_len = CHALLENGE_LEN;
        q.user_info = ciph;
        q.user_info_len = cn;
    }
    axdr_writer_init(&w, out, sizeof out);
    dlms_aarq_encode(&w, &q);
    m->step = STEP_AARQ;
    if (w.overflow || !send_apdu(m, out, w.len)) fail(m, "error", "cannot encode the AARQ");
}

void dlms_send_get_refs(meter *m, const cosem_ref *refs, size_t n, const dlms_access *access) {
    uint8_t out[256];
    axdr_writer w;
    dlms_get_request q = {.kind = n > 1 ? GET_WITH_LIST : GET_NORMAL, .invoke = next_invoke(m),
                          .n = n};
    for (size_t i = 0; i < n; i++) {
        q.ref[i] = refs[i];
        if (access) q.access[i] = *access;
    }
    m->req_is_list = n > 1;
    m->blk_len = 0;
    m->blk_no = 0;
    m->blk_repeats = 0;
    axdr_writer_init(&w, out, sizeof out);
    dlms_get_request_encode(&w, &q);
    if (w.overflow || !send_apdu(m, out, w.len)) fail(m, "error", "%s", m->error[0] ? m->error : "GET too large");
}

static void send_get(meter *m, const dlms_object_cfg *o, const int8_t *attrs, size_t n,
                     const dlms_access *access) {
    cosem_ref refs[DLMS_MAX_LIST];
    for (size_t i = 0; i < n; i++) {
        refs[i] = (cosem_ref){o->class_id, {0}, attrs[i]};
        memcpy(refs[i].obis, o->obis, 6);
    }
    dlms_send_get_refs(m, refs, n, access);
}

static void send_get_next(meter *m) {
    uint8_t out[16];
    axdr_writer w;
    dlms_get_request q = {.kind = GET_NEXT, .invoke = m->invoke, .block = m->blk_no};
    axdr_writer_init(&w, out, sizeof out);
    dlms_get_request_encode(&w, &q);
    if (!send_apdu(m, out, w.len)) fail(m, "error", "%s", m->error);
}

static void send_clock_set(meter *m, const dlms_object_cfg *o) {
    uint8_t data[16], out[64];
    axdr_writer dw, w;
    dlms_datetime now;
    dlms_datetime_from_unix_ns(clock_wall_ns(), &now);
    axdr_writer_init(&dw, data, sizeof data);
    axdr_put_datetime(&dw, &now);
    dlms_set_request q = {.invoke = next_invoke(m), .ref = {8, {0}, 2}, .data = data, .len = dw.len};
    memcpy(q.ref.obis, o->obis, 6);
    axdr_writer_init(&w, out, sizeof out);
    dlms_set_request_encode(&w, &q);
    if (!send_apdu(m, out, w.len)) fail(m, "error", "%s", m->error);
}

static bool group_due(const meter *m, const dlms_object_cfg *o) {
    return (m->job_groups >> o->group) & 1u;
}

/* Send the request for the current object step, skipping objects not due. */
static void object_request(meter *m) {
    while (m->obj < m->cfg->n_objects && !group_due(m, &m->cfg->objects[m->obj])) m->obj++;
    if (m->obj >= m->cfg->n_objects) {
        uint8_t out[8];
        axdr_writer w;
        axdr_writer_init(&w, out, sizeof out);
        dlms_rlrq_encode(&w);
        m->step = STEP_RELEASE;
        if (!send_apdu(m, out, w.len)) finish_job(m, true);
        return;
    }
    const dlms_object_cfg *o = &m->cfg->objects[m->obj];
    obj_rt *rt = &m->objs[m->obj];
    static const int8_t reg[] = {2, 3}, ext[] = {2, 3, 5}, disc[] = {2, 3}, one[] = {2};
    switch (o->kind) {
    case DLMS_OBJ_REGISTER: send_get(m, o, reg, rt->have_su ? 1 : 2, NULL); break;
    case DLMS_OBJ_EXT_REGISTER: send_get(m, o, ext, 3, NULL); break;
    case DLMS_OBJ_DISCONNECT: send_get(m, o, disc, 2, NULL); break;
    case DLMS_OBJ_DATA: send_get(m, o, one, 1, NULL); break;
    case DLMS_OBJ_CLOCK:
        if (m->sub == 0) send_get(m, o, one, 1, NULL);
        else send_clock_set(m, o);
        break;
    case DLMS_OBJ_PROFILE: dlms_profile_request(m, o, rt); break;
    }
}

static void send_hls_reply(meter *m) {
    uint8_t f[DLMS_GMAC_LEN], data[32], out[64];
    axdr_writer dw, w;
    if (!dlms_hls_gmac(&m->cfg->keys, m->cfg->systitle, next_fc(m), m->stoc, m->stoc_len, f)) {
        fail(m, "error", "HLS: GMAC failed");
        return;
    }
    axdr_writer_init(&dw, data, sizeof data);
    axdr_put_octets(&dw, f, sizeof f);
    dlms_action_request q = {.invoke = next_invoke(m), .ref = {15, {0}, 1}, .data = data, .len = dw.len};
    memcpy(q.ref.obis, HLS_OBIS, 6);
    axdr_writer_init(&w, out, sizeof out);
    dlms_action_request_encode(&w, &q);
    if (!send_apdu(m, out, w.len)) fail(m, "error", "%s", m->error);
}

static void next_object(meter *m) {
    m->obj++;
    m->sub = 0;
}

static void next_request(meter *m) {
    if (!m->busy) return;
    if (m->blk_pending) {
        m->blk_pending = false;
        send_get_next(m);
        return;
    }
    switch (m->step) {
    case STEP_AARQ: send_aarq(m); break;
    case STEP_HLS: send_hls_reply(m); break;
    case STEP_OBJECTS: object_request(m); break;
    case STEP_RELEASE: finish_job(m, true); break;
    }
}

/* ---- answers ------------------------------------------------------------------------ */

static void handle_aare(meter *m, const uint8_t *p, size_t len) {
    dlms_aare a;
    const char *why = "";
    if (!dlms_aare_decode(p, len, &a, &why)) {
        fail(m, "rejected", "bad AARE: %s", why);
        return;
    }
    if (a.result != 0) {
        fail(m, "auth_failed", "association rejected (result %d): %s", a.result,
             dlms_aare_diag_text(a.diagnostic));
        return;
    }
    uint8_t plain[128];
    const uint8_t *ui = a.user_info;
    size_t uil = a.user_info_len;
    if (m->cfg->auth == DLMS_AUTH_HLS_GMAC) {
        uint32_t fc;
        if (a.responding_title_len != 8 || a.auth_value_len < 8 || a.auth_value_len > 64) {
            fail(m, "auth_failed", "HLS: the AARE lacks the meter's system title or challenge");
            return;
        }
        memcpy(m->peer_title, a.responding_title, 8);
        long n = dlms_cipher_unprotect(&m->cfg->keys, m->peer_title, ui, uil, plain, sizeof plain,
                                       &fc, &why);
        if (n < 0) {
            fail(m, "auth_failed", "HLS: cannot read the meter's InitiateResponse: %s", why);
            return;
        }
        ui = plain;
        uil = (size_t)n;
    }
    dlms_initiate ini;
    if (!dlms_initiate_response_decode(ui, uil, &ini)) {
        fail(m, "rejected", "AARE without a valid InitiateResponse");
        return;
    }
    m->pdu = ini.max_pdu;
    if (m->pdu < 12) m->pdu = 12;
    if (m->cfg->auth != DLMS_AUTH_HLS_GMAC) {
        m->step = STEP_OBJECTS;
        answered(m);
        return;
    }
    /* HLS pass 3 (after the silent window): f(StoC) to reply_to_HLS_authentication */
    if (a.auth_value_len > sizeof m->stoc) {
        fail(m, "auth_failed", "HLS: the meter's challenge is longer than 64 bytes");
        return;
    }
    memcpy(m->stoc, a.auth_value, a.auth_value_len);
    m->stoc_len = a.auth_value_len;
    m->ciphered = true;
    m->step = STEP_HLS;
    answered(m);
}

static void handle_hls_reply(meter *m, const uint8_t *p, size_t len) {
    dlms_simple_response r;
    dlms_value v;
    axdr_reader rd;
    const char *why = "";
    if (!dlms_action_response_decode(p, len, &r, &why)) {
        fail(m, "auth_failed", "HLS: bad answer to reply_to_HLS_authentication: %s", why);
        return;
    }
    if (r.result != 0) {
        fail(m, "auth_failed", "HLS: the meter refused our f(StoC) (action result %u: wrong key?)", r.result);
        return;
    }
    axdr_reader_init(&rd, r.data, r.len);
    if (!r.data_ok || !axdr_value(&rd, &v) || v.type != DT_OCTET_STRING ||
        !dlms_hls_gmac_verify(&m->cfg->keys, m->peer_title, m->challenge, CHALLENGE_LEN, v.bytes, v.len)) {
        fail(m, "auth_failed", "HLS: the meter's f(CtoS) does not verify (wrong key or not this meter)");
        return;
    }
    m->step = STEP_OBJECTS;
    answered(m);
}

/* Register scaler_unit: structure {int8 scaler, enum unit}. */
static bool read_scaler_unit(const dlms_result *r, obj_rt *rt) {
    axdr_reader rd;
    dlms_value s, sc, un;
    axdr_reader_init(&rd, r->data, r->len);
    if (!r->ok || !axdr_value(&rd, &s) || s.type != DT_STRUCTURE || s.count != 2 ||
        !axdr_value(&rd, &sc) || !axdr_value(&rd, &un))
        return false;
    rt->scaler = (int8_t)sc.i;
    rt->unit = (uint8_t)un.i;
    rt->have_su = true;
    return true;
}

bool dlms_first_value(const dlms_result *r, dlms_value *v, axdr_reader *rd) {
    axdr_reader_init(rd, r->data, r->len);
    return r->ok && axdr_value(rd, v);
}

static const char *result_problem(const dlms_result *r) {
    return r->ok ? "unexpected data type" : dlms_access_result_text(r->error);
}

static void handle_register(meter *m, const dlms_object_cfg *o, obj_rt *rt, const dlms_result *res, size_t n) {
    dlms_value v, ct;
    axdr_reader rd, rc;
    if (n >= 2 && !read_scaler_unit(&res[1], rt)) {
        dlms_object_failed(m, o, "scaler_unit: %s", result_problem(&res[1]));
        return;
    }
    if (!dlms_first_value(&res[0], &v, &rd)) {
        dlms_object_failed(m, o, "%s", result_problem(&res[0]));
        return;
    }
    int64_t meter_ts = 0;
    dlms_datetime dt;
    if (n >= 3 && dlms_first_value(&res[2], &ct, &rc) && dlms_datetime_decode(ct.bytes, ct.len, &dt))
        dlms_datetime_to_unix_ns(&dt, &meter_ts);
    publish_value(m, o->name, o, 2, NULL, &v, rt->scaler, dlms_unit_name(rt->unit), clock_wall_ns(), meter_ts);
    dlms_object_read(m, o);
}

static bool handle_clock(meter *m, const dlms_object_cfg *o, const dlms_result *r) {
    dlms_value v;
    axdr_reader rd;
    dlms_datetime dt;
    int64_t t, now = clock_wall_ns();
    if (!dlms_first_value(r, &v, &rd) || !dlms_datetime_decode(v.bytes, v.len, &dt) ||
        !dlms_datetime_to_unix_ns(&dt, &t)) {
        dlms_object_failed(m, o, "%s", result_problem(r));
        return false;
    }
    publish_value(m, o->name, o, 2, NULL, &v, 0, "", now, t);
    dlms_object_read(m, o);
    double off = (double)(t - now) / NS_PER_S;
    char id[DLMS_NAME_MAX + 16];
    snprintf(id, sizeof id, "%s_offset", o->name);
    dlms_value dv = {.type = DT_FLOAT64, .f = off};
    publish_value(m, id, o, 2, "clock_offset", &dv, 0, "s", now, 0);
    int64_t diff = t > now ? t - now : now - t;
    if (m->cfg->clock_sync && diff > m->net->c->cfg->clock_threshold_ns) {
        dlms_publish_event(m, "clock_sync", "meter clock off by %.3f s: set to the gateway's UTC time", off);
        return true;
    }
    return false;
}

static void handle_results(meter *m, const dlms_result *res, size_t n) {
    const dlms_object_cfg *o = &m->cfg->objects[m->obj];
    obj_rt *rt = &m->objs[m->obj];
    dlms_value v;
    axdr_reader rd;
    switch (o->kind) {
    case DLMS_OBJ_REGISTER:
    case DLMS_OBJ_EXT_REGISTER: handle_register(m, o, rt, res, n); break;
    case DLMS_OBJ_DATA:
        if (dlms_first_value(&res[0], &v, &rd)) {
            publish_value(m, o->name, o, 2, NULL, &v, 0, "", clock_wall_ns(), 0);
            dlms_object_read(m, o);
            if (o->obis[2] == 96 && o->obis[3] == 1 && (v.type == DT_OCTET_STRING || v.type == DT_VISIBLE_STRING))
                snprintf(m->serial, sizeof m->serial, "%.*s", (int)v.len, (const char *)v.bytes);
        } else {
            dlms_object_failed(m, o, "%s", result_problem(&res[0]));
        }
        break;
    case DLMS_OBJ_DISCONNECT:
        if (dlms_first_value(&res[0], &v, &rd)) {
            publish_value(m, o->name, o, 2, NULL, &v, 0, "", clock_wall_ns(), 0);
            dlms_object_read(m, o);
        } else
            dlms_object_failed(m, o, "%s", result_problem(&res[0]));
        if (n > 1 && dlms_first_value(&res[1], &v, &rd)) {
            char id[DLMS_NAME_MAX + 16];
            snprintf(id, sizeof id, "%s_state", o->name);
            publish_value(m, id, o, 3, NULL, &v, 0, "", clock_wall_ns(), 0);
        }
        break;
    case DLMS_OBJ_CLOCK:
        if (handle_clock(m, o, &res[0])) {
            m->sub = 1;
            return;
        }
        break;
    case DLMS_OBJ_PROFILE:
        if (!dlms_profile_answer(m, o, rt, res, n)) return; /* its next request */
        break;
    }
    next_object(m);
}

/* The answer for the current object is unusable, but the association is not: that
 * object fails (its points invalid, an event when it starts failing) and the job goes
 * on with the next one after the silent window. */
static void object_gives_up(meter *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void object_gives_up(meter *m, const char *fmt, ...) {
    char why[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    m->blk_pending = false;
    m->blk_len = 0;
    answered(m);
    dlms_object_failed(m, &m->cfg->objects[m->obj], "%s", why);
    next_object(m);
}

/* A block-transfer result assembled: the raw data is the whole normal result,
 * or (with-list) a count followed by get-data-results. */
static void deliver_blocks(meter *m) {
    dlms_result res[DLMS_MAX_LIST];
    size_t n = 1;
    if (!m->req_is_list) {
        res[0] = (dlms_result){.ok = true, .data = m->blk, .len = m->blk_len};
    } else {
        axdr_reader r;
        axdr_reader_init(&r, m->blk, m->blk_len);
        if (!axdr_length(&r, &n) || n == 0 || n > DLMS_MAX_LIST) {
            object_gives_up(m, "block transfer: bad list result");
            return;
        }
        for (size_t i = 0; i < n; i++) {
            uint8_t choice;
            size_t start;
            memset(&res[i], 0, sizeof res[i]);
            if (!axdr_u8(&r, &choice)) break;
            if (choice == 1) {
                axdr_u8(&r, &res[i].error);
                continue;
            }
            start = r.pos;
            if (!axdr_skip(&r)) break;
            res[i] = (dlms_result){.ok = true, .data = m->blk + start, .len = r.pos - start};
        }
        if (r.err) {
            object_gives_up(m, "block transfer: %s", r.err);
            return;
        }
    }
    handle_results(m, res, n);
}

/* A block with the number of the one before: some meters repeat their last block
 * (often empty) instead of sending the next. An empty last one ends the transfer;
 * any other is asked for again, a few times. */
static void repeated_block(meter *m, const dlms_get_response *g) {
    dlms_tolerated(m, TOL_REPEATED_BLOCK, "block %u sent again (%zu bytes%s)", g->block, g->raw_len,
                   g->last_block ? ", last" : "");
    if (g->last_block && g->raw_len == 0) {
        answered(m);
        deliver_blocks(m);
        return;
    }
    if (++m->blk_repeats > REPEATS_MAX) {
        object_gives_up(m, "block transfer: block %u repeated %u times", g->block, m->blk_repeats);
        return;
    }
    m->blk_pending = true;
    answered(m);
}

static bool append_block(meter *m, const dlms_get_response *g) {
    if (m->blk_len + g->raw_len > BLOCK_MAX) {
        object_gives_up(m, "block transfer: result larger than %u bytes", BLOCK_MAX);
        return false;
    }
    if (m->blk_len + g->raw_len > m->blk_cap) {
        size_t cap = (m->blk_len + g->raw_len) * 2;
        uint8_t *b = realloc(m->blk, cap);
        if (!b) {
            object_gives_up(m, "out of memory");
            return false;
        }
        m->blk = b;
        m->blk_cap = cap;
    }
    if (g->raw_len) memcpy(m->blk + m->blk_len, g->raw, g->raw_len);
    m->blk_len += g->raw_len;
    m->blk_no = g->block;
    return true;
}

static void handle_block(meter *m, const dlms_get_response *g) {
    if (!g->block_ok) {
        answered(m);
        handle_results(m, g->res, 1);
        return;
    }
    if (m->blk_no > 0 && g->block == m->blk_no) {
        repeated_block(m, g);
        return;
    }
    if (g->block != m->blk_no + 1) {
        object_gives_up(m, "block transfer: got block %u, expected %u", g->block, m->blk_no + 1);
        return;
    }
    if (g->raw_len == 0 && !g->last_block && ++m->blk_repeats > REPEATS_MAX) {
        object_gives_up(m, "block transfer: %u empty blocks not marked last", m->blk_repeats);
        return;
    }
    if (!append_block(m, g)) return;
    answered(m);
    if (!g->last_block) m->blk_pending = true; /* GET-next after the silent window */
    else deliver_blocks(m);
}

static void handle_get(meter *m, const uint8_t *p, size_t len) {
    dlms_get_response g;
    const char *why = "";
    if (!dlms_get_response_decode(p, len, &g, &why)) {
        object_gives_up(m, "bad GET response: %s", why);
        return;
    }
    /* a late answer to an earlier request (after a retry): not ours now. Only the
     * invoke id counts; some meters do not echo the priority bits. */
    if ((g.invoke & 0x0F) != (m->invoke & 0x0F)) {
        dlms_tolerated(m, TOL_STALE, "answer with invoke id 0x%02X while 0x%02X is awaited: dropped", g.invoke,
                       m->invoke);
        return;
    }
    if (g.trailing)
        dlms_tolerated(m, TOL_TRAILING, "%zu bytes after the GET response APDU: ignored", g.trailing);
    if (g.kind == GETR_BLOCK) {
        handle_block(m, &g);
        return;
    }
    answered(m);
    handle_results(m, g.res, g.n);
}

static void handle_set(meter *m, const uint8_t *p, size_t len) {
    dlms_simple_response r;
    const char *why = "";
    if (!dlms_set_response_decode(p, len, &r, &why)) {
        object_gives_up(m, "bad SET response: %s", why);
        return;
    }
    if (r.trailing) dlms_tolerated(m, TOL_TRAILING, "%zu bytes after the SET response APDU: ignored", r.trailing);
    answered(m);
    const dlms_object_cfg *o = &m->cfg->objects[m->obj];
    if (r.result != DAR_SUCCESS)
        dlms_publish_event(m, "clock_sync", "setting the clock %s failed: %s", o->name,
                      dlms_access_result_text(r.result));
    else
        dlms_publish_event(m, "clock_sync", "clock %s set", o->name);
    next_object(m);
}

/* An APDU from the meter (link layer already removed). */
static void on_apdu(void *arg, const uint8_t *p, size_t len) {
    meter *m = arg;
    uint8_t plain[RX_MAX];
    if (!m->busy || !m->awaiting || len == 0) {
        log_debug(MOD, "%s: unexpected answer dropped (%zu bytes)", m->cfg->name, len);
        return;
    }
    if (m->ciphered && p[0] >= 0xC8 && p[0] <= 0xCF) {
        uint32_t fc;
        const char *why = "";
        long n = dlms_cipher_unprotect(&m->cfg->keys, m->peer_title, p, len, plain, sizeof plain, &fc, &why);
        if (n < 0) {
            fail(m, "auth_failed", "ciphered answer rejected: %s", why);
            return;
        }
        p = plain;
        len = (size_t)n;
    }
    switch (p[0]) {
    case APDU_AARE:
        if (m->step == STEP_AARQ) handle_aare(m, p, len);
        return;
    case APDU_RLRE:
        if (m->step == STEP_RELEASE) finish_job(m, true);
        return;
    case APDU_ACTION_RESPONSE:
        if (m->step == STEP_HLS) handle_hls_reply(m, p, len);
        return;
    case APDU_GET_RESPONSE:
        if (m->step == STEP_OBJECTS) handle_get(m, p, len);
        return;
    case APDU_SET_RESPONSE:
        if (m->step == STEP_OBJECTS) handle_set(m, p, len);
        return;
    case APDU_EXCEPTION_RESPONSE:
        fail(m, "error", "exception response from the meter (state %u, service %u)",
             len > 1 ? p[1] : 0, len > 2 ? p[2] : 0);
        return;
    default:
        fail(m, "error", "unexpected APDU 0x%02X", p[0]);
    }
}

/* The link lost the meter (HDLC DM/FRMR, TCP reset): fail the job now. */
static void on_link_error(void *arg, const char *why) {
    meter *m = arg;
    if (m->busy) fail(m, "not_read", "%s", why);
}

/* ---- scheduling ----------------------------------------------------------------------- */

static void start_job(meter *m) {
    net *n = m->net;
    m->queued = false;
    m->busy = true;
    m->job_groups = m->due;
    m->obj = 0;
    m->sub = 0;
    m->values = 0;
    m->error[0] = '\0';
    m->blk_pending = false;
    n->active++;
    n->cycle_open = true;
    send_aarq(m);
}

static void on_pump_timer(gw_loop *loop, void *arg) {
    net *n = arg;
    n->pump_timer = 0;
    pump(n);
}

/* Start queued meters while there is room; wake up for meters in their
 * reconnect delay. A network with nothing queued and nothing active ends a cycle. */
static void pump(net *n) {
    int64_t now = clock_mono_ns(), wake = INT64_MAX;
    size_t waiting = 0;
    for (size_t k = 0; k < n->n && n->active < n->cfg->max_parallel; k++) {
        meter *m = &n->meters[(n->next + k) % n->n];
        if (!m->queued) continue;
        if (m->not_before > now) {
            waiting++;
            if (m->not_before < wake) wake = m->not_before;
            continue;
        }
        start_job(m);
        if (!m->busy) continue; /* failed at once */
    }
    n->next = (n->next + 1) % (n->n ? n->n : 1);
    for (size_t k = 0; k < n->n; k++)
        if (n->meters[k].queued && n->meters[k].not_before > now) {
            waiting++;
            if (n->meters[k].not_before < wake) wake = n->meters[k].not_before;
        }
    loop_timer_cancel(n->c->loop, n->pump_timer);
    n->pump_timer = wake < INT64_MAX ? loop_timer_at(n->c->loop, wake, on_pump_timer, n) : 0;
    bool queued = false;
    for (size_t k = 0; k < n->n && !queued; k++) queued = n->meters[k].queued && n->meters[k].not_before <= now;
    if (n->active == 0 && !queued && n->cycle_open) {
        n->cycle_open = false;
        datahub_cycle_end(n->c->hub, n->source, clock_wall_ns());
    }
}

static void make_due(dlms_client *c, unsigned groups) {
    for (size_t i = 0; i < c->n; i++) {
        net *n = &c->nets[i];
        for (size_t k = 0; k < n->n; k++) {
            meter *m = &n->meters[k];
            unsigned has = 0;
            for (size_t o = 0; o < m->cfg->n_objects; o++) has |= 1u << m->cfg->objects[o].group;
            if (!(has & groups)) continue;
            m->due |= has & groups;
            if (!m->busy) m->queued = true;
        }
        pump(n);
    }
}


static void on_group(gw_loop *loop, void *arg) {
    group_tick *t = arg;
    dlms_client *c = t->c;
    c->group_timer[t->g] = loop_timer_after(loop, c->cfg->group_ns[t->g], on_group, t);
    make_due(c, 1u << t->g);
}

/* ---- start / stop ----------------------------------------------------------------------- */

dlms_client *dlms_client_start(const dlms_config *cfg, gw_loop *loop, datahub *hub, char *err,
                               size_t errlen) {
    dlms_client *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->cfg = cfg;
    c->loop = loop;
    c->hub = hub;
    c->nets = calloc(cfg->n_networks ? cfg->n_networks : 1, sizeof *c->nets);
    if (!c->nets) goto oom;
    for (size_t i = 0; i < cfg->n_networks; i++) {
        net *n = &c->nets[i];
        const dlms_network_cfg *nc = &cfg->networks[i];
        n->cfg = nc;
        n->c = c;
        snprintf(n->source, sizeof n->source, "dlms:%s", nc->name);
        n->meters = calloc(nc->n_meters ? nc->n_meters : 1, sizeof *n->meters);
        if (!n->meters) goto oom;
        c->n++;
        for (size_t k = 0; k < nc->n_meters; k++) {
            meter *m = &n->meters[k];
            m->cfg = &nc->meters[k];
            m->net = n;
            m->fc = 1;
            m->invoke = 0xC0;
            m->rng = strhash(m->cfg->name) | 1;
            n->n++;
            m->objs = calloc(m->cfg->n_objects ? m->cfg->n_objects : 1, sizeof *m->objs);
            if (!m->objs) goto oom;
            m->link = dlms_link_open(nc, m->cfg, loop, on_apdu, on_link_error, m, err, errlen);
            if (!m->link) {
                dlms_client_stop(c);
                return NULL;
            }
            publish_meter(m, "not_read", 0);
        }
    }
    /* Only the groups some meter reads tick: an idle tick costs a virtual-time step
     * (the fast group's 1 s is 86 400 a simulated day, even without any meter). */
    unsigned used = 0;
    for (size_t i = 0; i < c->n; i++)
        for (size_t k = 0; k < c->nets[i].n; k++)
            for (size_t o = 0; o < c->nets[i].meters[k].cfg->n_objects; o++)
                used |= 1u << c->nets[i].meters[k].cfg->objects[o].group;
    for (int g = 0; g < DLMS_GROUPS; g++) {
        c->ticks[g] = (group_tick){c, (dlms_group)g};
        if (used & 1u << g)
            c->group_timer[g] = loop_timer_after(loop, cfg->group_ns[g], on_group, &c->ticks[g]);
    }
    make_due(c, (1u << DLMS_GROUPS) - 1); /* everything is read once at start-up */
    return c;
oom:
    snprintf(err, errlen, "dlms: out of memory");
    dlms_client_stop(c);
    return NULL;
}

/* Resume from the state: each meter's frame counter after its last reserved
 * block, each profile from its newest entry stored. */
void dlms_client_use_state(dlms_client *c, const gw_state *state) {
    if (!c) return;
    c->state = state;
    for (size_t i = 0; state && i < c->n; i++)
        for (size_t k = 0; k < c->nets[i].n; k++) {
            meter *m = &c->nets[i].meters[k];
            char key[DLMS_NAME_MAX + 32];
            int64_t v;
            fc_key(m, key, sizeof key);
            if (gw_state_get(state, key, &v) && v > 0 && v < UINT32_MAX) m->fc = m->fc_limit = (uint32_t)v;
            for (size_t o = 0; o < m->cfg->n_objects; o++) dlms_profile_resume(m, o);
        }
}

void dlms_client_stop(dlms_client *c) {
    if (!c) return;
    for (int g = 0; g < DLMS_GROUPS; g++) loop_timer_cancel(c->loop, c->group_timer[g]);
    for (size_t i = 0; i < c->n; i++) {
        net *n = &c->nets[i];
        loop_timer_cancel(c->loop, n->pump_timer);
        for (size_t k = 0; k < n->n; k++) {
            meter *m = &n->meters[k];
            loop_timer_cancel(c->loop, m->timer);
            dlms_link_free(m->link);
            for (size_t o = 0; o < m->cfg->n_objects; o++) dlms_profile_free(&m->objs[o].prof);
            free(m->objs);
            free(m->blk);
        }
        free(n->meters);
    }
    free(c->nets);
    free(c);
}
