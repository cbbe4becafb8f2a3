/* wmbus_radio: the radio module's host protocol (see wmbus_radio.h). One
 * request is out at a time; WMBUSMSG_IND frames may arrive in between and go
 * straight to the receive path. */
#include "south/wmbus/wmbus_radio_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/log.h"
#include "south/serial/serial_port.h"

/* The start-up sequence; the health check re-enters it at STEP_CHECK. */
enum { STEP_PING, STEP_DEVICEINFO, STEP_FWINFO, STEP_SET_CONFIG, STEP_VERIFY, STEP_DONE };
#define STEP_CHECK STEP_VERIFY

static void on_fd(gw_loop *loop, int fd, unsigned events, void *arg);
static void send_step(wmbus_radio *r);
static void schedule_check(wmbus_radio *r);

static void outage(wmbus_radio *r, const char *kind, const char *why) {
    wmbus_publish_module_ok(r, false);
    if (r->outage_reported)
        return;
    r->outage_reported = true;
    r->stats.outages++;
    log_warn(WMBUS_MOD, "%s: %s", r->cfg->name, why);
    wmbus_event(r, kind, NULL, why, NULL, 0);
}

static bool open_port(wmbus_radio *r) {
    char err[256];
    int fd = serial_open_framed(r->cfg->device, r->cfg->baud, SERIAL_8N1, err, sizeof err);
    if (fd < 0) {
        char why[512];
        snprintf(why, sizeof why, "radio module missing: %s", err);
        r->state = RS_CLOSED;
        outage(r, "module_missing", why);
        return false;
    }
    if (loop_add_fd(r->loop, fd, LOOP_READ, on_fd, r) != 0) {
        close(fd);
        return false;
    }
    r->fd = fd;
    r->ch = iochan_open(fd, r->cfg->device, false);
    r->rx_len = 0;
    return true;
}

static void close_port(wmbus_radio *r) {
    if (r->fd < 0)
        return;
    loop_del_fd(r->loop, r->fd);
    iochan_close(r->ch);
    close(r->fd);
    r->ch = NULL;
    r->fd = -1;
}

/* ---- requests ------------------------------------------------------------- */

static void send_frame(wmbus_radio *r, uint8_t msg, const uint8_t *payload, uint8_t len) {
    uint8_t buf[64];
    size_t n = im_frame_encode(buf, sizeof buf, 0, IM_EP_DEVMGMT, msg, payload, len, 0, 0);
    ssize_t w = iochan_write(r->ch, buf, n);
    if (w != (ssize_t)n)
        log_warn(WMBUS_MOD, "%s: short write to %s (%zd of %zu)", r->cfg->name, r->cfg->device, w, n);
}

static void on_response_timeout(gw_loop *loop, void *arg) {
    wmbus_radio *r = arg;
    r->response_timer = 0;
    r->waiting = false;
    if (++r->attempt <= r->cfg->retries) {
        send_step(r);
        return;
    }
    char why[160];
    snprintf(why, sizeof why, "radio module dead: no answer to %d requests", r->attempt);
    r->state = RS_DEAD;
    outage(r, "module_dead", why);
    schedule_check(r);
}

static void request(wmbus_radio *r, uint8_t msg, const uint8_t *payload, uint8_t len) {
    r->waiting = true;
    r->want_msg = (uint8_t)(msg + 1);
    send_frame(r, msg, payload, len);
    loop_timer_cancel(r->loop, r->response_timer);
    r->response_timer = loop_timer_after(r->loop, r->cfg->response_timeout_ns, on_response_timeout, r);
}

static void send_step(wmbus_radio *r) {
    uint8_t p[16];
    im_config c = {.has_link_mode = true, .link_mode = (uint8_t)r->cfg->link_mode,
                   .has_rssi = true, .rssi_on = true, .has_timestamp = true, .timestamp_on = true};
    switch (r->step) {
    case STEP_PING: request(r, IM_PING_REQ, NULL, 0); break;
    case STEP_DEVICEINFO: request(r, IM_GET_DEVICEINFO_REQ, NULL, 0); break;
    case STEP_FWINFO: request(r, IM_GET_FWINFO_REQ, NULL, 0); break;
    case STEP_SET_CONFIG: request(r, IM_SET_CONFIG_REQ, p, (uint8_t)im_config_encode_set(&c, p, sizeof p)); break;
    case STEP_VERIFY: request(r, IM_GET_CONFIG_REQ, NULL, 0); break;
    default: break;
    }
}

