/* runner: one scenario from start to verdict (see runner.h). */
#define _XOPEN_SOURCE 700
#include "sim/core/fsdir.h"
#include "sim/scenario/runner.h"
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <dirent.h>
#include "core/clock.h"
#include "sim/expect/expect.h"
#include "sim/core/gwconfig.h"
#include "sim/core/gwproc.h"
#include "sim/iec104/iec104_master.h"
#include "sim/dlms/dlms_bench.h"
#include "core/iochan.h"
#include "core/loop.h"
#include "sim/mbus/bench_segment.h"
#include "sim/wmbus/radio_bench.h"
#include "sim/modbus/modbus_bench.h"
#include "sim/scenario/record_run.h"
#include "sim/import/replay.h"
#include "sim/scenario/scenario.h"
#include "sim/core/timemaster.h"
#include "sim/core/text_safe.h"
#include "sim/core/trace.h"

#define STOP_GRACE_NS (5 * NS_PER_S)   /* SIGTERM → SIGKILL */
#define CYCLE_POLL_NS (50 * NS_PER_MS)
#define AFTER_CYCLES_NS (300 * NS_PER_MS) /* let the last cycle's writes land */

typedef struct run {
    const run_options *opt;
    scenario *sc;
    char workdir[PATH_MAX];
    gw_loop *loop;
    trace tr;
    bench_segment **segs;
    subst_var *vars;
    size_t n_vars;
    char *dump_path, *store_path, *reports_dir;
    gwproc gw;
    bool stopping;         /* SIGTERM sent by us */
    bool exited_early;     /* the gateway exited before we stopped it */
    long long cycles;
    uint64_t dump_hash;
    timemaster tm;         /* virtual time: the co-simulation with the gateway */
    bool virtual_time;
    iec104_bench *iec104;  /* scripted IEC 104 masters */
    radio_bench *radio;    /* wireless M-Bus: air, radio meters, radio modules */
    modbus_bench *modbus;  /* Modbus meters and masters */
    replay_bench *replay;  /* captured traffic replayed (replay.h) */
    dlms_bench *dlms;      /* HPLC networks of DLMS meters */
    int iec104_port;       /* ${port:iec104} */
    char iec104_port_text[8];
    loop_timer_id duration_timer, cycle_timer;
    bool cycle_check_due;  /* virtual time: look for a new cycle at the next sync */
    int interrupted;       /* the signal that ended the run early (SIGINT, SIGTERM), or 0 */
    int64_t interrupted_ns; /* when, in scenario time */
} run;

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

/* <base>/<scenario file name without .yaml>, emptied. */
static int prepare_workdir(run *r, const char *path) {
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t len = strlen(base);
    if (len > 5 && strcmp(base + len - 5, ".yaml") == 0) len -= 5;
    if (r->opt->workdir_exact) snprintf(r->workdir, sizeof r->workdir, "%s", r->opt->workdir_base);
    else snprintf(r->workdir, sizeof r->workdir, "%s/%.*s", r->opt->workdir_base, (int)len, base);
    fsdir_remove(r->workdir);
    return fsdir_make(r->workdir);
}

static void add_var(run *r, const char *name, const char *value) {
    r->vars[r->n_vars].name = name;
    r->vars[r->n_vars].value = value;
    r->n_vars++;
}

