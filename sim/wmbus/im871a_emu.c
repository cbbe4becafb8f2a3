/* im871a_emu: the emulated radio module (see im871a_emu.h). */
#include "sim/wmbus/im871a_emu.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/clock.h"

#define PROCESSING_NS (1 * NS_PER_MS) /* request read → answer ready */
#define RESET_NS (50 * NS_PER_MS)     /* reboot time after RESET */
#define BITS_PER_BYTE 10              /* 8N1 */
#define KEEP_ONAIR_NS (5 * NS_PER_S)  /* longer than any transmission */
#define DEVICE_ID 0x00A1B2C3u

static void on_out(gw_loop *loop, void *arg);
static void on_reset_done(gw_loop *loop, void *arg);

bool im871a_mode_hears(int mode, air_mode m) {
    switch (mode) {
    case IM_MODE_S1: case IM_MODE_S1M: case IM_MODE_S2: return m == AIR_S1;
    case IM_MODE_T1: case IM_MODE_T2: return m == AIR_T1;
    case IM_MODE_C1A: case IM_MODE_C1B: case IM_MODE_C2A: case IM_MODE_C2B: return m == AIR_C1;
    case IM_MODE_CT: return m == AIR_C1 || m == AIR_T1;
    default: return false;
    }
}

static uint32_t mode_channel(int mode) {
    return im871a_mode_hears(mode, AIR_S1) ? air_mode_get(AIR_S1)->channel_khz
                                            : air_mode_get(AIR_T1)->channel_khz;
}

static int64_t byte_ns(const im871a_emu *e) {
    return (int64_t)BITS_PER_BYTE * NS_PER_S / e->spec->baud;
}

static void note(im871a_emu *e, const char *text) {
    if (e->tr)
        trace_add(e->tr, e->spec->name, TRACE_NOTE, e->spec->baud, clock_mono_ns(), clock_mono_ns(),
                  NULL, 0, text);
}

static void power_on(im871a_emu *e) {
    e->alive = true;
    e->power_on_ns = clock_mono_ns();
    e->cfg = e->saved;
    e->rx_len = 0;
}

/* ---- module → host --------------------------------------------------------- */

static void arm_out(im871a_emu *e) {
    if (e->out_timer || e->n_out == 0)
        return;
    e->out_timer = loop_timer_at(e->loop, e->out[0].at_ns, on_out, e);
}

/* Queue a frame: it starts when the UART is free (and not before ready_ns). */
static void send_host(im871a_emu *e, uint8_t ctrl, uint8_t ep, uint8_t msg, const uint8_t *p,
                      uint8_t len, uint8_t rssi, int64_t ready_ns, const char *what) {
    if (e->n_out == e->cap_out) {
        size_t cap = e->cap_out ? e->cap_out * 2 : 16;
        emu_out *grown = realloc(e->out, cap * sizeof *grown);
        if (!grown)
            return;
        e->out = grown;
        e->cap_out = cap;
    }
    emu_out *o = &e->out[e->n_out];
    uint32_t ticks = (uint32_t)((ready_ns - e->power_on_ns) / NS_PER_MS);
    o->len = im_frame_encode(o->bytes, sizeof o->bytes, (uint8_t)(ctrl | IM_CTRL_CRC), ep, msg, p,
                             len, ticks, rssi);
    int64_t start = ready_ns > e->uart_free_ns ? ready_ns : e->uart_free_ns;
    o->at_ns = start + (int64_t)o->len * byte_ns(e);
    e->uart_free_ns = o->at_ns;
    e->n_out++;
    if (e->tr)
        trace_add(e->tr, e->spec->name, TRACE_BUS_TO_GW, e->spec->baud, start, o->at_ns, o->bytes,
                  o->len, what);
    arm_out(e);
}

static void on_out(gw_loop *loop, void *arg) {
    im871a_emu *e = arg;
    e->out_timer = 0;
    int64_t now = clock_mono_ns();
    size_t done = 0;
    while (done < e->n_out && e->out[done].at_ns <= now) {
        emu_out *o = &e->out[done++];
        if (iochan_write(e->pty.io, o->bytes, o->len) != (ssize_t)o->len)
            note(e, "pty write failed: frame lost");
    }
    memmove(e->out, e->out + done, (e->n_out - done) * sizeof *e->out);
    e->n_out -= done;
    arm_out(e);
}

