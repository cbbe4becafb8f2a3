/* mbus_master: readout state machine of one wired M-Bus segment.
 *
 * One request is on the line at a time. The segment is always in one state and
 * has at most one state timer:
 *   IDLE      between cycles
 *   GAP       waiting until the line has been quiet for request_gap
 *   SENDING   request handed to the port (only lingers if the write would block)
 *   ANSWER    request left the wire; waiting response_timeout for the first byte
 *   RECEIVING bytes arriving; a complete frame ends it at once, idle_timeout of
 *             silence (or the longest frame's time) ends it as a bad frame
 * Bytes arriving in IDLE or GAP are stray (late answers, echoes of a collision):
 * they are discarded and push the gap back, which drains the line. */
#include "south/mbus/mbus_master.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/iochan.h"
#include "core/log.h"
#include "codec/mbus/mbus_app.h"
#include "codec/mbus/mbus_link.h"
#include "south/mbus/mbus_publish.h"
#include "south/mbus/mbus_rx.h"
#include "south/mbus/mbus_scan.h"
#include "south/mbus/mbus_scan_report.h"
#include "south/serial/serial_port.h"
#include <signal.h>

#define MOD "mbus"
#define BITS_PER_BYTE 11 /* start + 8 data + parity + stop */
/* Neither a pty nor a UART driver says when the last bit has left the wire:
 * the estimate write time + n * 11 bit times is a lower bound (USB adapters,
 * FIFOs and scheduling add latency). The response timeout and the request gap
 * are minimums, so they are measured from this much later to stay minimums. */
#define TX_LATENCY_ALLOWANCE_NS (2 * NS_PER_MS)

typedef enum { ST_IDLE, ST_GAP, ST_SENDING, ST_ANSWER, ST_RECEIVING } seg_state;
typedef enum { SCAN_IDLE, SCAN_PRIMARY, SCAN_SECONDARY } scan_phase;
/* A garbled answer to a select of at most this many bytes is taken as
 * overlapping E5s (a collision) at once; longer garbage is retried once first. */
#define SCAN_COLLISION_MAX_BYTES 4
typedef enum { REQ_WAKEUP, REQ_NKE, REQ_SELECT, REQ_READOUT, REQ_UD2 } req_kind;

struct mbus_segment {
    const mbus_segment_cfg *cfg;
    gw_loop *loop;
    datahub *hub;
    int fd;
    long port_baud;            /* what the port is set to now */
    iochan *ch;                /* fd as a counted channel named after the device (virtual time) */
    bool port_warned;          /* "cannot open" logged once per outage */
    bool want_write;           /* fd watched for LOOP_WRITE */
    char source[MBUS_NAME_MAX + 8]; /* "mbus:<segment>" */
    seg_state state;
    loop_timer_id timer;       /* the current state's timer */
    loop_timer_id cycle_timer;
    int64_t next_cycle_ns;
    int64_t last_fire_wall_ns; /* with a schedule: the instant of the armed cycle */
    bool in_cycle, cycle_due;
    int64_t line_busy_until;   /* last byte received, or end of our transmission */
    /* the meter being read */
    size_t meter;
    req_kind req;
    int attempt;               /* 0 = first try of this request */
    int pages;                 /* RSP_UD telegrams received for this meter */
    bool fcb;
    bool *fcb_clear;           /* per configured meter, like mbus_found_meter.fcb_clear */
    char last_error[160];
    uint8_t tx[2048];          /* requests; a wake-up sequence of up to 2 s at 9600 baud */
    size_t tx_len, tx_off;
    size_t echo_seen;          /* echo: bytes of our request read back so far */
    int64_t tx_end_ns;
    mbus_rx rx;
    int64_t rx_deadline_ns;    /* a frame cannot take longer than this */
    mbus_data *data;           /* decode scratch (large: on the heap) */
    mbus_record *recs;         /* records of all pages of the current meter */
    size_t n_recs, cap_recs;
    mbus_header hdr;           /* header of the first page */
    mbus_segment_stats stats;
    /* meter search: a probe addresses the pseudo meter `probe` */
    bool scan_due;             /* at start-up (scan.at_start) or on SIGUSR1 */
    bool scanned;              /* a scan has started (scan.every counts from it) */
    int64_t last_scan_ns;
    bool report_due;           /* write the commission report after this cycle */
    scan_phase scan_phase;
    bool scan_e5_wait;         /* an E5 came: do more answers follow (a collision)? */
    mbus_scan scan;
    int scan_primary;          /* primary scan: the address asked */
    mbus_meter_cfg probe;
    char probe_name[8];
    mbus_found_meter *found;   /* meters found by scans, read after the configured ones */
    size_t n_found, cap_found;
    size_t scan_resume;        /* the readout goes on at this meter after the scan */
    /* a candidate's first answer named its address: is a meter there? */
    bool confirming;
    bool more_pages;           /* the page before the confirmation said so */
    char candidate_mask[MBUS_SCAN_MASK_LEN + 1];
    /* the probe's clean E5 left the meter it found selected: it is read at
     * once, and the probe's outcome waits for what that readout shows */
    bool discovering;
};

static void begin_meter(mbus_segment *seg);
static void send_request(mbus_segment *seg);
static void on_fd(gw_loop *loop, int fd, unsigned events, void *arg);

static void scan_start(mbus_segment *seg);
static bool scan_answer_timeout(mbus_segment *seg);
static bool scan_rejected(mbus_segment *seg);
static bool scan_frame(mbus_segment *seg, const mbus_frame *f);
static bool scan_more_bytes(mbus_segment *seg);
static void pin_found_meter(mbus_segment *seg, const mbus_header *h);
static bool candidate_collides(mbus_segment *seg);
static bool drop_duplicate(mbus_segment *seg);
static mbus_found_meter *current_candidate(mbus_segment *seg);
static bool candidate_phantom(mbus_segment *seg);
static void pages_continue(mbus_segment *seg, bool more_follows);
static bool discovery_done(mbus_segment *seg, mbus_probe_outcome outcome);

static const mbus_meter_cfg *current_meter(const mbus_segment *seg) {
    if (seg->scan_phase != SCAN_IDLE)
        return &seg->probe;
    if (seg->meter < seg->cfg->n_meters)
        return &seg->cfg->meters[seg->meter];
    return &seg->found[seg->meter - seg->cfg->n_meters].cfg;
}

/* The baud rate of the current meter (its own, or the segment's). */
static long meter_baud(const mbus_segment *seg) {
    long own = current_meter(seg)->baud;
    return own ? own : seg->cfg->baud;
}

static int64_t bytes_ns(const mbus_segment *seg, size_t n) {
    return mbus_bits_ns(meter_baud(seg), (int64_t)n * BITS_PER_BYTE);
}

/* `auto` timings follow the meter's baud; the gap never gets shorter than
 * the segment's (the line may still carry a slower meter's last bits). */
