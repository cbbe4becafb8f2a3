/* record_run: the regression step of a run (docs/replay.md). With record,
 * the run's results (record.h: datahub values, radio replay, frames to the
 * bench's masters) become the scenario's sidecar NAME.expected.json; without
 * it, when the sidecar exists, the results are compared with it and every
 * difference is printed as a DIFF line. One verdict line either way. */
#ifndef SIM_RECORD_RUN_H
#define SIM_RECORD_RUN_H
#include <stdbool.h>
#include <stdio.h>
#include "sim/modbus/modbus_plan.h"
#include "sim/scenario/record.h"
#include "sim/import/replay.h"
#include "sim/core/trace.h"

void record_check(const char *scenario_path, bool record, const char *dump_path, const trace *tr,
                  const replay_bench *rb, const modbus_plan *mb, FILE *out, unsigned *passed,
                  unsigned *failed);
#endif
