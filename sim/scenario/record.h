/* record: what the gateway produced in a run, as named results, and the
 * scenario's recorded expected results (`hil run --record`, docs/replay.md).
 *
 * A result is a key naming what it is and a value text:
 *   "meter water1 record 0 (volume, m3)"         → "12.71"      (datahub dump)
 *   "radio meter 12345678 record 0 (volume, m3)" → "28504.27"   (radio replay)
 *   "iec104 m1 frame 0007"                       → "t=3.2s M_ME_NC_1 spont ca=1 ioa=1001 12.345 q=00"
 *   "modbus scada answer 0003"                   → "t=5s 00 03 00 00 00 07 01 03 04 ..."
 * The sidecar file (NAME.expected.json next to NAME.yaml) is one JSON object
 * of these, keys sorted. A later run compares its results with it and prints
 * one readable line per difference (diff.c). */
#ifndef SIM_RECORD_H
#define SIM_RECORD_H
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include "sim/core/trace.h"

typedef struct result_set {
    char **keys;
    char **values;
    size_t n, cap;
    bool sorted;
} result_set;

/* Add (or, after results_sort, replace) key → value. -1 when out of memory. */
int results_put(result_set *rs, const char *key, const char *value);
/* Sort by key; of equal keys the one put last stays. */
void results_sort(result_set *rs);
/* The value of key in a sorted set, or NULL. */
const char *results_get(const result_set *rs, const char *key);
void results_free(result_set *rs);

/* Numbers the way results show them: up to 10 significant digits. */
void results_number(double v, char *out, size_t cap);

/* The meters' data points of a datahub dump (bench counters left out). */
int results_from_dump(result_set *rs, const char *dump_path, char *err, size_t errlen);
/* The frames the gateway sent to the bench's IEC 104 masters and to the
 * Modbus masters named (their answers and timeouts). */
int results_from_trace(result_set *rs, const trace *tr, const char *const *modbus_names, size_t n_modbus);

/* The sidecar path of a scenario: NAME.yaml → NAME.expected.json. */
void record_sidecar_path(const char *scenario_path, char *out, size_t cap);
/* Write / read a sidecar (sorted). -1 with err on failure. */
int results_write(const result_set *rs, const char *path, char *err, size_t errlen);
int results_load(result_set *rs, const char *path, char *err, size_t errlen);

/* Print a line per difference between the recorded and the new results
 * (at most max_lines, then a count of the rest); returns the number of
 * differences. */
size_t results_diff(const result_set *recorded, const result_set *now, FILE *out,
                    size_t max_lines);
#endif
