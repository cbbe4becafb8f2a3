/* readout: read one wired M-Bus meter (see readout.h). */
#include "south/mbus/readout.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "codec/mbus/mbus_link.h"
#include "south/mbus/mbus_publish.h"

#define MOD "mbus"

typedef enum { REQ_WAKEUP, REQ_NKE, REQ_SELECT, REQ_READOUT, REQ_UD2 } req_kind;

struct mbus_readout {
    const mbus_segment_cfg *cfg;
    mbus_port *port;
    datahub *hub;
    const char *source;        /* "mbus:<segment>" */
    mbus_readout_meter meter;
    const mbus_readout_hooks *hooks;
    void *ctx;
    req_kind req;
    int attempt;               /* 0 = first try of this request */
    int pages;                 /* RSP_UD telegrams received for this meter */
    bool fcb;
    /* a candidate's first answer named its address: is a meter there? */
    bool confirming;
    bool more_pages;           /* the page before the confirmation said so */
    mbus_secondary candidate_mask;
    char last_error[160];
    mbus_data *data;           /* decode scratch (large: on the heap) */
    mbus_record *recs;         /* records of all pages of the meter */
    size_t n_recs, cap_recs;
    mbus_header hdr;           /* header of the first page */
    mbus_readout_stats stats;
};

static void send_current(mbus_readout *r);

mbus_readout *mbus_readout_new(const mbus_segment_cfg *cfg, mbus_port *port, datahub *hub,
                               const char *source) {
    mbus_readout *r = calloc(1, sizeof *r);
    mbus_data *data = calloc(1, sizeof *data);
    if (!r || !data) {
        free(r);
        free(data);
        return NULL;
    }
    r->cfg = cfg;
    r->port = port;
    r->hub = hub;
    r->source = source;
    r->data = data;
    return r;
}

void mbus_readout_free(mbus_readout *r) {
    if (!r)
        return;
    free(r->recs);
    free(r->data);
    free(r);
}

bool mbus_readout_fcb(const mbus_readout *r) {
    return r->fcb;
}

void mbus_readout_get_stats(const mbus_readout *r, mbus_readout_stats *out) {
    *out = r->stats;
}

static const mbus_meter_cfg *meter_cfg(const mbus_readout *r) {
    return r->meter.cfg;
}

/* The baud rate of the meter (its own, or the segment's). */
static long meter_baud(const mbus_readout *r) {
    long own = meter_cfg(r)->baud;
    return own ? own : r->cfg->baud;
}

/* Without a reset before each readout a meter keeps its FCB state from the
 * last cycle: a readout must go on toggling it, or a meter that checks the FCB
 * takes the first request for a repeat and sends its previous telegram again. */
static bool *fcb_memory(const mbus_readout *r) {
    return r->cfg->reset_nke ? NULL : r->meter.fcb_clear; /* a reset gives FCB 1 anyway */
}

/* ---- the sequence of requests ---------------------------------------------- */

/* After reset and select: a global readout request first, or REQ_UD2 at once. */
static req_kind first_request(const mbus_readout *r) {
    return r->cfg->request_mode != MBUS_REQUEST_UD2 ? REQ_READOUT : REQ_UD2;
}

/* What follows the wake-up sequence (or starts the readout without one). */
static req_kind after_wakeup(const mbus_readout *r) {
    return r->cfg->reset_nke                ? REQ_NKE
           : meter_cfg(r)->has_secondary ? REQ_SELECT
                                          : first_request(r);
}

void mbus_readout_begin(mbus_readout *r, const mbus_readout_meter *meter,
                        const mbus_readout_hooks *hooks, void *ctx) {
    r->meter = *meter;
    r->hooks = hooks;
    r->ctx = ctx;
    r->attempt = 0;
    r->pages = 0;
    r->confirming = false;
    r->fcb = true;
    r->n_recs = 0;
    memset(&r->hdr, 0, sizeof r->hdr);
    r->last_error[0] = '\0';
    if (meter->selected) {
        r->req = first_request(r);
    } else {
        bool *clear = fcb_memory(r);
        if (clear)
            r->fcb = !*clear;
        r->req = meter->cfg->wakeup_ns > 0 ? REQ_WAKEUP : after_wakeup(r);
    }
    send_current(r);
}

