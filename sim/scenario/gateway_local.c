/* gateway_local: the gateway as a child process of hil (gateway_host.h), in virtual
 * time (the time master drives both clocks) or in real time. The run ends at the
 * scenario's duration, after stop_after_cycles readout cycles (seen in its files), or
 * at SIGINT/SIGTERM to hil; then the gateway is stopped and its exit judged. */
#define _XOPEN_SOURCE 700
#include <dirent.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include "core/clock.h"
#include "sim/core/gwproc.h"
#include "sim/core/timemaster.h"
#include "sim/scenario/gateway_host.h"
#include "sim/scenario/plant_wiring.h"

#define STOP_GRACE_NS (5 * NS_PER_S)   /* SIGTERM → SIGKILL */
#define CYCLE_POLL_NS (50 * NS_PER_MS)
#define AFTER_CYCLES_NS (300 * NS_PER_MS) /* let the last cycle's writes land */

typedef struct local {
    run *r;
    gwproc gw;
    bool stopping;         /* SIGTERM sent by us */
    bool exited_early;     /* the gateway exited before we stopped it */
    long long cycles;
    long long cycles_noted; /* readout cycles already in the trace (the run report's cycle marks) */
    uint64_t dump_hash;
    timemaster tm;         /* virtual time: the co-simulation with the gateway */
    bool virtual_time;
    char *dump_path, *reports_dir; /* what shows a completed cycle */
    loop_timer_id duration_timer, cycle_timer;
    bool cycle_check_due;  /* virtual time: look for a new cycle at the next sync */
    double wall_s, sim_s;  /* how long the run took */
} local;

static local *state(const run *r) {
    return r->host_state;
}

static void announce(run *r, const char *path) {
    fprintf(r->opt->out, "== %s (%s)\n", r->sc->name, path);
}

/* Both clocks at once: the bench's here, the gateway's from the hello. */
static int prepare(run *r, char *err, size_t errlen) {
    local *l = calloc(1, sizeof *l);
    if (!l) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    r->host_state = l;
    l->r = r;
    l->virtual_time = r->sc->virtual_time;
    if (l->virtual_time) clock_use_virtual(r->sc->start_wall_ns);
    else clock_use_real();
    l->tm.fd = l->tm.listen_fd = -1;
    return 0;
}

static const char *gateway_workdir(const run *r) {
    return r->workdir;
}

static void begin_stop(run *r) {
    local *l = state(r);
    if (l->stopping) return;
    l->stopping = true;
    if (l->duration_timer) loop_timer_cancel(r->loop, l->duration_timer);
    if (l->cycle_timer) loop_timer_cancel(r->loop, l->cycle_timer);
    l->duration_timer = l->cycle_timer = 0;
    if (l->virtual_time) {
        trace_add(&r->tr, "hil", TRACE_NOTE, 0, clock_mono_ns(), clock_mono_ns(), NULL, 0,
                  "stop to the gateway");
        /* A gateway that never connected only understands signals. */
        if (!timemaster_stop(&l->tm, STOP_GRACE_NS)) kill(l->gw.pid, SIGTERM);
        return;
    }
    trace_add(&r->tr, "hil", TRACE_NOTE, 0, clock_mono_ns(), clock_mono_ns(), NULL, 0,
              "SIGTERM to the gateway");
    gwproc_terminate(&l->gw, STOP_GRACE_NS);
}

static void on_cycle_poll(gw_loop *loop, void *arg);

static void on_duration(gw_loop *loop, void *arg) {
    run *r = arg;
    state(r)->duration_timer = 0;
    begin_stop(r);
}

/* Ctrl-C or SIGTERM to hil (make demo runs until then): end the run as if its
 * duration were over, so the gateway stops cleanly and the verdicts still come. */
static void on_interrupt(gw_loop *loop, int signo, void *arg) {
    run *r = arg;
    trace_add(&r->tr, "hil", TRACE_NOTE, 0, clock_mono_ns(), clock_mono_ns(), NULL, 0,
              signo == SIGINT ? "interrupted (SIGINT)" : "interrupted (SIGTERM)");
    if (!r->interrupted && !state(r)->stopping) {
        r->interrupted = signo;
        r->interrupted_ns = clock_mono_ns() - r->tr.t0_ns;
    }
    begin_stop(r);
}