/* ---- requests -------------------------------------------------------------- */

static void answer(im871a_emu *e, uint8_t msg, const uint8_t *p, uint8_t len, int64_t ready) {
    send_host(e, 0, IM_EP_DEVMGMT, msg, p, len, 0, ready, "response");
}

static void handle_request(im871a_emu *e, const im_frame *f, int64_t ready) {
    uint8_t p[64], status = 0;
    size_t n = 0;
    e->stats.requests++;
    switch (f->msg) {
    case IM_PING_REQ: answer(e, IM_PING_RSP, NULL, 0, ready); break;
    case IM_SET_CONFIG_REQ: {
        im_config c;
        if (!im_config_parse(f->payload, f->len, true, &c) ||
            (c.has_link_mode && !im_mode_name(c.link_mode)))
            status = 1;
        else {
            if (c.has_link_mode) e->cfg.link_mode = c.link_mode, e->cfg.has_link_mode = true;
            if (c.has_rssi) e->cfg.rssi_on = c.rssi_on;
            if (c.has_timestamp) e->cfg.timestamp_on = c.timestamp_on;
            if (c.save) e->saved = e->cfg;
            char text[64];
            snprintf(text, sizeof text, "link mode %s%s", im_mode_name(e->cfg.link_mode),
                     c.save ? " (saved)" : "");
            note(e, text);
        }
        answer(e, IM_SET_CONFIG_RSP, &status, 1, ready);
        break;
    }
    case IM_GET_CONFIG_REQ: {
        im_config c = e->cfg;
        c.has_link_mode = c.has_rssi = c.has_timestamp = true;
        n = im_config_encode_get(&c, p, sizeof p);
        answer(e, IM_GET_CONFIG_RSP, p, (uint8_t)n, ready);
        break;
    }
    case IM_RESET_REQ:
        answer(e, IM_RESET_RSP, &status, 1, ready);
        e->alive = false; /* rebooting; back when the answer is out */
        loop_timer_at(e->loop, e->uart_free_ns + RESET_NS, on_reset_done, e);
        note(e, "reset by the host");
        break;
    case IM_GET_DEVICEINFO_REQ: {
        const uint8_t info[] = {0x33 /* iM871A */, 0x00 /* other */, 0x01, 0x00, 0x0A, 0x00,
                                (uint8_t)DEVICE_ID, (uint8_t)(DEVICE_ID >> 8),
                                (uint8_t)(DEVICE_ID >> 16), (uint8_t)(DEVICE_ID >> 24)};
        answer(e, IM_GET_DEVICEINFO_RSP, info, sizeof info, ready);
        break;
    }
    case IM_GET_FWINFO_REQ: {
        const uint8_t fw[] = {1, 6, 0x2A, 0x00, 'h', 'i', 'l', '-', 'i', 'm', '8', '7', '1', 'a'};
        answer(e, IM_GET_FWINFO_RSP, fw, sizeof fw, ready);
        break;
    }
    default: note(e, "request not supported: ignored"); break;
    }
}

/* A request takes effect when it has crossed the line and been processed
 * (a new link mode applies from then on): queued, handled by a timer. */
static void on_request_due(gw_loop *loop, void *arg) {
    im871a_emu *e = arg;
    int64_t now = clock_mono_ns();
    size_t done = 0;
    while (done < e->n_req && e->req[done].at_ns <= now) {
        im_frame f;
        emu_out *q = &e->req[done++];
        if (e->alive && im_frame_parse(q->bytes, q->len, &f, NULL, 0))
            handle_request(e, &f, now);
    }
    memmove(e->req, e->req + done, (e->n_req - done) * sizeof *e->req);
    e->n_req -= done;
}

static void defer_request(im871a_emu *e, const uint8_t *bytes, size_t len, int64_t at) {
    if (e->n_req == e->cap_req) {
        size_t cap = e->cap_req ? e->cap_req * 2 : 8;
        emu_out *grown = realloc(e->req, cap * sizeof *grown);
        if (!grown)
            return;
        e->req = grown;
        e->cap_req = cap;
    }
    emu_out *q = &e->req[e->n_req++];
    memcpy(q->bytes, bytes, len);
    q->len = len;
    q->at_ns = at;
    loop_timer_at(e->loop, at, on_request_due, e);
}

