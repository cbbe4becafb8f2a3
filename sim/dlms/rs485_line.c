/* rs485_line: HDLC DLMS meters on one pty (see rs485_line.h). */
#include "sim/dlms/rs485_line.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "codec/dlms/dlms_hdlc.h"
#include "core/iochan.h"
#include "sim/core/pty_channel.h"
#include "sim/core/tx_pacer.h"
#include "sim/core/wired_and.h"

#define LLC_LEN 3
#define APDU_MAX 4096

typedef struct station {
    struct rs485_line *line;
    size_t index;
    dlms_meter *meter;
    hdlc_addr addr;
    hdlc_addr client;                 /* who we talk to (the last SNRM's sender) */
    bool connected;
    unsigned vs, vr;
    size_t max_tx, max_rx;            /* negotiated information field lengths */
    uint8_t req[LLC_LEN + APDU_MAX];  /* request segments collected */
    size_t req_len;
    uint8_t resp[LLC_LEN + APDU_MAX]; /* answer being sent in segments */
    size_t resp_len, resp_off;
    uint8_t last[HDLC_MAX_FRAME];     /* last frame sent (repeated on a repeated request) */
    size_t last_len;
} station;

struct rs485_line {
    hplc_net_spec spec;
    gw_loop *loop;
    trace *tr;
    pty_channel pty;
    bool pty_open;
    tx_pacer pacer;
    int64_t byte_ns;
    station *st;
    size_t n;
    hdlc_stream rx;
    int64_t rx_start_ns;   /* first byte of the frame being received on the wire */
    int64_t wire_end_ns;   /* when the last byte the gateway sent ends on the wire */
    int64_t busy_until_ns; /* when the last answer queued ends on the wire */
    uint64_t frames, answers, segments, ignored;
};

/* ---- answers on the wire -------------------------------------------------------- */

static void describe(const uint8_t control, const hdlc_frame *f, char *out, size_t cap) {
    hdlc_kind k = hdlc_control_kind(control);
    if (k == HDLC_KIND_I)
        snprintf(out, cap, "I ns=%u nr=%u%s %zu bytes", hdlc_ctrl_ns(control), hdlc_ctrl_nr(control),
                 f && f->segmented ? " segmented" : "", f ? f->info_len : 0);
    else if (k == HDLC_KIND_RR || k == HDLC_KIND_RNR)
        snprintf(out, cap, "%s nr=%u", hdlc_kind_name(k), hdlc_ctrl_nr(control));
    else snprintf(out, cap, "%s", hdlc_kind_name(k));
}

/* Queue a frame from station s: it starts response_delay after the end of the
 * request (and after anything still on the wire), one byte time apart. */
static void send_frame(station *s) {
    rs485_line *ln = s->line;
    if (!s->last_len) return;
    int64_t start = ln->wire_end_ns + ln->spec.response_delay_ns;
    if (start < ln->busy_until_ns) start = ln->busy_until_ns;
    wa_byte *bytes = malloc(s->last_len * sizeof *bytes);
    if (!bytes) return;
    for (size_t i = 0; i < s->last_len; i++) bytes[i] = (wa_byte){start + (int64_t)i * ln->byte_ns, s->last[i]};
    ln->busy_until_ns = start + (int64_t)s->last_len * ln->byte_ns;
    hdlc_frame f;
    size_t used;
    const char *why;
    char what[64], event[96];
    bool ok = hdlc_decode(s->last, s->last_len, &f, &used, &why) == HDLC_OK;
    describe(ok ? f.control : 0, ok ? &f : NULL, what, sizeof what);
    snprintf(event, sizeof event, "meter %zu: %s", s->index, what);
    tx_pacer_send(&ln->pacer, bytes, s->last_len, event);
    free(bytes);
    ln->answers++;
}

static void make_frame(station *s, uint8_t control, bool segmented, const uint8_t *info, size_t len) {
    s->last_len = hdlc_encode(s->last, sizeof s->last, &s->client, &s->addr, control, segmented, info, len);
    send_frame(s);
}

static void send_resp_segment(station *s) {
    size_t left = s->resp_len - s->resp_off;
    size_t len = left < s->max_tx ? left : s->max_tx;
    bool more = len < left;
    make_frame(s, hdlc_ctrl_i(s->vr, s->vs, true), more, s->resp + s->resp_off, len);
    s->resp_off += len;
    s->vs = (s->vs + 1) & 7;
    if (more) s->line->segments++;
}

/* ---- the HDLC server station ----------------------------------------------------------- */