/* The reset, select or readout request is done: go on with the next request of the meter. */
static void step_done(mbus_readout *r) {
    if (r->req == REQ_WAKEUP)
        r->req = after_wakeup(r);
    else if (r->req == REQ_NKE && meter_cfg(r)->has_secondary)
        r->req = REQ_SELECT;
    else if (r->req == REQ_NKE || r->req == REQ_SELECT)
        r->req = first_request(r);
    else
        r->req = REQ_UD2;
    r->attempt = 0;
    send_current(r);
}

static void meter_read(mbus_readout *r) {
    const mbus_meter_cfg *m = meter_cfg(r);
    int64_t wall = clock_wall_ns();
    mbus_publish_records(r->hub, m->name, r->recs, r->n_recs, wall);
    mbus_publish_meter_ok(r->hub, m, &r->hdr, wall);
    r->stats.meters_read++;
    log_info(MOD, "%s: %s read: %zu values in %d telegram%s", r->cfg->name, m->name, r->n_recs,
             r->pages, r->pages == 1 ? "" : "s");
    r->hooks->done(r->ctx, true);
}

static void meter_not_read(mbus_readout *r) {
    const mbus_meter_cfg *m = meter_cfg(r);
    char why[220];
    snprintf(why, sizeof why, "no valid answer after %d attempts: %s", r->attempt + 1,
             r->last_error);
    r->stats.meters_not_read++;
    log_warn(MOD, "%s: %s not read: %s", r->cfg->name, m->name, why);
    mbus_publish_not_read(r->hub, r->source, m, why, clock_wall_ns());
    r->hooks->done(r->ctx, false);
}

/* Nobody answers the select of the address a candidate's first answer gave
 * (asked twice): that answer was several in step, ANDed into a valid frame. */
static bool candidate_phantom(mbus_readout *r) {
    if (!r->confirming || r->req != REQ_SELECT)
        return false;
    if (r->attempt < 1 && r->attempt < r->cfg->retries)
        return false;
    r->confirming = false;
    char text[MBUS_SECONDARY_TEXT];
    mbus_secondary_format(&meter_cfg(r)->secondary, text);
    log_info(MOD, "%s: no meter at %s: answers in step", r->cfg->name, text);
    r->hooks->phantom(r->ctx, &r->candidate_mask);
    return true;
}

/* An attempt got no usable answer: retry, give up on the meter, or (for the
 * reset, which is best effort) just go on. */
static void attempt_failed(mbus_readout *r, const char *why) {
    snprintf(r->last_error, sizeof r->last_error, "%s", why);
    if (candidate_phantom(r))
        return;
    if (r->req == REQ_NKE || r->req == REQ_READOUT) {
        log_debug(MOD, "%s: %s of %s: %s", r->cfg->name,
                  r->req == REQ_NKE ? "reset" : "readout request", meter_cfg(r)->name, why);
        step_done(r);
        return;
    }
    if (r->attempt < r->cfg->retries) {
        r->attempt++;
        log_debug(MOD, "%s: %s: %s, retry %d of %d", r->cfg->name, meter_cfg(r)->name, why,
                  r->attempt, r->cfg->retries);
        send_current(r);
        return;
    }
    meter_not_read(r);
}

/* A candidate's first REQ_UD2 got a garbled answer: its owner may take it for
 * several meters answering in step. */
static bool candidate_garbled(mbus_readout *r) {
    if (!r->meter.candidate || r->req != REQ_UD2 || r->pages != 0)
        return false;
    return r->hooks->garbled(r->ctx, r->attempt);
}

static void reject(mbus_readout *r, const char *why) {
    const char *meter = meter_cfg(r)->name;
    const mbus_rx *rx = mbus_port_rx(r->port);
    r->stats.rejected++;
    log_warn(MOD, "%s: %s: rejected answer: %s", r->cfg->name, meter, why);
    log_hex(LOG_LVL_DEBUG, MOD, "rejected", rx->buf, rx->len);
    mbus_publish_rejected(r->hub, r->source, meter, why, rx->buf, rx->len, clock_wall_ns());
    if (candidate_garbled(r))
        return;
    attempt_failed(r, why);
}

/* ---- requests ------------------------------------------------------------- */

static uint8_t reset_address(const mbus_readout *r) {
    switch (r->cfg->reset_mode) {
    case MBUS_RESET_NKE_FD:
        return MBUS_ADDR_SELECTED;
    case MBUS_RESET_NKE_FF:
    case MBUS_RESET_APP_FF:
        return MBUS_ADDR_BROADCAST;
    default:
        return meter_cfg(r)->has_secondary ? MBUS_ADDR_BROADCAST
                                           : (uint8_t)meter_cfg(r)->primary;
    }
}

