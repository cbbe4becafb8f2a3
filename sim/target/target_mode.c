/* target_mode: one scenario against a gateway on a device (see target_mode.h). */
#define _XOPEN_SOURCE 700
#include "sim/core/fsdir.h"
#include "sim/target/target_mode.h"
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>
#include "core/clock.h"
#include "sim/expect/expect.h"
#include "sim/core/gwconfig.h"
#include "core/loop.h"
#include "sim/mbus/bench_segment.h"
#include "sim/target/target_remote.h"
#include "sim/core/trace.h"
#include "sim/core/wire.h"

typedef struct trun {
    const run_options *opt;
    const target_map *map;
    scenario *sc;
    char name[128];            /* scenario file name without .yaml */
    char local[PATH_MAX];      /* the run directory on this PC */
    char fetched[PATH_MAX + 16]; /* where the device's run directory is read from */
    char remote[PATH_MAX];     /* ${workdir} on the device */
    char log[PATH_MAX + 16];   /* ssh/scp output */
    gw_loop *loop;
    trace tr;
    bench_segment **segs;
    subst_var *vars;
    size_t n_vars;
    int restarts_before;       /* NRestarts at the start: 0, reset-failed before starting flushes it */
    unsigned passed, failed;
    /* the device's control shell (run_plant): a line on ctl_in stops the gateway */
    pid_t ctl_pid;
    int ctl_in, ctl_out;
    bool stopping, started;    /* the session said the gateway started */
    char ctl_line[256];        /* the session's current output line */
    size_t ctl_len;
    long long device_cycles;   /* cycles the device's watcher reported (stop_after_cycles) */
    char cycle_reports[PATH_MAX]; /* what the watcher looks at on the device: the reports */
    char cycle_dump[PATH_MAX];    /* directory, else the datahub dump ("" when none) */
    loop_timer_id duration_timer, cycle_timer, ctl_timer;
    wire_cycles wc;            /* readout cycles seen on the wire (stop_after_cycles, no ssh) */
} trun;

static void verdict(trun *r, bool ok, const char *msg) {
    fprintf(r->opt->out, "%s  %s\n", ok ? "PASS" : "FAIL", msg);
    if (ok) r->passed++;
    else r->failed++;
}

const char *target_skip_reason(const scenario *sc, const target_map *map, char *buf, size_t cap) {
    const cfg_node *start = cfg_get(sc->root, "start");
    if (start) {
        snprintf(buf, cap, "sets the gateway's wall clock (start: %s at %s:%d): virtual time only",
                 start->scalar ? start->scalar : "?", start->file, start->line);
        return buf;
    }
    if (sc->duration_ns > map->max_duration_ns) {
        snprintf(buf, cap, "lasts %.0f s, a replay for virtual time (target max_duration %.0f s)",
                 sc->duration_ns / 1e9, map->max_duration_ns / 1e9);
        return buf;
    }
    return NULL;
}

static int prepare_dirs(trun *r, const char *path) {
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t len = strlen(base);
    if (len > 5 && strcmp(base + len - 5, ".yaml") == 0) len -= 5;
    snprintf(r->name, sizeof r->name, "%.*s", (int)len, base);
    if (r->opt->workdir_exact) snprintf(r->local, sizeof r->local, "%s", r->opt->workdir_base);
    else snprintf(r->local, sizeof r->local, "%s/%s", r->opt->workdir_base, r->name);
    snprintf(r->remote, sizeof r->remote, "%s/%s", r->map->workdir, r->name);
    if (r->map->files_dir) snprintf(r->fetched, sizeof r->fetched, "%s/%s", r->map->files_dir, r->name);
    else snprintf(r->fetched, sizeof r->fetched, "%s/device", r->local);
    snprintf(r->log, sizeof r->log, "%s/target.log", r->local);
    fsdir_remove(r->local);
    return fsdir_make(r->local);
}

/* The segment emulator talks to the mapped device instead of its own pty: the device's
 * fd takes the pty master's descriptor number (dup2), so the segment's channel, pacer
 * and baud read-back (tcgetattr on that fd) all use the device unchanged. */
