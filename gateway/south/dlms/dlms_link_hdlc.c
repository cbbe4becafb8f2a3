/* dlms_link_hdlc: DLMS over HDLC (IEC 62056-46) on an RS-485 multi-drop line.
 *
 * Several meters share one serial port (the network's device): one hdlc_line
 * per device, one hdlc_link per meter. Only one transaction is on the line at a
 * time: a link that wants to send while another waits for its answer queues
 * until that answer (or the response timeout) has come. The session above sends
 * whole APDUs: the link opens the connection (SNRM/UA, negotiating information
 * field lengths and window 1), sends the APDU in I-frames segmented to the
 * negotiated length (S bit, the meter acknowledges each non-final segment with
 * RR), collects the answer's segments (asking for each with RR) and hands the
 * whole APDU up. A session retry sends the same APDU again: the link then
 * repeats its last frame (same N(S)), as HDLC retransmission does. DISC ends
 * the connection when the session is over.
 *
 * Timing from the loop's clock: a partial frame is dropped after an inter-frame
 * gap without bytes; the line is given up to the next meter after the response
 * timeout (the network's timeout) when a frame gets no answer. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/clock.h"
#include "codec/dlms/dlms_hdlc.h"
#include "south/dlms/dlms_link.h"
#include "core/iochan.h"
#include "core/log.h"
#include "south/serial/serial_port.h"

#define MOD "dlms"
#define LLC_LEN 3
#define HDLC_APDU_MAX 1024   /* the largest APDU the client proposes over HDLC */
#define MAX_WAITING 64

typedef struct hdlc_link hdlc_link;

typedef struct hdlc_line {
    struct hdlc_line *next;
    char *device;
    long baud;
    int fd;
    iochan *ch;
    gw_loop *loop;
    int refs;
    int64_t byte_ns, gap_ns, response_ns;
    hdlc_stream rx;
    loop_timer_id gap_timer, response_timer;
    hdlc_link *owner;                 /* waits for an answer on the line */
    hdlc_link *waiting[MAX_WAITING];  /* want to send, in order */
    size_t n_waiting;
} hdlc_line;

typedef enum { LINK_DOWN, LINK_CONNECTING, LINK_UP, LINK_DISCONNECTING } link_state;

/* Starts with the network pointer like every link (dlms_link.c dispatches on it). */
struct hdlc_link {
    const dlms_network_cfg *net;
    const dlms_meter_cfg *meter;
    hdlc_line *line;
    dlms_apdu_cb on_apdu;
    dlms_link_error_cb on_error;
    void *arg;
    hdlc_addr client, server;
    link_state state;
    unsigned vs, vr;
    size_t max_tx;                       /* information field we may send */
    uint8_t req[LLC_LEN + HDLC_APDU_MAX]; /* LLC + APDU being sent */
    size_t req_len, req_off;
    bool exchange;                       /* a request is under way */
    uint8_t resp[LLC_LEN + 8 * HDLC_APDU_MAX];
    size_t resp_len;
    uint8_t frame[HDLC_MAX_FRAME];       /* last frame sent, or queued */
    size_t frame_len;
    bool queued;
};

static hdlc_line *lines; /* every open line, by device */

/* ---- the line: one transaction at a time ------------------------------------------ */

static void on_line_readable(gw_loop *loop, int fd, unsigned events, void *arg);
static void link_frame(hdlc_link *l, const hdlc_frame *f);

static void write_frame(hdlc_line *ln, hdlc_link *l) {
    size_t off = 0;
    while (off < l->frame_len) {
        ssize_t w = iochan_write(ln->ch, l->frame + off, l->frame_len - off);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            log_warn(MOD, "%s: write: %s", ln->device, w < 0 ? strerror(errno) : "nothing written");
            break;
        }
        off += (size_t)w;
    }
}

static void on_response_timeout(gw_loop *loop, void *arg);

