/* wmbus_receive: one received telegram from filter to datahub, and the
 * per-cycle link quality (see wmbus_radio.h). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "codec/mbus/mbus_app.h"
#include "south/mbus/mbus_publish.h"
#include "south/wmbus/wmbus_listen_list.h"
#include "south/wmbus/wmbus_radio_int.h"

#define LINK_HEADER_NO_L 9 /* C M M A A A A A A */

/* ---- publishing helpers ------------------------------------------------------ */

void wmbus_event(wmbus_radio *r, const char *kind, const char *meter, const char *text,
                 const uint8_t *bytes, size_t len) {
    dh_event ev = {.source = r->source, .kind = kind, .meter = meter, .text = text,
                   .bytes = bytes, .len = len, .ts_ns = clock_wall_ns()};
    datahub_event(r->hub, &ev);
}

static void publish_number(wmbus_radio *r, const char *owner, const char *what, dp_type type,
                           double value, const char *unit, int64_t wall_ns) {
    char id[WMBUS_NAME_MAX + 48];
    snprintf(id, sizeof id, "%s/%s", owner, what);
    dp point = {.id = id, .unit = unit, .ts_ns = wall_ns, .origin = {.record = -1}};
    point.value.type = type;
    if (type == DP_INT)
        point.value.i = (int64_t)value;
    else if (type == DP_BOOL)
        point.value.b = value != 0;
    else
        point.value.d = value;
    datahub_publish(r->hub, &point);
}

void wmbus_publish_module_ok(wmbus_radio *r, bool ok) {
    char id[WMBUS_NAME_MAX + 16];
    snprintf(id, sizeof id, "%s/module_ok", r->cfg->name);
    const dp *cur = datahub_get(r->hub, id);
    if (cur && cur->value.type == DP_BOOL && cur->value.b == ok)
        return;
    publish_number(r, r->cfg->name, "module_ok", DP_BOOL, ok, "", clock_wall_ns());
}

static void publish_meter(wmbus_radio *r, wmbus_meter *mt, const char *status) {
    char secondary[17], serial[9], man[4];
    snprintf(secondary, sizeof secondary, "%08X%02X%02X%02X%02X", mt->id_bcd,
             mt->manufacturer & 0xFF, mt->manufacturer >> 8, mt->version, mt->device_type);
    snprintf(serial, sizeof serial, "%08X", mt->id_bcd);
    char label[24];
    wmbus_meter_label(mt->manufacturer, mt->id_bcd, label, sizeof label);
    memcpy(man, label, 3);
    man[3] = '\0';
    dh_meter m = {.name = mt->name, .interface = "wmbus", .primary_address = -1,
                  .secondary = secondary, .serial = serial, .manufacturer = man,
                  .version = mt->version, .medium = mt->device_type,
                  .medium_name = mbus_medium_name(mt->device_type), .status = status,
                  .last_read_ns = 0};
    if (mt->last_heard_ns)
        m.last_read_ns = clock_wall_ns() - (clock_mono_ns() - mt->last_heard_ns);
    mt->status = status;
    datahub_meter(r->hub, &m);
}

static void publish_link(wmbus_radio *r, wmbus_meter *mt, int64_t now, int64_t wall) {
    publish_number(r, mt->name, "link/heard", DP_INT, (double)mt->heard, "", wall);
    publish_number(r, mt->name, "link/expected", DP_INT,
                   (double)wmbus_meter_expected(mt, r->started_ns, now), "", wall);
    publish_number(r, mt->name, "link/missed", DP_INT, (double)mt->missed, "", wall);
    publish_number(r, mt->name, "link/duplicates", DP_INT, (double)mt->duplicates, "", wall);
    publish_number(r, mt->name, "link/rejected", DP_INT, (double)mt->rejected, "", wall);
    if (mt->heard) {
        publish_number(r, mt->name, "link/rssi", DP_DOUBLE, mt->rssi_dbm, "dBm", wall);
        publish_number(r, mt->name, "link/rssi_mean", DP_DOUBLE, mt->rssi_sum / (double)mt->heard,
                       "dBm", wall);
    }
}