static int build_plant(run *r, char *err, size_t errlen) {
    scenario *sc = r->sc;
    r->segs = calloc(sc->n_segments ? sc->n_segments : 1, sizeof *r->segs);
    r->vars = calloc(sc->n_segments + 3 + 2 * sc->n_dlms + modbus_bench_n_vars(sc->modbus) +
                     radio_plan_modules(sc->wmbus), sizeof *r->vars);
    if (!r->segs || !r->vars) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    add_var(r, "workdir", r->workdir);
    add_var(r, "fixtures", sc->fixtures_dir);
    for (size_t i = 0; i < sc->n_segments; i++) {
        const segment_spec *spec = &sc->segments[i];
        r->segs[i] = bench_segment_new(spec->name, spec->baud, r->loop, &r->tr, err, errlen);
        if (!r->segs[i]) return -1;
        r->segs[i]->echo = spec->echo;
        r->segs[i]->short_from_ns = spec->short_from_ns;
        r->segs[i]->short_to_ns = spec->short_to_ns;
        for (size_t k = 0; k < spec->n_noise; k++)
            r->segs[i]->noise[k] = (seg_noise){.at_ns = spec->noise_at_ns[k], .bytes = spec->noise_bytes[k]};
        r->segs[i]->n_noise = spec->n_noise;
        for (size_t k = 0; k < spec->n_slaves; k++) {
            mbus_slave *s = bench_segment_add_slave(r->segs[i]);
            if (!s || scenario_slave_setup(&spec->slaves[k], s) < 0) {
                snprintf(err, errlen, "out of memory");
                return -1;
            }
        }
        add_var(r, spec->name, bench_segment_path(r->segs[i]));
    }
    r->iec104_port = iec104_bench_free_port();
    snprintf(r->iec104_port_text, sizeof r->iec104_port_text, "%d", r->iec104_port);
    add_var(r, "port:iec104", r->iec104_port_text);
    if (sc->n_dlms) {
        r->dlms = dlms_bench_new(sc->dlms, sc->n_dlms, r->loop, &r->tr, err, errlen);
        if (!r->dlms) return -1;
        r->n_vars += dlms_bench_vars(r->dlms, r->vars + r->n_vars);
    }
    if (sc->modbus) {
        r->modbus = modbus_bench_new(sc->modbus, r->loop, &r->tr, err, errlen);
        if (!r->modbus) return -1;
        r->n_vars += modbus_bench_vars(r->modbus, r->vars + r->n_vars, modbus_bench_n_vars(sc->modbus));
    }
    if (sc->wmbus) {
        r->radio = radio_bench_new(sc->wmbus, r->loop, &r->tr, err, errlen);
        if (!r->radio) return -1;
        for (size_t i = 0; i < radio_plan_modules(sc->wmbus); i++)
            add_var(r, radio_bench_var_name(r->radio, i), radio_bench_var_value(r->radio, i));
    }
    return 0;
}

static void begin_stop(run *r) {
    if (r->stopping) return;
    r->stopping = true;
    if (r->duration_timer) loop_timer_cancel(r->loop, r->duration_timer);
    if (r->cycle_timer) loop_timer_cancel(r->loop, r->cycle_timer);
    r->duration_timer = r->cycle_timer = 0;
    if (r->virtual_time) {
        trace_add(&r->tr, "hil", TRACE_NOTE, 0, clock_mono_ns(), clock_mono_ns(), NULL, 0,
                  "stop to the gateway");
        /* A gateway that never connected only understands signals. */
        if (!timemaster_stop(&r->tm, STOP_GRACE_NS)) kill(r->gw.pid, SIGTERM);
        return;
    }
    trace_add(&r->tr, "hil", TRACE_NOTE, 0, clock_mono_ns(), clock_mono_ns(), NULL, 0,
              "SIGTERM to the gateway");
    gwproc_terminate(&r->gw, STOP_GRACE_NS);
}

static void on_cycle_poll(gw_loop *loop, void *arg);

static void on_duration(gw_loop *loop, void *arg) {
    run *r = arg;
    r->duration_timer = 0;
    begin_stop(r);
}

/* Ctrl-C or SIGTERM to hil (make demo runs until then): end the run as if its
 * duration were over, so the gateway stops cleanly and the verdicts still come. */
static void on_interrupt(gw_loop *loop, int signo, void *arg) {
    run *r = arg;
    trace_add(&r->tr, "hil", TRACE_NOTE, 0, clock_mono_ns(), clock_mono_ns(), NULL, 0,
              signo == SIGINT ? "interrupted (SIGINT)" : "interrupted (SIGTERM)");
    if (!r->interrupted && !r->stopping) {
        r->interrupted = signo;
        r->interrupted_ns = clock_mono_ns() - r->tr.t0_ns;
    }
    begin_stop(r);
}

static void on_child(gw_loop *loop, int signo, void *arg) {
    run *r = arg;
    if (!gwproc_poll(&r->gw)) return;
    if (!r->stopping) r->exited_early = true;
    loop_stop(loop, 0);
}

static long long count_files(const char *dir, const char *suffix) {
    DIR *d = dir ? opendir(dir) : NULL;
    if (!d) return 0;
    long long n = 0;
    size_t sl = strlen(suffix);
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t l = strlen(e->d_name);
        if (l > sl && strcmp(e->d_name + l - sl, suffix) == 0) n++;
    }
    closedir(d);
    return n;
}