/* The frame in l->frame goes out now, or after the transaction on the line. */
static void transmit(hdlc_link *l) {
    hdlc_line *ln = l->line;
    if (ln->owner && ln->owner != l) {
        if (!l->queued && ln->n_waiting < MAX_WAITING) {
            ln->waiting[ln->n_waiting++] = l;
            l->queued = true;
        }
        return;
    }
    ln->owner = l;
    write_frame(ln, l);
    loop_timer_cancel(ln->loop, ln->response_timer);
    /* the frame takes its wire time before the meter can even start answering */
    ln->response_timer = loop_timer_after(ln->loop, ln->response_ns + (int64_t)l->frame_len * ln->byte_ns,
                                          on_response_timeout, ln);
}

static void release_line(hdlc_line *ln) {
    loop_timer_cancel(ln->loop, ln->response_timer);
    ln->response_timer = 0;
    ln->owner = NULL;
    while (!ln->owner && ln->n_waiting > 0) {
        hdlc_link *next = ln->waiting[0];
        memmove(ln->waiting, ln->waiting + 1, --ln->n_waiting * sizeof *ln->waiting);
        next->queued = false;
        transmit(next);
    }
}

static void on_response_timeout(gw_loop *loop, void *arg) {
    hdlc_line *ln = arg;
    ln->response_timer = 0;
    hdlc_link *l = ln->owner;
    if (l && l->state == LINK_DISCONNECTING) l->state = LINK_DOWN; /* DISC unanswered: gone anyway */
    /* otherwise the session's own timeout repeats the frame or gives up */
    release_line(ln);
}

static void on_gap(gw_loop *loop, void *arg) {
    hdlc_line *ln = arg;
    ln->gap_timer = 0;
    if (ln->rx.len) log_debug(MOD, "%s: %zu bytes of an incomplete frame dropped", ln->device, ln->rx.len);
    ln->rx.len = 0;
}

static hdlc_link *addressee(hdlc_line *ln, const hdlc_frame *f) {
    hdlc_link *o = ln->owner;
    if (o && hdlc_addr_equal(&f->dest, &o->client) && hdlc_addr_equal(&f->src, &o->server)) return o;
    return NULL;
}

static void parse_rx(hdlc_line *ln) {
    hdlc_frame f;
    const char *why;
    hdlc_result r;
    while ((r = hdlc_stream_next(&ln->rx, &f, NULL, NULL, &why)) != HDLC_NEED_MORE) {
        if (r == HDLC_BAD) {
            log_debug(MOD, "%s: bad frame dropped: %s", ln->device, why);
            continue;
        }
        hdlc_link *l = addressee(ln, &f);
        if (l) link_frame(l, &f); /* f.info points into the stream: used before the next frame */
        else log_debug(MOD, "%s: frame for another station ignored", ln->device);
    }
}

static void on_line_readable(gw_loop *loop, int fd, unsigned events, void *arg) {
    hdlc_line *ln = arg;
    for (;;) {
        size_t room = hdlc_stream_room(&ln->rx);
        ssize_t n = iochan_read(ln->ch, ln->rx.buf + ln->rx.len, room);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        ln->rx.len += (size_t)n;
    }
    parse_rx(ln);
    loop_timer_cancel(loop, ln->gap_timer);
    ln->gap_timer = ln->rx.len ? loop_timer_after(loop, ln->gap_ns, on_gap, ln) : 0;
}

static hdlc_line *line_get(const dlms_network_cfg *n, gw_loop *loop, char *err, size_t errlen) {
    for (hdlc_line *ln = lines; ln; ln = ln->next)
        if (strcmp(ln->device, n->device) == 0) {
            if (ln->baud != n->baud) {
                snprintf(err, errlen, "dlms %s: %s is already used at %ld baud", n->name, n->device, ln->baud);
                return NULL;
            }
            ln->refs++;
            return ln;
        }
    hdlc_line *ln = calloc(1, sizeof *ln);
    if (!ln) return NULL;
    ln->device = strdup(n->device);
    ln->baud = n->baud;
    ln->loop = loop;
    ln->refs = 1;
    /* 10 bits a byte (8N1); bytes closer than the gap belong to one frame */
    ln->byte_ns = 10 * NS_PER_S / n->baud;
    ln->gap_ns = 20 * NS_PER_MS + 10 * ln->byte_ns;
    ln->response_ns = n->timeout_ns;
    ln->fd = ln->device ? serial_open_framed(n->device, n->baud, SERIAL_8N1, err, errlen) : -1;
    if (ln->fd < 0 || !(ln->ch = iochan_open(ln->fd, n->device, false)) ||
        loop_add_fd(loop, ln->fd, LOOP_READ, on_line_readable, ln) != 0) {
        if (ln->fd >= 0) {
            snprintf(err, errlen, "dlms %s: cannot watch %s", n->name, n->device);
            if (ln->ch) iochan_close(ln->ch);
            close(ln->fd);
        }
        free(ln->device);
        free(ln);
        return NULL;
    }
    ln->next = lines;
    lines = ln;
    return ln;
}

