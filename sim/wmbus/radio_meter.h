/* radio_meter: an emulated wireless M-Bus meter. It sends on its own
 * schedule (every interval, each telegram moved by a uniform jitter drawn
 * from a PRNG seeded by the scenario: the same scenario sends at the same
 * instants every run), in its mode and frame format, with its RSSI, onto the
 * shared air.
 *
 * Its telegrams are either built from values (a volume register that grows
 * by `step` litres per telegram, in the clear or encrypted with security
 * mode 5 or 7 under the meter's key; the access number and the mode 7
 * message counter advance with every telegram) or fixture telegrams sent in
 * turn as they are. A meter can also be repeated (the same telegram again
 * resend_gap later, as a repeater does). */
#ifndef SIM_RADIO_METER_H
#define SIM_RADIO_METER_H
#include <stdbool.h>
#include <stdint.h>
#include "sim/wmbus/air.h"
#include "sim/core/hexfile.h"
#include "core/loop.h"
#include "codec/wmbus/oms_crypto.h"
#include "sim/core/trace.h"

typedef struct radio_meter_spec {
    char name[48];
    air_mode mode;
    wmbus_format format;
    uint32_t id_bcd;
    uint16_t manufacturer;
    uint8_t version, device_type;
    int64_t interval_ns, jitter_ns;
    int64_t offset_ns;        /* first telegram; -1: uniform in [0, interval) */
    int64_t stop_ns;          /* 0: send until the end */
    double rssi_dbm;
    unsigned security;        /* 0, 5, 7 */
    bool has_key;
    uint8_t key[16];
    bool corrupt_mac;
    int64_t volume, step;     /* litres */
    telegram_list fixtures;   /* when not empty: sent in turn instead of values */
    unsigned resend;          /* extra copies of each telegram */
    int64_t resend_gap_ns;
} radio_meter_spec;

typedef struct radio_meter {
    const radio_meter_spec *spec;
    uint32_t index;
    air *air;
    oms_crypto *crypto;
    gw_loop *loop;
    trace *tr;
    uint64_t rng;
    int64_t nominal_ns;       /* the schedule without jitter */
    int64_t stop_at;
    uint8_t access;
    uint32_t counter;
    int64_t volume;
    size_t next_fixture;
    loop_timer_id timer, resend_timer;
    uint8_t last[AIR_BYTES_MAX];
    size_t last_len;
    unsigned resends_left;
    uint64_t sent;            /* transmissions, resends included */
    int64_t airtime_ns;       /* their total time on air */
} radio_meter;

/* Uniform PRNG (splitmix64) for the bench's random choices. */
uint64_t radio_rng_next(uint64_t *state);
/* Uniform in [lo, hi]. */
int64_t radio_rng_range(uint64_t *state, int64_t lo, int64_t hi);

void radio_meter_init(radio_meter *m, const radio_meter_spec *spec, uint32_t index, uint64_t seed,
                      air *a, oms_crypto *crypto, gw_loop *loop, trace *tr);
/* Schedule the first telegram (relative to now). */
void radio_meter_start(radio_meter *m);
void radio_meter_stop(radio_meter *m);
/* Put bytes on the air now, in mode m (its channel and time on air), frame
 * format fmt, at rssi_dbm, from sender. Returns the time on air in ns, -1 when
 * the air refused it. Shared by the meters and the junk transmitters. */
int64_t radio_transmit(air *a, air_mode m, wmbus_format fmt, double rssi_dbm, uint32_t sender,
                       const uint8_t *bytes, size_t len);
/* Build the meter's next telegram as sent on air (with CRCs); returns its length. */
size_t radio_meter_build(radio_meter *m, uint8_t *out, size_t cap);
#endif
