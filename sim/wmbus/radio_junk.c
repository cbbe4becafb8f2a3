/* radio_junk: frames and schedule of the hostile transmitter (see radio_junk.h). */
#include "sim/wmbus/radio_junk.h"

#include <stdio.h>
#include <string.h>
#include "core/clock.h"
#include "sim/wmbus/radio_meter.h"
#include "codec/wmbus/wmbus.h"

#define LINK_LEN 10        /* L C M M A A A A V T */
#define SHORT_TPL_LEN 5    /* CI 0x7A, access number, status, configuration word */
#define AES_BLOCK 16

int radio_junk_kind_parse(const char *name) {
    if (strcmp(name, "random") == 0) return JUNK_RANDOM;
    if (strcmp(name, "crc") == 0) return JUNK_CRC;
    if (strcmp(name, "spoof") == 0) return JUNK_SPOOF;
    return -1;
}

void radio_junk_init(radio_junk *j, const radio_junk_spec *spec, uint32_t sender, uint64_t seed, air *a,
                     gw_loop *loop, trace *tr) {
    memset(j, 0, sizeof *j);
    j->spec = spec;
    j->sender = sender;
    j->air = a;
    j->loop = loop;
    j->tr = tr;
    /* its own stream: adding a junk transmitter does not move the meters' instants */
    j->rng = seed ^ 0x4A554E4B00000000ULL ^ ((uint64_t)(sender + 1) * 0x9E3779B97F4A7C15ULL);
}

static void fill_random(radio_junk *j, uint8_t *p, size_t n) {
    for (size_t i = 0; i < n; i++) p[i] = (uint8_t)radio_rng_next(&j->rng);
}

/* The meter's link header, then CI 0x7A with a configuration word saying
 * "mode 5, n blocks", then n blocks of random ciphertext. */
static size_t spoof_plain(radio_junk *j, uint8_t *plain, size_t len) {
    const radio_junk_spec *s = j->spec;
    size_t blocks = (len - LINK_LEN - SHORT_TPL_LEN) / AES_BLOCK;
    if (blocks > 15) blocks = 15; /* four bits of the configuration word */
    len = LINK_LEN + SHORT_TPL_LEN + blocks * AES_BLOCK;
    plain[1] = 0x44; /* SND_NR, as meters send */
    plain[2] = (uint8_t)s->manufacturer, plain[3] = (uint8_t)(s->manufacturer >> 8);
    for (int i = 0; i < 4; i++) plain[4 + i] = (uint8_t)(s->id_bcd >> (8 * i));
    plain[8] = s->version, plain[9] = s->device_type;
    plain[10] = 0x7A;
    fill_random(j, plain + 11, 2); /* access number, status */
    plain[13] = (uint8_t)(blocks << 4), plain[14] = 0x05;
    fill_random(j, plain + 15, blocks * AES_BLOCK);
    return len;
}

size_t radio_junk_build(radio_junk *j, uint8_t *out, size_t cap) {
    const radio_junk_spec *s = j->spec;
    size_t len = (size_t)radio_rng_range(&j->rng, (int64_t)s->min_len, (int64_t)s->max_len);
    if (s->kind == JUNK_RANDOM) {
        if (len > cap) return 0;
        fill_random(j, out, len);
        return len;
    }
    uint8_t plain[WMBUS_FRAME_MAX];
    if (len > sizeof plain) return 0;
    if (s->kind == JUNK_SPOOF) len = spoof_plain(j, plain, len);
    else fill_random(j, plain + 1, len - 1);
    plain[0] = (uint8_t)(len - 1);
    return wmbus_frame_add_crcs(plain, len, WMBUS_FMT_A, out, cap);
}

static void put_on_air(radio_junk *j, const uint8_t *bytes, size_t len) {
    const radio_junk_spec *s = j->spec;
    int64_t start = clock_mono_ns();
    int64_t duration = radio_transmit(j->air, s->mode, WMBUS_FMT_A, s->rssi_dbm, j->sender, bytes, len);
    if (duration < 0) return;
    j->sent++;
    if (j->tr) {
        static const char *const kinds[] = {"random", "crc", "spoof"};
        char ev[96];
        snprintf(ev, sizeof ev, "junk %s %s %.40s %.1f dBm", kinds[s->kind], air_mode_get(s->mode)->name,
                 s->name, s->rssi_dbm);
        trace_add(j->tr, "air", TRACE_NOTE, 0, start, start + duration, bytes, len, ev);
    }
}

static void schedule(radio_junk *j, int64_t at);

static void on_send(gw_loop *loop, void *arg) {
    radio_junk *j = arg;
    j->timer = 0;
    uint8_t frame[AIR_BYTES_MAX];
    size_t len = radio_junk_build(j, frame, sizeof frame);
    if (len) put_on_air(j, frame, len);
    const radio_junk_spec *s = j->spec;
    schedule(j, clock_mono_ns() + radio_rng_range(&j->rng, s->interval_ns - s->jitter_ns,
                                                  s->interval_ns + s->jitter_ns));
}

static void schedule(radio_junk *j, int64_t at) {
    if (j->spec->stop_ns > 0 && at >= j->stop_at) return;
    j->timer = loop_timer_at(j->loop, at, on_send, j);
}

void radio_junk_start(radio_junk *j) {
    int64_t now = clock_mono_ns();
    j->stop_at = now + j->spec->stop_ns;
    schedule(j, now + j->spec->offset_ns);
}

void radio_junk_stop(radio_junk *j) {
    loop_timer_cancel(j->loop, j->timer);
    j->timer = 0;
}