/* FNV-1a of a file's content; 0 when it cannot be read. */
static uint64_t file_hash(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    uint64_t h = 1469598103934665603ULL;
    int c;
    while ((c = fgetc(f)) != EOF) h = (h ^ (uint64_t)c) * 1099511628211ULL;
    fclose(f);
    return h;
}

/* A completed readout cycle shows as a new report file, or else as a new
 * datahub dump (gwd writes it after each cycle, renamed into place). The dump
 * is compared by content: modification times are too coarse when virtual
 * cycles follow each other within a millisecond of real time. */
static void check_cycles(run *r) {
    long long seen = count_files(r->reports_dir, ".csv");
    if (seen == 0) seen = count_files(r->reports_dir, ".json");
    if (!r->reports_dir && r->dump_path) {
        uint64_t h = file_hash(r->dump_path);
        if (h != 0 && h != r->dump_hash) {
            r->dump_hash = h;
            r->cycles++;
        }
        seen = r->cycles;
    }
    if (seen >= r->sc->stop_after_cycles) {
        if (r->duration_timer) loop_timer_cancel(r->loop, r->duration_timer);
        r->duration_timer = loop_timer_after(r->loop, AFTER_CYCLES_NS, on_duration, r);
        return;
    }
    r->cycle_timer = loop_timer_after(r->loop, CYCLE_POLL_NS, on_cycle_poll, r);
}

/* In virtual time the files are looked at only when the time master has the
 * gateway idle with nothing in flight (on_synced): a bench timer of this instant
 * may just have written to the gateway, which then writes its files at the
 * same time in real time, so a look from the timer itself would race it. */
static void on_cycle_poll(gw_loop *loop, void *arg) {
    run *r = arg;
    r->cycle_timer = 0;
    if (r->virtual_time) r->cycle_check_due = true;
    else check_cycles(r);
}

static void on_synced(void *arg) {
    run *r = arg;
    if (!r->cycle_check_due) return;
    r->cycle_check_due = false;
    check_cycles(r);
}

static int start(run *r, char *err, size_t errlen) {
    char config[PATH_MAX + 16], log[PATH_MAX + 16], tpath[PATH_MAX + 16];
    snprintf(config, sizeof config, "%s/gwd.yaml", r->workdir);
    snprintf(log, sizeof log, "%s/gwd.log", r->workdir);
    snprintf(tpath, sizeof tpath, "%s/trace.jsonl", r->workdir);
    if (trace_open_file(&r->tr, tpath) < 0) {
        snprintf(err, errlen, "cannot write %.900s", tpath);
        return -1;
    }
    cfg_err cerr;
    if (!gwconfig_write(config, r->sc->gateway, r->vars, r->n_vars, &cerr)) {
        snprintf(err, errlen, "%s", cerr.msg);
        return -1;
    }
    r->dump_path = gwconfig_get(r->sc->gateway, "gateway", "datahub_dump", r->vars, r->n_vars);
    r->store_path = gwconfig_get(r->sc->gateway, "gateway", "store", r->vars, r->n_vars);
    r->reports_dir = gwconfig_get(r->sc->gateway, "reports", "dir", r->vars, r->n_vars);
    for (size_t i = 0; i < r->sc->n_segments; i++)
        if (bench_segment_start(r->segs[i]) < 0) {
            snprintf(err, errlen, "cannot watch the pty of %s", r->segs[i]->name);
            return -1;
        }
    if (r->radio && radio_bench_start(r->radio, err, errlen) < 0) return -1;
    if (r->dlms && dlms_bench_start(r->dlms) < 0) {
        snprintf(err, errlen, "cannot watch the DLMS nodes' sockets");
        return -1;
    }
    if (loop_on_signal(r->loop, SIGCHLD, on_child, r) < 0) {
        snprintf(err, errlen, "cannot watch SIGCHLD");
        return -1;
    }
    if (loop_on_signal(r->loop, SIGINT, on_interrupt, r) < 0 ||
        loop_on_signal(r->loop, SIGTERM, on_interrupt, r) < 0) {
        snprintf(err, errlen, "cannot watch SIGINT/SIGTERM");
        return -1;
    }
    char sock[PATH_MAX + 16], clock_arg[PATH_MAX + 32];
    const char *extra[] = {"--clock", clock_arg, NULL};
    if (r->virtual_time) {
        snprintf(sock, sizeof sock, "%s/clock.sock", r->workdir);
        snprintf(clock_arg, sizeof clock_arg, "virtual:%s", sock);
        if (timemaster_listen(&r->tm, r->loop, sock, r->sc->start_wall_ns, r->sc->watchdog_ns, err,
                              errlen) < 0)
            return -1;
        r->tm.on_synced = on_synced;
        r->tm.synced_arg = r;
    }
    if (gwproc_start(&r->gw, r->loop, r->opt->gwd_cmd, r->virtual_time ? extra : NULL, config, log,
                     err, errlen) < 0)
        return -1;
    if (r->sc->iec104 && !(r->iec104 = iec104_bench_start(r->sc->iec104, r->loop, &r->tr,
                                                          r->iec104_port, err, errlen)))
        return -1;
    if (r->modbus && modbus_bench_start(r->modbus, err, errlen) < 0) return -1;
    if (r->sc->replay &&
        !(r->replay = replay_bench_start(r->sc->replay, r->loop, &r->tr, r->radio, err, errlen)))
        return -1;
    r->duration_timer = loop_timer_after(r->loop, r->sc->duration_ns, on_duration, r);
    if (r->sc->stop_after_cycles > 0)
        r->cycle_timer = loop_timer_after(r->loop, CYCLE_POLL_NS, on_cycle_poll, r);
    return 0;
}

