/* radio_bench: the wireless M-Bus part of a scenario's plant (`plant:
 * wmbus:`, docs/wmbus.md): the air, the radio meters and the radio modules,
 * and the radio checks (`verify:`) the runner prints as verdicts.
 *
 *   wmbus:
 *     seed: 1                      # PRNG seed for offsets and jitter
 *     modules: [{name: radio1, baud: 57600, default_mode: S1, capture_db: 6,
 *                sensitivity: -110, faults: {dead: [{at: 10m, for: 2m}], resets: [20m]}}]
 *     meters: [{name: w, mode: T1, id: "12345678", manufacturer: KAM, version: 1,
 *               device_type: 7, interval: 60s, jitter: 5s, offset: 3s, rssi: -70,
 *               rssi_spread: 0, security: 5, key: HEX, corrupt_mac: false,
 *               volume: 1000, step: 10, telegrams: [FILE], count: 1, resend: 0,
 *               resend_gap: 50ms, format: A, stop: 0}]
 *     junk: [{name: j, kind: random, mode: T1, interval: 100ms, jitter: 50ms, offset: 0,
 *             stop: 0, min_length: 31, max_length: 64, rssi: -80,
 *             id: "12345678", manufacturer: KAM, version: 1, device_type: 7}]   (radio_junk.h)
 *     verify:
 *       - {aloha: {module: radio1, point: radio1/telegrams, tolerance: 0.03}}
 *       - {module: radio1, caught: {min: 1}, collided: {min: 1, max: 5}, other_mode: ...}
 *       - {module: radio1, crc_errors: {min: 1}, junk_sent: 100, sent: ...}
 * The module's pty is ${radio:<module name>} in the gateway configuration. */
#ifndef SIM_RADIO_BENCH_H
#define SIM_RADIO_BENCH_H
#include <stdbool.h>
#include <stddef.h>
#include "core/config.h"
#include "core/loop.h"
#include "sim/scenario/scenario_path.h"
#include "sim/core/trace.h"

typedef struct radio_plan radio_plan;
typedef struct radio_bench radio_bench;

/* Parse `plant: wmbus:`; telegram files as scenario_path.h resolves them. */
radio_plan *radio_plan_parse(const cfg_node *node, const scenario_paths *paths, cfg_err *err);
void radio_plan_free(radio_plan *p);
size_t radio_plan_modules(const radio_plan *p);

/* Open the modules' ptys and the air (before the gateway starts). */
radio_bench *radio_bench_new(const radio_plan *p, gw_loop *loop, trace *tr, char *err, size_t errlen);
/* Substitution variables: "radio:<module>" → pty path; i < radio_plan_modules. */
const char *radio_bench_var_name(const radio_bench *b, size_t i);
const char *radio_bench_var_value(const radio_bench *b, size_t i);
/* Start meters and modules (time zero of the scenario). */
int radio_bench_start(radio_bench *b, char *err, size_t errlen);
/* Print the radio checks through verdict(ok, text); dump_path is the
 * gateway's datahub dump (for points the checks compare with). */
typedef void (*radio_verdict_fn)(void *arg, bool ok, const char *text);
void radio_bench_evaluate(radio_bench *b, const char *dump_path, radio_verdict_fn verdict, void *arg);
void radio_bench_free(radio_bench *b);
/* For other sources of transmissions (a replayed capture, replay.h): the air,
 * and a module's reception counts (NULL when no module has that name). */
struct air *radio_bench_air(radio_bench *b);
struct im871a_stats;
const struct im871a_stats *radio_bench_module_stats(const radio_bench *b, const char *module);
#endif
