/* dlms_meter: the emulated meter's object model and APDU server (see dlms_meter.h). */
#include "sim/dlms/dlms_meter.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "codec/dlms/dlms_axdr.h"

#define RESULT_MAX (64 * 1024)
#define HOUR_NS (3600 * NS_PER_S)

static const uint8_t CLOCK_OBIS[6] = {0, 0, 1, 0, 0, 255};
static const uint8_t SERIAL_OBIS[6] = {0, 0, 96, 1, 0, 255};
static const uint8_t RELAY_OBIS[6] = {0, 0, 96, 3, 10, 255};
static const uint8_t ASSOC_OBIS[6] = {0, 0, 40, 0, 0, 255};

typedef enum { AS_NONE, AS_PENDING_HLS, AS_OPEN } assoc_state;

struct dlms_meter {
    dlms_meter_spec spec;
    int64_t start_wall_ns;
    int64_t clock_base_wall;  /* wall time when the clock was last set (or the start) */
    int64_t clock_base_value; /* the meter's time at that instant */
    bool relay;
    assoc_state as;
    bool ciphered;
    uint16_t client_pdu;      /* the client's max receive PDU */
    uint8_t client_title[8];
    uint8_t ctos[64];
    size_t ctos_len;
    uint8_t stoc[16];
    uint32_t fc_tx, fc_rx_last;
    uint64_t rng;
    /* a long GET in progress */
    uint8_t *result;
    size_t result_len, result_off;
    size_t block_off;         /* where the last block sent started (a retried GET-next resends it) */
    uint32_t block;
    uint8_t invoke;
    unsigned blocks_sent, clock_sets;
    size_t *block_ends;       /* quirk repeat_boundary_rows: where each block ends in result */
    size_t n_block_ends;
    bool empty_block_sent;    /* quirk empty_last_block: the closing empty block went out */
};

/* ---- fixture ------------------------------------------------------------------- */

static bool get_obis(const cfg_node *m, const char *key, uint8_t out[6], cfg_err *err) {
    const char *t;
    if (!cfg_str(m, key, NULL, &t, err)) return false;
    if (!t) return cfg_fail(err, m, "%s is required", key);
    if (!dlms_obis_parse(t, out)) return cfg_fail(err, cfg_get(m, key), "%s: not a logical name", key);
    return true;
}

