/* replay: the `plant: replay:` part of a scenario — traffic of a field capture
 * replayed at its recorded times in virtual time (docs/replay.md).
 *
 *   replay:
 *     radio:
 *       telegrams: fixtures/captures/NAME.radio.hex   # TIME [RSSI] HEX lines, TIME in s
 *       keys: fixtures/captures/NAME.keys             # optional: "METER_ID KEY" lines
 *       module: radio1        # a module of plant: wmbus: (the gateway reads it)
 *       mode: T1              # S1, T1 or C1: how the telegrams go on the air
 *       at: 2s                # the capture's first telegram this long after the start
 *       expect: {telegrams: 1000, decoded: 990, rejected: 10}
 *
 * Radio: each telegram is put on the bench's air (radio_bench.h) at its
 * recorded instant; the emulated radio module catches it and hands it to the
 * gateway's wmbus driver as WMBUSMSG_IND. Every telegram is then accounted for
 * from what the gateway did: decoded (its accepted counter, the records in its
 * datahub dump) or rejected with its reason (the store's rejected table, the
 * driver's duplicate/unknown/filtered counters, the module's losses). The
 * bench decodes each telegram too, with the gateway's decoder library, as an
 * independent cross-check of the values the gateway published. */
#ifndef SIM_REPLAY_H
#define SIM_REPLAY_H
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "core/config.h"
#include "core/loop.h"
#include "sim/scenario/record.h"
#include "sim/scenario/scenario_path.h"
#include "sim/core/trace.h"

typedef struct replay_spec {
    const cfg_node *node;
    bool has_radio;
    char *radio_path;        /* resolved */
    char *keys_path;         /* resolved, or NULL */
    char module[32];         /* the radio module of plant: wmbus: */
    int mode;                /* air_mode */
    int64_t at_ns;           /* the first telegram's instant in the run */
    long long expect_telegrams, expect_decoded, expect_rejected; /* -1: not checked */
} replay_spec;

/* Parse `plant: replay:`; paths as scenario_path.h resolves them. */
replay_spec *replay_spec_parse(const cfg_node *node, const scenario_paths *paths, cfg_err *err);
void replay_spec_free(replay_spec *spec);

struct radio_bench;
typedef struct replay_bench replay_bench;
/* Load the capture and schedule its first telegram on the air of radio (the
 * scenario's plant: wmbus:, which must have the spec's module). NULL with err. */
replay_bench *replay_bench_start(const replay_spec *spec, gw_loop *loop, trace *tr,
                                 struct radio_bench *radio, char *err, size_t errlen);
/* After the run: account for every telegram from the gateway's datahub dump
 * and store, print the verdict lines (accounting, expected counts, the
 * bench decoder's cross-check). */
void replay_bench_evaluate(replay_bench *rb, const char *dump_path, const char *store_path,
                           FILE *out, unsigned *passed, unsigned *failed);
/* The run's results (record.h): the datahub's "meter ID record ..." keys of
 * the replayed meters become "radio meter ID record ..."; the accounting
 * counts are added ("radio telegrams decoded", "radio telegrams rejected: WHY"). */
int replay_bench_results(const replay_bench *rb, result_set *rs);
void replay_bench_free(replay_bench *rb);

struct capture;
/* What the replay of a radio capture will give, computed at once with the
 * gateway's decoder and the module's framing (what `hil import` writes as
 * the capture's implied expectations). */
int replay_radio_offline(const struct capture *c, const char *keys_path, unsigned long *decoded,
                         unsigned long *rejected, result_set *rs, char *err, size_t errlen);
#endif
