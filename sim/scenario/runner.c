/* runner: one scenario from start to verdict (see runner.h), the same steps for every
 * gateway host and plant wiring (gateway_host.h, plant_wiring.h): every check runs
 * in both, unless a named rule skips the scenario with its reason. */
#define _XOPEN_SOURCE 700
#include "sim/mbus/mbus_tcp_master.h"
#include "sim/scenario/runner.h"
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "core/clock.h"
#include "core/iochan.h"
#include "sim/core/fsdir.h"
#include "sim/core/port_reserve.h"
#include "sim/core/text_safe.h"
#include "sim/core/trace_pcapng.h"
#include "sim/report/report.h"
#include "sim/report/report_capture.h"
#include "sim/scenario/gateway_host.h"
#include "sim/scenario/plant_wiring.h"
#include "sim/scenario/record_run.h"
#include "sim/scenario/run.h"

void runner_default_gwd(char *out, size_t cap) {
    const char *env = getenv("HIL_GWD");
    if (env && *env) {
        snprintf(out, cap, "%s", env);
        return;
    }
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) {
        snprintf(out, cap, "gwd");
        return;
    }
    self[n] = '\0';
    char *slash = strrchr(self, '/');
    if (slash) *slash = '\0';
    snprintf(out, cap, "%s/gwd", self);
}

void run_verdict(run *r, bool ok, const char *msg) {
    fprintf(r->opt->out, "%s  ", ok ? "PASS" : "FAIL");
    text_safe_fputs(msg, r->opt->out);
    fputc('\n', r->opt->out);
    if (ok) r->passed++;
    else if (r->failed++ == 0) snprintf(r->first_failure, sizeof r->first_failure, "%s", msg);
}

void run_add_var(run *r, const char *name, const char *value) {
    r->vars[r->n_vars].name = name;
    r->vars[r->n_vars].value = value;
    r->n_vars++;
}

int run_open_trace(run *r, char *err, size_t errlen) {
    char tpath[PATH_MAX + 16];
    snprintf(tpath, sizeof tpath, "%s/trace.jsonl", r->workdir);
    if (trace_open_file(&r->tr, tpath) == 0) return 0;
    snprintf(err, errlen, "cannot write %.900s", tpath);
    return -1;
}

/* The scenario's name (its file name without .yaml) and <base>/<name>. */
static void name_workdir(run *r, const char *path) {
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t len = strlen(base);
    if (len > 5 && strcmp(base + len - 5, ".yaml") == 0) len -= 5;
    snprintf(r->name, sizeof r->name, "%.*s", (int)len, base);
    if (r->opt->workdir_exact) snprintf(r->workdir, sizeof r->workdir, "%s", r->opt->workdir_base);
    else snprintf(r->workdir, sizeof r->workdir, "%s/%.*s", r->opt->workdir_base, (int)len, base);
}

/* A run cut short by a signal: what follows covers only the part that ran. */
static void interrupted_verdict(run *r) {
    char msg[512];
    if (!r->interrupted) return;
    snprintf(msg, sizeof msg, "interrupted at t=%.3fs of %.3fs by %s: the run did not finish, the verdicts "
                              "below are of its first %.3fs only",
             (double)r->interrupted_ns / 1e9, (double)r->sc->duration_ns / 1e9,
             r->interrupted == SIGINT ? "SIGINT" : "SIGTERM", (double)r->interrupted_ns / 1e9);
    run_verdict(r, false, msg);
}

static void check_expectations(run *r, ex_context *ctx) {
    char msg[8192], note[256], line[8192 + 256];
    for (size_t i = 0; i < r->sc->n_expects; i++) {
        expectation ex = r->sc->expects[i];
        note[0] = '\0';
        if (r->host->adjust) r->host->adjust(r, &ex, note, sizeof note);
        bool ok = expect_eval(&ex, ctx, msg, sizeof msg);
        snprintf(line, sizeof line, "%s%s", msg, note);
        run_verdict(r, ok, line);
    }
}

static void radio_verdict(void *arg, bool ok, const char *msg) {
    run_verdict(arg, ok, msg);
}