static void publish_security(wmbus_radio *r, wmbus_meter *mt, int64_t wall) {
    publish_number(r, mt->name, "security/wrong_key", DP_INT, (double)mt->wrong_key, "", wall);
    publish_number(r, mt->name, "security/no_key", DP_INT, (double)mt->no_key, "", wall);
    publish_number(r, mt->name, "security/mac_mismatch", DP_INT, (double)mt->mac_mismatch, "", wall);
}

static void publish_counters(wmbus_radio *r, int64_t wall) {
    const wmbus_radio_stats *s = &r->stats;
    const char *m = r->cfg->name;
    publish_number(r, m, "telegrams", DP_INT, (double)s->telegrams, "", wall);
    publish_number(r, m, "accepted", DP_INT, (double)s->accepted, "", wall);
    publish_number(r, m, "duplicates", DP_INT, (double)s->duplicates, "", wall);
    publish_number(r, m, "filtered", DP_INT, (double)s->filtered, "", wall);
    publish_number(r, m, "unknown", DP_INT, (double)s->unknown, "", wall);
    publish_number(r, m, "rejected", DP_INT, (double)s->rejected, "", wall);
    publish_number(r, m, "hci_errors", DP_INT, (double)s->hci_errors, "", wall);
    publish_number(r, m, "configured", DP_INT, (double)s->configured, "", wall);
    publish_number(r, m, "outages", DP_INT, (double)s->outages, "", wall);
    publish_number(r, m, "listen_size", DP_INT, (double)r->meters.n_listen, "", wall);
    publish_number(r, m, "listen_evicted", DP_INT, (double)r->meters.evicted, "", wall);
}

static void publish_state(wmbus_radio *r) {
    int64_t now = clock_mono_ns(), wall = clock_wall_ns();
    for (size_t i = 0; i < r->meters.n_known; i++) {
        wmbus_meter *mt = &r->meters.known[i];
        if (!mt->heard && !mt->status)
            publish_meter(r, mt, "not_read");
        else if (mt->dirty)
            publish_meter(r, mt, mt->status);
        publish_link(r, mt, now, wall);
        mt->dirty = false;
    }
    /* Listen-cache entries are not published as meters or points: they may
     * not be ours (a neighbour's meters, random addresses of a jammer), and
     * the datahub and the store keep whatever is published for good, so a
     * stream of new addresses would grow them without bound. They show as
     * `listen` events (bounded by the store's retention), in the log, in
     * the module's listen_size / listen_evicted and in the listen list file. */
    publish_counters(r, wall);
}

/* The listen list file (listen_list:) as the cache is now. */
static void write_listen_list(wmbus_radio *r) {
    char err[320];
    if (r->cfg->listen_list &&
        !wmbus_listen_list_write(r->cfg->listen_list, &r->meters, clock_mono_ns(), clock_wall_ns(),
                                 err, sizeof err))
        log_error(WMBUS_MOD, "%s: cannot write the listen list %s", r->cfg->name, err);
}

void wmbus_publish_cycle(wmbus_radio *r) {
    publish_state(r);
    write_listen_list(r);
    datahub_cycle_end(r->hub, r->source, clock_wall_ns());
}

void wmbus_publish_final(wmbus_radio *r) {
    publish_state(r);
    write_listen_list(r);
}

/* ---- the receive path ------------------------------------------------------- */

static bool filtered_out(const wmbus_filter *f, uint16_t man, uint8_t type, bool has_rssi, double rssi) {
    bool man_ok = f->n_man == 0, type_ok = f->n_types == 0;
    for (size_t i = 0; i < f->n_man && !man_ok; i++)
        man_ok = f->manufacturers[i] == man;
    for (size_t i = 0; i < f->n_types && !type_ok; i++)
        type_ok = f->device_types[i] == type;
    bool rssi_ok = !f->has_min_rssi || !has_rssi || rssi >= f->min_rssi_dbm;
    return !(man_ok && type_ok && rssi_ok);
}

/* Decode with each candidate key until one is not "wrong key". The module
 * delivers frames without CRCs; the decoder tells formats apart by length
 * and CRCs, and a plain frame whose last two bytes happen to be a valid
 * format B CRC (1 in 65536) would lose them. Format A CRCs make the frame
 * unambiguous. */