static void begin(wmbus_radio *r, int step) {
    r->step = step;
    r->attempt = 0;
    if (r->state != RS_RUNNING)
        r->state = RS_STARTING;
    send_step(r);
}

static void on_check(gw_loop *loop, void *arg) {
    wmbus_radio *r = arg;
    r->check_timer = 0;
    if (r->fd < 0 && !open_port(r)) {
        schedule_check(r);
        return;
    }
    if (r->waiting)
        return; /* the response timer goes on */
    begin(r, r->state == RS_RUNNING ? STEP_CHECK : STEP_PING);
}

static void schedule_check(wmbus_radio *r) {
    loop_timer_cancel(r->loop, r->check_timer);
    r->check_timer = loop_timer_after(r->loop, r->cfg->check_interval_ns, on_check, r);
}

/* ---- responses ------------------------------------------------------------- */

static void configured(wmbus_radio *r) {
    bool was_out = r->outage_reported || !r->ever_ok;
    r->state = RS_RUNNING;
    r->stats.configured++;
    if (was_out) {
        char text[200];
        /* The stored event names no device path (the source names the module): a
         * bench's pty differs between runs, and replays must store the same rows. */
        snprintf(text, sizeof text, "radio module ready: %s, link mode %s",
                 r->firmware[0] ? r->firmware : "firmware unknown", im_mode_name((unsigned)r->cfg->link_mode));
        log_info(WMBUS_MOD, "%s: %s (%s)", r->cfg->name, text, r->cfg->device);
        wmbus_event(r, r->ever_ok ? "module_back" : "info", NULL, text, NULL, 0);
    }
    r->ever_ok = true;
    r->outage_reported = false;
    r->reconfiguring = false;
    wmbus_publish_module_ok(r, true);
}

static void take_config(wmbus_radio *r, const im_frame *f) {
    im_config c;
    if (!im_config_parse(f->payload, f->len, false, &c) || !c.has_link_mode ||
        c.link_mode != r->cfg->link_mode || !c.rssi_on) {
        const char *now = c.has_link_mode ? im_mode_name(c.link_mode) : NULL;
        char text[160];
        snprintf(text, sizeof text, "radio module in link mode %s, not %s (reset?): configuring it again",
                 now ? now : "unknown", im_mode_name((unsigned)r->cfg->link_mode));
        log_warn(WMBUS_MOD, "%s: %s", r->cfg->name, text);
        wmbus_event(r, "module_reset", NULL, text, NULL, 0);
        r->reconfiguring = true;
        begin(r, STEP_SET_CONFIG);
        return;
    }
    if (r->state != RS_RUNNING || r->outage_reported || r->reconfiguring)
        configured(r);
    schedule_check(r);
}

static void take_response(wmbus_radio *r, const im_frame *f) {
    loop_timer_cancel(r->loop, r->response_timer);
    r->response_timer = 0;
    r->waiting = false;
    r->attempt = 0;
    if (f->msg == IM_GET_DEVICEINFO_RSP)
        memcpy(r->device_info, f->payload, f->len < sizeof r->device_info ? f->len : sizeof r->device_info);
    if (f->msg == IM_GET_FWINFO_RSP && f->len >= 4)
        snprintf(r->firmware, sizeof r->firmware, "firmware %u.%u build %u %.*s", f->payload[0],
                 f->payload[1], f->payload[2] | f->payload[3] << 8, f->len - 4, (const char *)f->payload + 4);
    if (f->msg == IM_SET_CONFIG_RSP && f->len >= 1 && f->payload[0] != 0)
        log_warn(WMBUS_MOD, "%s: SET_CONFIG refused (status %u)", r->cfg->name, f->payload[0]);
    if (f->msg == IM_GET_CONFIG_RSP) {
        take_config(r, f);
        return;
    }
    r->step++;
    send_step(r);
}

static void take_frame(wmbus_radio *r, const im_frame *f) {
    if (f->endpoint == IM_EP_RADIOLINK && f->msg == IM_WMBUSMSG_IND) {
        wmbus_radio_receive(r, f->payload, f->len, f->has_rssi, f->rssi);
        return;
    }
    if (f->endpoint == IM_EP_DEVMGMT && r->waiting && f->msg == r->want_msg) {
        take_response(r, f);
        return;
    }
    log_debug(WMBUS_MOD, "%s: unexpected frame endpoint %u message 0x%02X", r->cfg->name,
              f->endpoint, f->msg);
}

