/* radio_meter: schedule and telegrams of an emulated radio meter (see radio_meter.h). */
#include "sim/wmbus/radio_meter.h"

#include <stdio.h>
#include <string.h>
#include "core/clock.h"
#include "codec/mbus/mbus_app.h"
#include "codec/wmbus/wmbus_build.h"

uint64_t radio_rng_next(uint64_t *s) {
    uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

int64_t radio_rng_range(uint64_t *s, int64_t lo, int64_t hi) {
    if (hi <= lo)
        return lo;
    return lo + (int64_t)(radio_rng_next(s) % (uint64_t)(hi - lo + 1));
}

void radio_meter_init(radio_meter *m, const radio_meter_spec *spec, uint32_t index, uint64_t seed,
                      air *a, oms_crypto *crypto, gw_loop *loop, trace *tr) {
    memset(m, 0, sizeof *m);
    m->spec = spec;
    m->index = index;
    m->air = a;
    m->crypto = crypto;
    m->loop = loop;
    m->tr = tr;
    m->rng = seed ^ ((uint64_t)(index + 1) * 0xD1B54A32D192ED03ULL);
    m->access = (uint8_t)radio_rng_next(&m->rng);
    m->counter = 1;
    m->volume = spec->volume;
}

/* A fixture as sent on air: stripped of whatever CRCs it has, then given the
 * meter's frame format. */
static size_t fixture_frame(radio_meter *m, uint8_t *out, size_t cap) {
    const hex_frame *t = &m->spec->fixtures.items[m->next_fixture];
    m->next_fixture = (m->next_fixture + 1) % m->spec->fixtures.n;
    uint8_t plain[WMBUS_FRAME_MAX];
    size_t n;
    wmbus_format fmt;
    if (wmbus_frame_strip(t->bytes, t->len, plain, sizeof plain, &n, &fmt, NULL) != WMBUS_OK)
        return 0;
    return wmbus_frame_add_crcs(plain, n, m->spec->format, out, cap);
}

size_t radio_meter_build(radio_meter *m, uint8_t *out, size_t cap) {
    const radio_meter_spec *s = m->spec;
    if (s->fixtures.n)
        return fixture_frame(m, out, cap);
    uint8_t rec[16], plain[WMBUS_FRAME_MAX];
    mbus_enc_record r = {.vif = {0x13}, .n_vif = 1, .coding = MBUS_ENC_INT, .size = 4, .raw = m->volume};
    size_t n = mbus_encode_record(&r, rec, sizeof rec);
    wmbus_build b = {.c = 0x44, .manufacturer = s->manufacturer, .id_bcd = s->id_bcd,
                     .version = s->version, .device_type = s->device_type,
                     .access_number = m->access, .mode = s->security,
                     .key = s->has_key ? s->key : NULL, .counter = m->counter,
                     .corrupt_mac = s->corrupt_mac};
    size_t len = wmbus_build_frame(m->crypto, &b, rec, n, plain, sizeof plain);
    m->access++;
    m->counter++;
    m->volume += s->step;
    return len ? wmbus_frame_add_crcs(plain, len, s->format, out, cap) : 0;
}

int64_t radio_transmit(air *a, air_mode m, wmbus_format fmt, double rssi_dbm, uint32_t sender,
                       const uint8_t *bytes, size_t len) {
    air_tx tx = {.mode = (uint8_t)m, .format = (uint8_t)fmt, .channel_khz = air_mode_get(m)->channel_khz,
                 .start_ns = clock_mono_ns(), .duration_ns = air_time_ns(m, len), .rssi_dbm = rssi_dbm,
                 .sender = sender};
    if (len > sizeof tx.bytes)
        return -1;
    memcpy(tx.bytes, bytes, len);
    tx.len = len;
    return air_transmit(a, &tx) < 0 ? -1 : tx.duration_ns;
}

static void put_on_air(radio_meter *m, const uint8_t *bytes, size_t len, const char *what) {
    const radio_meter_spec *s = m->spec;
    int64_t start = clock_mono_ns();
    int64_t duration = radio_transmit(m->air, s->mode, s->format, s->rssi_dbm, m->index, bytes, len);
    if (duration < 0)
        return;
    m->sent++;
    m->airtime_ns += duration;
    if (m->tr) {
        char ev[96];
        snprintf(ev, sizeof ev, "%s %s %s %.1f dBm", what, air_mode_get(s->mode)->name, s->name,
                 s->rssi_dbm);
        trace_add(m->tr, "air", TRACE_NOTE, 0, start, start + duration, bytes, len, ev);
    }
}

static void on_resend(gw_loop *loop, void *arg) {
    radio_meter *m = arg;
    m->resend_timer = 0;
    put_on_air(m, m->last, m->last_len, "repeat");
    if (--m->resends_left > 0)
        m->resend_timer = loop_timer_after(loop, m->spec->resend_gap_ns, on_resend, m);
}

static void schedule(radio_meter *m);

static void on_send(gw_loop *loop, void *arg) {
    radio_meter *m = arg;
    m->timer = 0;
    m->last_len = radio_meter_build(m, m->last, sizeof m->last);
    if (m->last_len) {
        put_on_air(m, m->last, m->last_len, "send");
        m->resends_left = m->spec->resend;
        if (m->resends_left)
            m->resend_timer = loop_timer_after(loop, m->spec->resend_gap_ns, on_resend, m);
    }
    m->nominal_ns += m->spec->interval_ns;
    schedule(m);
}

static void schedule(radio_meter *m) {
    const radio_meter_spec *s = m->spec;
    int64_t at = m->nominal_ns + radio_rng_range(&m->rng, -s->jitter_ns, s->jitter_ns);
    int64_t now = clock_mono_ns();
    if (at < now)
        at = now;
    if (s->stop_ns > 0 && at >= m->stop_at)
        return;
    m->timer = loop_timer_at(m->loop, at, on_send, m);
}

void radio_meter_start(radio_meter *m) {
    const radio_meter_spec *s = m->spec;
    int64_t now = clock_mono_ns();
    int64_t offset = s->offset_ns >= 0 ? s->offset_ns : radio_rng_range(&m->rng, 0, s->interval_ns - 1);
    m->nominal_ns = now + offset;
    m->stop_at = now + s->stop_ns;
    schedule(m);
}

void radio_meter_stop(radio_meter *m) {
    loop_timer_cancel(m->loop, m->timer);
    loop_timer_cancel(m->loop, m->resend_timer);
    m->timer = m->resend_timer = 0;
}
