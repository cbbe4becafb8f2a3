/* radio_junk: a hostile transmitter on the bench's air. It floods its mode's
 * channel with frames that no meter sent, on a seeded schedule (every
 * interval ± jitter: the same scenario sends the same bytes at the same
 * instants every run), to show that the gateway keeps serving the real
 * meters and says what it threw away (docs/scenarios.md, "Radio junk").
 *
 * Kinds of frame:
 *   random  random bytes of a random length: a receiver finds their CRCs
 *           wrong (the module drops them);
 *   crc     a random plain frame (L consistent with its length, everything
 *           else random) with correct format A CRCs: the module hands it to
 *           the gateway, which has to make sense of a random address, C field
 *           and CI;
 *   spoof   correct CRCs and the link header of a real meter (id,
 *           manufacturer, version, device type), then a short TPL claiming
 *           security mode 5 and random ciphertext: the gateway has to refuse
 *           it without touching the meter's values. */
#ifndef SIM_RADIO_JUNK_H
#define SIM_RADIO_JUNK_H
#include <stddef.h>
#include <stdint.h>
#include "sim/wmbus/air.h"
#include "core/loop.h"
#include "sim/core/trace.h"

typedef enum { JUNK_RANDOM, JUNK_CRC, JUNK_SPOOF } radio_junk_kind;

/* "random", "crc", "spoof"; -1 when unknown. */
int radio_junk_kind_parse(const char *name);

typedef struct radio_junk_spec {
    char name[48];
    air_mode mode;
    radio_junk_kind kind;
    int64_t interval_ns, jitter_ns; /* each frame interval ± jitter after the previous one */
    int64_t offset_ns;              /* first frame */
    int64_t stop_ns;                /* 0: until the end */
    size_t min_len, max_len;        /* bytes of the frame before CRCs (random: on air) */
    double rssi_dbm;
    uint32_t id_bcd;                /* spoof: the meter whose header is copied */
    uint16_t manufacturer;
    uint8_t version, device_type;
} radio_junk_spec;

typedef struct radio_junk {
    const radio_junk_spec *spec;
    uint32_t sender;              /* on the air: after the meters' indexes */
    air *air;
    gw_loop *loop;
    trace *tr;
    uint64_t rng;
    loop_timer_id timer;
    int64_t stop_at;
    uint64_t sent;
} radio_junk;

void radio_junk_init(radio_junk *j, const radio_junk_spec *spec, uint32_t sender, uint64_t seed, air *a,
                     gw_loop *loop, trace *tr);
/* The next frame as sent on air; returns its length (0 when cap is too small). */
size_t radio_junk_build(radio_junk *j, uint8_t *out, size_t cap);
/* Schedule the first frame (relative to now). */
void radio_junk_start(radio_junk *j);
void radio_junk_stop(radio_junk *j);
#endif
