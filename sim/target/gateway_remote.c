/* gateway_remote: one scenario against a gateway on a device (see target_mode.h).
 *
 * The configuration is pushed (or the service only restarted), then one ssh session
 * per run starts the gateway once the plant listens (its first requests meet live
 * slaves, not a buffer), notes its pid and waits for a line on its stdin. The line is
 * sent when the run ends (the scenario's duration plus settle, or stop_after_cycles
 * readout cycles seen): the shell already waiting on the device sends SIGTERM at once,
 * as the bench's runner does, then stops the unit so systemd does not restart it. The
 * loop serves the wire until that session ends; then the service is stopped, judged,
 * its run directory fetched and the service started again: a device keeps running. */
#define _XOPEN_SOURCE 700
#include "sim/target/gateway_remote.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "core/clock.h"
#include "sim/core/wire.h"
#include "sim/scenario/plant_wiring.h"
#include "sim/target/target_mode.h"
#include "sim/target/target_remote.h"

#define CYCLE_POLL_NS (20 * NS_PER_MS)
#define CTL_STOP_WAIT_NS (30 * NS_PER_S)
#define CTL_START_WAIT_NS (120 * NS_PER_S)

typedef struct remote {
    const target_map *map;
    int64_t t0;                /* for the closing line's duration */
    char fetched[PATH_MAX + 16]; /* where the device's run directory is read from */
    char remote[PATH_MAX];     /* ${workdir} on the device */
    char log[PATH_MAX + 16];   /* ssh/scp output */
    int restarts_before;       /* NRestarts at the start: 0, reset-failed before starting flushes it */
    /* the device's control shell: a line on ctl_in stops the gateway */
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
} remote;

static remote *state(const run *r) {
    return r->host_state;
}

static void announce(run *r, const char *path) {
    const target_map *map = r->where;
    fprintf(r->opt->out, "== %s (%s) on the target of %s\n", r->sc->name, path, map->path);
}

static const char *skip(const run *r, char *buf, size_t cap) {
    return target_skip_reason(r->sc, r->where, buf, cap);
}

static int prepare(run *r, char *err, size_t errlen) {
    remote *d = calloc(1, sizeof *d);
    if (!d) {
        snprintf(err, errlen, "cannot prepare the run directory");
        return -1;
    }
    r->host_state = d;
    d->map = r->where;
    d->t0 = clock_mono_ns();
    d->ctl_pid = -1;
    d->ctl_in = d->ctl_out = -1;
    snprintf(d->remote, sizeof d->remote, "%s/%s", d->map->workdir, r->name);
    if (d->map->files_dir) snprintf(d->fetched, sizeof d->fetched, "%s/%s", d->map->files_dir, r->name);
    else snprintf(d->fetched, sizeof d->fetched, "%s/device", r->workdir);
    snprintf(d->log, sizeof d->log, "%s/target.log", r->workdir);
    return 0;
}

static const char *gateway_workdir(const run *r) {
    return state(r)->remote;
}

/* Push the configuration and restart the service (config_mode push), or only restart
 * it so the run starts from a fresh process (expect). */
static int push_config(run *r) {
    remote *d = state(r);
    const target_map *m = d->map;
    char config[PATH_MAX + 16], msg[1024];
    snprintf(config, sizeof config, "%s/gwd.yaml", r->workdir);
    cfg_err cerr;
    if (!gwconfig_write(config, r->sc->gateway, r->vars, r->n_vars, &cerr)) {
        run_verdict(r, false, cerr.msg);
        return -1;
    }
    if (!m->ssh_host) return 0;
    char owner[128], *colon;
    snprintf(owner, sizeof owner, "%s", m->config_owner);
    const char *group = (colon = strchr(owner, ':')) ? (*colon = '\0', colon + 1) : owner;
    int rc = 0;
    /* sync after the install: the configuration is on the device's disk before the
     * gateway starts, as an installer leaves it; without it a power cut in the next
     * 30 s (ext4's write-back) left an empty gwd.yaml (ci/board-powercut-test). */
    if (m->config_push) {
        rc = target_scp_to(m, d->log, config, "/tmp/hil-gwd.yaml");
        if (rc == 0)
            rc = target_ssh(m, d->log, NULL, 0,
                            "set -e; systemctl stop %s; rm -rf '%s'; install -d -m 0755 '%s'; "
                            "install -d -m 0750 -o %s -g %s '%s'; "
                            "install -m 0600 -o %s -g %s /tmp/hil-gwd.yaml '%s'; rm -f /tmp/hil-gwd.yaml; sync; "
                            "systemctl reset-failed %s 2>/dev/null || true",
                            m->service, d->remote, m->workdir, owner, group, d->remote, owner, group,
                            m->config, m->service);
    } else {
        rc = target_ssh(m, d->log, NULL, 0, "systemctl stop %s; systemctl reset-failed %s 2>/dev/null || true",
                        m->service, m->service);
    }
    if (rc != 0) {
        snprintf(msg, sizeof msg, "device: cannot %s the configuration and start %s (exit %d, see %.800s)",
                 m->config_push ? "push" : "use", m->service, rc, d->log);
        run_verdict(r, false, msg);
        return -1;
    }
    return 0;
}