static int64_t response_timeout_ns(const mbus_segment *seg) {
    return seg->cfg->response_timeout_auto ? mbus_auto_response_timeout_ns(meter_baud(seg))
                                           : seg->cfg->response_timeout_ns;
}

static int64_t request_gap_ns(const mbus_segment *seg) {
    long baud = meter_baud(seg);
    if (!seg->cfg->request_gap_auto || baud >= seg->cfg->baud)
        return seg->cfg->request_gap_ns;
    return mbus_auto_request_gap_ns(baud);
}

static void set_timer(mbus_segment *seg, int64_t at_ns, loop_timer_cb cb) {
    loop_timer_cancel(seg->loop, seg->timer);
    seg->timer = loop_timer_at(seg->loop, at_ns, cb, seg);
}

static void cancel_timer(mbus_segment *seg) {
    loop_timer_cancel(seg->loop, seg->timer);
    seg->timer = 0;
}

/* ---- serial port ---------------------------------------------------------- */

static bool open_port(mbus_segment *seg) {
    char err[256];
    int fd = serial_open(seg->cfg->device, seg->cfg->baud, err, sizeof err);
    if (fd < 0) {
        if (!seg->port_warned)
            log_warn(MOD, "%s: %s", seg->cfg->name, err);
        seg->port_warned = true;
        return false;
    }
    if (loop_add_fd(seg->loop, fd, LOOP_READ, on_fd, seg) != 0) {
        log_warn(MOD, "%s: cannot watch %s", seg->cfg->name, seg->cfg->device);
        close(fd);
        return false;
    }
    seg->fd = fd;
    seg->port_baud = seg->cfg->baud;
    seg->ch = iochan_open(fd, seg->cfg->device, false);
    seg->want_write = false;
    if (seg->port_warned)
        log_info(MOD, "%s: %s open again", seg->cfg->name, seg->cfg->device);
    seg->port_warned = false;
    return true;
}

static void close_port(mbus_segment *seg) {
    if (seg->fd < 0)
        return;
    loop_del_fd(seg->loop, seg->fd);
    iochan_close(seg->ch);
    seg->ch = NULL;
    close(seg->fd);
    seg->fd = -1;
}

/* The line went away (pty master closed, USB adapter unplugged). Requests are
 * still timed as usual, so meters end up not_read; each request tries to
 * reopen the port. */
static void port_lost(mbus_segment *seg, const char *why) {
    log_warn(MOD, "%s: %s: %s", seg->cfg->name, seg->cfg->device, why);
    seg->port_warned = true;
    close_port(seg);
}

/* ---- cycle and meter sequencing ------------------------------------------ */

static void publish_counters(mbus_segment *seg, int64_t wall) {
    const char *name = seg->cfg->name;
    mbus_publish_counter(seg->hub, name, "requests", seg->stats.requests, wall);
    mbus_publish_counter(seg->hub, name, "timeouts", seg->stats.timeouts, wall);
    mbus_publish_counter(seg->hub, name, "rejected", seg->stats.rejected, wall);
    mbus_publish_counter(seg->hub, name, "meters_read", seg->stats.meters_read, wall);
    mbus_publish_counter(seg->hub, name, "meters_not_read", seg->stats.meters_not_read, wall);
}

static void start_cycle(mbus_segment *seg) {
    seg->in_cycle = true;
    seg->meter = 0;
    int64_t now = clock_mono_ns();
    /* scan.every: meters added to the bus are found without a signal */
    if (seg->cfg->scan.mode != MBUS_SCAN_OFF && seg->cfg->scan.every_ns > 0 &&
        (!seg->scanned || now - seg->last_scan_ns >= seg->cfg->scan.every_ns))
        seg->scan_due = true;
    if (seg->scan_due) { /* the scan runs first; its readout follows in this cycle */
        seg->scan_due = false;
        seg->scanned = true;
        seg->last_scan_ns = now;
        scan_start(seg);
        return;
    }
    log_debug(MOD, "%s: readout cycle starts (%zu meters)", seg->cfg->name, seg->cfg->n_meters);
    begin_meter(seg);
}

static void finish_cycle(mbus_segment *seg) {
    int64_t wall = clock_wall_ns();
    cancel_timer(seg);
    seg->state = ST_IDLE;
    seg->in_cycle = false;
    seg->stats.cycles++;
    publish_counters(seg, wall);
    log_debug(MOD, "%s: readout cycle done", seg->cfg->name);
    datahub_cycle_end(seg->hub, seg->source, wall);
    if (seg->report_due && seg->cfg->scan.report) {
        seg->report_due = false;
        char err[256];
        if (!mbus_scan_report_write(seg->cfg->scan.report, seg->cfg, seg->found, seg->n_found,
                                    wall, err, sizeof err))
            log_warn(MOD, "%s: commission report: %s", seg->cfg->name, err);
    }
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
    if (seg->in_cycle) {
        log_warn(MOD, "%s: readout cycle longer than the interval", seg->cfg->name);
        seg->cycle_due = true;
        return;
    }
    start_cycle(seg);
}

static void next_meter(mbus_segment *seg) {
    if (discovery_done(seg, MBUS_PROBE_SINGLE))
        return;
    seg->meter++;
    begin_meter(seg);
}

static void on_gap_timer(gw_loop *loop, void *arg) {
    mbus_segment *seg = arg;
    seg->timer = 0;
    int64_t quiet_at = seg->line_busy_until + request_gap_ns(seg);
    if (clock_mono_ns() < quiet_at) { /* bytes arrived meanwhile: wait on */
        set_timer(seg, quiet_at, on_gap_timer);
        return;
    }
    send_request(seg);
}

/* Send the current request once the line has been idle for request_gap. */
static void request_after_gap(mbus_segment *seg) {
    seg->state = ST_GAP;
    set_timer(seg, seg->line_busy_until + request_gap_ns(seg), on_gap_timer);
}

static req_kind first_request(const mbus_segment *seg);
static req_kind after_wakeup(const mbus_segment *seg);

/* Without a reset before each readout a meter keeps its FCB state from the
 * last cycle: a readout must go on toggling it, or a meter that checks the FCB
 * takes the first request for a repeat and sends its previous telegram again. */
static bool *fcb_memory(mbus_segment *seg) {
    if (seg->scan_phase != SCAN_IDLE || seg->cfg->reset_nke)
        return NULL; /* a probe, or a reset gives FCB 1 anyway */
    if (seg->meter < seg->cfg->n_meters)
        return seg->fcb_clear ? &seg->fcb_clear[seg->meter] : NULL;
    return &seg->found[seg->meter - seg->cfg->n_meters].fcb_clear;
}

/* A meter's readout starts afresh. */
static void meter_state_reset(mbus_segment *seg) {
    seg->attempt = 0;
    seg->pages = 0;
    seg->confirming = false;
    seg->fcb = true;
    seg->n_recs = 0;
    memset(&seg->hdr, 0, sizeof seg->hdr);
    seg->last_error[0] = '\0';
}