/* Cut complete frames out of the receive buffer; resynchronise on A5. */
static void parse_frames(wmbus_radio *r) {
    size_t pos = 0;
    while (pos < r->rx_len) {
        long need = im_frame_needed(r->rx + pos, r->rx_len - pos);
        if (need < 0) {
            r->stats.hci_errors++;
            const uint8_t *sof = memchr(r->rx + pos + 1, IM_SOF, r->rx_len - pos - 1);
            pos = sof ? (size_t)(sof - r->rx) : r->rx_len;
            continue;
        }
        if (need == 0 || (size_t)need > r->rx_len - pos)
            break;
        im_frame f;
        char why[64];
        if (im_frame_parse(r->rx + pos, (size_t)need, &f, why, sizeof why))
            take_frame(r, &f);
        else {
            r->stats.hci_errors++;
            log_warn(WMBUS_MOD, "%s: bad frame from the module: %s", r->cfg->name, why);
        }
        pos += (size_t)need;
    }
    memmove(r->rx, r->rx + pos, r->rx_len - pos);
    r->rx_len -= pos;
}

static void on_fd(gw_loop *loop, int fd, unsigned events, void *arg) {
    wmbus_radio *r = arg;
    for (;;) {
        if (r->rx_len == sizeof r->rx)
            r->rx_len = 0; /* garbage without a frame in it */
        ssize_t n = iochan_read(r->ch, r->rx + r->rx_len, sizeof r->rx - r->rx_len);
        if (n > 0) {
            r->rx_len += (size_t)n;
            parse_frames(r);
            if (r->fd < 0)
                return;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        /* hang-up or I/O error: the adapter went away */
        close_port(r);
        r->state = RS_CLOSED;
        loop_timer_cancel(r->loop, r->response_timer);
        r->response_timer = 0;
        r->waiting = false;
        outage(r, "module_missing", "radio module port closed");
        schedule_check(r);
        return;
    }
}

/* ---- cycle ------------------------------------------------------------------ */

static void on_cycle(gw_loop *loop, void *arg) {
    wmbus_radio *r = arg;
    wmbus_publish_cycle(r);
    r->cycle_timer = loop_timer_after(loop, r->cfg->cycle_ns, on_cycle, r);
}

/* ---- life cycle ------------------------------------------------------------- */

wmbus_radio *wmbus_radio_start(const wmbus_module_cfg *cfg, gw_loop *loop, datahub *hub) {
    wmbus_radio *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->cfg = cfg;
    r->loop = loop;
    r->hub = hub;
    r->fd = -1;
    snprintf(r->source, sizeof r->source, "wmbus:%s", cfg->name);
    r->dec = decoder_new();
    r->tg = malloc(sizeof *r->tg);
    if (!r->dec || !r->tg || !wmbus_meters_init(&r->meters, cfg)) {
        wmbus_radio_stop(r);
        return NULL;
    }
    r->started_ns = clock_mono_ns();
    r->cycle_timer = loop_timer_after(loop, cfg->cycle_ns, on_cycle, r);
    if (open_port(r))
        begin(r, STEP_PING);
    else
        schedule_check(r);
    return r;
}

void wmbus_radio_stop(wmbus_radio *r) {
    if (!r)
        return;
    if (r->tg && r->meters.known)
        wmbus_publish_final(r);
    loop_timer_cancel(r->loop, r->response_timer);
    loop_timer_cancel(r->loop, r->check_timer);
    loop_timer_cancel(r->loop, r->cycle_timer);
    close_port(r);
    decoder_free(r->dec);
    free(r->tg);
    wmbus_meters_free(&r->meters);
    free(r);
}

void wmbus_radio_get_stats(const wmbus_radio *r, wmbus_radio_stats *out) {
    *out = r->stats;
}

struct wmbus_receivers {
    size_t n;
    wmbus_radio **radios;
};

wmbus_receivers *wmbus_receivers_start(const wmbus_config *cfg, gw_loop *loop, datahub *hub) {
    wmbus_receivers *all = calloc(1, sizeof *all);
    if (!all)
        return NULL;
    all->radios = calloc(cfg->n_modules ? cfg->n_modules : 1, sizeof *all->radios);
    if (!all->radios) {
        free(all);
        return NULL;
    }
    for (size_t i = 0; i < cfg->n_modules; i++) {
        all->radios[i] = wmbus_radio_start(&cfg->modules[i], loop, hub);
        if (!all->radios[i]) {
            wmbus_receivers_stop(all);
            return NULL;
        }
        all->n++;
    }
    return all;
}

void wmbus_receivers_stop(wmbus_receivers *all) {
    if (!all)
        return;
    for (size_t i = 0; i < all->n; i++)
        wmbus_radio_stop(all->radios[i]);
    free(all->radios);
    free(all);
}