static void on_snrm(station *s, const hdlc_frame *f) {
    hdlc_params p;
    if (!hdlc_params_decode(f->info, f->info_len, &p)) {
        make_frame(s, HDLC_FRMR, false, NULL, 0);
        return;
    }
    size_t own = s->line->spec.max_info;
    s->max_tx = p.max_info_rx < own ? p.max_info_rx : own; /* what the client can take */
    s->max_rx = p.max_info_tx < own ? p.max_info_tx : own;
    s->client = f->src;
    s->connected = true;
    s->vs = s->vr = 0;
    s->req_len = s->resp_len = s->resp_off = 0;
    dlms_meter_reset(s->meter); /* a new link: no association */
    hdlc_params mine = {.max_info_tx = (uint16_t)s->max_tx, .max_info_rx = (uint16_t)s->max_rx,
                        .window_tx = 1, .window_rx = 1};
    uint8_t info[32];
    size_t n = hdlc_params_encode(info, sizeof info, &mine);
    make_frame(s, HDLC_UA, false, info, n);
}

static void on_request_complete(station *s) {
    uint8_t out[APDU_MAX];
    if (s->req_len < LLC_LEN || memcmp(s->req, HDLC_LLC_REQUEST, 2) != 0) {
        s->req_len = 0;
        make_frame(s, hdlc_ctrl_rr(s->vr, true), false, NULL, 0);
        return;
    }
    size_t n = dlms_meter_handle(s->meter, s->req + LLC_LEN, s->req_len - LLC_LEN, out, sizeof out);
    s->req_len = 0;
    if (!n) {
        make_frame(s, hdlc_ctrl_rr(s->vr, true), false, NULL, 0);
        return;
    }
    memcpy(s->resp, HDLC_LLC_RESPONSE, LLC_LEN);
    memcpy(s->resp + LLC_LEN, out, n);
    s->resp_len = LLC_LEN + n;
    s->resp_off = 0;
    send_resp_segment(s);
}

static void on_info(station *s, const hdlc_frame *f) {
    if (hdlc_ctrl_ns(f->control) != s->vr) { /* a repeat: our answer was lost */
        send_frame(s);
        return;
    }
    if (f->info_len > s->max_rx || s->req_len + f->info_len > sizeof s->req) {
        make_frame(s, HDLC_FRMR, false, NULL, 0);
        s->connected = false;
        return;
    }
    s->vr = (s->vr + 1) & 7;
    memcpy(s->req + s->req_len, f->info, f->info_len);
    s->req_len += f->info_len;
    if (f->segmented) make_frame(s, hdlc_ctrl_rr(s->vr, true), false, NULL, 0);
    else on_request_complete(s);
}

static void on_frame(station *s, const hdlc_frame *f) {
    hdlc_kind k = hdlc_control_kind(f->control);
    if (k == HDLC_KIND_SNRM) {
        on_snrm(s, f);
        return;
    }
    if (k == HDLC_KIND_DISC) {
        bool was = s->connected;
        s->connected = false;
        dlms_meter_reset(s->meter);
        s->client = f->src;
        make_frame(s, was ? HDLC_UA : HDLC_DM, false, NULL, 0);
        return;
    }
    if (!s->connected) {
        s->client = f->src;
        make_frame(s, HDLC_DM, false, NULL, 0);
        return;
    }
    if (k == HDLC_KIND_I) on_info(s, f);
    else if (k == HDLC_KIND_RR) {
        if (s->resp_off < s->resp_len && hdlc_ctrl_nr(f->control) == s->vs) send_resp_segment(s);
        else send_frame(s); /* the last segment did not arrive: again */
    }
}

static station *station_for(rs485_line *ln, const hdlc_addr *dest) {
    for (size_t i = 0; i < ln->n; i++)
        if (hdlc_addr_equal(&ln->st[i].addr, dest)) return &ln->st[i];
    return NULL;
}

/* ---- bytes from the gateway ------------------------------------------------------------- */

static void parse_frames(rs485_line *ln) {
    hdlc_frame f;
    const uint8_t *raw;
    size_t raw_len;
    const char *why;
    hdlc_result r;
    while ((r = hdlc_stream_next(&ln->rx, &f, &raw, &raw_len, &why)) != HDLC_NEED_MORE) {
        char what[64], event[128];
        station *s = NULL;
        if (r == HDLC_BAD) {
            snprintf(event, sizeof event, "bad frame: %s", why);
        } else {
            s = station_for(ln, &f.dest);
            ln->frames++;
            describe(f.control, &f, what, sizeof what);
            snprintf(event, sizeof event, "%s to %u/%u%s", what, f.dest.upper, f.dest.lower,
                     s ? "" : " (no such meter)");
        }
        trace_add(ln->tr, ln->spec.name, TRACE_GW_TO_BUS, (unsigned)ln->spec.baud, ln->rx_start_ns,
                  ln->wire_end_ns, raw, raw_len, event);
        if (s) on_frame(s, &f);
        else if (r == HDLC_OK) ln->ignored++;
        ln->rx_start_ns = ln->wire_end_ns;
    }
}