static void graft_device(bench_segment *seg, int fd, const char *device) {
    dup2(fd, seg->pty.master);
    fcntl(seg->pty.master, F_SETFD, FD_CLOEXEC);
    close(fd);
    if (seg->pty.slave >= 0) close(seg->pty.slave);
    seg->pty.slave = -1;
    snprintf(seg->pty.path, sizeof seg->pty.path, "%s", device);
}

/* Every segment mapped and its device usable at the scenario's baud, or a loud FAIL. */
static int build_plant(trun *r) {
    scenario *sc = r->sc;
    char err[1024];
    r->segs = calloc(sc->n_segments ? sc->n_segments : 1, sizeof *r->segs);
    r->vars = calloc(sc->n_segments + 2, sizeof *r->vars);
    if (!r->segs || !r->vars) return -1;
    r->vars[r->n_vars++] = (subst_var){"workdir", r->remote};
    r->vars[r->n_vars++] = (subst_var){"fixtures", sc->fixtures_dir};
    int bad = 0;
    for (size_t i = 0; i < sc->n_segments; i++) {
        const segment_spec *spec = &sc->segments[i];
        const target_serial *ts = target_map_serial(r->map, spec->name);
        if (!ts) {
            snprintf(err, sizeof err, "serial %s: the scenario's segment is not in the map file %s",
                     spec->name, r->map->path);
            verdict(r, false, err);
            bad = -1;
            continue;
        }
        int fd = target_serial_open(ts, spec->baud, err, sizeof err);
        if (fd < 0) {
            verdict(r, false, err);
            bad = -1;
            continue;
        }
        r->segs[i] = bench_segment_new(spec->name, spec->baud, r->loop, &r->tr, err, sizeof err);
        if (!r->segs[i]) {
            close(fd);
            verdict(r, false, err);
            return -1;
        }
        graft_device(r->segs[i], fd, ts->device);
        for (size_t k = 0; k < spec->n_slaves; k++) {
            mbus_slave *s = bench_segment_add_slave(r->segs[i]);
            if (!s || scenario_slave_setup(&spec->slaves[k], s) < 0) return -1;
        }
        r->vars[r->n_vars++] = (subst_var){spec->name, ts->target};
        fprintf(r->opt->out, "      serial %s: %s at %u baud (gateway side %s)\n", spec->name, ts->device,
                spec->baud, ts->target);
    }
    return bad;
}

/* Push the configuration and restart the service (config_mode push), or only restart
 * it so the run starts from a fresh process (expect). */
static int push_config(trun *r) {
    const target_map *m = r->map;
    char config[PATH_MAX + 16], msg[1024];
    snprintf(config, sizeof config, "%s/gwd.yaml", r->local);
    cfg_err cerr;
    if (!gwconfig_write(config, r->sc->gateway, r->vars, r->n_vars, &cerr)) {
        verdict(r, false, cerr.msg);
        return -1;
    }
    if (!m->ssh_host) return 0;
    char owner[128], *colon;
    snprintf(owner, sizeof owner, "%s", m->config_owner);
    const char *group = (colon = strchr(owner, ':')) ? (*colon = '\0', colon + 1) : owner;
    int rc = 0;
    if (m->config_push) {
        rc = target_scp_to(m, r->log, config, "/tmp/hil-gwd.yaml");
        if (rc == 0)
            rc = target_ssh(m, r->log, NULL, 0,
                            "set -e; systemctl stop %s; rm -rf '%s'; install -d -m 0755 '%s'; "
                            "install -d -m 0750 -o %s -g %s '%s'; "
                            "install -m 0600 -o %s -g %s /tmp/hil-gwd.yaml '%s'; rm -f /tmp/hil-gwd.yaml; "
                            "systemctl reset-failed %s 2>/dev/null || true",
                            m->service, r->remote, m->workdir, owner, group, r->remote, owner, group,
                            m->config, m->service);
    } else {
        rc = target_ssh(m, r->log, NULL, 0, "systemctl stop %s; systemctl reset-failed %s 2>/dev/null || true",
                        m->service, m->service);
    }
    if (rc != 0) {
        snprintf(msg, sizeof msg, "device: cannot %s the configuration and start %s (exit %d, see %.800s)",
                 m->config_push ? "push" : "use", m->service, rc, r->log);
        verdict(r, false, msg);
        return -1;
    }
    return 0;
}