bool dlms_meter_spec_load(const char *path, dlms_meter_spec *s, cfg_err *err) {
    static const char *const keys[] = {"serial", "registers", "clock", "load_profile", "events",
                                       "relay", "max_pdu", "quirks", NULL};
    static const char *const rkeys[] = {"obis", "class", "scaler", "unit", "start", "per_hour", NULL};
    memset(s, 0, sizeof *s);
    s->profile_reg = -1;
    s->max_pdu = 512;
    s->relay = true;
    s->invocation_counter = 1;
    s->quirks.event_burst = 1;
    cfg_node *root = cfg_load_file(path, err);
    if (!root) return false;
    bool ok = false;
    const cfg_node *regs, *c, *lp, *ev, *qk;
    const char *serial;
    long long pdu;
    if (!cfg_only_keys(root, keys, err) || !cfg_str(root, "serial", "00000001", &serial, err) ||
        !cfg_bool(root, "relay", true, &s->relay, err) ||
        !cfg_int(root, "max_pdu", 512, 32, 65535, &pdu, err) ||
        !(regs = cfg_require(root, "registers", CFG_SEQ, err)))
        goto out;
    snprintf(s->serial, sizeof s->serial, "%s", serial);
    s->max_pdu = (uint16_t)pdu;
    for (size_t i = 0; i < regs->n && i < DLMS_METER_MAX_REGS; i++) {
        const cfg_node *r = regs->items[i];
        dlms_reg_spec *g = &s->regs[s->n_regs++];
        long long cls, scaler, unit;
        if (!cfg_only_keys(r, rkeys, err) || !get_obis(r, "obis", g->obis, err) ||
            !cfg_int(r, "class", 3, 3, 4, &cls, err) || !cfg_int(r, "scaler", 0, -9, 9, &scaler, err) ||
            !cfg_int(r, "unit", 30, 0, 255, &unit, err) || !cfg_double(r, "start", 0, &g->start, err) ||
            !cfg_double(r, "per_hour", 0, &g->per_hour, err))
            goto out;
        g->class_id = (uint16_t)cls;
        g->scaler = (int8_t)scaler;
        g->unit = (uint8_t)unit;
    }
    if ((c = cfg_get(root, "clock")) &&
        (!cfg_duration_ns(c, "offset", 0, &s->clock_offset_ns, err) ||
         !cfg_double(c, "drift_ppm", 0, &s->drift_ppm, err)))
        goto out;
    if ((lp = cfg_get(root, "load_profile"))) {
        uint8_t reg[6];
        if (!get_obis(lp, "obis", s->profile_obis, err) || !get_obis(lp, "register", reg, err) ||
            !cfg_duration_ns(lp, "period", 15 * 60 * NS_PER_S, &s->profile_period_ns, err) ||
            !cfg_duration_ns(lp, "history", 40 * 86400 * NS_PER_S, &s->history_ns, err))
            goto out;
        for (size_t i = 0; i < s->n_regs; i++)
            if (memcmp(s->regs[i].obis, reg, 6) == 0) s->profile_reg = (int)i;
        if (s->profile_reg < 0) {
            cfg_fail(err, cfg_get(lp, "register"), "register is not one of the registers");
            goto out;
        }
    }
    if ((ev = cfg_get(root, "events")) &&
        (!get_obis(ev, "obis", s->events_obis, err) ||
         !cfg_duration_ns(ev, "every", 6 * HOUR_NS, &s->events_every_ns, err)))
        goto out;
    if ((qk = cfg_get(root, "quirks")) && !dlms_quirks_parse(qk, &s->quirks, err)) goto out;
    ok = true;
out:
    cfg_free(root);
    return ok;
}

/* ---- model ------------------------------------------------------------------------ */

dlms_meter *dlms_meter_new(const dlms_meter_spec *spec, int64_t start_wall_ns) {
    dlms_meter *m = calloc(1, sizeof *m);
    if (!m) return NULL;
    m->spec = *spec;
    m->start_wall_ns = start_wall_ns;
    m->clock_base_wall = start_wall_ns;
    m->clock_base_value = start_wall_ns + spec->clock_offset_ns;
    m->relay = spec->relay;
    m->fc_tx = spec->invocation_counter;
    m->rng = 0x9E3779B97F4A7C15ULL ^ (uint64_t)strlen(spec->serial) ^ (uint64_t)spec->serial[0] << 32;
    for (const char *p = spec->serial; *p; p++) m->rng = m->rng * 1099511628211ULL ^ (uint8_t)*p;
    return m;
}

static void drop_result(dlms_meter *m) {
    free(m->result);
    m->result = NULL;
    free(m->block_ends);
    m->block_ends = NULL;
    m->n_block_ends = 0;
    m->empty_block_sent = false;
}

void dlms_meter_free(dlms_meter *m) {
    if (!m) return;
    drop_result(m);
    free(m);
}

void dlms_meter_reset(dlms_meter *m) {
    m->as = AS_NONE;
    m->ciphered = false;
    drop_result(m);
}

int64_t dlms_meter_time_ns(const dlms_meter *m) {
    int64_t since = clock_wall_ns() - m->clock_base_wall;
    return m->clock_base_value + since + (int64_t)((double)since * m->spec.drift_ppm * 1e-6);
}

bool dlms_meter_relay(const dlms_meter *m) { return m->relay; }
unsigned dlms_meter_blocks_sent(const dlms_meter *m) { return m->blocks_sent; }
unsigned dlms_meter_clock_sets(const dlms_meter *m) { return m->clock_sets; }

/* A register's raw value at the meter's time t. */
static int64_t reg_raw(const dlms_meter *m, const dlms_reg_spec *r, int64_t t) {
    double h = (double)(t - m->start_wall_ns) / (double)HOUR_NS;
    return (int64_t)floor(r->start + r->per_hour * h);
}

