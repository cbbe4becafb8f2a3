/* segment: the readout cycles of one wired M-Bus segment: when a cycle starts,
 * whether a scan (search.c) opens it, which meter the readout (readout.c) reads
 * next (the configured ones, then the found ones), and what is published when
 * the cycle is over. The line itself is port.c. */
#include "south/mbus/segment.h"

#include <stdio.h>
#include <stdlib.h>

#include "core/clock.h"
#include "core/log.h"
#include "south/mbus/mbus_publish.h"
#include "south/mbus/port.h"
#include "south/mbus/readout.h"
#include "south/mbus/search.h"
#include "south/mbus/transparent.h"

#define MOD "mbus"

struct mbus_segment {
    const mbus_segment_cfg *cfg;
    gw_loop *loop;
    datahub *hub;
    char source[MBUS_NAME_MAX + 8]; /* "mbus:<segment>" */
    mbus_port *port;
    mbus_readout *readout;
    mbus_search *search;
    bool *fcb_clear;           /* per configured meter, like mbus_found_meter.fcb_clear */
    loop_timer_id cycle_timer;
    int64_t next_cycle_ns;
    int64_t last_fire_wall_ns; /* with a schedule: the instant of the armed cycle */
    bool in_cycle, cycle_due;
    mbus_transparent *transparent; /* Transparent M-Bus over TCP, or NULL */
    bool lend_wanted, lent;    /* its client waits for the line / has it */
    size_t meter;              /* the meter being read: configured, then found */
    bool scan_told;            /* the running scan was asked for through the datahub: its
                                * progress and finds are published (a configured scan's
                                * are logged only, as before) */
    uint64_t cycles;           /* completed readout cycles */
};

static void begin_meter(mbus_segment *seg);

/* ---- cycles --------------------------------------------------------------- */

static void start_cycle(mbus_segment *seg) {
    seg->in_cycle = true;
    seg->meter = 0;
    if (mbus_search_cycle_starts(seg->search, clock_mono_ns()))
        return; /* the scan runs first; its readout follows in this cycle (search_over) */
    log_debug(MOD, "%s: readout cycle starts (%zu meters)", seg->cfg->name, seg->cfg->n_meters);
    begin_meter(seg);
}

static void publish_counters(mbus_segment *seg, int64_t wall) {
    const char *name = seg->cfg->name;
    mbus_segment_stats st;
    mbus_segment_get_stats(seg, &st);
    mbus_publish_counter(seg->hub, name, "requests", st.requests, wall);
    mbus_publish_counter(seg->hub, name, "timeouts", st.timeouts, wall);
    mbus_publish_counter(seg->hub, name, "rejected", st.rejected, wall);
    mbus_publish_counter(seg->hub, name, "meters_read", st.meters_read, wall);
    mbus_publish_counter(seg->hub, name, "meters_not_read", st.meters_not_read, wall);
}

static void finish_cycle(mbus_segment *seg) {
    int64_t wall = clock_wall_ns();
    mbus_port_idle(seg->port);
    seg->in_cycle = false;
    seg->cycles++;
    publish_counters(seg, wall);
    log_debug(MOD, "%s: readout cycle done", seg->cfg->name);
    datahub_cycle_end(seg->hub, seg->source, wall);
    mbus_search_cycle_end(seg->search, wall);
    if (seg->cycle_due) {
        seg->cycle_due = false;
        start_cycle(seg);
    }
}

static void on_cycle_timer(gw_loop *loop, void *arg);

/* With a schedule the next cycle is its next instant in wall time, after both
 * now and the instant just served (a real clock may wake us a hair early);
 * the loop timer is monotonic, so the gap is converted. */