static size_t build_reset(const mbus_readout *r, uint8_t *out, size_t cap) {
    if (r->cfg->reset_mode == MBUS_RESET_APP_FF)
        return mbus_encode_long(out, cap, MBUS_C_SND_UD, MBUS_ADDR_BROADCAST, MBUS_CI_APP_RESET,
                                NULL, 0);
    return mbus_encode_short(out, cap, MBUS_C_SND_NKE, reset_address(r));
}

/* 0x55 (alternating bits) for wakeup_ns at the meter's baud. */
static size_t build_wakeup(const mbus_readout *r, uint8_t *out, size_t cap) {
    int64_t byte_ns = mbus_port_bytes_ns(meter_baud(r), 1);
    size_t n = (size_t)((meter_cfg(r)->wakeup_ns + byte_ns - 1) / byte_ns);
    if (n > cap)
        n = cap;
    memset(out, 0x55, n);
    return n;
}

static size_t build_request(const mbus_readout *r, uint8_t *out, size_t cap) {
    const mbus_meter_cfg *m = meter_cfg(r);
    uint8_t address = m->has_secondary ? MBUS_ADDR_SELECTED : (uint8_t)m->primary;
    uint8_t sel[8];
    switch (r->req) {
    case REQ_WAKEUP:
        return build_wakeup(r, out, cap);
    case REQ_NKE:
        return build_reset(r, out, cap);
    case REQ_SELECT:
        mbus_secondary_encode(&m->secondary, sel);
        return mbus_encode_long(out, cap, MBUS_C_SND_UD, MBUS_ADDR_SELECTED, MBUS_CI_SELECT, sel,
                                sizeof sel);
    case REQ_READOUT: {
        /* global readout request: DIF 0x7F (+ VIF 0x7E), MUC500 §2.6 item 17 */
        static const uint8_t global[] = {0x7F, 0x7E};
        size_t n = r->cfg->request_mode == MBUS_REQUEST_GLOBAL_READOUT ? 2 : 1;
        return mbus_encode_long(out, cap, MBUS_C_SND_UD, address, MBUS_CI_DATA_SEND, global, n);
    }
    case REQ_UD2:
        return mbus_encode_short(out, cap, MBUS_C_REQ_UD2 | (r->fcb ? MBUS_C_FCB : 0), address);
    }
    return 0;
}

/* Nobody answers broadcasts and wake-up sequences. */
static bool is_answered(const mbus_readout *r) {
    bool broadcast = r->req == REQ_NKE && reset_address(r) == MBUS_ADDR_BROADCAST;
    return !broadcast && r->req != REQ_WAKEUP;
}

static const mbus_port_hooks port_hooks;

/* Send the current request once the line has been idle for request_gap. */
static void send_current(mbus_readout *r) {
    uint8_t tx[MBUS_PORT_TX_MAX];
    mbus_port_request req = {.bytes = tx,
                             .len = build_request(r, tx, sizeof tx),
                             .baud = meter_baud(r),
                             .answered = is_answered(r),
                             .label = meter_cfg(r)->name};
    mbus_port_send(r->port, &req, &port_hooks, r);
}

/* ---- answers -------------------------------------------------------------- */

/* After a page: ask for the next one, or the meter is read. */
static void pages_continue(mbus_readout *r, bool more_follows) {
    if (more_follows && r->pages < r->cfg->max_pages) {
        r->fcb = !r->fcb; /* a new page: toggle FCB */
        r->attempt = 0;
        send_current(r);
        return;
    }
    if (more_follows)
        log_info(MOD, "%s: %s has more than max_pages=%d telegrams; the rest is not read",
                 r->cfg->name, meter_cfg(r)->name, r->cfg->max_pages);
    meter_read(r);
}

static bool keep_records(mbus_readout *r, const mbus_data *d) {
    if (r->n_recs + d->n_records > r->cap_recs) {
        size_t cap = r->cap_recs ? r->cap_recs : MBUS_MAX_RECORDS;
        while (cap < r->n_recs + d->n_records)
            cap *= 2;
        mbus_record *grown = realloc(r->recs, cap * sizeof *grown);
        if (!grown)
            return false;
        r->recs = grown;
        r->cap_recs = cap;
    }
    for (size_t i = 0; i < d->n_records; i++) {
        r->recs[r->n_recs] = d->records[i];
        r->recs[r->n_recs++].data = NULL; /* pointed into the receive buffer */
    }
    return true;
}