/* Frames from the host, each handled when it has crossed the line. */
static void take_host_bytes(im871a_emu *e, int64_t now) {
    size_t pos = 0;
    while (pos < e->rx_len) {
        long need = im_frame_needed(e->rx + pos, e->rx_len - pos);
        if (need < 0) {
            pos++;
            continue;
        }
        if (need == 0 || (size_t)need > e->rx_len - pos)
            break;
        im_frame f;
        int64_t start = now > e->line_free_ns ? now : e->line_free_ns;
        int64_t end = start + need * byte_ns(e);
        e->line_free_ns = end;
        if (e->tr)
            trace_add(e->tr, e->spec->name, TRACE_GW_TO_BUS, e->baud_seen, start, end, e->rx + pos,
                      (size_t)need, "request");
        if (e->baud_seen != e->spec->baud)
            e->stats.baud_mismatches++, note(e, "request at the wrong baud rate: garbled, ignored");
        else if (im_frame_parse(e->rx + pos, (size_t)need, &f, NULL, 0) && f.endpoint == IM_EP_DEVMGMT)
            defer_request(e, e->rx + pos, (size_t)need, end + PROCESSING_NS);
        pos += (size_t)need;
    }
    memmove(e->rx, e->rx + pos, e->rx_len - pos);
    e->rx_len -= pos;
}

static void on_pty(gw_loop *loop, int fd, unsigned events, void *arg) {
    im871a_emu *e = arg;
    uint8_t buf[512];
    for (;;) {
        ssize_t n = iochan_read(e->pty.io, buf, sizeof buf);
        if (n <= 0) {
            if (n < 0 && errno == EINTR)
                continue;
            return;
        }
        if (!e->alive)
            continue; /* a dead module hears nothing */
        e->baud_seen = pty_channel_baud(&e->pty);
        size_t room = sizeof e->rx - e->rx_len;
        size_t take = (size_t)n < room ? (size_t)n : room;
        memcpy(e->rx + e->rx_len, buf, take);
        e->rx_len += take;
        take_host_bytes(e, clock_mono_ns());
    }
}

/* ---- radio ------------------------------------------------------------------- */

static void deliver(im871a_emu *e, const air_tx *tx) {
    uint8_t plain[WMBUS_FRAME_MAX];
    size_t n;
    wmbus_format fmt;
    if (wmbus_frame_strip(tx->bytes, tx->len, plain, sizeof plain, &n, &fmt, NULL) != WMBUS_OK || n < 2) {
        e->stats.collided++; /* CRC errors: what a receiver makes of garbage */
        e->stats.crc_errors++;
        return;
    }
    uint8_t ctrl = (uint8_t)((e->cfg.rssi_on ? IM_CTRL_RSSI : 0) | (e->cfg.timestamp_on ? IM_CTRL_TIMESTAMP : 0));
    e->stats.caught++;
    send_host(e, ctrl, IM_EP_RADIOLINK, IM_WMBUSMSG_IND, plain + 1, (uint8_t)(n - 1),
              im_rssi_raw(tx->rssi_dbm), clock_mono_ns(), "indication");
}

static bool lost_to_collision(const im871a_emu *e, const air_tx *tx) {
    for (size_t i = 0; i < e->n_onair; i++) {
        const air_tx *o = &e->onair[i].tx;
        if (o == tx)
            continue;
        if (air_overlap(o, tx) && tx->rssi_dbm < o->rssi_dbm + e->spec->capture_db)
            return true;
    }
    return false;
}

static void resolve(im871a_emu *e, const air_tx *tx) {
    e->stats.heard_attempts++;
    if (!e->alive) e->stats.while_dead++;
    else if (!im871a_mode_hears(e->cfg.link_mode, (air_mode)tx->mode)) e->stats.other_mode++;
    else if (tx->rssi_dbm < e->spec->sensitivity_dbm) e->stats.too_weak++;
    else if (lost_to_collision(e, tx)) e->stats.collided++;
    else deliver(e, tx);
}