/* Found meters the scan of this cycle has read already are not read twice. */
static void skip_read_in_scan(mbus_segment *seg) {
    while (seg->meter >= seg->cfg->n_meters && seg->meter < seg->cfg->n_meters + seg->n_found &&
           seg->found[seg->meter - seg->cfg->n_meters].read_in_scan) {
        seg->found[seg->meter - seg->cfg->n_meters].read_in_scan = false;
        seg->meter++;
    }
}

static void begin_meter(mbus_segment *seg) {
    skip_read_in_scan(seg);
    if (seg->meter >= seg->cfg->n_meters + seg->n_found) {
        finish_cycle(seg);
        return;
    }
    const mbus_meter_cfg *m = current_meter(seg);
    meter_state_reset(seg);
    bool *clear = fcb_memory(seg);
    if (clear)
        seg->fcb = !*clear;
    seg->req = m->wakeup_ns > 0 ? REQ_WAKEUP : after_wakeup(seg);
    request_after_gap(seg);
}

/* What follows the wake-up sequence (or starts the readout without one). */
static req_kind after_wakeup(const mbus_segment *seg) {
    return seg->cfg->reset_nke                ? REQ_NKE
           : current_meter(seg)->has_secondary ? REQ_SELECT
                                               : first_request(seg);
}

/* After reset and select: a global readout request first, or REQ_UD2 at once.
 * A scan probe's readout is never preceded by one. */
static req_kind first_request(const mbus_segment *seg) {
    return seg->cfg->request_mode != MBUS_REQUEST_UD2 && seg->scan_phase == SCAN_IDLE
               ? REQ_READOUT
               : REQ_UD2;
}

/* The reset, select or readout request is done: go on with the next request of the meter. */
static void step_done(mbus_segment *seg) {
    if (seg->req == REQ_WAKEUP)
        seg->req = after_wakeup(seg);
    else if (seg->req == REQ_NKE && current_meter(seg)->has_secondary)
        seg->req = REQ_SELECT;
    else if (seg->req == REQ_NKE || seg->req == REQ_SELECT)
        seg->req = first_request(seg);
    else
        seg->req = REQ_UD2;
    seg->attempt = 0;
    request_after_gap(seg);
}

static void meter_read(mbus_segment *seg) {
    const mbus_meter_cfg *m = current_meter(seg);
    int64_t wall = clock_wall_ns();
    mbus_publish_records(seg->hub, m->name, seg->recs, seg->n_recs, wall);
    mbus_publish_meter_ok(seg->hub, m, &seg->hdr, wall);
    seg->stats.meters_read++;
    if (seg->discovering)
        seg->found[seg->meter - seg->cfg->n_meters].read_in_scan = true;
    log_info(MOD, "%s: %s read: %zu values in %d telegram%s", seg->cfg->name, m->name,
             seg->n_recs, seg->pages, seg->pages == 1 ? "" : "s");
    next_meter(seg);
}

static void meter_not_read(mbus_segment *seg) {
    const mbus_meter_cfg *m = current_meter(seg);
    char why[220];
    snprintf(why, sizeof why, "no valid answer after %d attempts: %s", seg->attempt + 1,
             seg->last_error);
    seg->stats.meters_not_read++;
    log_warn(MOD, "%s: %s not read: %s", seg->cfg->name, m->name, why);
    mbus_publish_not_read(seg->hub, seg->source, m, why, clock_wall_ns());
    next_meter(seg);
}

/* An attempt got no usable answer: retry, give up on the meter, or (for the
 * reset, which is best effort) just go on. */
static void attempt_failed(mbus_segment *seg, const char *why) {
    snprintf(seg->last_error, sizeof seg->last_error, "%s", why);
    seg->state = ST_GAP;
    if (candidate_phantom(seg))
        return;
    if (seg->req == REQ_NKE || seg->req == REQ_READOUT) {
        log_debug(MOD, "%s: %s of %s: %s", seg->cfg->name,
                  seg->req == REQ_NKE ? "reset" : "readout request", current_meter(seg)->name, why);
        step_done(seg);
        return;
    }
    if (seg->attempt < seg->cfg->retries) {
        seg->attempt++;
        log_debug(MOD, "%s: %s: %s, retry %d of %d", seg->cfg->name, current_meter(seg)->name,
                  why, seg->attempt, seg->cfg->retries);
        request_after_gap(seg);
        return;
    }
    meter_not_read(seg);
}

static void reject(mbus_segment *seg, const char *why) {
    if (scan_rejected(seg))
        return;
    const char *meter = current_meter(seg)->name;
    seg->stats.rejected++;
    log_warn(MOD, "%s: %s: rejected answer: %s", seg->cfg->name, meter, why);
    log_hex(LOG_LVL_DEBUG, MOD, "rejected", seg->rx.buf, seg->rx.len);
    mbus_publish_rejected(seg->hub, seg->source, meter, why, seg->rx.buf, seg->rx.len,
                          clock_wall_ns());
    if (candidate_collides(seg))
        return;
    attempt_failed(seg, why);
}

/* ---- requests ------------------------------------------------------------- */

static uint8_t reset_address(const mbus_segment *seg, const mbus_meter_cfg *m) {
    switch (seg->cfg->reset_mode) {
    case MBUS_RESET_NKE_FD:
        return MBUS_ADDR_SELECTED;
    case MBUS_RESET_NKE_FF:
    case MBUS_RESET_APP_FF:
        return MBUS_ADDR_BROADCAST;
    default:
        return m->has_secondary ? MBUS_ADDR_BROADCAST : (uint8_t)m->primary;
    }
}

static size_t build_reset(const mbus_segment *seg, const mbus_meter_cfg *m, uint8_t *out,
                          size_t cap) {
    if (seg->cfg->reset_mode == MBUS_RESET_APP_FF)
        return mbus_encode_long(out, cap, MBUS_C_SND_UD, MBUS_ADDR_BROADCAST, MBUS_CI_APP_RESET,
                                NULL, 0);
    return mbus_encode_short(out, cap, MBUS_C_SND_NKE, reset_address(seg, m));
}

