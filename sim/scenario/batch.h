/* batch: the scenarios of one `hil run`, one after the other in this process (-j 1) or
 * on N worker processes (-j N), each scenario in a process of its own, so one run's
 * global state (the clock, the channel registry, signals) never meets another's. The
 * output of every scenario is printed whole, in the order the files were given, so
 * stdout and every run directory are the same as a serial run's. Live progress on
 * stderr (progress.h). */
#ifndef SIM_BATCH_H
#define SIM_BATCH_H
#include "sim/scenario/runner.h"

/* Run files[0..n) with opt on jobs workers; results[i] gets each one's summary (a
 * scenario not run because of an interruption: RESULT_INTERRUPTED, 0 verdicts).
 * Returns 0 when all passed or were skipped, 1 when any failed, RUNNER_INTERRUPTED. */
int batch_run(char *const *files, int n, const run_options *opt, int jobs, run_result *results);
/* Two files that would share a run directory (same file name), as "a and b"; NULL if none. */
const char *batch_workdir_clash(char *const *files, int n, char *out, size_t cap);
/* The number of cores to use by default. */
int batch_default_jobs(void);
#endif