static void on_child(gw_loop *loop, int signo, void *arg) {
    run *r = arg;
    local *l = state(r);
    if (!gwproc_poll(&l->gw)) return;
    if (!l->stopping) l->exited_early = true;
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
    local *l = state(r);
    long long seen = count_files(l->reports_dir, ".csv");
    if (seen == 0) seen = count_files(l->reports_dir, ".json");
    if (!l->reports_dir && l->dump_path) {
        uint64_t h = file_hash(l->dump_path);
        if (h != 0 && h != l->dump_hash) {
            l->dump_hash = h;
            l->cycles++;
        }
        seen = l->cycles;
    }
    for (; l->cycles_noted < seen; l->cycles_noted++) {
        char note[96];
        snprintf(note, sizeof note, "readout cycle %lld ended (seen in the gateway's files)", l->cycles_noted + 1);
        trace_add(&r->tr, "hil", TRACE_NOTE, 0, clock_mono_ns(), clock_mono_ns(), NULL, 0, note);
    }
    if (seen >= r->sc->stop_after_cycles) {
        if (l->duration_timer) loop_timer_cancel(r->loop, l->duration_timer);
        l->duration_timer = loop_timer_after(r->loop, AFTER_CYCLES_NS, on_duration, r);
        return;
    }
    l->cycle_timer = loop_timer_after(r->loop, CYCLE_POLL_NS, on_cycle_poll, r);
}

/* In virtual time the files are looked at only when the time master has the
 * gateway idle with nothing in flight (on_synced): a bench timer of this instant
 * may just have written to the gateway, which then writes its files at the
 * same time in real time, so a look from the timer itself would race it. */
static void on_cycle_poll(gw_loop *loop, void *arg) {
    run *r = arg;
    local *l = state(r);
    l->cycle_timer = 0;
    if (l->virtual_time) l->cycle_check_due = true;
    else check_cycles(r);
}

static void on_synced(void *arg) {
    run *r = arg;
    local *l = state(r);
    if (!l->cycle_check_due) return;
    l->cycle_check_due = false;
    check_cycles(r);
}

static int watch_signals(run *r, char *err, size_t errlen) {
    if (loop_on_signal(r->loop, SIGCHLD, on_child, r) < 0) {
        snprintf(err, errlen, "cannot watch SIGCHLD");
        return -1;
    }
    if (loop_on_signal(r->loop, SIGINT, on_interrupt, r) < 0 ||
        loop_on_signal(r->loop, SIGTERM, on_interrupt, r) < 0) {
        snprintf(err, errlen, "cannot watch SIGINT/SIGTERM");
        return -1;
    }
    return 0;
}

static int start_gateway(run *r, const char *config, char *err, size_t errlen) {
    local *l = state(r);
    char log[PATH_MAX + 16], sock[PATH_MAX + 16], clock_arg[PATH_MAX + 32];
    snprintf(log, sizeof log, "%s/gwd.log", r->workdir);
    const char *extra[] = {"--clock", clock_arg, NULL};
    if (l->virtual_time) {
        snprintf(sock, sizeof sock, "%s/clock.sock", r->workdir);
        snprintf(clock_arg, sizeof clock_arg, "virtual:%s", sock);
        if (timemaster_listen(&l->tm, r->loop, sock, r->sc->start_wall_ns, r->sc->watchdog_ns, err,
                              errlen) < 0)
            return -1;
        l->tm.on_synced = on_synced;
        l->tm.synced_arg = r;
    }
    return gwproc_start(&l->gw, r->loop, r->opt->gwd_cmd, l->virtual_time ? extra : NULL, config, log,
                        err, errlen);
}