static size_t build_request(mbus_segment *seg, uint8_t *out, size_t cap) {
    const mbus_meter_cfg *m = current_meter(seg);
    uint8_t sel[8];
    switch (seg->req) {
    case REQ_WAKEUP: {
        /* 0x55 (alternating bits) for wakeup_ns at the meter's baud */
        int64_t byte_ns = bytes_ns(seg, 1);
        size_t n = (size_t)((m->wakeup_ns + byte_ns - 1) / byte_ns);
        if (n > cap)
            n = cap;
        memset(out, 0x55, n);
        return n;
    }
    case REQ_NKE:
        return build_reset(seg, m, out, cap);
    case REQ_SELECT:
        mbus_secondary_encode(&m->secondary, sel);
        return mbus_encode_long(out, cap, MBUS_C_SND_UD, MBUS_ADDR_SELECTED, MBUS_CI_SELECT, sel,
                                sizeof sel);
    case REQ_READOUT: {
        /* global readout request: DIF 0x7F (+ VIF 0x7E), MUC500 §2.6 item 17 */
        static const uint8_t global[] = {0x7F, 0x7E};
        size_t n = seg->cfg->request_mode == MBUS_REQUEST_GLOBAL_READOUT ? 2 : 1;
        return mbus_encode_long(out, cap, MBUS_C_SND_UD,
                                m->has_secondary ? MBUS_ADDR_SELECTED : (uint8_t)m->primary,
                                MBUS_CI_DATA_SEND, global, n);
    }
    case REQ_UD2:
        return mbus_encode_short(out, cap, MBUS_C_REQ_UD2 | (seg->fcb ? MBUS_C_FCB : 0),
                                 m->has_secondary ? MBUS_ADDR_SELECTED : (uint8_t)m->primary);
    }
    return 0;
}

static void on_answer_timeout(gw_loop *loop, void *arg) {
    mbus_segment *seg = arg;
    seg->timer = 0;
    seg->stats.timeouts++;
    if (scan_answer_timeout(seg))
        return;
    attempt_failed(seg, "no answer (timeout)");
}

static bool is_broadcast(const mbus_segment *seg) {
    return seg->req == REQ_NKE && reset_address(seg, current_meter(seg)) == MBUS_ADDR_BROADCAST;
}

/* The whole request is in the port: time the answer from when it has left the wire. */
static void request_sent(mbus_segment *seg) {
    if (seg->state != ST_SENDING)
        return;
    seg->line_busy_until = seg->tx_end_ns;
    if (is_broadcast(seg) || seg->req == REQ_WAKEUP) { /* nobody answers these */
        step_done(seg);
        return;
    }
    seg->state = ST_ANSWER;
    set_timer(seg, seg->tx_end_ns + response_timeout_ns(seg), on_answer_timeout);
}

static void watch_write(mbus_segment *seg, bool on) {
    if (seg->want_write != on && seg->fd >= 0)
        loop_mod_fd(seg->loop, seg->fd, on ? LOOP_READ | LOOP_WRITE : LOOP_READ);
    seg->want_write = on;
}

static void write_pending(mbus_segment *seg) {
    while (seg->fd >= 0 && seg->tx_off < seg->tx_len) {
        ssize_t n = iochan_write(seg->ch, seg->tx + seg->tx_off, seg->tx_len - seg->tx_off);
        if (n > 0) {
            int64_t now = clock_mono_ns();
            int64_t from = seg->tx_end_ns > now ? seg->tx_end_ns : now;
            seg->tx_end_ns = from + bytes_ns(seg, (size_t)n);
            seg->tx_off += (size_t)n;
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            watch_write(seg, true);
            return;
        } else {
            /* The answer timeout will report the lost request. */
            log_warn(MOD, "%s: write to %s failed: %s", seg->cfg->name, seg->cfg->device,
                     n < 0 ? strerror(errno) : "nothing written");
            break;
        }
    }
    watch_write(seg, false);
    seg->tx_end_ns += TX_LATENCY_ALLOWANCE_NS;
    request_sent(seg);
}

/* Meters with their own baud: the port follows the meter being asked. */
static void set_port_baud(mbus_segment *seg) {
    long baud = meter_baud(seg);
    if (seg->fd < 0 || baud == seg->port_baud)
        return;
    if (!serial_set_baud(seg->fd, baud)) {
        log_warn(MOD, "%s: cannot set %s to %ld baud: %s", seg->cfg->name, seg->cfg->device, baud,
                 strerror(errno));
        return;
    }
    seg->port_baud = baud;
}

static void send_request(mbus_segment *seg) {
    mbus_rx_reset(&seg->rx);
    seg->tx_len = build_request(seg, seg->tx, sizeof seg->tx);
    seg->tx_off = 0;
    seg->echo_seen = seg->cfg->echo ? 0 : seg->tx_len;
    seg->tx_end_ns = clock_mono_ns();
    seg->stats.requests++;
    seg->state = ST_SENDING;
    if (log_get_level() >= LOG_LVL_DEBUG) {
        char what[2 * MBUS_NAME_MAX + 8];
        snprintf(what, sizeof what, "%s > %s", seg->cfg->name, current_meter(seg)->name);
        log_hex(LOG_LVL_DEBUG, MOD, what, seg->tx, seg->tx_len);
    }
    if (seg->fd < 0)
        open_port(seg); /* on failure the request times out like a silent meter */
    set_port_baud(seg);
    write_pending(seg);
}

/* ---- answers -------------------------------------------------------------- */

static void page_received(mbus_segment *seg) {
    const mbus_data *d = seg->data;
    /* Answers in step under a mask with all 8 id digits come from meters
     * sharing the id: the id the answer shows is real, no select confirms it. */
    bool candidate = seg->pages == 0 && current_candidate(seg) &&
                     !mbus_scan_mask_id_complete(current_meter(seg)->secondary_text);
    if (candidate)
        memcpy(seg->candidate_mask, current_meter(seg)->secondary_text, sizeof seg->candidate_mask);
    if (seg->pages == 0) {
        seg->hdr = d->hdr;
        pin_found_meter(seg, &d->hdr);
        if (drop_duplicate(seg))
            return;
    }
    if (seg->n_recs + d->n_records > seg->cap_recs) {
        size_t cap = seg->cap_recs ? seg->cap_recs : MBUS_MAX_RECORDS;
        while (cap < seg->n_recs + d->n_records)
            cap *= 2;
        mbus_record *grown = realloc(seg->recs, cap * sizeof *grown);
        if (!grown) {
            reject(seg, "out of memory");
            return;
        }
        seg->recs = grown;
        seg->cap_recs = cap;
    }
    for (size_t i = 0; i < d->n_records; i++) {
        seg->recs[seg->n_recs] = d->records[i];
        seg->recs[seg->n_recs++].data = NULL; /* pointed into the receive buffer */
    }
    seg->pages++;
    bool *clear = fcb_memory(seg);
    if (clear)
        *clear = seg->fcb; /* answered: the next request toggles */
    if (candidate) {
        /* Different answers in step may AND into a valid frame with a made-up
         * address: only a meter answering a select of the address is real. */
        seg->confirming = true;
        seg->more_pages = d->more_follows;
        seg->req = REQ_SELECT;
        seg->attempt = 0;
        request_after_gap(seg);
        return;
    }
    pages_continue(seg, d->more_follows);
}

/* After a page: ask for the next one, or the meter is read. */
static void pages_continue(mbus_segment *seg, bool more_follows) {
    if (more_follows && seg->pages < seg->cfg->max_pages) {
        seg->fcb = !seg->fcb; /* a new page: toggle FCB */
        seg->attempt = 0;
        request_after_gap(seg);
        return;
    }
    if (more_follows)
        log_info(MOD, "%s: %s has more than max_pages=%d telegrams; the rest is not read",
                 seg->cfg->name, current_meter(seg)->name, seg->cfg->max_pages);
    meter_read(seg);
}