/* Stop the service (so the store is closed and the final dump written), judge how it
 * ran, fetch its run directory and start it again: a device keeps running. */
static int stop_and_fetch(trun *r) {
    const target_map *m = r->map;
    char out[1024] = "", msg[2048];
    if (m->ssh_host) {
        int rc = target_ssh(m, r->log, out, sizeof out,
                            "systemctl stop %s; systemctl show -p NRestarts -p ExecMainStatus -p Result %s",
                            m->service, m->service);
        const char *restarts = strstr(out, "NRestarts="), *status = strstr(out, "ExecMainStatus=");
        bool clean = rc == 0 && restarts && status && atoi(restarts + 10) == r->restarts_before &&
                     atoi(status + 15) == 0;
        for (char *p = out; *p; p++)
            if (*p == '\n') *p = ' ';
        if (clean) snprintf(msg, sizeof msg, "gateway (%s on the device) ran until stopped and exited cleanly (%s)",
                            m->service, out);
        else snprintf(msg, sizeof msg, "gateway (%s on the device): expected no restart (NRestarts=%d) and exit 0, "
                      "observed %s (ssh exit %d, see %.200s)", m->service, r->restarts_before,
                      out[0] ? out : "nothing", rc, r->log);
        verdict(r, clean, msg);
    }
    int rc = 0;
    if (!m->files_dir) rc = target_scp_dir_from(m, r->log, r->remote, r->fetched);
    if (m->ssh_host) target_ssh(m, r->log, NULL, 0, "systemctl start %s", m->service);
    if (rc != 0) {
        snprintf(msg, sizeof msg, "device: cannot fetch %.400s into %.400s (scp exit %d, see %.400s)", r->remote, r->fetched,
                 rc, r->log);
        verdict(r, false, msg);
        return -1;
    }
    return 0;
}

static unsigned segment_baud(const scenario *sc, const char *name) {
    for (size_t i = 0; i < sc->n_segments; i++)
        if (!name || strcmp(sc->segments[i].name, name) == 0) return sc->segments[i].baud;
    return 0;
}

/* Real hardware adds latency (USB-serial adapters, schedulers) on the way to the bench:
 * minimum gaps and waits are relaxed by the tolerance, never the values. */
static bool relax_timing(const trun *r, expectation *ex) {
    if (ex->kind != EX_TIMING || !ex->rule) return false;
    int64_t tol = r->map->timing_tolerance_ns;
    unsigned baud = segment_baud(r->sc, ex->segment);
    if (strcmp(ex->rule, "idle_before_request") == 0 && baud) {
        ex->min_bits -= (double)tol * baud / 1e9;
        if (ex->min_bits < 0) ex->min_bits = 0;
        return true;
    }
    if (strcmp(ex->rule, "response_timeout") == 0 && baud) {
        int64_t min = ex->min_auto ? wire_bits_ns(baud, 330) + 50 * NS_PER_MS : ex->min_ns;
        ex->min_auto = false;
        ex->min_ns = min > tol ? min - tol : 0;
        return true;
    }
    return false;
}