static void decode_with_keys(wmbus_radio *r, const wmbus_meter *mt, const uint8_t *plain, size_t plain_len) {
    uint8_t frame[WMBUS_FRAME_MAX];
    size_t len = wmbus_frame_add_crcs(plain, plain_len, WMBUS_FMT_A, frame, sizeof frame);
    const uint8_t *cand[WMBUS_MAX_CANDIDATES];
    size_t n = 0;
    if (mt->cfg && mt->cfg->has_key)
        cand[n++] = mt->cfg->key;
    uint16_t man = (uint16_t)(plain[2] | plain[3] << 8); /* the telegram's header */
    n += wmbus_keys_match(&r->cfg->keys, mt->id_bcd, man, plain[8], plain[9], cand + n,
                          WMBUS_MAX_CANDIDATES - n);
    decode_keys *k = &r->dec->keys;
    k->n = 0;
    k->has_default = false;
    for (size_t i = 0; i == 0 || i < n; i++) {
        k->has_default = i < n;
        if (i < n)
            memcpy(k->default_key, cand[i], OMS_KEY_LEN);
        decode_telegram(r->dec, frame, len, r->tg);
        if (r->tg->sec.outcome != OMS_SEC_WRONG_KEY && r->tg->ell_sec.outcome != OMS_SEC_WRONG_KEY)
            break;
    }
}

static oms_sec_outcome failed_security(const telegram *t) {
    if (t->ell_sec.outcome != OMS_SEC_NONE && t->ell_sec.outcome != OMS_SEC_OK)
        return t->ell_sec.outcome;
    return t->sec.outcome;
}

/* How long a meter that decoded before may go without a good telegram before
 * refused ones are taken for its own (a replaced meter, a changed key): three
 * of its intervals, configured or else as observed. 0: not known yet. */
static int64_t silence_limit_ns(const wmbus_meter *mt) {
    int64_t interval = mt->cfg ? mt->cfg->interval_ns : 0;
    if (interval <= 0 && mt->heard >= 2)
        interval = (mt->last_heard_ns - mt->first_heard_ns) / (int64_t)(mt->heard - 1);
    return interval > 0 ? 3 * interval : 0;
}

/* A refused telegram is counted and stored, but it may come from anyone
 * sending the meter's link header: it moves the meter's status while the
 * meter has never decoded (a wrong or missing key must show) or once its own
 * telegrams have stopped decoding for three intervals, never while they
 * keep decoding. */
static bool refusal_moves_status(const wmbus_meter *mt) {
    if (mt->heard == 0)
        return true;
    int64_t limit = silence_limit_ns(mt);
    return limit > 0 && clock_mono_ns() - mt->last_heard_ns > limit;
}

static void reject(wmbus_radio *r, wmbus_meter *mt, const char *status, const char *why,
                   const uint8_t *frame, size_t len) {
    char text[320];
    snprintf(text, sizeof text, "%s: %s", mt->name, why);
    r->stats.rejected++;
    mt->rejected++;
    log_warn(WMBUS_MOD, "%s: telegram rejected: %s", r->cfg->name, text);
    wmbus_event(r, "rejected", mt->name, text, frame, len);
    if (refusal_moves_status(mt))
        publish_meter(r, mt, status);
    publish_security(r, mt, clock_wall_ns());
}

static void take_security_failure(wmbus_radio *r, wmbus_meter *mt, const uint8_t *frame, size_t len) {
    const telegram *t = r->tg;
    switch (failed_security(t)) {
    case OMS_SEC_NO_KEY: mt->no_key++, r->stats.no_key++; reject(r, mt, "no_key", t->error, frame, len); break;
    case OMS_SEC_WRONG_KEY: mt->wrong_key++, r->stats.wrong_key++; reject(r, mt, "wrong_key", t->error, frame, len); break;
    case OMS_SEC_MAC_MISMATCH:
        mt->mac_mismatch++, r->stats.mac_mismatch++;
        reject(r, mt, "mac_mismatch", t->error, frame, len);
        break;
    default: mt->undecodable++; reject(r, mt, "error", t->error, frame, len); break;
    }
}

static void accept_telegram(wmbus_radio *r, wmbus_meter *mt) {
    const telegram *t = r->tg;
    r->stats.accepted++;
    int64_t wall = clock_wall_ns();
    mbus_publish_records_for(r->hub, DP_PROTO_WMBUS, mt->name, t->app.records, t->app.n_records, wall);
    if (mt->status == NULL || strcmp(mt->status, "ok") != 0)
        publish_meter(r, mt, "ok");
}