/* With secondary addressing a wrong meter may answer (a select that was not
 * understood leaves another meter selected): its header must match. */
static bool answer_from_selected(const mbus_segment *seg, const mbus_header *h, char *why,
                                 size_t cap) {
    const mbus_meter_cfg *m = current_meter(seg);
    if (!m->has_secondary || !h->present || !h->is_long)
        return true;
    mbus_secondary got = {h->id_bcd, h->manufacturer, h->version, h->medium};
    if (mbus_secondary_match(&m->secondary, &got))
        return true;
    char text[17];
    mbus_secondary_format(&got, text);
    snprintf(why, cap, "answer from %s, which does not match the selected %s", text,
             m->secondary_text);
    return false;
}

static void answer_to_ud2(mbus_segment *seg, const mbus_frame *f) {
    char why[160];
    if (f->kind == MBUS_FRAME_ACK) {
        reject(seg, "expected RSP_UD, got E5");
        return;
    }
    /* ACD (0x20) and DFC (0x10) may be set in an RSP_UD. */
    if (f->kind != MBUS_FRAME_LONG || (f->c & 0xCF) != MBUS_C_RSP_UD) {
        snprintf(why, sizeof why, "expected RSP_UD, got a frame with C=0x%02X", f->c);
        reject(seg, why);
        return;
    }
    mbus_error err = {0};
    if (mbus_app_decode(f->ci, f->data, f->data_len, seg->data, &err) != MBUS_OK) {
        reject(seg, err.msg[0] ? err.msg : mbus_err_name(err.code));
        return;
    }
    if (!answer_from_selected(seg, &seg->data->hdr, why, sizeof why)) {
        reject(seg, why);
        return;
    }
    page_received(seg);
}

static void frame_complete(mbus_segment *seg) {
    mbus_frame f;
    mbus_error err = {0};
    cancel_timer(seg);
    seg->state = ST_GAP;
    if (log_get_level() >= LOG_LVL_DEBUG) {
        char what[2 * MBUS_NAME_MAX + 8];
        snprintf(what, sizeof what, "%s < %s", seg->cfg->name, current_meter(seg)->name);
        log_hex(LOG_LVL_DEBUG, MOD, what, seg->rx.buf, seg->rx.frame_len);
    }
    if (seg->rx.dropped)
        log_debug(MOD, "%s: %zu bytes after the frame ignored", seg->cfg->name, seg->rx.dropped);
    if (mbus_frame_parse(seg->rx.buf, seg->rx.frame_len, &f, &err) != MBUS_OK) {
        reject(seg, err.msg[0] ? err.msg : mbus_err_name(err.code));
        return;
    }
    if (scan_frame(seg, &f))
        return;
    switch (seg->req) {
    case REQ_WAKEUP: /* never awaited: cannot happen */
    case REQ_NKE: /* an E5 is expected, but the reset is best effort */
    case REQ_READOUT: /* so is the global readout request */
        step_done(seg);
        return;
    case REQ_SELECT:
        if (f.kind == MBUS_FRAME_ACK && seg->confirming) {
            seg->confirming = false;
            seg->req = REQ_UD2;
            seg->attempt = 0;
            pages_continue(seg, seg->more_pages);
        } else if (f.kind == MBUS_FRAME_ACK)
            step_done(seg);
        else
            reject(seg, "select not acknowledged with E5");
        return;
    case REQ_UD2:
        answer_to_ud2(seg, &f);
        return;
    }
}

/* Silence inside a frame, or a receive that cannot end: the frame is bad. */
static void on_idle_timeout(gw_loop *loop, void *arg) {
    mbus_segment *seg = arg;
    char why[200];
    seg->timer = 0;
    seg->state = ST_GAP;
    if (seg->rx.state == MBUS_RX_GARBAGE)
        snprintf(why, sizeof why, "garbage on the line: %s",
                 seg->rx.err.msg[0] ? seg->rx.err.msg : mbus_err_name(seg->rx.err.code));
    else
        snprintf(why, sizeof why, "incomplete frame: %zu bytes, then silence", seg->rx.len);
    reject(seg, why);
}

static void receive(mbus_segment *seg, const uint8_t *bytes, size_t n, int64_t now) {
    if (seg->state != ST_RECEIVING) /* first byte of the answer */
        seg->rx_deadline_ns = now + bytes_ns(seg, MBUS_FRAME_MAX) + seg->cfg->idle_timeout_ns;
    if (mbus_rx_push(&seg->rx, bytes, n) == MBUS_RX_COMPLETE) {
        frame_complete(seg);
        return;
    }
    seg->state = ST_RECEIVING;
    int64_t idle_end = now + seg->cfg->idle_timeout_ns;
    set_timer(seg, idle_end < seg->rx_deadline_ns ? idle_end : seg->rx_deadline_ns,
              on_idle_timeout);
}

/* An echoing level converter hands our request back before any answer: drop
 * those bytes while they match what we sent; the first byte that differs
 * (no echo after all, or an answer) ends the echo. Returns the bytes skipped. */
static size_t skip_echo(mbus_segment *seg, const uint8_t *bytes, size_t n) {
    size_t k = 0;
    while (k < n && seg->echo_seen < seg->tx_len && bytes[k] == seg->tx[seg->echo_seen]) {
        k++;
        seg->echo_seen++;
    }
    if (k < n && seg->echo_seen < seg->tx_len) {
        log_debug(MOD, "%s: echo ends after %zu of %zu bytes", seg->cfg->name, seg->echo_seen,
                  seg->tx_len);
        seg->echo_seen = seg->tx_len;
    }
    return k;
}

static void bytes_arrived(mbus_segment *seg, const uint8_t *bytes, size_t n) {
    int64_t now = clock_mono_ns();
    if (now > seg->line_busy_until)
        seg->line_busy_until = now;
    size_t echoed = skip_echo(seg, bytes, n);
    bytes += echoed;
    n -= echoed;
    if (n == 0)
        return;
    if (scan_more_bytes(seg))
        return;
    switch (seg->state) {
    case ST_SENDING:
    case ST_ANSWER:
    case ST_RECEIVING:
        receive(seg, bytes, n, now);
        break;
    case ST_IDLE:
    case ST_GAP:
        log_hex(LOG_LVL_DEBUG, MOD, seg->cfg->name, bytes, n); /* stray: discarded */
        break;
    }
}