static void evaluate(trun *r) {
    char msg[8192], line[8400];
    scenario *sc = r->sc;
    ex_segment_info *info = calloc(sc->n_segments ? sc->n_segments : 1, sizeof *info);
    for (size_t i = 0; info && i < sc->n_segments; i++) {
        bench_segment *s = r->segs[i];
        info[i] = (ex_segment_info){s->name, s->baud, s->baud_last, s->frames, s->baud_mismatches};
        snprintf(msg, sizeof msg, "serial %s: %u frames from the gateway on %s", s->name, s->frames, s->pty.path);
        verdict(r, s->frames > 0 || s->n_slaves == 0, msg);
    }
    /* ${workdir} now names the fetched copy of the device's run directory. */
    r->vars[0].value = r->fetched;
    ex_context ctx = {.dump_path = gwconfig_get(sc->gateway, "gateway", "datahub_dump", r->vars, r->n_vars),
                      .store_path = gwconfig_get(sc->gateway, "gateway", "store", r->vars, r->n_vars),
                      .reports_dir = gwconfig_report_dir(sc->gateway, r->vars, r->n_vars),
                      .tr = &r->tr, .segments = info, .n_segments = info ? sc->n_segments : 0};
    for (size_t i = 0; i < sc->n_expects; i++) {
        expectation ex = sc->expects[i];
        bool relaxed = relax_timing(r, &ex);
        bool ok = expect_eval(&ex, &ctx, msg, sizeof msg);
        unsigned baud = segment_baud(sc, ex.segment);
        if (relaxed)
            snprintf(line, sizeof line, "%s [target tolerance %.0f ms = %.0f bits at %u baud]", msg,
                     r->map->timing_tolerance_ns / 1e6, (double)r->map->timing_tolerance_ns * baud / 1e9, baud);
        else if (ex.kind == EX_BAUD) snprintf(line, sizeof line, "%s [the mapped device's termios]", msg);
        else snprintf(line, sizeof line, "%s", msg);
        verdict(r, ok, line);
    }
    free((char *)ctx.dump_path);
    free((char *)ctx.store_path);
    free((char *)ctx.reports_dir);
    ex_context_free(&ctx);
    free(info);
}

/* ---- the run: plant live, gateway started and stopped by a shell on the device ----
 *
 * One ssh session per run starts the gateway once the plant listens (its first
 * requests meet live slaves, not a buffer), notes its pid and waits for a line on its
 * stdin. The line is sent when the run ends (the scenario's duration plus settle, or
 * stop_after_cycles readout cycles seen on the wire): the shell already waiting on the
 * device sends SIGTERM at once, as the bench's runner does, then stops the unit so
 * systemd does not restart it. The loop serves the wire until that session ends. */

#define CYCLE_POLL_NS (20 * NS_PER_MS)
/* Added to the longest silence inside a cycle (response timeout + request gap): the
 * device's and the PC's scheduling and UART FIFOs delay what the bench sees. */
#define CYCLE_QUIET_MARGIN_NS (250 * NS_PER_MS)
#define CTL_STOP_WAIT_NS (30 * NS_PER_S)
#define CTL_START_WAIT_NS (120 * NS_PER_S)

/* The gateway's shortest readout interval (its mbus segments' interval), 0 if none. */
static int64_t shortest_interval_ns(const scenario *sc) {
    const cfg_node *mbus = cfg_get(sc->gateway, "mbus");
    int64_t shortest = 0;
    for (size_t i = 0; mbus && mbus->kind == CFG_SEQ && i < mbus->n; i++) {
        const cfg_node *iv = cfg_get(mbus->items[i], "interval");
        int64_t ns = 0;
        if (iv && iv->scalar && cfg_parse_duration_ns(iv->scalar, &ns) && ns > 0 && (!shortest || ns < shortest))
            shortest = ns;
    }
    return shortest;
}

/* Cycles are counted on the device when a control session runs there and the gateway
 * writes something per cycle (reports or its datahub dump). */
static bool watch_on_device(const trun *r) {
    return r->map->ssh_host && (r->cycle_reports[0] || r->cycle_dump[0]);
}

static void ctl_log(trun *r, const char *bytes, size_t n) {
    FILE *lf = fopen(r->log, "a");
    if (!lf) return;
    fwrite(bytes, 1, n, lf);
    fclose(lf);
}

static void on_ctl_timeout(gw_loop *loop, void *arg) {
    trun *r = arg;
    r->ctl_timer = 0;
    fprintf(r->opt->out, "      the device's control session did not end %.0f s after the stop\n",
            CTL_STOP_WAIT_NS / 1e9);
    loop_stop(loop, 0);
}