/* Every check on what the gateway did, read from outputs (its ${workdir} here). */
static void evaluate(run *r, const char *outputs) {
    scenario *sc = r->sc;
    ex_segment_info *info = calloc(sc->n_segments ? sc->n_segments : 1, sizeof *info);
    for (size_t i = 0; info && i < sc->n_segments; i++) {
        const bench_segment *s = r->segs[i];
        info[i] = (ex_segment_info){s->name, s->baud, s->baud_last, s->frames, s->baud_mismatches};
        r->wiring->segment_verdict(r, s);
    }
    r->vars[0].value = outputs;
    char *dump = gwconfig_get(sc->gateway, "gateway", "datahub_dump", r->vars, r->n_vars);
    char *store = gwconfig_get(sc->gateway, "gateway", "store", r->vars, r->n_vars);
    char *reports = gwconfig_report_dir(sc->gateway, r->vars, r->n_vars);
    ex_context ctx = {.dump_path = dump, .store_path = store, .reports_dir = reports, .tr = &r->tr,
                      .start_wall_ns = sc->start_wall_ns, .segments = info, .n_segments = info ? sc->n_segments : 0};
    check_expectations(r, &ctx);
    ex_context_free(&ctx);
    free(info);
    if (r->radio) radio_bench_evaluate(r->radio, dump, radio_verdict, r);
    replay_bench_evaluate(r->replay, dump, store, r->opt->out, &r->passed, &r->failed);
    if (!r->interrupted) /* a partial run is neither recorded nor compared */
        record_check(sc->path, r->opt->record, dump, &r->tr, r->replay, sc->modbus, r->opt->out, &r->passed,
                     &r->failed);
    free(dump);
    free(store);
    free(reports);
}

static int set_up(run *r, char *err, size_t errlen) {
    if (r->host->prepare(r, err, errlen) < 0) return -1;
    iochan_registry_free();
    r->loop = loop_new();
    trace_init(&r->tr, clock_mono_ns());
    r->wall0_ns = r->sc->virtual_time ? r->sc->start_wall_ns : clock_wall_ns();
    fsdir_remove(r->workdir);
    if (!r->loop || fsdir_make(r->workdir) < 0) {
        snprintf(err, errlen, "cannot prepare the run directory");
        return -1;
    }
    if (r->wiring->build(r, err, errlen) < 0 || r->host->start(r, err, errlen) < 0) return -1;
    return 0;
}

/* --pcapng: the run's frames for Wireshark (one file for one scenario, else a folder). */
static void write_pcapng(run *r) {
    if (!r->opt->pcapng) return;
    char path[PATH_MAX + 160], err[PATH_MAX + 64];
    if (r->opt->pcapng_dir) {
        fsdir_make(r->opt->pcapng);
        snprintf(path, sizeof path, "%s/%s.pcapng", r->opt->pcapng, r->name);
    } else {
        snprintf(path, sizeof path, "%s", r->opt->pcapng);
    }
    if (trace_write_pcapng(&r->tr, r->wall0_ns, path, err, sizeof err) < 0) run_verdict(r, false, err);
    else fprintf(r->opt->out, "pcapng %s\n", path);
}

/* --report: the run's page from its trace, its store and the lines it printed (cap). */
static void write_report(run *r, report_capture *cap) {
    bool ok = r->failed == 0;
    if (!r->opt->report_dir || !cap->tee || (ok && r->opt->report_failed_only)) return;
    report_capture_sync(cap);
    char *store = r->vars ? gwconfig_get(r->sc->gateway, "gateway", "store", r->vars, r->n_vars) : NULL;
    report_input in = {.name = r->name, .title = r->sc->name, .path = r->sc->path, .workdir = r->workdir,
                       .store_path = store, .tr = &r->tr, .wall0_ns = r->wall0_ns, .output = cap->text,
                       .passed = ok, .n_passed = r->passed, .n_failed = r->failed};
    char err[1024];
    if (report_write(r->opt->report_dir, &in, err, sizeof err) < 0) fprintf(cap->to, "hil: report: %s\n", err);
    else fprintf(cap->to, "report %s/%s.html\n", r->opt->report_dir, r->name);
    free(store);
}

static void teardown(run *r) {
    r->host->teardown(r);
    iec104_bench_free(r->iec104);
    modbus_bench_free(r->modbus);
    mbus_tcp_bench_free(r->mbus_tcp);
    radio_bench_free(r->radio);
    replay_bench_free(r->replay);
    dlms_bench_write_stats(r->dlms, r->workdir);
    dlms_bench_free(r->dlms);
    for (size_t i = 0; r->segs && i < r->sc->n_segments; i++) bench_segment_free(r->segs[i]);
    free(r->segs);
    free(r->vars);
    trace_free(&r->tr);
    if (r->loop) loop_free(r->loop);
    iochan_registry_free(); /* the next scenario's ptys may reuse these paths */
    port_reserve_release_all(); /* the gateway has stopped: its ports are free again */
    clock_use_real();
}

