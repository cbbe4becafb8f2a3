/* report: the HTML run report of `hil run --report DIR` (docs/run-report.md).
 *
 * Per scenario DIR/<name>.html, one self-contained page (script and style inlined,
 * the data as JSON in the page): the verdicts (expected vs observed), the replay
 * diffs, and the timeline of the run's trace with the meters' status changes.
 * Beside it DIR/<name>.result.json, the run's summary, from which DIR/index.html
 * lists every page of the folder, failed first, with counts: so scenarios run by
 * separate hil processes (the pytest harness, shards) still share one index. */
#ifndef SIM_REPORT_H
#define SIM_REPORT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "sim/core/trace.h"

/* At most this many marks in a page (report_timeline.h says which are kept). */
#define REPORT_MAX_MARKS 20000

typedef struct report_input {
    const char *name;          /* the scenario's file name without .yaml */
    const char *title;         /* its name: line, or NULL */
    const char *path;          /* the scenario file */
    const char *workdir;       /* its run directory */
    const char *store_path;    /* the gateway's store after the run, or NULL */
    const trace *tr;
    int64_t wall0_ns;          /* wall time of the scenario start (the store's times) */
    const char *output;        /* the run's output lines (report_capture.h) */
    const char *error;         /* why the run could not be set up or finished, or NULL */
    bool passed;
    unsigned n_passed, n_failed;
    size_t max_marks;          /* 0: REPORT_MAX_MARKS */
} report_input;

/* DIR/<name>.html and DIR/<name>.result.json, then DIR/index.html anew; -1 with err. */
int report_write(const char *dir, const report_input *in, char *err, size_t errlen);
/* DIR/index.html from every DIR/NAME.result.json; -1 with err. */
int report_index_write(const char *dir, char *err, size_t errlen);
/* `hil report-index DIR` (after runs by several processes). */
int report_index_main(int argc, char **argv);

/* Page parts (report_verdicts.c, report_data.c): the verdict and diff tables from
 * the output lines, and the timeline's data as one JSON object. */
void report_write_verdicts(FILE *out, const char *output, const char *error);
void report_write_diffs(FILE *out, const char *output);
void report_write_data(FILE *out, const report_input *in);
#endif