static void stop_run(trun *r, const char *why) {
    if (r->stopping) return;
    r->stopping = true;
    int64_t now = clock_mono_ns();
    trace_add(&r->tr, "hil", TRACE_NOTE, 0, now, now, NULL, 0, why);
    fprintf(r->opt->out, "      %s\n", why);
    if (r->duration_timer) loop_timer_cancel(r->loop, r->duration_timer);
    if (r->cycle_timer) loop_timer_cancel(r->loop, r->cycle_timer);
    r->duration_timer = r->cycle_timer = 0;
    if (r->ctl_in < 0) {
        loop_stop(r->loop, 0);
        return;
    }
    ssize_t w = write(r->ctl_in, "stop\n", 5);
    (void)w; /* a session that already ended shows as EOF on ctl_out */
    close(r->ctl_in);
    r->ctl_in = -1;
    r->ctl_timer = loop_timer_after(r->loop, CTL_STOP_WAIT_NS, on_ctl_timeout, r);
}

static void on_duration(gw_loop *loop, void *arg);

static void on_start_wait(gw_loop *loop, void *arg) {
    trun *r = arg;
    r->duration_timer = 0;
    stop_run(r, "the device did not say the gateway started");
}

/* The scenario's duration plus settle. When the device's watcher counts the cycles
 * (stop_after_cycles), the run ends with them and this is only a fallback: it is
 * extended by the shortest readout interval, so a gateway that a starved device started
 * late still completes its cycles (a passing run never waits for it). */
static void start_duration(trun *r) {
    if (r->stopping) return;
    if (r->duration_timer) loop_timer_cancel(r->loop, r->duration_timer);
    int64_t deadline = r->sc->duration_ns + r->map->settle_ns;
    if (r->sc->stop_after_cycles > 0 && watch_on_device(r)) deadline += shortest_interval_ns(r->sc);
    r->duration_timer = loop_timer_after(r->loop, deadline, on_duration, r);
}

/* One line of the control session: "<service> started, pid N" starts the scenario's
 * time (a small device takes seconds to start a service); "<service> cycles N" is the
 * device's watcher counting the gateway's completed readout cycles. */
static void on_ctl_line(trun *r, const char *line) {
    const char *cycles = strstr(line, " cycles ");
    if (!r->started && strstr(line, " started, pid")) {
        r->started = true;
        start_duration(r);
    } else if (cycles && r->sc->stop_after_cycles > 0) {
        long long n = atoll(cycles + 8);
        if (n <= r->device_cycles) return;
        r->device_cycles = n;
        int64_t now = clock_mono_ns();
        trace_add(&r->tr, "hil", TRACE_NOTE, 0, now, now, NULL, 0, "readout cycle ended on the device");
        if (n >= r->sc->stop_after_cycles) {
            char why[200];
            snprintf(why, sizeof why, "%lld readout cycle(s) completed by the gateway (its %s written on the "
                     "device): stop_after_cycles reached, gateway stopped", n,
                     r->cycle_reports[0] ? "reports" : "datahub dump");
            stop_run(r, why);
        }
    }
}

/* The session's output goes to the log, line by line to on_ctl_line; its end (EOF)
 * ends the run. */
static void on_ctl_output(gw_loop *loop, int fd, unsigned events, void *arg) {
    trun *r = arg;
    char buf[512];
    ssize_t n = read(fd, buf, sizeof buf);
    if (n > 0) {
        ctl_log(r, buf, (size_t)n);
        for (ssize_t i = 0; i < n; i++) {
            if (buf[i] != '\n') {
                if (r->ctl_len < sizeof r->ctl_line - 1) r->ctl_line[r->ctl_len++] = buf[i];
                continue;
            }
            r->ctl_line[r->ctl_len] = '\0';
            r->ctl_len = 0;
            on_ctl_line(r, r->ctl_line);
        }
        return;
    }
    if (n < 0 && errno == EINTR) return;
    loop_del_fd(loop, fd);
    close(fd);
    r->ctl_out = -1;
    if (!r->stopping) {
        r->stopping = true;
        fprintf(r->opt->out, "      the device's control session ended before the run did\n");
    }
    if (r->ctl_timer) loop_timer_cancel(loop, r->ctl_timer);
    r->ctl_timer = 0;
    loop_stop(loop, 0);
}

static void on_duration(gw_loop *loop, void *arg) {
    trun *r = arg;
    char why[160];
    r->duration_timer = 0;
    if (r->sc->stop_after_cycles > 0)
        snprintf(why, sizeof why, "duration and settle time over after %lld of %lld readout cycle(s) %s",
                 watch_on_device(r) ? r->device_cycles : (long long)r->wc.cycles,
                 (long long)r->sc->stop_after_cycles,
                 watch_on_device(r) ? "completed on the device" : "seen on the wire");
    else snprintf(why, sizeof why, "duration and settle time over");
    stop_run(r, why);
}