static void put_reg_value(axdr_writer *w, int64_t raw) {
    if (raw >= 0 && raw <= 0xFFFFFFFFLL) axdr_put_uint32(w, (uint32_t)raw);
    else axdr_put_int64(w, raw);
}

static void put_now(axdr_writer *w, int64_t t) {
    dlms_datetime dt;
    dlms_datetime_from_unix_ns(t, &dt);
    axdr_put_datetime(w, &dt);
}

static void put_capture_def(axdr_writer *w, uint16_t cls, const uint8_t obis[6], int8_t attr) {
    axdr_put_structure(w, 4);
    axdr_put_uint16(w, cls);
    axdr_put_octets(w, obis, 6);
    axdr_put_int8(w, attr);
    axdr_put_uint16(w, 0);
}

/* Profile entries between from and to (inclusive, clipped to what exists). */
static void put_profile(const dlms_meter *m, axdr_writer *w, bool events, int64_t from, int64_t to) {
    int64_t period = events ? m->spec.events_every_ns : m->spec.profile_period_ns;
    int64_t now = dlms_meter_time_ns(m), first = m->start_wall_ns - m->spec.history_ns;
    if (to > now) to = now;
    if (from < first) from = first;
    int64_t t0 = from <= 0 ? 0 : ((from + period - 1) / period) * period;
    int burst = events && m->spec.quirks.event_burst > 1 ? m->spec.quirks.event_burst : 1;
    size_t count = 0;
    for (int64_t t = t0; t <= to; t += period) count += (size_t)burst;
    axdr_put_array(w, count);
    for (int64_t t = t0; t <= to; t += period)
        for (int j = 0; j < burst; j++) {
            axdr_put_structure(w, 2);
            put_now(w, t);
            /* 1 power down, 2 power up; a burst adds 128, 129, ... in the same second */
            if (events) axdr_put_uint16(w, (uint16_t)(j == 0 ? 1 + (t / period) % 2 : 127 + j));
            else put_reg_value(w, reg_raw(m, &m->spec.regs[m->spec.profile_reg], t));
        }
}