static int start(run *r, char *err, size_t errlen) {
    local *l = state(r);
    char config[PATH_MAX + 16];
    snprintf(config, sizeof config, "%s/gwd.yaml", r->workdir);
    if (run_open_trace(r, err, errlen) < 0) return -1;
    cfg_err cerr;
    if (!gwconfig_write(config, r->sc->gateway, r->vars, r->n_vars, &cerr)) {
        snprintf(err, errlen, "%s", cerr.msg);
        return -1;
    }
    l->dump_path = gwconfig_get(r->sc->gateway, "gateway", "datahub_dump", r->vars, r->n_vars);
    l->reports_dir = gwconfig_get(r->sc->gateway, "reports", "dir", r->vars, r->n_vars);
    if (r->wiring->start(r, err, errlen) < 0 || watch_signals(r, err, errlen) < 0 ||
        start_gateway(r, config, err, errlen) < 0 || r->wiring->connect(r, err, errlen) < 0)
        return -1;
    l->duration_timer = loop_timer_after(r->loop, r->sc->duration_ns, on_duration, r);
    if (r->sc->stop_after_cycles > 0)
        l->cycle_timer = loop_timer_after(r->loop, CYCLE_POLL_NS, on_cycle_poll, r);
    return 0;
}

/* Virtual time: the time master drives the loop. When it gives up (stuck),
 * the gateway is stopped the hard way at teardown. */
static int run_gateway(run *r, char *err, size_t errlen) {
    local *l = state(r);
    int64_t host0 = clock_host_mono_ns();
    if (l->virtual_time) {
        timemaster_run(&l->tm);
        if (l->tm.failed && l->gw.running) {
            trace_add(&r->tr, "hil", TRACE_NOTE, 0, clock_mono_ns(), clock_mono_ns(), NULL, 0,
                      "co-simulation stuck: gateway killed");
            gwproc_reap(&l->gw);
        }
    } else {
        loop_run(r->loop);
    }
    l->wall_s = (double)(clock_host_mono_ns() - host0) / 1e9;
    l->sim_s = (double)(clock_mono_ns() - r->tr.t0_ns) / 1e9;
    return 0;
}

/* Did the gateway run until stopped and exit 0, and (virtual time) stay in step? */
static int fetch(run *r, const char **outputs) {
    local *l = state(r);
    char msg[8192], how[160];
    gwproc_describe(&l->gw, how, sizeof how);
    bool clean = l->gw.exited && !l->exited_early && WIFEXITED(l->gw.status) && WEXITSTATUS(l->gw.status) == 0;
    if (clean) snprintf(msg, sizeof msg, "gateway ran until stopped and exited cleanly (%s)", how);
    else
        snprintf(msg, sizeof msg, "gateway: expected to run until stopped and exit 0, observed %s%s (see %s/gwd.log)",
                 how, l->exited_early ? " before the end of the scenario" : "", r->workdir);
    run_verdict(r, clean, msg);
    if (l->virtual_time) {
        if (l->tm.failed) snprintf(msg, sizeof msg, "virtual time: %s", l->tm.why);
        else snprintf(msg, sizeof msg, "virtual time: gateway and bench in step (%llu advances)",
                      (unsigned long long)l->tm.advances);
        run_verdict(r, !l->tm.failed, msg);
    }
    *outputs = r->workdir;
    return 0;
}

static void summary(run *r) {
    local *l = state(r);
    fprintf(r->opt->out, "time: %s %.3f s of scenario time in %.3f s of real time (ratio %.1f)\n",
            l->virtual_time ? "virtual" : "real", l->sim_s, l->wall_s, l->wall_s > 0 ? l->sim_s / l->wall_s : 0.0);
}

static void tail(const run *r, char *buf, size_t cap) {
    buf[0] = '\0';
}

static void setup_failed(run *r, const char *err) {
    fprintf(r->opt->out, "ERROR %s\n", err[0] ? err : "cannot prepare the run directory");
    r->failed++;
}

static void teardown(run *r) {
    local *l = state(r);
    if (!l) return;
    if (l->gw.pid > 0) gwproc_reap(&l->gw);
    if (l->virtual_time) timemaster_close(&l->tm);
    free(l->dump_path);
    free(l->reports_dir);
    free(l);
    r->host_state = NULL;
}

const gateway_host gateway_local = {
    .name = "local",
    .announce = announce,
    .skip = NULL,
    .prepare = prepare,
    .gateway_workdir = gateway_workdir,
    .start = start,
    .run = run_gateway,
    .fetch = fetch,
    .adjust = NULL,
    .summary = summary,
    .tail = tail,
    .setup_failed = setup_failed,
    .teardown = teardown,
};