bool wire_cycles_step(wire_cycles *w, unsigned frames, int64_t busy_until_ns, int64_t now) {
    if (busy_until_ns > w->last_activity_ns) w->last_activity_ns = busy_until_ns;
    if (frames != w->frames_seen) {
        w->frames_seen = frames;
        w->in_cycle = true;
        if (now > w->last_activity_ns) w->last_activity_ns = now;
    }
    if (!w->in_cycle || now - w->last_activity_ns < w->quiet_ns) return false;
    w->in_cycle = false;
    w->cycles++;
    return true;
}

static void on_cycle_poll(gw_loop *loop, void *arg) {
    trun *r = arg;
    r->cycle_timer = 0;
    int64_t now = clock_mono_ns(), busy = 0;
    unsigned frames = 0;
    for (size_t i = 0; i < r->sc->n_segments; i++) {
        bench_segment *s = r->segs[i];
        frames += s->frames;
        int64_t b = s->rx_len > 0 ? now : s->line.busy_until_ns; /* a frame arriving, or the wire's end */
        if (b > busy) busy = b;
    }
    if (wire_cycles_step(&r->wc, frames, busy, now) && (long long)r->wc.cycles >= r->sc->stop_after_cycles) {
        char why[200];
        snprintf(why, sizeof why, "%u readout cycle(s) seen on the wire (%u frames, then %.0f ms quiet): "
                 "stop_after_cycles reached, gateway stopped", r->wc.cycles, frames, r->wc.quiet_ns / 1e6);
        stop_run(r, why);
        return;
    }
    r->cycle_timer = loop_timer_after(loop, CYCLE_POLL_NS, on_cycle_poll, r);
}

/* The silence that ends a cycle on the wire (maps without ssh: nothing on the device
 * tells). It must be longer than any silence inside a cycle, and shorter than the gap
 * between cycles (the interval less the cycle's length). Inside a cycle the line is
 * quiet at most a response timeout plus a request gap at the slowest segment's baud;
 * a device (or an emulated board on a loaded host) that stalls adds to that. So the
 * quiet is a third of the shortest readout interval (a cycle up to two thirds of the
 * interval still ends right), capped by the map's cycle_quiet (default 2 s: the
 * run's cost), and never below the in-cycle bound plus the margin and tolerance. */
int64_t target_cycle_quiet_ns(const scenario *sc, const target_map *map) {
    unsigned slowest = 0;
    for (size_t i = 0; i < sc->n_segments; i++)
        if (!slowest || sc->segments[i].baud < slowest) slowest = sc->segments[i].baud;
    int64_t inside = slowest ? wire_bits_ns(slowest, 330 + 33) + 50 * NS_PER_MS : 0;
    int64_t floor = inside + CYCLE_QUIET_MARGIN_NS + map->timing_tolerance_ns;
    int64_t quiet = shortest_interval_ns(sc) / 3;
    if (quiet > map->cycle_quiet_ns) quiet = map->cycle_quiet_ns;
    return quiet > floor ? quiet : floor;
}

/* Bytes the device wrote before this run (a gateway of an earlier run, started again
 * when that run ended, polls with its configuration until push_config stops it) wait
 * in the tty: they are read and dropped, so the plant times only this run's bytes. */
static void discard_stale(trun *r) {
    for (size_t i = 0; i < r->sc->n_segments; i++) {
        bench_segment *s = r->segs[i];
        uint8_t buf[512];
        size_t dropped = 0;
        ssize_t n;
        while ((n = read(s->pty.master, buf, sizeof buf)) > 0) dropped += (size_t)n;
        tcflush(s->pty.master, TCIOFLUSH);
        if (dropped)
            fprintf(r->opt->out, "      serial %s: %zu byte(s) from before the run discarded\n", s->name,
                    dropped);
    }
}

