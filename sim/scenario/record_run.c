/* record_run: after a run, record its results as the scenario's expected
 * results (hil run --record) or compare them with the recorded ones. */
#include "sim/scenario/record_run.h"
#include "sim/core/text_safe.h"
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

static void verdict(FILE *out, bool ok, const char *msg, unsigned *passed, unsigned *failed) {
    fprintf(out, "%s  ", ok ? "PASS" : "FAIL");
    text_safe_fputs(msg, out);
    fputc('\n', out);
    if (ok) (*passed)++;
    else (*failed)++;
}

static int collect(result_set *rs, const char *dump_path, const trace *tr, const replay_bench *rb,
                   const modbus_plan *mb, char *err, size_t errlen) {
    if (dump_path && access(dump_path, R_OK) == 0 &&
        results_from_dump(rs, dump_path, err, errlen) < 0)
        return -1;
    size_t n_masters = mb ? mb->n_masters : 0;
    const char **names = calloc(n_masters ? n_masters : 1, sizeof *names);
    for (size_t i = 0; names && i < n_masters; i++) names[i] = mb->masters[i].name;
    int rc = names ? results_from_trace(rs, tr, names, n_masters) : -1;
    free(names);
    if (rc < 0 || replay_bench_results(rb, rs) < 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    results_sort(rs);
    return 0;
}

void record_check(const char *scenario_path, bool record, const char *dump_path, const trace *tr,
                  const replay_bench *rb, const modbus_plan *mb, FILE *out, unsigned *passed,
                  unsigned *failed) {
    char sidecar[PATH_MAX], err[1024], msg[PATH_MAX + 256];
    record_sidecar_path(scenario_path, sidecar, sizeof sidecar);
    if (!record && access(sidecar, F_OK) != 0) return; /* nothing recorded: nothing to compare */
    result_set now = {0}, before = {0};
    if (collect(&now, dump_path, tr, rb, mb, err, sizeof err) < 0) {
        snprintf(msg, sizeof msg, "regression: cannot collect the results: %s", err);
        verdict(out, false, msg, passed, failed);
    } else if (record) {
        bool ok = results_write(&now, sidecar, err, sizeof err) == 0;
        if (ok) snprintf(msg, sizeof msg, "recorded %zu results as expected in %s", now.n, sidecar);
        else snprintf(msg, sizeof msg, "regression: %s", err);
        verdict(out, ok, msg, passed, failed);
    } else if (results_load(&before, sidecar, err, sizeof err) < 0) {
        snprintf(msg, sizeof msg, "regression: %s", err);
        verdict(out, false, msg, passed, failed);
    } else {
        size_t diffs = results_diff(&before, &now, out, 200);
        if (diffs == 0)
            snprintf(msg, sizeof msg, "regression: %zu results as recorded in %s", now.n, sidecar);
        else
            snprintf(msg, sizeof msg, "regression: expected the %zu results recorded in %s, observed %zu difference(s) (DIFF lines above)",
                     before.n, sidecar, diffs);
        verdict(out, diffs == 0, msg, passed, failed);
    }
    results_free(&now);
    results_free(&before);
}