static void page_received(mbus_readout *r) {
    const mbus_data *d = r->data;
    /* Answers in step under a mask with all 8 id digits come from meters
     * sharing the id: the id the answer shows is real, no select confirms it. */
    bool confirm = r->pages == 0 && r->meter.candidate &&
                   !mbus_secondary_id_complete(&meter_cfg(r)->secondary);
    if (confirm)
        r->candidate_mask = meter_cfg(r)->secondary;
    if (r->pages == 0) {
        r->hdr = d->hdr;
        r->meter.candidate = false; /* it has answered: no candidate any more */
        if (!r->hooks->first_answer(r->ctx, &d->hdr))
            return;
    }
    if (!keep_records(r, d)) {
        reject(r, "out of memory");
        return;
    }
    r->pages++;
    bool *clear = fcb_memory(r);
    if (clear)
        *clear = r->fcb; /* answered: the next request toggles */
    if (confirm) {
        /* Different answers in step may AND into a valid frame with a made-up
         * address: only a meter answering a select of the address is real. */
        r->confirming = true;
        r->more_pages = d->more_follows;
        r->req = REQ_SELECT;
        r->attempt = 0;
        send_current(r);
        return;
    }
    pages_continue(r, d->more_follows);
}

/* With secondary addressing a wrong meter may answer (a select that was not
 * understood leaves another meter selected): its header must match. */
static bool answer_from_selected(const mbus_readout *r, const mbus_header *h, char *why,
                                 size_t cap) {
    const mbus_meter_cfg *m = meter_cfg(r);
    if (!m->has_secondary || !h->present || !h->is_long)
        return true;
    mbus_secondary got = {h->id_bcd, h->manufacturer, h->version, h->medium};
    if (mbus_secondary_match(&m->secondary, &got))
        return true;
    char text[MBUS_SECONDARY_TEXT], mask[MBUS_SECONDARY_TEXT];
    mbus_secondary_format(&got, text);
    mbus_secondary_format(&m->secondary, mask);
    snprintf(why, cap, "answer from %s, which does not match the selected %s", text, mask);
    return false;
}

static void answer_to_ud2(mbus_readout *r, const mbus_frame *f) {
    char why[160];
    if (f->kind == MBUS_FRAME_ACK) {
        reject(r, "expected RSP_UD, got E5");
        return;
    }
    /* ACD (0x20) and DFC (0x10) may be set in an RSP_UD. */
    if (f->kind != MBUS_FRAME_LONG || (f->c & 0xCF) != MBUS_C_RSP_UD) {
        snprintf(why, sizeof why, "expected RSP_UD, got a frame with C=0x%02X", f->c);
        reject(r, why);
        return;
    }
    mbus_error err = {0};
    if (mbus_app_decode(f->ci, f->data, f->data_len, r->data, &err) != MBUS_OK) {
        reject(r, err.msg[0] ? err.msg : mbus_err_name(err.code));
        return;
    }
    if (!answer_from_selected(r, &r->data->hdr, why, sizeof why)) {
        reject(r, why);
        return;
    }
    page_received(r);
}

static void answer_to_select(mbus_readout *r, const mbus_frame *f) {
    if (f->kind != MBUS_FRAME_ACK) {
        reject(r, "select not acknowledged with E5");
        return;
    }
    if (!r->confirming) {
        step_done(r);
        return;
    }
    r->confirming = false; /* a meter has the address: the readout goes on */
    r->req = REQ_UD2;
    r->attempt = 0;
    pages_continue(r, r->more_pages);
}

static void on_frame(void *ctx, const mbus_frame *f) {
    mbus_readout *r = ctx;
    switch (r->req) {
    case REQ_WAKEUP: /* never awaited: cannot happen */
    case REQ_NKE: /* an E5 is expected, but the reset is best effort */
    case REQ_READOUT: /* so is the global readout request */
        step_done(r);
        return;
    case REQ_SELECT:
        answer_to_select(r, f);
        return;
    case REQ_UD2:
        answer_to_ud2(r, f);
        return;
    }
}

static void on_sent(void *ctx) {
    step_done(ctx);
}

static void on_timeout(void *ctx) {
    attempt_failed(ctx, "no answer (timeout)");
}

static void on_bad(void *ctx, const char *why) {
    reject(ctx, why);
}

static const mbus_port_hooks port_hooks = {
    .sent = on_sent, .frame = on_frame, .timeout = on_timeout, .bad = on_bad};