/* Encode attribute `attr` of the object into w; returns a data-access-result. */
static uint8_t get_attribute(dlms_meter *m, const cosem_ref *ref, const dlms_access *acc, axdr_writer *w) {
    int64_t now = dlms_meter_time_ns(m);
    if (ref->index == 1) {
        axdr_put_octets(w, ref->obis, 6);
        return DAR_SUCCESS;
    }
    if (ref->class_id == 1 && memcmp(ref->obis, SERIAL_OBIS, 6) == 0 && ref->index == 2) {
        axdr_put_octets(w, (const uint8_t *)m->spec.serial, strlen(m->spec.serial));
        return DAR_SUCCESS;
    }
    if (ref->class_id == 8 && memcmp(ref->obis, CLOCK_OBIS, 6) == 0) {
        if (ref->index == 2) put_now(w, now);
        else if (ref->index == 3) axdr_put_int16(w, 0);
        else return DAR_OBJECT_UNAVAILABLE;
        return DAR_SUCCESS;
    }
    if (ref->class_id == 70 && memcmp(ref->obis, RELAY_OBIS, 6) == 0) {
        if (ref->index == 2) axdr_put_bool(w, m->relay);
        else if (ref->index == 3) axdr_put_enum(w, m->relay ? 1 : 0);
        else return DAR_OBJECT_UNAVAILABLE;
        return DAR_SUCCESS;
    }
    for (size_t i = 0; i < m->spec.n_regs; i++) {
        const dlms_reg_spec *r = &m->spec.regs[i];
        if (memcmp(r->obis, ref->obis, 6) != 0) continue;
        if (ref->class_id != r->class_id) return DAR_OBJECT_UNDEFINED;
        switch (ref->index) {
        case 2:
            if (dlms_quirks_malformed(&m->spec.quirks, r->obis)) { /* an element of no known type */
                axdr_put_u8(w, 0xFF);
                axdr_put_u8(w, 0x00);
                return DAR_SUCCESS;
            }
            put_reg_value(w, reg_raw(m, r, now));
            return DAR_SUCCESS;
        case 3:
            axdr_put_structure(w, 2);
            axdr_put_int8(w, r->scaler);
            axdr_put_enum(w, r->unit);
            return DAR_SUCCESS;
        case 5:
            if (r->class_id != 4) return DAR_OBJECT_UNAVAILABLE;
            put_now(w, now);
            return DAR_SUCCESS;
        default: return DAR_OBJECT_UNAVAILABLE;
        }
    }
    bool lp = m->spec.profile_reg >= 0 && memcmp(ref->obis, m->spec.profile_obis, 6) == 0;
    bool ev = m->spec.events_every_ns > 0 && memcmp(ref->obis, m->spec.events_obis, 6) == 0;
    if (ref->class_id == 7 && (lp || ev)) {
        int64_t from = INT64_MIN / 2, to = INT64_MAX / 2;
        switch (ref->index) {
        case 2:
            if (acc->selector == 1 && !dlms_range_decode(acc->params, acc->params_len, &from, &to))
                return DAR_TYPE_UNMATCHED;
            if (acc->selector > 1) return DAR_SCOPE_VIOLATED;
            put_profile(m, w, ev, from, to);
            return DAR_SUCCESS;
        case 3:
            axdr_put_array(w, 2);
            put_capture_def(w, 8, CLOCK_OBIS, 2);
            if (ev) put_capture_def(w, 1, ref->obis, 2);
            else put_capture_def(w, m->spec.regs[m->spec.profile_reg].class_id,
                                 m->spec.regs[m->spec.profile_reg].obis, 2);
            return DAR_SUCCESS;
        case 4:
            axdr_put_uint32(w, (uint32_t)((ev ? m->spec.events_every_ns : m->spec.profile_period_ns) / NS_PER_S));
            return DAR_SUCCESS;
        default: return DAR_OBJECT_UNAVAILABLE;
        }
    }
    return DAR_OBJECT_UNDEFINED;
}

/* ---- answering -------------------------------------------------------------------------- */

/* Cipher the plain answer when the association is ciphered; returns its length. */
static size_t finish(dlms_meter *m, const uint8_t *plain, size_t len, uint8_t *out, size_t cap) {
    if (!m->ciphered || !dlms_glo_tag(plain[0])) {
        if (len > cap) return 0;
        memmove(out, plain, len);
        return len;
    }
    return dlms_cipher_protect(&m->spec.keys, m->spec.systitle, m->fc_tx++, DLMS_SC_AUTH_ENCRYPT,
                               plain, len, out, cap);
}

/* Room for the data of one block given the answer PDU limit. */
static size_t block_room(const dlms_meter *m) {
    size_t overhead = 3 + 1 + 4 + 1 + 3 + (m->ciphered ? 2 + 5 + DLMS_TAG_LEN + 1 : 0) +
                      m->spec.quirks.trailing_bytes;
    return m->client_pdu > overhead + 1 ? m->client_pdu - overhead : 1;
}

/* Quirk trailing_bytes: zeros after the plain GET response (before ciphering). */
static size_t with_trailing(const dlms_meter *m, uint8_t *plain, size_t len, size_t cap) {
    size_t n = m->spec.quirks.trailing_bytes;
    if (len + n > cap) return len;
    memset(plain + len, 0, n);
    return len + n;
}

static size_t send_get_response(dlms_meter *m, const dlms_get_response *r, uint8_t *plain, size_t pcap,
                                uint8_t *out, size_t cap) {
    axdr_writer w;
    axdr_writer_init(&w, plain, pcap);
    dlms_get_response_encode(&w, r);
    if (w.overflow) return 0;
    return finish(m, plain, with_trailing(m, plain, w.len, pcap), out, cap);
}