/* What the device's watcher looks at, as the bench's runner does: the reports
 * directory when the scenario writes reports (a completed cycle adds a file), else the
 * datahub dump (gwd rewrites it at each cycle's end). Paths on the device. */
static void cycle_evidence(trun *r) {
    char *reports = gwconfig_get(r->sc->gateway, "reports", "dir", r->vars, r->n_vars);
    char *dump = reports ? NULL : gwconfig_get(r->sc->gateway, "gateway", "datahub_dump", r->vars, r->n_vars);
    snprintf(r->cycle_reports, sizeof r->cycle_reports, "%s", reports ? reports : "");
    snprintf(r->cycle_dump, sizeof r->cycle_dump, "%s", dump ? dump : "");
    free(reports);
    free(dump);
}

/* A background shell on the device that prints "<service> cycles N" whenever the
 * count of completed cycles grows (polled every 250 ms with builtins, stat and sleep:
 * little for a small device); its pid is $w. Empty when cycles are not watched. */
static void watcher_cmd(const trun *r, char *out, size_t cap) {
    const char *svc = r->map->service;
    out[0] = '\0';
    if (r->sc->stop_after_cycles <= 0 || !watch_on_device(r)) return;
    /* Started before the gateway, it takes what is already there (reports or a dump
     * left by an earlier run) as its baseline: only newer ones count as cycles. */
    if (r->cycle_reports[0])
        snprintf(out, cap,
                 "( reports() { set -- '%s'/*.csv; [ -e \"$1\" ] || set -- '%s'/*.json; "
                 "[ -e \"$1\" ] || set --; echo $#; }; b=$(reports); c=0; "
                 "while sleep 0.25; do n=$(($(reports) - b)); "
                 "if [ $n -gt $c ]; then c=$n; echo \"%s cycles $c\"; fi; done ) & w=$!; ",
                 r->cycle_reports, r->cycle_reports, svc);
    else
        snprintf(out, cap,
                 "( l=$(stat -c %%y '%s' 2>/dev/null); c=0; "
                 "while sleep 0.25; do m=$(stat -c %%y '%s' 2>/dev/null) || continue; "
                 "[ \"$m\" = \"$l\" ] && continue; l=$m; c=$((c+1)); echo \"%s cycles $c\"; done ) & w=$!; ",
                 r->cycle_dump, r->cycle_dump, svc);
}

static int run_plant(trun *r) {
    char tpath[PATH_MAX + 16], watch[3 * PATH_MAX], cmd[4 * PATH_MAX], msg[1024];
    snprintf(tpath, sizeof tpath, "%s/trace.jsonl", r->local);
    if (trace_open_file(&r->tr, tpath) < 0) return -1;
    discard_stale(r);
    for (size_t i = 0; i < r->sc->n_segments; i++)
        if (bench_segment_start(r->segs[i]) < 0) return -1;
    r->ctl_pid = -1;
    r->ctl_in = r->ctl_out = -1;
    cycle_evidence(r);
    if (r->map->ssh_host) {
        const char *svc = r->map->service;
        watcher_cmd(r, watch, sizeof watch);
        snprintf(cmd, sizeof cmd,
                 "w=; %ssystemctl start %s || { [ -n \"$w\" ] && kill \"$w\"; exit 1; }; "
                 "pid=$(systemctl show -p MainPID --value %s); "
                 "echo \"%s started, pid $pid\"; read -r line; [ -n \"$w\" ] && kill \"$w\"; "
                 "[ \"${pid:-0}\" -gt 0 ] && kill -TERM \"$pid\"; systemctl stop %s; echo \"%s stopped\"",
                 watch, svc, svc, svc, svc, svc);
        r->ctl_pid = target_ssh_spawn_piped(r->map, r->log, cmd, &r->ctl_in, &r->ctl_out);
        if (r->ctl_pid < 0) {
            snprintf(msg, sizeof msg, "device: cannot start ssh to start %s", svc);
            verdict(r, false, msg);
            return -1;
        }
        loop_add_fd(r->loop, r->ctl_out, LOOP_READ, on_ctl_output, r);
        r->duration_timer = loop_timer_after(r->loop, CTL_START_WAIT_NS, on_start_wait, r);
    } else {
        start_duration(r); /* the gateway is already running */
    }
    if (r->sc->stop_after_cycles > 0 && !watch_on_device(r)) {
        r->wc.quiet_ns = target_cycle_quiet_ns(r->sc, r->map);
        r->cycle_timer = loop_timer_after(r->loop, CYCLE_POLL_NS, on_cycle_poll, r);
    }
    loop_run(r->loop);
    if (r->ctl_in >= 0) close(r->ctl_in);
    if (r->ctl_out >= 0) {
        loop_del_fd(r->loop, r->ctl_out);
        close(r->ctl_out);
    }
    r->ctl_in = r->ctl_out = -1;
    int rc = r->map->ssh_host ? target_wait(r->ctl_pid) : 0;
    if (rc != 0) {
        snprintf(msg, sizeof msg, "device: starting or stopping %s failed (exit %d, see %.800s)", r->map->service,
                 rc, r->log);
        verdict(r, false, msg);
        return -1;
    }
    return 0;
}