static void line_put(hdlc_line *ln, hdlc_link *l) {
    if (ln->owner == l) release_line(ln);
    for (size_t i = 0; i < ln->n_waiting; i++)
        if (ln->waiting[i] == l) {
            memmove(ln->waiting + i, ln->waiting + i + 1, (ln->n_waiting - i - 1) * sizeof *ln->waiting);
            ln->n_waiting--;
            break;
        }
    if (--ln->refs > 0) return;
    for (hdlc_line **pp = &lines; *pp; pp = &(*pp)->next)
        if (*pp == ln) {
            *pp = ln->next;
            break;
        }
    loop_timer_cancel(ln->loop, ln->gap_timer);
    loop_timer_cancel(ln->loop, ln->response_timer);
    loop_del_fd(ln->loop, ln->fd);
    iochan_close(ln->ch);
    close(ln->fd);
    free(ln->device);
    free(ln);
}

/* ---- one meter's connection --------------------------------------------------------- */

static bool make_frame(hdlc_link *l, uint8_t control, bool segmented, const uint8_t *info, size_t len) {
    l->frame_len = hdlc_encode(l->frame, sizeof l->frame, &l->server, &l->client, control, segmented,
                               info, len);
    return l->frame_len > 0;
}

static void send_snrm(hdlc_link *l) {
    hdlc_params p = {.max_info_tx = (uint16_t)l->net->max_bytes, .max_info_rx = (uint16_t)l->net->max_bytes,
                     .window_tx = 1, .window_rx = 1};
    uint8_t info[32];
    size_t n = hdlc_params_encode(info, sizeof info, &p);
    l->state = LINK_CONNECTING;
    if (make_frame(l, HDLC_SNRM, false, info, n)) transmit(l);
}

static void send_segment(hdlc_link *l) {
    size_t left = l->req_len - l->req_off;
    size_t len = left < l->max_tx ? left : l->max_tx;
    bool more = len < left;
    if (!make_frame(l, hdlc_ctrl_i(l->vr, l->vs, true), more, l->req + l->req_off, len)) return;
    l->req_off += len;
    l->vs = (l->vs + 1) & 7;
    transmit(l);
}

static void send_rr(hdlc_link *l) {
    if (make_frame(l, hdlc_ctrl_rr(l->vr, true), false, NULL, 0)) transmit(l);
}

static void fail_link(hdlc_link *l, const char *why) {
    l->state = LINK_DOWN;
    l->exchange = false;
    release_line(l->line);
    l->on_error(l->arg, why);
}

static void on_ua(hdlc_link *l, const hdlc_frame *f) {
    hdlc_params p;
    if (!hdlc_params_decode(f->info, f->info_len, &p)) {
        fail_link(l, "UA with unreadable link parameters");
        return;
    }
    /* the meter's receive limit caps what we send */
    l->max_tx = l->net->max_bytes < p.max_info_rx ? l->net->max_bytes : p.max_info_rx;
    if (l->max_tx < 16) l->max_tx = 16;
    l->state = LINK_UP;
    l->vs = l->vr = 0;
    release_line(l->line);
    if (l->exchange) send_segment(l);
}

static void on_info(hdlc_link *l, const hdlc_frame *f) {
    if (hdlc_ctrl_ns(f->control) != l->vr) { /* a repeat of what we have: ask again */
        send_rr(l);
        return;
    }
    l->vr = (l->vr + 1) & 7;
    if (l->resp_len + f->info_len > sizeof l->resp) {
        fail_link(l, "answer larger than the receive buffer");
        return;
    }
    memcpy(l->resp + l->resp_len, f->info, f->info_len);
    l->resp_len += f->info_len;
    if (f->segmented) {
        send_rr(l);
        return;
    }
    release_line(l->line);
    l->exchange = false;
    if (l->resp_len < LLC_LEN || memcmp(l->resp, HDLC_LLC_RESPONSE, 2) != 0) {
        log_debug(MOD, "%s: I-frame without the LLC response header dropped", l->meter->name);
        return;
    }
    l->on_apdu(l->arg, l->resp + LLC_LEN, l->resp_len - LLC_LEN);
}