/* The answers are written by the pacer's timers, never from here (docs/virtual-time.md). */
static void on_readable(gw_loop *loop, int fd, unsigned events, void *arg) {
    rs485_line *ln = arg;
    uint8_t buf[512];
    for (;;) {
        ssize_t n = iochan_read(ln->pty.io, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        int64_t now = clock_mono_ns();
        int64_t gap = 20 * NS_PER_MS + 10 * ln->byte_ns;
        if (ln->rx.len && now - ln->wire_end_ns > gap) ln->rx.len = 0; /* inter-frame timeout */
        if (ln->rx.len == 0) ln->rx_start_ns = now > ln->wire_end_ns ? now : ln->wire_end_ns;
        ln->wire_end_ns = (now > ln->wire_end_ns ? now : ln->wire_end_ns) + n * ln->byte_ns;
        if ((size_t)n > hdlc_stream_room(&ln->rx)) ln->rx.len = 0;
        memcpy(ln->rx.buf + ln->rx.len, buf, (size_t)n);
        ln->rx.len += (size_t)n;
        parse_frames(ln);
    }
}

/* ---- set-up ------------------------------------------------------------------------------ */

rs485_line *rs485_line_new(const hplc_net_spec *spec, gw_loop *loop, trace *tr, char *err, size_t errlen) {
    rs485_line *ln = calloc(1, sizeof *ln);
    if (!ln) return NULL;
    ln->spec = *spec;
    ln->loop = loop;
    ln->tr = tr;
    ln->byte_ns = 10 * NS_PER_S / spec->baud; /* 8N1 */
    ln->n = spec->nodes;
    ln->st = calloc(ln->n, sizeof *ln->st);
    if (!ln->st || pty_channel_open(&ln->pty, (unsigned)spec->baud, err, errlen) < 0) {
        free(ln->st);
        free(ln);
        return NULL;
    }
    ln->pty_open = true;
    tx_pacer_init(&ln->pacer, loop, ln->pty.io, tr, spec->name, (unsigned)spec->baud);
    ln->pacer.byte_ns = ln->byte_ns;
    for (size_t i = 0; i < ln->n; i++) {
        station *s = &ln->st[i];
        dlms_meter_spec ms;
        hplc_node_meter_spec(spec, i, &ms); /* the same meters as on a power line */
        s->line = ln;
        s->index = i;
        s->addr = hdlc_server_addr(spec->logical, (uint16_t)(spec->physical + i), 0);
        s->max_tx = s->max_rx = HDLC_DEFAULT_INFO;
        s->meter = dlms_meter_new(&ms, clock_wall_ns());
        if (!s->meter) {
            snprintf(err, errlen, "dlms line %s: out of memory", spec->name);
            rs485_line_free(ln);
            return NULL;
        }
    }
    return ln;
}

int rs485_line_start(rs485_line *ln) {
    return loop_add_fd(ln->loop, ln->pty.master, LOOP_READ, on_readable, ln);
}

const char *rs485_line_path(const rs485_line *ln) { return ln->pty.path; }
const char *rs485_line_name(const rs485_line *ln) { return ln->spec.name; }

int rs485_line_write_stats(const rs485_line *ln, const char *path) {
    FILE *f = fopen(path, "w");
    if (!f) return -1;
    unsigned blocks = 0;
    for (size_t i = 0; i < ln->n; i++) blocks += dlms_meter_blocks_sent(ln->st[i].meter);
    fprintf(f, "{\"line\":\"%s\",\"meters\":%zu,\"frames\":%llu,\"answers\":%llu,\"segments\":%llu,"
               "\"blocks\":%u,\"ignored\":%llu}\n",
            ln->spec.name, ln->n, (unsigned long long)ln->frames, (unsigned long long)ln->answers,
            (unsigned long long)ln->segments, blocks, (unsigned long long)ln->ignored);
    return fclose(f);
}

void rs485_line_free(rs485_line *ln) {
    if (!ln) return;
    tx_pacer_free(&ln->pacer);
    if (ln->pty_open) {
        loop_del_fd(ln->loop, ln->pty.master);
        pty_channel_close(&ln->pty);
    }
    for (size_t i = 0; i < ln->n; i++) dlms_meter_free(ln->st[i].meter);
    free(ln->st);
    free(ln);
}