/* Cycles are counted on the device when a control session runs there and the gateway
 * writes something per cycle (reports or its datahub dump). */
static bool watch_on_device(const run *r) {
    const remote *d = state(r);
    return d->map->ssh_host && (d->cycle_reports[0] || d->cycle_dump[0]);
}

static void ctl_log(const remote *d, const char *bytes, size_t n) {
    FILE *lf = fopen(d->log, "a");
    if (!lf) return;
    fwrite(bytes, 1, n, lf);
    fclose(lf);
}

static void on_ctl_timeout(gw_loop *loop, void *arg) {
    run *r = arg;
    state(r)->ctl_timer = 0;
    fprintf(r->opt->out, "      the device's control session did not end %.0f s after the stop\n",
            CTL_STOP_WAIT_NS / 1e9);
    loop_stop(loop, 0);
}

static void stop_run(run *r, const char *why) {
    remote *d = state(r);
    if (d->stopping) return;
    d->stopping = true;
    int64_t now = clock_mono_ns();
    trace_add(&r->tr, "hil", TRACE_NOTE, 0, now, now, NULL, 0, why);
    fprintf(r->opt->out, "      %s\n", why);
    if (d->duration_timer) loop_timer_cancel(r->loop, d->duration_timer);
    if (d->cycle_timer) loop_timer_cancel(r->loop, d->cycle_timer);
    d->duration_timer = d->cycle_timer = 0;
    if (d->ctl_in < 0) {
        loop_stop(r->loop, 0);
        return;
    }
    ssize_t w = write(d->ctl_in, "stop\n", 5);
    (void)w; /* a session that already ended shows as EOF on ctl_out */
    close(d->ctl_in);
    d->ctl_in = -1;
    d->ctl_timer = loop_timer_after(r->loop, CTL_STOP_WAIT_NS, on_ctl_timeout, r);
}

static void on_duration(gw_loop *loop, void *arg) {
    run *r = arg;
    remote *d = state(r);
    char why[160];
    d->duration_timer = 0;
    if (r->sc->stop_after_cycles > 0)
        snprintf(why, sizeof why, "duration and settle time over after %lld of %lld readout cycle(s) %s",
                 watch_on_device(r) ? d->device_cycles : (long long)d->wc.cycles,
                 (long long)r->sc->stop_after_cycles,
                 watch_on_device(r) ? "completed on the device" : "seen on the wire");
    else snprintf(why, sizeof why, "duration and settle time over");
    stop_run(r, why);
}

static void on_start_wait(gw_loop *loop, void *arg) {
    run *r = arg;
    state(r)->duration_timer = 0;
    stop_run(r, "the device did not say the gateway started");
}

/* The scenario's duration plus settle. When the device's watcher counts the cycles
 * (stop_after_cycles), the run ends with them and this is only a fallback: it is
 * extended by the shortest readout interval, so a gateway that a starved device started
 * late still completes its cycles (a passing run never waits for it). */
static void start_duration(run *r) {
    remote *d = state(r);
    if (d->stopping) return;
    if (d->duration_timer) loop_timer_cancel(r->loop, d->duration_timer);
    int64_t deadline = r->sc->duration_ns + d->map->settle_ns;
    if (r->sc->stop_after_cycles > 0 && watch_on_device(r)) deadline += target_shortest_interval_ns(r->sc);
    d->duration_timer = loop_timer_after(r->loop, deadline, on_duration, r);
}

/* One line of the control session: "<service> started, pid N" starts the scenario's
 * time (a small device takes seconds to start a service); "<service> cycles N" is the
 * device's watcher counting the gateway's completed readout cycles. */
