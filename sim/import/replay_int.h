/* Internals shared by replay.c (the telegrams on the air, the bench's own
 * decode) and replay_account.c (what the gateway did with them); not an API. */
#ifndef SIM_REPLAY_INT_H
#define SIM_REPLAY_INT_H
#include "sim/wmbus/air.h"
#include "sim/import/capture.h"
#include "codec/decode/decode.h"
#include "sim/import/replay.h"

#define REPLAY_MAX_REASONS 64

typedef struct reason_count {
    char text[160];
    unsigned long n;
} reason_count;

/* Telegrams by outcome: decoded, or rejected with a reason. */
typedef struct replay_tally {
    unsigned long decoded, rejected;
    reason_count reasons[REPLAY_MAX_REASONS];
    size_t n_reasons;
} replay_tally;

/* Why the radio module will not pass a telegram on (its framing check), or
 * NULL. The air bytes are what the replay transmits. */
#define REPLAY_WHY_CRC "dropped by the radio module: CRC error (flagged by the receiver)"
#define REPLAY_WHY_SHORT "dropped by the radio module: frame length does not match its L field"

struct replay_bench {
    const replay_spec *spec;
    gw_loop *loop;
    trace *tr;
    struct radio_bench *radio;
    air *air;
    capture cap;
    decoder *dec;            /* the bench's own decode (cross-check) */
    telegram t;              /* decoder output, reused (large) */
    int64_t t0_ns;           /* bench time of the capture's first telegram */
    int64_t air_free_ns;     /* end of the last transmission */
    size_t next;             /* next telegram to send */
    unsigned long sent, moved;
    int64_t max_move_ns;
    unsigned long dropped_crc, dropped_short; /* sent in a form the module drops */
    replay_tally bench;      /* what the bench's decoder says */
    result_set values;       /* bench: last value of every meter's record */
    size_t sort_at;
    result_set ids;          /* meter ids of the capture (sorted set) */
    /* what the gateway did (replay_account.c) */
    bool accounted;
    replay_tally gw;
    unsigned long gw_telegrams, gw_duplicates, gw_unknown, gw_filtered, gw_rejected;
    unsigned long module_caught, module_lost;
    long store_rejected;     /* rows in the store's rejected table; -1 without store */
    result_set gw_values;    /* "radio meter ID record ..." from the datahub dump */
};

void replay_count(replay_tally *t, const char *why, unsigned long n);
/* The frame as the replay puts it on the air (with CRCs); its length, and
 * why the module will drop it (NULL when it passes). */
size_t replay_air_bytes(const cap_frame *f, uint8_t *out, size_t cap, const char **drop);
/* The bench's decode of one telegram: tally and values; the trace text in event. */
void replay_bench_decode(replay_bench *rb, const cap_frame *f, char *event, size_t cap);
/* The 8-digit meter id of a telegram (L first), or "" when too short. */
void replay_meter_id(const cap_frame *f, char *out, size_t cap);
#endif