/* Virtual time: the time master drives the loop. When it gives up (stuck),
 * the gateway is stopped the hard way at teardown. */
static void run_virtual(run *r) {
    timemaster_run(&r->tm);
    if (r->tm.failed && r->gw.running) {
        trace_add(&r->tr, "hil", TRACE_NOTE, 0, clock_mono_ns(), clock_mono_ns(), NULL, 0,
                  "co-simulation stuck: gateway killed");
        gwproc_reap(&r->gw);
    }
}

static void verdict(run *r, bool ok, const char *msg, unsigned *passed, unsigned *failed) {
    fprintf(r->opt->out, "%s  ", ok ? "PASS" : "FAIL");
    text_safe_fputs(msg, r->opt->out);
    fputc('\n', r->opt->out);
    if (ok) (*passed)++;
    else (*failed)++;
}

struct radio_tally {
    run *r;
    unsigned *passed, *failed;
};

static void radio_verdict(void *arg, bool ok, const char *msg) {
    struct radio_tally *t = arg;
    verdict(t->r, ok, msg, t->passed, t->failed);
}

static void evaluate(run *r, unsigned *passed, unsigned *failed) {
    char msg[8192], how[160];
    if (r->interrupted) { /* a timeout's kill: what follows covers only the part that ran */
        snprintf(msg, sizeof msg, "interrupted at t=%.3fs of %.3fs by %s: the run did not finish, the verdicts "
                                  "below are of its first %.3fs only",
                 (double)r->interrupted_ns / 1e9, (double)r->sc->duration_ns / 1e9,
                 r->interrupted == SIGINT ? "SIGINT" : "SIGTERM", (double)r->interrupted_ns / 1e9);
        verdict(r, false, msg, passed, failed);
    }
    gwproc_describe(&r->gw, how, sizeof how);
    bool clean = r->gw.exited && !r->exited_early && WIFEXITED(r->gw.status) &&
                 WEXITSTATUS(r->gw.status) == 0;
    if (clean) snprintf(msg, sizeof msg, "gateway ran until stopped and exited cleanly (%s)", how);
    else
        snprintf(msg, sizeof msg, "gateway: expected to run until stopped and exit 0, observed %s%s (see %s/gwd.log)",
                 how, r->exited_early ? " before the end of the scenario" : "", r->workdir);
    verdict(r, clean, msg, passed, failed);
    if (r->virtual_time) {
        if (r->tm.failed) snprintf(msg, sizeof msg, "virtual time: %s", r->tm.why);
        else snprintf(msg, sizeof msg, "virtual time: gateway and bench in step (%llu advances)",
                      (unsigned long long)r->tm.advances);
        verdict(r, !r->tm.failed, msg, passed, failed);
    }

    ex_segment_info *info = calloc(r->sc->n_segments ? r->sc->n_segments : 1, sizeof *info);
    for (size_t i = 0; info && i < r->sc->n_segments; i++) {
        bench_segment *s = r->segs[i];
        info[i] = (ex_segment_info){s->name, s->baud, s->baud_last, s->frames, s->baud_mismatches};
        if (s->frames == 0) continue; /* a segment the gateway never spoke on has no baud to check */
        bool ok = s->baud_mismatches == 0;
        if (ok) snprintf(msg, sizeof msg, "baud %s = %u on every frame", s->name, s->baud);
        else snprintf(msg, sizeof msg, "baud %s: expected %u, observed %u on %u of %u frames",
                      s->name, s->baud, s->baud_last, s->baud_mismatches, s->frames);
        verdict(r, ok, msg, passed, failed);
    }
    char *report_dir = gwconfig_report_dir(r->sc->gateway, r->vars, r->n_vars);
    ex_context ctx = {.dump_path = r->dump_path, .store_path = r->store_path,
                      .reports_dir = report_dir, .tr = &r->tr, .segments = info,
                      .n_segments = info ? r->sc->n_segments : 0};
    for (size_t i = 0; i < r->sc->n_expects; i++) {
        bool ok = expect_eval(&r->sc->expects[i], &ctx, msg, sizeof msg);
        verdict(r, ok, msg, passed, failed);
    }
    ex_context_free(&ctx);
    free(report_dir);
    free(info);
    if (r->radio) {
        struct radio_tally t = {r, passed, failed};
        radio_bench_evaluate(r->radio, r->dump_path, radio_verdict, &t);
    }
    replay_bench_evaluate(r->replay, r->dump_path, r->store_path, r->opt->out, passed, failed);
    if (r->interrupted) return; /* a partial run is neither recorded nor compared */
    record_check(r->sc->path, r->opt->record, r->dump_path, &r->tr, r->replay, r->sc->modbus, r->opt->out, passed,
                 failed);
}