static void arm_scheduled(mbus_segment *seg) {
    int64_t wall = clock_wall_ns();
    int64_t after = wall > seg->last_fire_wall_ns ? wall : seg->last_fire_wall_ns;
    int64_t next = cron_next(&seg->cfg->schedule, after);
    if (next == INT64_MAX) {
        log_warn(MOD, "%s: the schedule never fires", seg->cfg->name);
        return;
    }
    seg->last_fire_wall_ns = next;
    seg->cycle_timer = loop_timer_after(seg->loop, next - wall, on_cycle_timer, seg);
}

static void on_cycle_timer(gw_loop *loop, void *arg) {
    mbus_segment *seg = arg;
    int64_t now = clock_mono_ns();
    if (seg->cfg->scheduled) {
        arm_scheduled(seg); /* instants missed while a cycle overran are skipped */
    } else {
        /* Cycles stay on their grid; slots missed while a cycle overran are skipped. */
        while (seg->next_cycle_ns <= now)
            seg->next_cycle_ns += seg->cfg->interval_ns;
        seg->cycle_timer = loop_timer_at(loop, seg->next_cycle_ns, on_cycle_timer, seg);
    }
    if (seg->in_cycle || seg->lent) {
        if (seg->in_cycle)
            log_warn(MOD, "%s: readout cycle longer than the interval", seg->cfg->name);
        else
            log_info(MOD, "%s: readout cycle waits for the transparent client", seg->cfg->name);
        seg->cycle_due = true;
        return;
    }
    start_cycle(seg);
}

void mbus_segment_scan_requested(mbus_segment *seg, int signo) {
    if (seg->cfg->scan.mode == MBUS_SCAN_OFF)
        return;
    log_info(MOD, "%s: scan requested (signal %d)", seg->cfg->name, signo);
    mbus_search_request(seg->search);
    if (!seg->in_cycle && !seg->lent)
        start_cycle(seg);
}

/* ---- meters --------------------------------------------------------------- */

/* The meter being read is one the search found (index k among them). */
static bool reading_found(const mbus_segment *seg, size_t *k) {
    if (seg->meter < seg->cfg->n_meters)
        return false;
    *k = seg->meter - seg->cfg->n_meters;
    return true;
}

static void on_meter_done(void *ctx, bool read) {
    mbus_segment *seg = ctx;
    (void)read; /* read or not, the cycle goes on with the next meter */
    seg->meter++;
    begin_meter(seg);
}

/* Found meters go to the search: it pins them, and drops duplicates (the
 * next meter then has this index). */
static bool on_first_answer(void *ctx, const mbus_header *hdr) {
    mbus_segment *seg = ctx;
    size_t k;
    if (!reading_found(seg, &k) || mbus_search_first_answer(seg->search, k, hdr))
        return true;
    begin_meter(seg);
    return false;
}

/* Candidates only (found meters): the search below resumes the cycle at this index. */
static bool on_garbled(void *ctx, int attempt) {
    mbus_segment *seg = ctx;
    size_t k;
    return reading_found(seg, &k) && mbus_search_garbled(seg->search, k, attempt);
}

static void on_phantom(void *ctx, const mbus_secondary *mask) {
    mbus_segment *seg = ctx;
    size_t k;
    if (reading_found(seg, &k))
        mbus_search_phantom(seg->search, k, mask);
}

static const mbus_readout_hooks meter_hooks = {.done = on_meter_done,
                                               .first_answer = on_first_answer,
                                               .garbled = on_garbled,
                                               .phantom = on_phantom};

/* ---- the transparent client's turns ----------------------------------------- */

/* Between two meters (or cycles) the line is free: the client gets it. */
static void lend(mbus_segment *seg) {
    seg->lend_wanted = false;
    seg->lent = true;
    mbus_port_idle(seg->port);
    mbus_transparent_granted(seg->transparent);
}

static void on_transparent_wants(void *ctx) {
    mbus_segment *seg = ctx;
    seg->lend_wanted = true;
    if (!seg->in_cycle)
        lend(seg); /* else at the next meter (begin_meter) */
}