static size_t send_block(dlms_meter *m, uint8_t *out, size_t cap) {
    uint8_t plain[4096 + 80];
    size_t n = m->result_len - m->result_off, room = block_room(m);
    if (m->block_ends && m->block < m->n_block_ends) n = m->block_ends[m->block] - m->result_off;
    else if (n > room) n = room;
    if (n > 4096) n = 4096;
    m->block_off = m->result_off;
    bool last = m->result_off + n == m->result_len && !m->spec.quirks.empty_last_block;
    dlms_get_response r = {.kind = GETR_BLOCK, .invoke = m->invoke, .block = ++m->block,
                           .last_block = last, .block_ok = true,
                           .raw = m->result + m->result_off, .raw_len = n};
    m->result_off += n;
    m->blocks_sent++;
    return send_get_response(m, &r, plain, sizeof plain, out, cap);
}

/* Quirk empty_last_block: after the data, an empty block marked last that repeats
 * the number of the block before. */
static size_t send_empty_last(dlms_meter *m, uint8_t *out, size_t cap) {
    uint8_t plain[64];
    dlms_get_response r = {.kind = GETR_BLOCK, .invoke = m->invoke, .block = m->block, .last_block = true,
                           .block_ok = true, .raw = m->result, .raw_len = 0};
    m->empty_block_sent = true;
    m->blocks_sent++;
    return send_get_response(m, &r, plain, sizeof plain, out, cap);
}

/* Quirk repeat_boundary_rows: the result is rebuilt so that every block holds whole
 * entries and each block after the first starts with the last entry of the block
 * before; the array's count still says the distinct entries. */
static void plan_repeated_rows(dlms_meter *m) {
    axdr_reader r;
    dlms_value v;
    size_t room = block_room(m), rows[4096], n = 0;
    axdr_reader_init(&r, m->result, m->result_len);
    if (!axdr_value(&r, &v) || v.type != DT_ARRAY) return;
    size_t header = r.pos;
    while (axdr_remaining(&r) > 0 && n < 4096 && axdr_skip(&r)) rows[n++] = r.pos; /* row ends */
    if (n < 2 || r.err || axdr_remaining(&r) > 0) return; /* more rows than planned: no quirk */
    uint8_t *out = malloc(2 * m->result_len + 64);
    size_t *ends = calloc(n + 1, sizeof *ends), len = 0, nb = 0, i = 0;
    if (!out || !ends) goto fail;
    while (i < n) {
        size_t start = len;
        if (nb > 0) { /* repeat the block before's last entry */
            size_t from = i >= 2 ? rows[i - 2] : header;
            memcpy(out + len, m->result + from, rows[i - 1] - from);
            len += rows[i - 1] - from;
        } else {
            memcpy(out, m->result, header);
            len = header;
        }
        size_t first = i;
        while (i < n) {
            size_t from = i ? rows[i - 1] : header, row = rows[i] - from;
            if (len - start + row > room && i > first) break;
            memcpy(out + len, m->result + from, row);
            len += row;
            i++;
        }
        if (len - start > room) goto fail; /* entries longer than a block: no quirk */
        ends[nb++] = len;
    }
    free(m->result);
    m->result = out;
    m->result_len = len;
    m->block_ends = ends;
    m->n_block_ends = nb;
    return;
fail:
    free(out);
    free(ends);
}

static bool is_profile_buffer(const dlms_get_request *q) {
    return q->kind == GET_NORMAL && q->ref[0].class_id == 7 && q->ref[0].index == 2;
}

static size_t handle_get_next(dlms_meter *m, const dlms_get_request *q, uint8_t *out, size_t cap) {
    if (m->result && m->block > 0 && q->block == m->block - 1) { /* our answer was lost: again */
        m->result_off = m->block_off;
        m->block--;
    }
    if (m->result && q->block == m->block && m->result_off >= m->result_len &&
        m->spec.quirks.empty_last_block) /* again when the GET-next is retried */
        return send_empty_last(m, out, cap);
    if (!m->result || q->block != m->block || m->result_off >= m->result_len) {
        uint8_t plain[80];
        dlms_get_response r = {.kind = GETR_BLOCK, .invoke = q->invoke, .block = q->block,
                               .last_block = true, .block_ok = false};
        r.res[0].error = m->result ? DAR_DATA_BLOCK_UNAVAILABLE : DAR_NO_LONG_GET_IN_PROGRESS;
        return send_get_response(m, &r, plain, sizeof plain, out, cap);
    }
    return send_block(m, out, cap);
}

