/* run_summary: what a `hil run` came to, for machines: JUnit XML (--junit, what CI
 * systems show) and JSON lines (--summary: one object per scenario with its file, name,
 * verdict, counts, seconds, run directory and first failure; the run report and
 * `hil merge` read them). */
#ifndef SIM_RUN_SUMMARY_H
#define SIM_RUN_SUMMARY_H
#include "sim/scenario/runner.h"

const char *run_verdict_name(run_verdict_kind v);
int run_summary_write_junit(const run_result *res, int n, const char *suite, const char *path);
int run_summary_write_jsonl(const run_result *res, int n, const char *path);
#endif