static void on_ctl_line(run *r, const char *line) {
    remote *d = state(r);
    const char *cycles = strstr(line, " cycles ");
    if (!d->started && strstr(line, " started, pid")) {
        d->started = true;
        start_duration(r);
    } else if (cycles && r->sc->stop_after_cycles > 0) {
        long long n = atoll(cycles + 8);
        if (n <= d->device_cycles) return;
        d->device_cycles = n;
        int64_t now = clock_mono_ns();
        trace_add(&r->tr, "hil", TRACE_NOTE, 0, now, now, NULL, 0, "readout cycle ended on the device");
        if (n >= r->sc->stop_after_cycles) {
            char why[200];
            snprintf(why, sizeof why, "%lld readout cycle(s) completed by the gateway (its %s written on the "
                     "device): stop_after_cycles reached, gateway stopped", n,
                     d->cycle_reports[0] ? "reports" : "datahub dump");
            stop_run(r, why);
        }
    }
}

/* The session's output goes to the log, line by line to on_ctl_line; its end (EOF)
 * ends the run. */
static void on_ctl_output(gw_loop *loop, int fd, unsigned events, void *arg) {
    run *r = arg;
    remote *d = state(r);
    char buf[512];
    ssize_t n = read(fd, buf, sizeof buf);
    if (n > 0) {
        ctl_log(d, buf, (size_t)n);
        for (ssize_t i = 0; i < n; i++) {
            if (buf[i] != '\n') {
                if (d->ctl_len < sizeof d->ctl_line - 1) d->ctl_line[d->ctl_len++] = buf[i];
                continue;
            }
            d->ctl_line[d->ctl_len] = '\0';
            d->ctl_len = 0;
            on_ctl_line(r, d->ctl_line);
        }
        return;
    }
    if (n < 0 && errno == EINTR) return;
    loop_del_fd(loop, fd);
    close(fd);
    d->ctl_out = -1;
    if (!d->stopping) {
        d->stopping = true;
        fprintf(r->opt->out, "      the device's control session ended before the run did\n");
    }
    if (d->ctl_timer) loop_timer_cancel(loop, d->ctl_timer);
    d->ctl_timer = 0;
    loop_stop(loop, 0);
}

static void on_cycle_poll(gw_loop *loop, void *arg) {
    run *r = arg;
    remote *d = state(r);
    d->cycle_timer = 0;
    int64_t now = clock_mono_ns(), busy = 0;
    unsigned frames = 0;
    for (size_t i = 0; i < r->sc->n_segments; i++) {
        bench_segment *s = r->segs[i];
        frames += s->frames;
        int64_t b = s->rx_len > 0 ? now : s->line.busy_until_ns; /* a frame arriving, or the wire's end */
        if (b > busy) busy = b;
    }
    if (wire_cycles_step(&d->wc, frames, busy, now) && (long long)d->wc.cycles >= r->sc->stop_after_cycles) {
        char why[200];
        snprintf(why, sizeof why, "%u readout cycle(s) seen on the wire (%u frames, then %.0f ms quiet): "
                 "stop_after_cycles reached, gateway stopped", d->wc.cycles, frames, d->wc.quiet_ns / 1e6);
        stop_run(r, why);
        return;
    }
    d->cycle_timer = loop_timer_after(loop, CYCLE_POLL_NS, on_cycle_poll, r);
}

/* What the device's watcher looks at, as the bench's runner does: the reports
 * directory when the scenario writes reports (a completed cycle adds a file), else the
 * datahub dump (gwd rewrites it at each cycle's end). Paths on the device. */
static void cycle_evidence(run *r) {
    remote *d = state(r);
    char *reports = gwconfig_get(r->sc->gateway, "reports", "dir", r->vars, r->n_vars);
    char *dump = reports ? NULL : gwconfig_get(r->sc->gateway, "gateway", "datahub_dump", r->vars, r->n_vars);
    snprintf(d->cycle_reports, sizeof d->cycle_reports, "%s", reports ? reports : "");
    snprintf(d->cycle_dump, sizeof d->cycle_dump, "%s", dump ? dump : "");
    free(reports);
    free(dump);
}

/* A background shell on the device that prints "<service> cycles N" whenever the
 * count of completed cycles grows (polled every 250 ms with builtins, stat and sleep:
 * little for a small device); its pid is $w. Empty when cycles are not watched. */