static void take_unknown(wmbus_radio *r, const uint8_t *f, bool has_rssi, double rssi, uint64_t fp) {
    uint16_t man = (uint16_t)(f[2] | f[3] << 8);
    uint32_t id = (uint32_t)f[4] | (uint32_t)f[5] << 8 | (uint32_t)f[6] << 16 | (uint32_t)f[7] << 24;
    bool is_new;
    char evicted[WMBUS_NAME_MAX];
    int64_t now = clock_mono_ns();
    wmbus_meter *mt = wmbus_meters_listen(&r->meters, id, man, f[8], f[9], now, &is_new, evicted,
                                          sizeof evicted);
    r->stats.unknown++;
    if (!mt)
        return;
    if (is_new) {
        char text[160];
        char level[24] = "";
        if (has_rssi)
            snprintf(level, sizeof level, ", %ld dBm", lround(rssi));
        snprintf(text, sizeof text, "new meter heard: %s version %u device type %u%s%s%s", mt->name + 7,
                 f[8], f[9], level, evicted[0] ? ", cache full, forgot " : "", evicted);
        log_info(WMBUS_MOD, "%s: %s", r->cfg->name, text);
        wmbus_event(r, "listen", mt->name, text, NULL, 0);
    }
    if (wmbus_meter_is_duplicate(mt, fp, now, r->cfg->duplicate_window_ns))
        return;
    wmbus_meter_heard(mt, false, 0, has_rssi ? rssi : NAN, now);
}

void wmbus_radio_receive(wmbus_radio *r, const uint8_t *payload, size_t n, bool has_rssi,
                         uint8_t rssi_raw) {
    uint8_t frame[WMBUS_FRAME_MAX];
    r->stats.telegrams++;
    if (n < LINK_HEADER_NO_L + 1 || n > 255) {
        r->stats.rejected++;
        wmbus_event(r, "rejected", NULL, "telegram too short or too long for a wireless M-Bus frame",
                    payload, n);
        return;
    }
    frame[0] = (uint8_t)n;
    memcpy(frame + 1, payload, n);
    size_t len = n + 1;
    double rssi = has_rssi ? im_rssi_dbm(rssi_raw) : 0.0;
    uint16_t man = (uint16_t)(frame[2] | frame[3] << 8);
    uint32_t id = (uint32_t)frame[4] | (uint32_t)frame[5] << 8 | (uint32_t)frame[6] << 16 |
                  (uint32_t)frame[7] << 24;
    if (filtered_out(&r->cfg->filter, man, frame[9], has_rssi, rssi)) {
        r->stats.filtered++;
        return;
    }
    uint64_t fp = wmbus_fingerprint(frame, len);
    wmbus_meter *mt = wmbus_meters_find(&r->meters, id, man);
    if (!mt) {
        take_unknown(r, frame, has_rssi, rssi, fp);
        return;
    }
    int64_t now = clock_mono_ns();
    if (wmbus_meter_seen(mt, fp, now, r->cfg->duplicate_window_ns)) {
        r->stats.duplicates++;
        return;
    }
    decode_with_keys(r, mt, frame, len);
    /* Only telegrams that decode take a slot of the duplicate filter: a flood of
     * refused ones (anyone can send the meter's header) must not push out the
     * fingerprints of its own telegrams. */
    if (!r->tg->has_error)
        wmbus_meter_remember(mt, fp, now);
    const telegram *t = r->tg;
    /* The header's manufacturer, version and device type describe the meter
     * (its row in the store): taken from a telegram that decoded, or from any
     * while the meter never decoded; a refused one may be a spoofer's. */
    if (!t->has_error || mt->heard == 0)
        mt->manufacturer = man, mt->version = frame[8], mt->device_type = frame[9];
    if (t->has_error) {
        take_security_failure(r, mt, frame, len);
        return;
    }
    bool has_access = t->has_tpl && t->tpl.kind != WMBUS_TPL_NONE;
    uint8_t access = t->tpl.access_number;
    if (!has_access && t->has_ell) {
        has_access = true;
        access = t->ell.acc;
    }
    wmbus_meter_heard(mt, has_access, access, rssi, now);
    accept_telegram(r, mt);
}