/* The readout resumes where it stopped: the meter it would have read next. */
static void on_transparent_released(void *ctx) {
    mbus_segment *seg = ctx;
    bool was_lent = seg->lent;
    seg->lend_wanted = seg->lent = false;
    if (!was_lent)
        return;
    if (seg->in_cycle) {
        log_info(MOD, "%s: readout resumes", seg->cfg->name);
        begin_meter(seg);
    } else if (seg->cycle_due) {
        seg->cycle_due = false;
        start_cycle(seg);
    }
}

static const mbus_transparent_hooks transparent_hooks = {.want_bus = on_transparent_wants,
                                                         .released = on_transparent_released};

static void begin_meter(mbus_segment *seg) {
    size_t n_cfg = seg->cfg->n_meters;
    if (seg->lend_wanted) { /* between two meters: never inside a transaction */
        log_info(MOD, "%s: readout paused for the transparent client", seg->cfg->name);
        lend(seg);
        return;
    }
    /* found meters the scan of this cycle has read already are not read twice */
    while (seg->meter >= n_cfg && mbus_search_take_read_in_scan(seg->search, seg->meter - n_cfg))
        seg->meter++;
    if (seg->meter >= n_cfg + mbus_search_n_found(seg->search)) {
        finish_cycle(seg);
        return;
    }
    size_t k;
    mbus_readout_meter meter;
    if (reading_found(seg, &k))
        meter = mbus_search_meter(seg->search, k);
    else
        meter = (mbus_readout_meter){.cfg = &seg->cfg->meters[seg->meter],
                                     .fcb_clear = &seg->fcb_clear[seg->meter]};
    mbus_readout_begin(seg->readout, &meter, &meter_hooks, seg);
}

static void on_search_over(void *ctx) {
    begin_meter(ctx); /* at the meter the search interrupted (0 at the cycle's start) */
}

static void scan_event(mbus_segment *seg, const char *kind, const char *meter, const char *text) {
    dh_event e = {.source = seg->source, .kind = kind, .meter = meter, .text = text,
                  .ts_ns = clock_wall_ns()};
    datahub_event(seg->hub, &e);
}

/* Progress as the segment's points "<segment>/scan_probes", "scan_found" and
 * "scan_percent" (the management plane shows them), and events at the start
 * and the end of a scan. */
static void on_search_progress(void *ctx, const mbus_search_progress *p) {
    mbus_segment *seg = ctx;
    int64_t wall = clock_wall_ns();
    char text[96];
    if (!seg->scan_told)
        return;
    if (p->probes == 0 && !p->done) {
        snprintf(text, sizeof text, "%s scan started", p->kind);
        scan_event(seg, "scan_started", NULL, text);
    }
    mbus_publish_counter(seg->hub, seg->cfg->name, "scan_probes", p->probes, wall);
    mbus_publish_counter(seg->hub, seg->cfg->name, "scan_found", p->found, wall);
    mbus_publish_counter(seg->hub, seg->cfg->name, "scan_percent", (uint64_t)p->percent, wall);
    if (p->done) {
        snprintf(text, sizeof text, "%s scan done: %zu meters found, %u probes", p->kind,
                 p->found, p->probes);
        scan_event(seg, "scan_done", NULL, text);
        seg->scan_told = false;
    }
}

/* One event per meter a scan found, its address as key=value words. */
static void on_search_found(void *ctx, const mbus_found_meter *m) {
    mbus_segment *seg = ctx;
    const mbus_header *h = &m->hdr;
    char text[192], primary[16] = "-";
    if (!seg->scan_told)
        return;
    if (m->cfg.primary >= 0)
        snprintf(primary, sizeof primary, "%d", m->cfg.primary);
    if (h->present)
        snprintf(text, sizeof text, "secondary=%s manufacturer=%s version=%u medium=%s primary=%s",
                 h->id, h->man, (unsigned)h->version, mbus_medium_name(h->medium), primary);
    else
        snprintf(text, sizeof text, "secondary=- manufacturer=- version=- medium=- primary=%s",
                 primary);
    scan_event(seg, "scan_found", m->cfg.name, text);
}