static void watcher_cmd(const run *r, char *out, size_t cap) {
    const remote *d = state(r);
    const char *svc = d->map->service;
    out[0] = '\0';
    if (r->sc->stop_after_cycles <= 0 || !watch_on_device(r)) return;
    /* Started before the gateway, it takes what is already there (reports or a dump
     * left by an earlier run) as its baseline: only newer ones count as cycles. */
    if (d->cycle_reports[0])
        snprintf(out, cap,
                 "( reports() { set -- '%s'/*.csv; [ -e \"$1\" ] || set -- '%s'/*.json; "
                 "[ -e \"$1\" ] || set --; echo $#; }; b=$(reports); c=0; "
                 "while sleep 0.25; do n=$(($(reports) - b)); "
                 "if [ $n -gt $c ]; then c=$n; echo \"%s cycles $c\"; fi; done ) & w=$!; ",
                 d->cycle_reports, d->cycle_reports, svc);
    else
        snprintf(out, cap,
                 "( l=$(stat -c %%y '%s' 2>/dev/null); c=0; "
                 "while sleep 0.25; do m=$(stat -c %%y '%s' 2>/dev/null) || continue; "
                 "[ \"$m\" = \"$l\" ] && continue; l=$m; c=$((c+1)); echo \"%s cycles $c\"; done ) & w=$!; ",
                 d->cycle_dump, d->cycle_dump, svc);
}

/* The control session on the device (with ssh), else the duration from now: the
 * gateway is already running. */
static int start_session(run *r) {
    remote *d = state(r);
    char watch[3 * PATH_MAX], cmd[4 * PATH_MAX], msg[1024];
    if (!d->map->ssh_host) {
        start_duration(r);
        return 0;
    }
    const char *svc = d->map->service;
    watcher_cmd(r, watch, sizeof watch);
    snprintf(cmd, sizeof cmd,
             "w=; %ssystemctl start %s || { [ -n \"$w\" ] && kill \"$w\"; exit 1; }; "
             "pid=$(systemctl show -p MainPID --value %s); "
             "echo \"%s started, pid $pid\"; read -r line; [ -n \"$w\" ] && kill \"$w\"; "
             "[ \"${pid:-0}\" -gt 0 ] && kill -TERM \"$pid\"; systemctl stop %s; echo \"%s stopped\"",
             watch, svc, svc, svc, svc, svc);
    d->ctl_pid = target_ssh_spawn_piped(d->map, d->log, cmd, &d->ctl_in, &d->ctl_out);
    if (d->ctl_pid < 0) {
        snprintf(msg, sizeof msg, "device: cannot start ssh to start %s", svc);
        run_verdict(r, false, msg);
        return -1;
    }
    loop_add_fd(r->loop, d->ctl_out, LOOP_READ, on_ctl_output, r);
    d->duration_timer = loop_timer_after(r->loop, CTL_START_WAIT_NS, on_start_wait, r);
    return 0;
}

/* Failures here print their own verdicts: the err of the runner stays empty. */
static int start(run *r, char *err, size_t errlen) {
    remote *d = state(r);
    char scratch[1024];
    if (push_config(r) < 0 || run_open_trace(r, scratch, sizeof scratch) < 0 ||
        r->wiring->start(r, scratch, sizeof scratch) < 0)
        return -1;
    cycle_evidence(r);
    if (start_session(r) < 0) return -1;
    if (r->sc->stop_after_cycles > 0 && !watch_on_device(r)) {
        d->wc.quiet_ns = target_cycle_quiet_ns(r->sc, d->map);
        d->cycle_timer = loop_timer_after(r->loop, CYCLE_POLL_NS, on_cycle_poll, r);
    }
    return r->wiring->connect(r, scratch, sizeof scratch);
}

static int run_gateway(run *r, char *err, size_t errlen) {
    remote *d = state(r);
    char msg[1024];
    loop_run(r->loop);
    if (d->ctl_in >= 0) close(d->ctl_in);
    if (d->ctl_out >= 0) {
        loop_del_fd(r->loop, d->ctl_out);
        close(d->ctl_out);
    }
    d->ctl_in = d->ctl_out = -1;
    int rc = d->map->ssh_host ? target_wait(d->ctl_pid) : 0;
    if (rc != 0) {
        snprintf(msg, sizeof msg, "device: starting or stopping %s failed (exit %d, see %.800s)", d->map->service,
                 rc, d->log);
        run_verdict(r, false, msg);
        return -1;
    }
    return 0;
}