static void on_fd(gw_loop *loop, int fd, unsigned events, void *arg) {
    mbus_segment *seg = arg;
    uint8_t buf[256];
    for (;;) {
        ssize_t n = iochan_read(seg->ch, buf, sizeof buf);
        if (n > 0) {
            bytes_arrived(seg, buf, (size_t)n);
            if (seg->fd != fd)
                return;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        /* VMIN=1: a read of 0 is a hang-up, not "no data". */
        port_lost(seg, n == 0 ? "hang-up" : strerror(errno));
        return;
    }
    if ((events & LOOP_WRITE) && seg->state == ST_SENDING)
        write_pending(seg);
}

/* ---- meter search (docs/mbus.md) ------------------------------------------- */

static mbus_found_meter *add_found(mbus_segment *seg) {
    if (seg->n_found == seg->cap_found) {
        size_t cap = seg->cap_found ? 2 * seg->cap_found : 16;
        mbus_found_meter *grown = realloc(seg->found, cap * sizeof *grown);
        if (!grown)
            return NULL;
        seg->found = grown;
        seg->cap_found = cap;
    }
    mbus_found_meter *m = &seg->found[seg->n_found];
    memset(m, 0, sizeof *m);
    m->cfg.primary = -1;
    m->cfg.name = malloc(2 * MBUS_NAME_MAX);
    if (!m->cfg.name)
        return NULL;
    seg->n_found++;
    return m;
}

/* Is the meter isolated by mask (or at primary address a) already known? */
static bool scan_known(const mbus_segment *seg, const char *mask, int primary) {
    for (size_t i = 0; i < seg->cfg->n_meters + seg->n_found; i++) {
        const mbus_meter_cfg *m = i < seg->cfg->n_meters ? &seg->cfg->meters[i]
                                                        : &seg->found[i - seg->cfg->n_meters].cfg;
        if (primary >= 0 && m->primary == primary)
            return true;
        if (mask && m->has_secondary && mbus_scan_mask_match(mask, m->secondary_text))
            return true;
    }
    return false;
}

/* Is a clean E5 to mask worth a candidate? A mask matching a known meter may
 * still hide another one answering in step with it, unless its id digits are
 * complete; a candidate with the same mask is not added twice. */
static bool scan_wants(const mbus_segment *seg, const char *mask) {
    for (size_t i = 0; i < seg->n_found; i++)
        if (!seg->found[i].pinned && strcmp(seg->found[i].cfg.secondary_text, mask) == 0)
            return false;
    return !scan_known(seg, mask, -1) || !mbus_scan_mask_id_complete(mask);
}

static void scan_next_probe(mbus_segment *seg);

static void scan_finish(mbus_segment *seg) {
    log_info(MOD, "%s: scan done: %zu meters found (%u probes, %u collisions, %u inferred)",
             seg->cfg->name, seg->n_found, seg->scan.probes, seg->scan.collisions,
             seg->scan.inferred);
    seg->scan_phase = SCAN_IDLE;
    seg->report_due = true;
    seg->meter = seg->scan_resume;
    begin_meter(seg);
}

static void scan_start(mbus_segment *seg) {
    const mbus_scan_cfg *sc = &seg->cfg->scan;
    snprintf(seg->probe_name, sizeof seg->probe_name, "scan");
    seg->probe.name = seg->probe_name;
    seg->scan_primary = sc->primary_from;
    seg->scan_resume = 0;
    mbus_scan_init(&seg->scan, sc->mask, sc->reverse);
    seg->scan_phase = sc->mode == MBUS_SCAN_SECONDARY ? SCAN_SECONDARY : SCAN_PRIMARY;
    log_info(MOD, "%s: meter scan starts", seg->cfg->name);
    scan_next_probe(seg);
}

/* Search again below mask, known to hide several meters (its probe is not
 * sent again), then go on reading at meter `resume`. */
static void scan_below(mbus_segment *seg, const char *mask, size_t resume) {
    char first[MBUS_SCAN_MASK_LEN + 1];
    snprintf(seg->probe_name, sizeof seg->probe_name, "scan");
    seg->probe.name = seg->probe_name;
    seg->scan_resume = resume;
    mbus_scan_init(&seg->scan, mask, seg->cfg->scan.reverse);
    if (mbus_scan_next(&seg->scan, first))
        mbus_scan_result(&seg->scan, MBUS_PROBE_COLLISION);
    seg->scan_phase = SCAN_SECONDARY;
    log_info(MOD, "%s: meters answering in step below %s: searching there", seg->cfg->name, mask);
    scan_next_probe(seg);
}

static void drop_found(mbus_segment *seg, size_t k) {
    free(seg->found[k].cfg.name);
    memmove(&seg->found[k], &seg->found[k + 1], (seg->n_found - k - 1) * sizeof *seg->found);
    seg->n_found--;
}

/* The meter being read is a scan candidate: found by a mask with wildcards
 * and not read yet. Meters answering a select in step give one clean E5, so
 * only its first readout proves that the mask holds one meter. */
static mbus_found_meter *current_candidate(mbus_segment *seg) {
    if (seg->scan_phase != SCAN_IDLE || seg->meter < seg->cfg->n_meters)
        return NULL;
    mbus_found_meter *m = &seg->found[seg->meter - seg->cfg->n_meters];
    if (m->pinned || m->read || !m->cfg.has_secondary || !strchr(m->cfg.secondary_text, 'F'))
        return NULL;
    return m;
}

/* A candidate's first REQ_UD2 got a garbled answer again (once may be noise):
 * several different RSP_UD collided, so the mask hides several meters. */
static bool candidate_collides(mbus_segment *seg) {
    if (!current_candidate(seg) || seg->req != REQ_UD2 || seg->pages != 0)
        return false;
    /* Long frames in step AND into one with an intact header (68 L L 68, as
     * long as L says) and a wrong checksum: several meters, no retry needed.
     * Other garbage may be noise: asked once more. */
    const uint8_t *b = seg->rx.buf;
    bool in_step = seg->rx.len >= 6 && b[0] == 0x68 && b[3] == 0x68 && b[1] == b[2] &&
                   seg->rx.len == (size_t)b[1] + 6;
    if (!in_step && seg->attempt < 1 && seg->attempt < seg->cfg->retries)
        return false;
    char mask[MBUS_SCAN_MASK_LEN + 1];
    memcpy(mask, current_candidate(seg)->cfg.secondary_text, sizeof mask);
    drop_found(seg, seg->meter - seg->cfg->n_meters);
    if (!discovery_done(seg, MBUS_PROBE_COLLISION))
        scan_below(seg, mask, seg->meter);
    return true;
}

/* Nobody answers the select of the address a candidate's first answer gave
 * (asked twice): that answer was several in step, ANDed into a valid frame.
 * Search below the candidate's mask. */
static bool candidate_phantom(mbus_segment *seg) {
    if (!seg->confirming || seg->req != REQ_SELECT)
        return false;
    if (seg->attempt < 1 && seg->attempt < seg->cfg->retries)
        return false;
    seg->confirming = false;
    log_info(MOD, "%s: no meter at %s: answers in step", seg->cfg->name,
             current_meter(seg)->secondary_text);
    drop_found(seg, seg->meter - seg->cfg->n_meters);
    if (!discovery_done(seg, MBUS_PROBE_COLLISION))
        scan_below(seg, seg->candidate_mask, seg->meter);
    return true;
}

/* A candidate whose first answer shows the address of a meter already known
 * (configured or found): its mask had matched that one; it is dropped. */
static bool drop_duplicate(mbus_segment *seg) {
    if (seg->meter < seg->cfg->n_meters)
        return false;
    size_t k = seg->meter - seg->cfg->n_meters;
    const mbus_found_meter *m = &seg->found[k];
    if (!m->pinned || !m->cfg.has_secondary)
        return false;
    bool *known_fcb = NULL; /* the known meter's FCB memory */
    for (size_t i = 0; i < seg->cfg->n_meters && !known_fcb; i++)
        if (seg->cfg->meters[i].has_secondary &&
            mbus_scan_mask_match(seg->cfg->meters[i].secondary_text, m->cfg.secondary_text))
            known_fcb = &seg->fcb_clear[i];
    for (size_t i = 0; i < seg->n_found && !known_fcb; i++)
        if (i != k && seg->found[i].pinned && seg->found[i].cfg.has_secondary &&
            strcmp(seg->found[i].cfg.secondary_text, m->cfg.secondary_text) == 0)
            known_fcb = &seg->found[i].fcb_clear;
    if (!known_fcb)
        return false;
    /* The known meter answered this request: its next readout toggles from it
     * (set before drop_found moves the found meters). */
    if (!seg->cfg->reset_nke)
        *known_fcb = seg->fcb;
    log_info(MOD, "%s: %s is already known: dropped", seg->cfg->name, m->cfg.secondary_text);
    drop_found(seg, k);
    if (!discovery_done(seg, MBUS_PROBE_SINGLE))
        begin_meter(seg); /* the next meter now has this index */
    return true;
}

static void scan_next_probe(mbus_segment *seg) {
    seg->attempt = 0;
    seg->fcb = true;
    if (seg->scan_phase == SCAN_PRIMARY) {
        if (seg->scan_primary > seg->cfg->scan.primary_to) {
            if (seg->cfg->scan.mode != MBUS_SCAN_BOTH) {
                scan_finish(seg);
                return;
            }
            seg->scan_phase = SCAN_SECONDARY;
            scan_next_probe(seg);
            return;
        }
        seg->probe.primary = seg->scan_primary;
        seg->probe.has_secondary = false;
        seg->req = REQ_UD2;
        request_after_gap(seg);
        return;
    }
    char mask[MBUS_SCAN_MASK_LEN + 1];
    if (!mbus_scan_next(&seg->scan, mask)) {
        scan_finish(seg);
        return;
    }
    seg->probe.primary = -1;
    seg->probe.has_secondary = mbus_config_parse_secondary(mask, &seg->probe.secondary);
    memcpy(seg->probe.secondary_text, mask, sizeof seg->probe.secondary_text);
    seg->req = REQ_SELECT;
    request_after_gap(seg);
}

/* A probe's clean E5 left the meter it found (and any answering in step with
 * it) selected: read it now, which saves the select of its first readout;
 * the probe's outcome is told to the search once the readout shows it. */
static void read_at_discovery(mbus_segment *seg) {
    seg->discovering = true;
    seg->scan_phase = SCAN_IDLE;
    seg->meter = seg->cfg->n_meters + seg->n_found - 1;
    meter_state_reset(seg);
    seg->req = first_request(seg);
    request_after_gap(seg);
}

/* The readout of a meter found by the current probe is over: the search goes
 * on with the probe's outcome (a collision when the readout showed several
 * meters in step). False when no such readout was going on. */
static bool discovery_done(mbus_segment *seg, mbus_probe_outcome outcome) {
    if (!seg->discovering)
        return false;
    seg->discovering = false;
    seg->scan_phase = SCAN_SECONDARY;
    snprintf(seg->probe_name, sizeof seg->probe_name, "scan");
    seg->probe.name = seg->probe_name;
    mbus_scan_result(&seg->scan, outcome);
    scan_next_probe(seg);
    return true;
}

/* The outcome of the current probe is known: record it and go on. */
static void scan_outcome(mbus_segment *seg, mbus_probe_outcome outcome) {
    if (seg->scan_phase == SCAN_PRIMARY) {
        if (outcome == MBUS_PROBE_COLLISION)
            log_warn(MOD, "%s: primary address %d: garbled answers (duplicate address?)",
                     seg->cfg->name, seg->scan_primary);
        seg->scan_primary++;
        scan_next_probe(seg);
        return;
    }
    const char *mask = seg->probe.secondary_text;
    if (outcome == MBUS_PROBE_SINGLE && scan_wants(seg, mask)) {
        mbus_found_meter *m = add_found(seg);
        if (m) { /* the mask selects it until its first readout pins its address */
            m->cfg.has_secondary = true;
            m->cfg.secondary = seg->probe.secondary;
            memcpy(m->cfg.secondary_text, mask, sizeof m->cfg.secondary_text);
            snprintf(m->cfg.name, 2 * MBUS_NAME_MAX, "%s-%.8s", seg->cfg->name, mask);
            log_info(MOD, "%s: found a meter with mask %s", seg->cfg->name, mask);
            read_at_discovery(seg);
            return;
        }
    }
    mbus_scan_result(&seg->scan, outcome);
    if (seg->scan.unresolved)
        log_debug(MOD, "%s: %u masks with several identical addresses", seg->cfg->name,
                  seg->scan.unresolved);
    scan_next_probe(seg);
}

static bool scan_answer_timeout(mbus_segment *seg) {
    if (seg->scan_phase == SCAN_IDLE)
        return false;
    seg->state = ST_GAP;
    scan_outcome(seg, MBUS_PROBE_NONE);
    return true;
}

/* A garbled answer: a collision, or noise. Overlapping E5s are short; anything
 * else is asked once more before the search descends. */
static bool scan_rejected(mbus_segment *seg) {
    if (seg->scan_phase == SCAN_IDLE)
        return false;
    seg->state = ST_GAP;
    bool looks_like_collision =
        seg->scan_phase == SCAN_SECONDARY && seg->rx.len <= SCAN_COLLISION_MAX_BYTES;
    if (!looks_like_collision && seg->attempt == 0) {
        seg->attempt++;
        request_after_gap(seg);
        return true;
    }
    scan_outcome(seg, MBUS_PROBE_COLLISION);
    return true;
}

static void on_scan_e5_quiet(gw_loop *loop, void *arg) {
    mbus_segment *seg = arg;
    seg->timer = 0;
    seg->scan_e5_wait = false;
    scan_outcome(seg, MBUS_PROBE_SINGLE);
}

/* Bytes after the E5 of a probe: several meters answered. */
static bool scan_more_bytes(mbus_segment *seg) {
    if (!seg->scan_e5_wait)
        return false;
    seg->scan_e5_wait = false;
    cancel_timer(seg);
    scan_outcome(seg, MBUS_PROBE_COLLISION);
    return true;
}

/* A valid frame answered a probe. */
static bool scan_frame(mbus_segment *seg, const mbus_frame *f) {
    if (seg->scan_phase == SCAN_IDLE)
        return false;
    if (seg->scan_phase == SCAN_SECONDARY) {
        if (f->kind == MBUS_FRAME_ACK) {
            /* Another meter may answer later, up to the response timeout after
             * the request: only silence until then proves a single meter. */
            int64_t quiet = clock_mono_ns() + request_gap_ns(seg);
            int64_t window = seg->tx_end_ns + response_timeout_ns(seg);
            seg->scan_e5_wait = true;
            set_timer(seg, window > quiet ? window : quiet, on_scan_e5_quiet);
            return true;
        }
        scan_rejected(seg); /* anything but E5 answers a select only in a collision */
        return true;
    }
    mbus_error err = {0};
    if (f->kind != MBUS_FRAME_LONG ||
        mbus_app_decode(f->ci, f->data, f->data_len, seg->data, &err) != MBUS_OK) {
        scan_rejected(seg);
        return true;
    }
    if (!scan_known(seg, NULL, seg->scan_primary)) {
        mbus_found_meter *m = add_found(seg);
        if (m) {
            m->cfg.primary = seg->scan_primary;
            snprintf(m->cfg.name, 2 * MBUS_NAME_MAX, "%s-p%d", seg->cfg->name, seg->scan_primary);
            m->hdr = seg->data->hdr;
            m->pinned = true;
            log_info(MOD, "%s: found a meter at primary address %d", seg->cfg->name,
                     seg->scan_primary);
        }
    }
    scan_outcome(seg, MBUS_PROBE_SINGLE);
    return true;
}

/* The first answer of a meter found by the secondary scan: from now on it is
 * selected by its complete address (a meter added later cannot share it). */
static void pin_found_meter(mbus_segment *seg, const mbus_header *h) {
    if (seg->meter < seg->cfg->n_meters)
        return;
    mbus_found_meter *m = &seg->found[seg->meter - seg->cfg->n_meters];
    m->hdr = *h;
    m->read = true;
    if (m->pinned || !m->cfg.has_secondary || !h->present || !h->is_long)
        return;
    mbus_secondary full = {h->id_bcd, h->manufacturer, h->version, h->medium};
    m->cfg.secondary = full;
    mbus_secondary_format(&full, m->cfg.secondary_text);
    snprintf(m->cfg.name, 2 * MBUS_NAME_MAX, "%s-%s", seg->cfg->name, h->id);
    m->pinned = true;
}

/* SIGUSR1: scan every segment that has a scan configured, now or after its cycle. */
static mbus_master *signalled_master;

/* ---- life cycle ----------------------------------------------------------- */

mbus_segment *mbus_segment_start(const mbus_segment_cfg *cfg, gw_loop *loop, datahub *hub,
                                 char *err, size_t errlen) {
    mbus_segment *seg = calloc(1, sizeof *seg);
    mbus_data *data = calloc(1, sizeof *data);
    bool *fcb_clear = calloc(cfg->n_meters ? cfg->n_meters : 1, sizeof *fcb_clear);
    if (!seg || !data || !fcb_clear) {
        free(seg);
        free(data);
        free(fcb_clear);
        snprintf(err, errlen, "%s: out of memory", cfg->name);
        return NULL;
    }
    seg->fcb_clear = fcb_clear;
    seg->cfg = cfg;
    seg->loop = loop;
    seg->hub = hub;
    seg->data = data;
    seg->fd = -1;
    snprintf(seg->source, sizeof seg->source, "mbus:%s", cfg->name);
    int fd = serial_open(cfg->device, cfg->baud, err, errlen);
    if (fd < 0 || loop_add_fd(loop, fd, LOOP_READ, on_fd, seg) != 0) {
        if (fd >= 0) {
            snprintf(err, errlen, "%s: cannot watch the port", cfg->device);
            close(fd);
        }
        free(data);
        free(fcb_clear);
        free(seg);
        return NULL;
    }
    seg->fd = fd;
    seg->port_baud = cfg->baud;
    seg->ch = iochan_open(fd, cfg->device, false);
    if (!seg->ch) {
        snprintf(err, errlen, "%s: out of memory", cfg->device);
        loop_del_fd(loop, fd);
        close(fd);
        free(data);
        free(fcb_clear);
        free(seg);
        return NULL;
    }
    int64_t now = clock_mono_ns();
    seg->line_busy_until = now;
    seg->next_cycle_ns = now;
    seg->scan_due = cfg->scan.mode != MBUS_SCAN_OFF && cfg->scan.at_start;
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
    cancel_timer(seg);
    loop_timer_cancel(seg->loop, seg->cycle_timer);
    close_port(seg);
    for (size_t i = 0; i < seg->n_found; i++)
        free(seg->found[i].cfg.name);
    free(seg->found);
    free(seg->fcb_clear);
    free(seg->recs);
    free(seg->data);
    free(seg);
}

void mbus_segment_get_stats(const mbus_segment *seg, mbus_segment_stats *out) {
    *out = seg->stats;
}

struct mbus_master {
    size_t n;
    mbus_segment **segments;
};

static void on_scan_signal(gw_loop *loop, int signo, void *arg) {
    mbus_master *master = signalled_master;
    if (!master)
        return;
    for (size_t i = 0; i < master->n; i++) {
        mbus_segment *seg = master->segments[i];
        if (seg->cfg->scan.mode == MBUS_SCAN_OFF)
            continue;
        log_info(MOD, "%s: scan requested (signal %d)", seg->cfg->name, signo);
        seg->scan_due = true;
        if (!seg->in_cycle)
            start_cycle(seg);
    }
}

mbus_master *mbus_master_start(const mbus_config *cfg, gw_loop *loop, datahub *hub, char *err,
                               size_t errlen) {
    mbus_master *master = calloc(1, sizeof *master);
    if (master)
        master->segments = calloc(cfg->n_segments ? cfg->n_segments : 1, sizeof(mbus_segment *));
    if (!master || !master->segments) {
        free(master);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    for (size_t i = 0; i < cfg->n_segments; i++) {
        mbus_segment *seg = mbus_segment_start(&cfg->segments[i], loop, hub, err, errlen);
        if (!seg) {
            mbus_master_stop(master);
            return NULL;
        }
        master->segments[master->n++] = seg;
    }
    signalled_master = master;
    loop_on_signal(loop, SIGUSR1, on_scan_signal, NULL);
    return master;
}

void mbus_master_stop(mbus_master *master) {
    if (!master)
        return;
    if (signalled_master == master)
        signalled_master = NULL;
    for (size_t i = 0; i < master->n; i++)
        mbus_segment_stop(master->segments[i]);
    free(master->segments);
    free(master);
}