/* Every transmission that has ended by now is resolved, in order of its end. */
static void on_tx_end(gw_loop *loop, void *arg) {
    im871a_emu *e = arg;
    int64_t now = clock_mono_ns();
    for (;;) {
        onair_entry *first = NULL;
        for (size_t i = 0; i < e->n_onair; i++) {
            onair_entry *o = &e->onair[i];
            int64_t end = o->tx.start_ns + o->tx.duration_ns;
            if (!o->resolved && end <= now &&
                (!first || end < first->tx.start_ns + first->tx.duration_ns))
                first = o;
        }
        if (!first)
            return;
        first->resolved = true;
        resolve(e, &first->tx);
    }
}

/* Forget transmissions that ended long ago (they cannot overlap new ones). */
static void prune(im871a_emu *e, int64_t now) {
    size_t keep = 0;
    for (size_t i = 0; i < e->n_onair; i++)
        if (!e->onair[i].resolved ||
            e->onair[i].tx.start_ns + e->onair[i].tx.duration_ns + KEEP_ONAIR_NS > now)
            e->onair[keep++] = e->onair[i];
    e->n_onair = keep;
}

static void on_air(void *arg, const air_tx *tx) {
    im871a_emu *e = arg;
    /* a receiver listens on one channel; other channels neither reach nor disturb it */
    if (tx->channel_khz != mode_channel(e->cfg.link_mode))
        return;
    prune(e, tx->start_ns);
    if (e->n_onair == e->cap_onair) {
        size_t cap = e->cap_onair ? e->cap_onair * 2 : 32;
        onair_entry *grown = realloc(e->onair, cap * sizeof *grown);
        if (!grown)
            return;
        e->onair = grown;
        e->cap_onair = cap;
    }
    e->onair[e->n_onair++] = (onair_entry){*tx, false};
    loop_timer_at(e->loop, tx->start_ns + tx->duration_ns, on_tx_end, e);
}

/* ---- faults -------------------------------------------------------------------- */

static void on_dead(gw_loop *loop, void *arg) {
    im871a_emu *e = arg;
    e->alive = false;
    e->n_out = 0; /* what was on its way dies with it */
    e->n_req = 0;
    loop_timer_cancel(loop, e->out_timer);
    e->out_timer = 0;
    note(e, "module dead");
}

static void on_alive(gw_loop *loop, void *arg) {
    im871a_emu *e = arg;
    power_on(e);
    note(e, "module back (power-up configuration)");
}

static void on_reset_done(gw_loop *loop, void *arg) {
    power_on(arg);
}

static void on_spontaneous_reset(gw_loop *loop, void *arg) {
    im871a_emu *e = arg;
    power_on(e);
    note(e, "module reset itself (power-up configuration)");
}

/* ---- life cycle ----------------------------------------------------------------- */

int im871a_emu_open(im871a_emu *e, const im871a_spec *spec, gw_loop *loop, trace *tr, char *err,
                    size_t errlen) {
    memset(e, 0, sizeof *e);
    e->spec = spec;
    e->loop = loop;
    e->tr = tr;
    e->saved = (im_config){.has_link_mode = true, .link_mode = (uint8_t)spec->default_mode,
                           .has_rssi = true, .has_timestamp = true};
    return pty_channel_open(&e->pty, spec->baud, err, errlen);
}

int im871a_emu_start(im871a_emu *e, air *a) {
    power_on(e);
    int64_t now = clock_mono_ns();
    for (size_t i = 0; i < e->spec->n_dead; i++) {
        loop_timer_at(e->loop, now + e->spec->dead_at[i], on_dead, e);
        loop_timer_at(e->loop, now + e->spec->dead_at[i] + e->spec->dead_for[i], on_alive, e);
    }
    for (size_t i = 0; i < e->spec->n_resets; i++)
        loop_timer_at(e->loop, now + e->spec->reset_at[i], on_spontaneous_reset, e);
    if (air_add_listener(a, on_air, e) < 0)
        return -1;
    return loop_add_fd(e->loop, e->pty.master, LOOP_READ, on_pty, e);
}

void im871a_emu_close(im871a_emu *e) {
    if (e->pty.master >= 0)
        loop_del_fd(e->loop, e->pty.master);
    pty_channel_close(&e->pty);
    free(e->out);
    free(e->req);
    free(e->onair);
    e->out = NULL;
    e->onair = NULL;
}

const char *im871a_emu_path(const im871a_emu *e) {
    return e->pty.path;
}