static const mbus_search_hooks search_hooks = {
    .over = on_search_over, .progress = on_search_progress, .found = on_search_found};

const char *mbus_segment_name(const mbus_segment *seg) {
    return seg->cfg->name;
}

void mbus_segment_scan_command(mbus_segment *seg, mbus_scan_mode mode) {
    if (mbus_search_busy(seg->search)) {
        scan_event(seg, "scan_refused", NULL, "a scan is running already");
        return;
    }
    log_info(MOD, "%s: scan requested through the datahub", seg->cfg->name);
    seg->scan_told = true;
    mbus_search_request_mode(seg->search, mode);
    if (!seg->in_cycle && !seg->lent)
        start_cycle(seg);
}

/* ---- life cycle ----------------------------------------------------------- */

mbus_segment *mbus_segment_start(const mbus_segment_cfg *cfg, gw_loop *loop, datahub *hub,
                                 char *err, size_t errlen) {
    mbus_segment *seg = calloc(1, sizeof *seg);
    bool *fcb_clear = calloc(cfg->n_meters ? cfg->n_meters : 1, sizeof *fcb_clear);
    if (!seg || !fcb_clear) {
        free(seg);
        free(fcb_clear);
        snprintf(err, errlen, "%s: out of memory", cfg->name);
        return NULL;
    }
    seg->cfg = cfg;
    seg->loop = loop;
    seg->hub = hub;
    seg->fcb_clear = fcb_clear;
    snprintf(seg->source, sizeof seg->source, "mbus:%s", cfg->name);
    seg->port = mbus_port_open(cfg, loop, err, errlen);
    if (!seg->port) {
        mbus_segment_stop(seg);
        return NULL;
    }
    seg->readout = mbus_readout_new(cfg, seg->port, hub, seg->source);
    seg->search = seg->readout ? mbus_search_new(cfg, seg->port, seg->readout, fcb_clear,
                                                 &search_hooks, seg)
                               : NULL;
    if (!seg->search) {
        snprintf(err, errlen, "%s: out of memory", cfg->name);
        mbus_segment_stop(seg);
        return NULL;
    }
    if (cfg->transparent.enabled &&
        !(seg->transparent = mbus_transparent_open(cfg, loop, seg->port, &transparent_hooks, seg,
                                                   err, errlen))) {
        mbus_segment_stop(seg);
        return NULL;
    }
    int64_t now = clock_mono_ns();
    seg->next_cycle_ns = now;
    if (cfg->scheduled)
        arm_scheduled(seg); /* the first cycle at the first instant, not at start-up */
    else
        seg->cycle_timer = loop_timer_at(loop, now, on_cycle_timer, seg);
    log_info(MOD, "%s: %s at %ld baud 8E1, %zu meters", cfg->name, cfg->device, cfg->baud,
             cfg->n_meters);
    return seg;
}

void mbus_segment_stop(mbus_segment *seg) {
    if (!seg)
        return;
    loop_timer_cancel(seg->loop, seg->cycle_timer);
    mbus_transparent_close(seg->transparent);
    mbus_search_free(seg->search);
    mbus_readout_free(seg->readout);
    mbus_port_close(seg->port);
    free(seg->fcb_clear);
    free(seg);
}

void mbus_segment_get_stats(const mbus_segment *seg, mbus_segment_stats *out) {
    mbus_port_stats port;
    mbus_readout_stats readout;
    mbus_port_get_stats(seg->port, &port);
    mbus_readout_get_stats(seg->readout, &readout);
    *out = (mbus_segment_stats){.requests = port.requests,
                                .timeouts = port.timeouts,
                                .rejected = readout.rejected,
                                .meters_read = readout.meters_read,
                                .meters_not_read = readout.meters_not_read,
                                .cycles = seg->cycles};
}