/* A frame from our meter while it had the line. */
static void link_frame(hdlc_link *l, const hdlc_frame *f) {
    hdlc_kind k = hdlc_control_kind(f->control);
    switch (l->state) {
    case LINK_CONNECTING:
        if (k == HDLC_KIND_UA) on_ua(l, f);
        else if (k == HDLC_KIND_DM) fail_link(l, "the meter refused the connection (DM)");
        return;
    case LINK_DISCONNECTING:
        if (k == HDLC_KIND_UA || k == HDLC_KIND_DM) {
            l->state = LINK_DOWN;
            release_line(l->line);
        }
        return;
    case LINK_UP:
        if (k == HDLC_KIND_I) on_info(l, f);
        else if (k == HDLC_KIND_RR && l->exchange && l->req_off < l->req_len) {
            release_line(l->line);
            send_segment(l);
        } else if (k == HDLC_KIND_RNR) {
            release_line(l->line); /* busy: the session's timeout repeats the frame */
        } else if (k == HDLC_KIND_DM || k == HDLC_KIND_FRMR) {
            fail_link(l, k == HDLC_KIND_DM ? "the meter dropped the connection (DM)"
                                           : "the meter rejected a frame (FRMR)");
        } else {
            release_line(l->line); /* unexpected: the session's timeout repeats the frame */
        }
        return;
    case LINK_DOWN:
        return;
    }
}

dlms_link *dlms_link_hdlc_open(const dlms_network_cfg *n, const dlms_meter_cfg *m, gw_loop *loop,
                               dlms_apdu_cb on_apdu, dlms_link_error_cb on_error, void *arg,
                               char *err, size_t errlen) {
    hdlc_link *l = calloc(1, sizeof *l);
    if (!l) return NULL;
    l->net = n;
    l->meter = m;
    l->on_apdu = on_apdu;
    l->on_error = on_error;
    l->arg = arg;
    l->client = hdlc_client_addr(m->client);
    l->server = hdlc_server_addr(m->logical, m->physical, m->addr_size);
    l->max_tx = n->max_bytes;
    l->line = line_get(n, loop, err, errlen);
    if (!l->line) {
        free(l);
        return NULL;
    }
    return (dlms_link *)l;
}

int dlms_link_hdlc_send(dlms_link *link, const uint8_t *apdu, size_t len) {
    hdlc_link *l = (hdlc_link *)link;
    if (len > HDLC_APDU_MAX) return -1;
    bool repeat = l->exchange && l->req_len == LLC_LEN + len && memcmp(l->req + LLC_LEN, apdu, len) == 0;
    if (repeat && l->frame_len && l->state != LINK_DOWN) {
        transmit(l); /* HDLC retransmission: the same frame, the same N(S) */
        return 0;
    }
    memcpy(l->req, HDLC_LLC_REQUEST, LLC_LEN);
    memcpy(l->req + LLC_LEN, apdu, len);
    l->req_len = LLC_LEN + len;
    l->req_off = 0;
    l->resp_len = 0;
    l->exchange = true;
    if (l->state == LINK_UP) send_segment(l);
    else send_snrm(l);
    return 0;
}

size_t dlms_link_hdlc_max_apdu(const dlms_link *link) {
    (void)link;
    return HDLC_APDU_MAX;
}

void dlms_link_hdlc_close_session(dlms_link *link) {
    hdlc_link *l = (hdlc_link *)link;
    l->exchange = false;
    if (l->state == LINK_DOWN) return;
    l->state = LINK_DISCONNECTING;
    if (make_frame(l, HDLC_DISC, false, NULL, 0)) transmit(l);
}

void dlms_link_hdlc_free(dlms_link *link) {
    hdlc_link *l = (hdlc_link *)link;
    if (!l) return;
    line_put(l->line, l);
    free(l);
}