static size_t handle_get(dlms_meter *m, const dlms_get_request *q, uint8_t *out, size_t cap) {
    if (q->kind == GET_NEXT) return handle_get_next(m, q, out, cap);
    uint8_t *data = malloc(RESULT_MAX), *plain = malloc(RESULT_MAX + 128);
    size_t n = 0;
    if (!data || !plain) goto done;
    axdr_writer dw;
    axdr_writer_init(&dw, data, RESULT_MAX);
    dlms_get_response r = {.kind = q->kind == GET_WITH_LIST ? GETR_WITH_LIST : GETR_NORMAL,
                           .invoke = q->invoke, .n = q->n};
    for (size_t i = 0; i < q->n; i++) {
        size_t start = dw.len;
        uint8_t dar = get_attribute(m, &q->ref[i], &q->access[i], &dw);
        r.res[i] = (dlms_result){.ok = dar == DAR_SUCCESS, .error = dar, .data = data + start,
                                 .len = dw.len - start};
        if (dar != DAR_SUCCESS) dw.len = start;
    }
    axdr_writer pw;
    axdr_writer_init(&pw, plain, RESULT_MAX + 64);
    dlms_get_response_encode(&pw, &r);
    size_t overhead = m->ciphered ? 2 + 5 + DLMS_TAG_LEN + 2 : 0;
    if (pw.len + overhead + m->spec.quirks.trailing_bytes <= m->client_pdu) {
        n = finish(m, plain, with_trailing(m, plain, pw.len, RESULT_MAX + 128), out, cap);
        goto done;
    }
    /* too large for one APDU: the data goes out in blocks; for a normal GET that
     * is the Data alone (after C4 01 invoke 00), for a list the count and the
     * get-data-results (after C4 03 invoke) */
    drop_result(m);
    size_t skip = q->kind == GET_WITH_LIST ? 3 : 4;
    m->result_len = pw.len - skip;
    m->result = malloc(m->result_len);
    if (!m->result) goto done;
    memcpy(m->result, plain + skip, m->result_len);
    m->result_off = 0;
    m->block = 0;
    m->invoke = q->invoke;
    if (m->spec.quirks.repeat_boundary_rows && is_profile_buffer(q)) plan_repeated_rows(m);
    n = send_block(m, out, cap);
done:
    free(data);
    free(plain);
    return n;
}

static size_t handle_set(dlms_meter *m, const dlms_set_request *q, uint8_t *out, size_t cap) {
    uint8_t plain[8];
    axdr_writer w;
    axdr_reader r;
    dlms_value v;
    dlms_datetime dt;
    int64_t t;
    dlms_simple_response s = {.invoke = q->invoke, .result = DAR_READ_WRITE_DENIED};
    if (q->ref.class_id == 8 && memcmp(q->ref.obis, CLOCK_OBIS, 6) == 0 && q->ref.index == 2) {
        axdr_reader_init(&r, q->data, q->len);
        if (axdr_value(&r, &v) && v.type == DT_OCTET_STRING && dlms_datetime_decode(v.bytes, v.len, &dt) &&
            dlms_datetime_to_unix_ns(&dt, &t)) {
            m->clock_base_wall = clock_wall_ns();
            m->clock_base_value = t;
            m->clock_sets++;
            s.result = DAR_SUCCESS;
        } else {
            s.result = DAR_TYPE_UNMATCHED;
        }
    }
    axdr_writer_init(&w, plain, sizeof plain);
    dlms_set_response_encode(&w, &s);
    return finish(m, plain, w.len, out, cap);
}