/* Stop the service (so the store is closed and the final dump written), judge how it
 * ran, fetch its run directory and start it again: a device keeps running. */
static void judge_service(run *r) {
    remote *d = state(r);
    const target_map *m = d->map;
    char out[1024] = "", msg[2048];
    int rc = target_ssh(m, d->log, out, sizeof out,
                        "systemctl stop %s; systemctl show -p NRestarts -p ExecMainStatus -p Result %s",
                        m->service, m->service);
    const char *restarts = strstr(out, "NRestarts="), *status = strstr(out, "ExecMainStatus=");
    bool clean = rc == 0 && restarts && status && atoi(restarts + 10) == d->restarts_before &&
                 atoi(status + 15) == 0;
    for (char *p = out; *p; p++)
        if (*p == '\n') *p = ' ';
    if (clean) snprintf(msg, sizeof msg, "gateway (%s on the device) ran until stopped and exited cleanly (%s)",
                        m->service, out);
    else snprintf(msg, sizeof msg, "gateway (%s on the device): expected no restart (NRestarts=%d) and exit 0, "
                  "observed %s (ssh exit %d, see %.200s)", m->service, d->restarts_before,
                  out[0] ? out : "nothing", rc, d->log);
    run_verdict(r, clean, msg);
}

static int fetch(run *r, const char **outputs) {
    remote *d = state(r);
    const target_map *m = d->map;
    char msg[2048];
    if (m->ssh_host) judge_service(r);
    int rc = 0;
    if (!m->files_dir) rc = target_scp_dir_from(m, d->log, d->remote, d->fetched);
    if (m->ssh_host) target_ssh(m, d->log, NULL, 0, "systemctl start %s", m->service);
    if (rc != 0) {
        snprintf(msg, sizeof msg, "device: cannot fetch %.400s into %.400s (scp exit %d, see %.400s)", d->remote,
                 d->fetched, rc, d->log);
        run_verdict(r, false, msg);
        return -1;
    }
    *outputs = d->fetched; /* ${workdir} now names the fetched copy of the device's run directory */
    return 0;
}

static unsigned segment_baud(const scenario *sc, const char *name) {
    for (size_t i = 0; i < sc->n_segments; i++)
        if (!name || strcmp(sc->segments[i].name, name) == 0) return sc->segments[i].baud;
    return 0;
}

/* Real hardware adds latency (USB-serial adapters, schedulers) on the way to the bench:
 * minimum gaps and waits are relaxed by the tolerance, never the values. */
static bool relax_timing(const run *r, expectation *ex) {
    if (ex->kind != EX_TIMING || !ex->rule) return false;
    int64_t tol = state(r)->map->timing_tolerance_ns;
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

/* Relaxed timing says by how much; a baud check says what it could read. */
static void adjust(const run *r, expectation *ex, char *note, size_t cap) {
    int64_t tol = state(r)->map->timing_tolerance_ns;
    unsigned baud = segment_baud(r->sc, ex->segment);
    if (relax_timing(r, ex))
        snprintf(note, cap, " [target tolerance %.0f ms = %.0f bits at %u baud]", tol / 1e6,
                 (double)tol * baud / 1e9, baud);
    else if (ex->kind == EX_BAUD) snprintf(note, cap, " [the mapped device's termios]");
}

static void summary(run *r) {}

static void tail(const run *r, char *buf, size_t cap) {
    const remote *d = state(r);
    snprintf(buf, cap, ", %.1f s", d ? (clock_mono_ns() - d->t0) / 1e9 : 0.0);
}

static void setup_failed(run *r, const char *err) {
    if (err[0]) run_verdict(r, false, err);
    else if (r->failed == 0) run_verdict(r, false, "the run could not be set up (see above)");
}

static void teardown(run *r) {
    remote *d = state(r);
    if (!d) return;
    if (d->ctl_in >= 0) close(d->ctl_in);
    if (d->ctl_out >= 0) close(d->ctl_out);
    free(d);
    r->host_state = NULL;
}

const gateway_host gateway_remote = {
    .name = "remote",
    .announce = announce,
    .skip = skip,
    .prepare = prepare,
    .gateway_workdir = gateway_workdir,
    .start = start,
    .run = run_gateway,
    .fetch = fetch,
    .adjust = adjust,
    .summary = summary,
    .tail = tail,
    .setup_failed = setup_failed,
    .teardown = teardown,
};
