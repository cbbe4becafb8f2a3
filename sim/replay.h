/* replay: the `plant: replay:` part of a scenario — traffic of a field capture
 * replayed at its recorded times in virtual time (docs/replay.md).
 *
 *   replay:
 *     radio:
 *       telegrams: fixtures/captures/NAME.radio.hex   # TIME [RSSI] HEX lines, TIME in s
 *       keys: fixtures/captures/NAME.keys             # optional: "METER_ID KEY" lines
 *       expect: {telegrams: 1000, decoded: 990, rejected: 10}
 *
 * Radio: each telegram is put on the air at its time. Until the bench has a
 * radio module emulator for the gateway to read, the air is watched by the
 * bench with the gateway's own decoder (gateway/codec/decode): every
 * telegram is accounted for — decoded (meter, records) or rejected with its
 * reason — in the trace (channel "air") and in the run's results. */
#ifndef SIM_REPLAY_H
#define SIM_REPLAY_H
#include <stdbool.h>
#include <stdio.h>
#include "config.h"
#include "loop.h"
#include "record.h"
#include "trace.h"

typedef struct replay_spec {
    const cfg_node *node;
    bool has_radio;
    char *radio_path;        /* resolved */
    char *keys_path;         /* resolved, or NULL */
    long long expect_telegrams, expect_decoded, expect_rejected; /* -1: not checked */
} replay_spec;

/* Parse `plant: replay:`; paths relative to base_dir (or ${fixtures}/...). */
replay_spec *replay_spec_parse(const cfg_node *node, const char *base_dir,
                               const char *fixtures_dir, cfg_err *err);
void replay_spec_free(replay_spec *spec);

typedef struct replay_bench replay_bench;
/* Load the capture and schedule its first telegram. NULL with err. */
replay_bench *replay_bench_start(const replay_spec *spec, gw_loop *loop, trace *tr, char *err,
                                 size_t errlen);
/* Verdict lines (accounting of the telegrams, expected counts). */
void replay_bench_evaluate(const replay_bench *rb, FILE *out, unsigned *passed, unsigned *failed);
/* Decoded values and rejection counts as results (record.h). */
int replay_bench_results(const replay_bench *rb, result_set *rs);
void replay_bench_free(replay_bench *rb);

struct capture;
/* Account for every telegram of a radio capture at once, as the replay will
 * (what `hil import` writes as the capture's implied expectations). */
int replay_radio_offline(const struct capture *c, const char *keys_path, unsigned long *decoded,
                         unsigned long *rejected, result_set *rs, char *err, size_t errlen);
#endif