/* A named rule of the host or of the wiring says this scenario cannot run here. */
static bool skipped(run *r) {
    char why[512];
    const char *reason = r->host->skip ? r->host->skip(r, why, sizeof why) : NULL;
    if (!reason && r->wiring->unwired) reason = r->wiring->unwired(r, why, sizeof why);
    if (!reason) return false;
    fprintf(r->opt->out, "SKIP  %s\nscenario %s: SKIP (%s)\n", reason, r->sc->name, reason);
    return true;
}

/* The run's summary for hil's --summary and --junit (runner.h). */
static void fill_result(const run_options *opt, const char *path, const run *r, run_verdict_kind verdict,
                        int64_t start_ns) {
    run_result *res = opt->result;
    if (!res) return;
    memset(res, 0, sizeof *res);
    snprintf(res->path, sizeof res->path, "%s", path);
    snprintf(res->name, sizeof res->name, "%s", r->name[0] ? r->name : path);
    snprintf(res->workdir, sizeof res->workdir, "%s", r->workdir);
    snprintf(res->first_failure, sizeof res->first_failure, "%s", r->first_failure);
    res->verdict = verdict;
    res->passed = r->passed;
    res->failed = r->failed;
    res->seconds = (double)(clock_host_mono_ns() - start_ns) / 1e9;
}

int runner_run_with(const char *path, const run_options *opt, const gateway_host *host,
                    const plant_wiring *wiring, const void *where) {
    int64_t start_ns = clock_host_mono_ns();
    run r;
    memset(&r, 0, sizeof r);
    r.opt = opt;
    r.host = host;
    r.wiring = wiring;
    r.where = where;
    cfg_err cerr;
    r.sc = scenario_load_fixtures(path, opt->fixtures_dir, &cerr);
    if (!r.sc) {
        fprintf(opt->out, "ERROR %s\nscenario %s: FAIL (not loaded)\n", cerr.msg, path);
        snprintf(r.first_failure, sizeof r.first_failure, "not loaded: %.480s", cerr.msg);
        r.failed = 1;
        fill_result(opt, path, &r, RESULT_FAIL, start_ns);
        return 1;
    }
    host->announce(&r, path);
    if (skipped(&r)) {
        name_workdir(&r, path);
        fill_result(opt, path, &r, RESULT_SKIP, start_ns);
        scenario_free(r.sc);
        return RUNNER_SKIP;
    }
    name_workdir(&r, path);
    /* --report: the run's lines also go to the report (its copy of the options writes to the tee) */
    run_options with_tee = *opt;
    report_capture cap = {0};
    if (opt->report_dir && report_capture_open(&cap, opt->out) == 0) {
        with_tee.out = cap.tee;
        r.opt = &with_tee;
    } else if (opt->report_dir) {
        fprintf(opt->out, "hil: report: cannot capture the run's output: no report for %s\n", r.name);
    }
    char err[1024] = "";
    const char *outputs = NULL;
    int rc = set_up(&r, err, sizeof err);
    if (rc == 0) rc = host->run(&r, err, sizeof err);
    if (rc == 0) {
        interrupted_verdict(&r);
        rc = host->fetch(&r, &outputs);
        if (rc == 0) evaluate(&r, outputs);
    }
    if (rc == 0) write_pcapng(&r);
    if (rc == 0) host->summary(&r);
    else host->setup_failed(&r, err);
    char tail[128] = "";
    host->tail(&r, tail, sizeof tail);
    write_report(&r, &cap);
    teardown(&r);
    r.opt = opt;
    report_capture_close(&cap);
    bool ok = r.failed == 0;
    fprintf(opt->out, "scenario %s: %s, %u passed, %u failed (run directory %s%s)\n", r.sc->name,
            ok ? "PASS" : r.interrupted ? "INTERRUPTED" : "FAIL", r.passed, r.failed, r.workdir, tail);
    if (ok && !opt->keep) fsdir_remove(r.workdir);
    if (!ok && r.failed == 0) snprintf(r.first_failure, sizeof r.first_failure, "%.*s", (int)sizeof r.first_failure - 1, err);
    fill_result(opt, path, &r, r.interrupted ? RESULT_INTERRUPTED : ok ? RESULT_PASS : RESULT_FAIL, start_ns);
    scenario_free(r.sc);
    return r.interrupted ? RUNNER_INTERRUPTED : ok ? 0 : 1;
}

int runner_run(const char *path, const run_options *opt) {
    return runner_run_with(path, opt, &gateway_local, &plant_bench, NULL);
}