static void teardown(trun *r) {
    for (size_t i = 0; r->segs && i < r->sc->n_segments; i++) bench_segment_free(r->segs[i]);
    free(r->segs);
    free(r->vars);
    trace_free(&r->tr);
    if (r->loop) loop_free(r->loop);
}

int target_run(const char *path, const run_options *opt, const target_map *map) {
    trun r;
    memset(&r, 0, sizeof r);
    r.opt = opt;
    r.map = map;
    cfg_err cerr;
    r.sc = scenario_load_fixtures(path, opt->fixtures_dir, &cerr);
    if (!r.sc) {
        fprintf(opt->out, "ERROR %s\nscenario %s: FAIL (not loaded)\n", cerr.msg, path);
        return TARGET_FAIL;
    }
    int64_t t0 = clock_mono_ns();
    fprintf(opt->out, "== %s (%s) on the target of %s\n", r.sc->name, path, map->path);
    char why[512];
    if (target_skip_reason(r.sc, map, why, sizeof why)) {
        fprintf(opt->out, "SKIP  %s\nscenario %s: SKIP (%s)\n", why, r.sc->name, why);
        scenario_free(r.sc);
        return TARGET_SKIP;
    }
    r.loop = loop_new();
    trace_init(&r.tr, clock_mono_ns());
    int rc = !r.loop || prepare_dirs(&r, path) < 0 ? -1 : 0;
    if (rc < 0) verdict(&r, false, "cannot prepare the run directory");
    if (rc == 0) rc = build_plant(&r);
    if (rc == 0) rc = push_config(&r);
    if (rc == 0) rc = run_plant(&r);
    if (rc == 0) rc = stop_and_fetch(&r);
    if (rc == 0) evaluate(&r);
    else if (r.failed == 0) verdict(&r, false, "the run could not be set up (see above)");
    teardown(&r);
    bool ok = r.failed == 0;
    fprintf(opt->out, "scenario %s: %s, %u passed, %u failed (run directory %s, %.1f s)\n", r.sc->name,
            ok ? "PASS" : "FAIL", r.passed, r.failed, r.local, (clock_mono_ns() - t0) / 1e9);
    if (ok && !opt->keep) fsdir_remove(r.local);
    scenario_free(r.sc);
    return ok ? TARGET_PASS : TARGET_FAIL;
}

int target_run_all(const char *map_path, char **files, int n, const run_options *opt) {
    cfg_err err;
    target_map *map = target_map_load(map_path, &err);
    if (!map) {
        fprintf(opt->out, "ERROR %s\nhil: %d scenario(s), 0 passed, %d failed, 0 skipped\n", err.msg, n, n);
        return 1;
    }
    int passed = 0, failed = 0, skipped = 0;
    for (int i = 0; i < n; i++) {
        int rc = target_run(files[i], opt, map);
        if (rc == TARGET_PASS) passed++;
        else if (rc == TARGET_SKIP) skipped++;
        else failed++;
    }
    target_ssh_close(map);
    target_map_free(map);
    fprintf(opt->out, "hil: %d scenario(s), %d passed, %d failed, %d skipped\n", n, passed, failed, skipped);
    return failed ? 1 : 0;
}