static size_t handle_action(dlms_meter *m, const dlms_action_request *q, uint8_t *out, size_t cap) {
    uint8_t plain[64], data[32];
    axdr_writer w, dw;
    dlms_simple_response s = {.invoke = q->invoke, .result = 3 /* read-write-denied */};
    if (q->ref.class_id == 15 && memcmp(q->ref.obis, ASSOC_OBIS, 6) == 0 && q->ref.index == 1 &&
        m->as == AS_PENDING_HLS) {
        axdr_reader r;
        dlms_value v;
        axdr_reader_init(&r, q->data, q->len);
        if (axdr_value(&r, &v) && v.type == DT_OCTET_STRING &&
            dlms_hls_gmac_verify(&m->spec.keys, m->client_title, m->stoc, sizeof m->stoc, v.bytes, v.len)) {
            uint8_t f[DLMS_GMAC_LEN];
            dlms_hls_gmac(&m->spec.keys, m->spec.systitle, m->fc_tx++, m->ctos, m->ctos_len, f);
            axdr_writer_init(&dw, data, sizeof data);
            axdr_put_octets(&dw, f, sizeof f);
            s.result = 0;
            s.data = data;
            s.len = dw.len;
            s.data_ok = true;
            m->as = AS_OPEN;
        }
    } else if (q->ref.class_id == 70 && memcmp(q->ref.obis, RELAY_OBIS, 6) == 0 &&
               (q->ref.index == 1 || q->ref.index == 2) && m->as == AS_OPEN) {
        m->relay = q->ref.index == 2;
        s.result = 0;
    }
    axdr_writer_init(&w, plain, sizeof plain);
    dlms_action_response_encode(&w, &s);
    return finish(m, plain, w.len, out, cap);
}

static size_t reject(dlms_meter *m, int diag, uint8_t *out, size_t cap, bool ciphered) {
    axdr_writer w;
    dlms_aare a = {.ciphered = ciphered, .result = 1, .diag_source = 1, .diagnostic = diag};
    axdr_writer_init(&w, out, cap);
    dlms_aare_encode(&w, &a);
    m->as = AS_NONE;
    return w.overflow ? 0 : w.len;
}