static void teardown(run *r) {
    if (r->gw.pid > 0) gwproc_reap(&r->gw);
    if (r->virtual_time) timemaster_close(&r->tm);
    iec104_bench_free(r->iec104);
    modbus_bench_free(r->modbus);
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
    free(r->dump_path);
    free(r->store_path);
    free(r->reports_dir);
}

int runner_run(const char *path, const run_options *opt) {
    run r;
    memset(&r, 0, sizeof r);
    r.opt = opt;
    cfg_err cerr;
    r.sc = scenario_load_fixtures(path, opt->fixtures_dir, &cerr);
    if (!r.sc) {
        fprintf(opt->out, "ERROR %s\nscenario %s: FAIL (not loaded)\n", cerr.msg, path);
        return 1;
    }
    fprintf(opt->out, "== %s (%s)\n", r.sc->name, path);
    char err[1024] = "";
    unsigned passed = 0, failed = 0;
    /* Both clocks at once: the bench's here, the gateway's from the hello. */
    r.virtual_time = r.sc->virtual_time;
    if (r.virtual_time) clock_use_virtual(r.sc->start_wall_ns);
    else clock_use_real();
    r.tm.fd = r.tm.listen_fd = -1;
    iochan_registry_free();
    r.loop = loop_new();
    trace_init(&r.tr, clock_mono_ns());
    int rc = !r.loop ? -1 : prepare_workdir(&r, path) < 0 ? -1 : build_plant(&r, err, sizeof err);
    if (rc == 0) rc = start(&r, err, sizeof err);
    if (rc == 0) {
        int64_t host0 = clock_host_mono_ns();
        if (r.virtual_time) run_virtual(&r);
        else loop_run(r.loop);
        double wall_s = (double)(clock_host_mono_ns() - host0) / 1e9;
        double sim_s = (double)(clock_mono_ns() - r.tr.t0_ns) / 1e9;
        evaluate(&r, &passed, &failed);
        fprintf(opt->out, "time: %s %.3f s of scenario time in %.3f s of real time (ratio %.1f)\n",
                r.virtual_time ? "virtual" : "real", sim_s, wall_s, wall_s > 0 ? sim_s / wall_s : 0.0);
    } else {
        fprintf(opt->out, "ERROR %s\n", err[0] ? err : "cannot prepare the run directory");
        failed++;
    }
    teardown(&r);
    clock_use_real();
    bool ok = failed == 0;
    fprintf(opt->out, "scenario %s: %s, %u passed, %u failed (run directory %s)\n", r.sc->name,
            ok ? "PASS" : r.interrupted ? "INTERRUPTED" : "FAIL", passed, failed, r.workdir);
    if (ok && !opt->keep) fsdir_remove(r.workdir);
    scenario_free(r.sc);
    return r.interrupted ? RUNNER_INTERRUPTED : ok ? 0 : 1;
}