static size_t handle_aarq(dlms_meter *m, const uint8_t *p, size_t len, uint8_t *out, size_t cap) {
    dlms_aarq q;
    dlms_initiate ini;
    const char *why;
    uint8_t plain[128], ui[128], uic[160];
    dlms_meter_reset(m);
    if (!dlms_aarq_decode(p, len, &q, &why)) return reject(m, AARE_DIAG_NO_REASON, out, cap, false);
    const dlms_meter_spec *s = &m->spec;
    const uint8_t *ini_bytes = q.user_info;
    size_t ini_len = q.user_info_len;
    if (s->auth == DLMS_AUTH_LLS) {
        if (q.auth != DLMS_AUTH_LLS) return reject(m, AARE_DIAG_AUTH_REQUIRED, out, cap, q.ciphered);
        if (q.auth_value_len != strlen(s->password) ||
            memcmp(q.auth_value, s->password, q.auth_value_len) != 0)
            return reject(m, AARE_DIAG_AUTH_FAILURE, out, cap, q.ciphered);
    } else if (s->auth == DLMS_AUTH_HLS_GMAC) {
        uint32_t fc;
        if (q.auth != DLMS_AUTH_HLS_GMAC || !q.ciphered || q.calling_title_len != 8 ||
            q.auth_value_len < 8 || q.auth_value_len > sizeof m->ctos)
            return reject(m, AARE_DIAG_AUTH_REQUIRED, out, cap, q.ciphered);
        long n = dlms_cipher_unprotect(&s->keys, q.calling_title, q.user_info, q.user_info_len, plain,
                                       sizeof plain, &fc, &why);
        if (n < 0) return reject(m, AARE_DIAG_AUTH_FAILURE, out, cap, true);
        memcpy(m->client_title, q.calling_title, 8);
        memcpy(m->ctos, q.auth_value, q.auth_value_len);
        m->ctos_len = q.auth_value_len;
        m->fc_rx_last = fc;
        ini_bytes = plain;
        ini_len = (size_t)n;
    }
    if (!dlms_initiate_request_decode(ini_bytes, ini_len, &ini))
        return reject(m, AARE_DIAG_NO_REASON, out, cap, q.ciphered);
    m->client_pdu = ini.max_pdu < 32 ? 32 : ini.max_pdu;
    dlms_initiate resp = {.dlms_version = 6, .conformance = ini.conformance & 0x00FFFF1Fu,
                          .max_pdu = s->max_pdu, .vaa_name = 7};
    axdr_writer w;
    axdr_writer_init(&w, ui, sizeof ui);
    dlms_initiate_response_encode(&w, &resp);
    dlms_aare a = {.result = 0, .diag_source = 1, .user_info = ui, .user_info_len = w.len};
    if (s->auth == DLMS_AUTH_LLS) a.auth = DLMS_AUTH_LLS;
    if (s->auth == DLMS_AUTH_HLS_GMAC) {
        for (size_t i = 0; i < sizeof m->stoc; i++) {
            m->rng ^= m->rng << 13;
            m->rng ^= m->rng >> 7;
            m->rng ^= m->rng << 17;
            m->stoc[i] = (uint8_t)(m->rng >> 32);
        }
        size_t cn = dlms_cipher_protect(&s->keys, s->systitle, m->fc_tx++, DLMS_SC_AUTH_ENCRYPT, ui,
                                        w.len, uic, sizeof uic);
        a.ciphered = true;
        a.diagnostic = AARE_DIAG_AUTH_REQUIRED;
        a.auth = DLMS_AUTH_HLS_GMAC;
        a.responding_title = s->systitle;
        a.responding_title_len = 8;
        a.auth_value = m->stoc;
        a.auth_value_len = sizeof m->stoc;
        a.user_info = uic;
        a.user_info_len = cn;
        m->ciphered = true;
        m->as = AS_PENDING_HLS;
    } else {
        m->as = AS_OPEN;
    }
    axdr_writer_init(&w, out, cap);
    dlms_aare_encode(&w, &a);
    return w.overflow ? 0 : w.len;
}

size_t dlms_meter_handle(dlms_meter *m, const uint8_t *req, size_t len, uint8_t *out, size_t cap) {
    uint8_t plain[2048];
    const char *why = "";
    if (len == 0) return 0;
    if (req[0] == APDU_AARQ) return handle_aarq(m, req, len, out, cap);
    if (req[0] == APDU_RLRQ) {
        axdr_writer w;
        dlms_meter_reset(m);
        axdr_writer_init(&w, out, cap);
        dlms_rlre_encode(&w);
        return w.len;
    }
    if (m->as == AS_NONE) return 0; /* no association: silently ignored */
    if (m->ciphered) {
        uint32_t fc;
        if (req[0] < 0xC8 || req[0] > 0xCF) return 0; /* plain APDUs are refused in a ciphered association */
        long n = dlms_cipher_unprotect(&m->spec.keys, m->client_title, req, len, plain, sizeof plain, &fc, &why);
        if (n < 0 || fc <= m->fc_rx_last) return 0; /* forged or replayed */
        m->fc_rx_last = fc;
        req = plain;
        len = (size_t)n;
    }
    if (m->as == AS_PENDING_HLS && req[0] != APDU_ACTION_REQUEST) return 0;
    switch (req[0]) {
    case APDU_GET_REQUEST: {
        dlms_get_request q;
        if (!dlms_get_request_decode(req, len, &q, &why)) return 0;
        return handle_get(m, &q, out, cap);
    }
    case APDU_SET_REQUEST: {
        dlms_set_request q;
        if (!dlms_set_request_decode(req, len, &q, &why)) return 0;
        return handle_set(m, &q, out, cap);
    }
    case APDU_ACTION_REQUEST: {
        dlms_action_request q;
        if (!dlms_action_request_decode(req, len, &q, &why)) return 0;
        return handle_action(m, &q, out, cap);
    }
    default: return 0;
    }
}
