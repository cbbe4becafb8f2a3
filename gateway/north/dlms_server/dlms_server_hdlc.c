/* dlms_server_hdlc: the DLMS server on a serial port with HDLC (IEC 62056-46,
 * frame format type 3), as a meter on an RS-485 line answers: the server's
 * address is {logical_device, physical}; frames for other addresses are
 * someone else's and ignored. One client station at a time (the last SNRM's
 * sender). SNRM -> UA with the negotiated information field lengths (window
 * 1), I-frames carrying LLC + APDU (a segmented request is acknowledged with
 * RR per segment; a long answer goes out segment by segment, each fetched by
 * the client's RR), DISC -> UA (DM when not connected), anything else while
 * not connected -> DM. A repeated I-frame (our answer was lost) gets the last
 * frame again. Every byte goes through iochan. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "core/iochan.h"
#include "core/log.h"
#include "codec/dlms/dlms_hdlc.h"
#include "north/dlms_server/dlms_server_int.h"
#include "north/dlms_server/dlms_server_objects.h"
#include "north/dlms_server/dlms_server_session.h"

#define MOD "dlms_server"
#define LLC_LEN 3
#define REQ_MAX (LLC_LEN + 65535)

struct dlms_hdlc_port {
    dlms_server *srv;
    int fd;
    iochan *ch;
    hdlc_stream rx;
    hdlc_addr addr, client;
    bool connected;
    unsigned vs, vr;
    size_t max_tx, max_rx;
    uint8_t *req, *resp;      /* LLC + APDU in and out */
    size_t req_len, resp_len, resp_off;
    uint8_t last[HDLC_MAX_FRAME];
    size_t last_len;
    dlms_srv_objects objects;
    dlms_srv_params params;
    dlms_session session;
};

/* ---- the line ---------------------------------------------------------------------- */

static speed_t speed_of(long long baud) {
    switch (baud) {
    case 300: return B300;
    case 1200: return B1200;
    case 2400: return B2400;
    case 4800: return B4800;
    case 19200: return B19200;
    case 38400: return B38400;
    case 57600: return B57600;
    case 115200: return B115200;
    default: return B9600;
    }
}

/* Raw 8N1 at baud, non-blocking (the loop waits). */
static int open_tty(const char *device, long long baud, char *err, size_t cap) {
    int fd = open(device, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    struct termios t;
    if (fd < 0 || tcgetattr(fd, &t) != 0) {
        snprintf(err, cap, "dlms_server: hdlc %s: %s", device, strerror(errno));
        if (fd >= 0) close(fd);
        return -1;
    }
    cfmakeraw(&t);
    t.c_cflag |= CLOCAL | CREAD;
    t.c_cflag &= ~(CRTSCTS | PARENB | CSTOPB);
    cfsetispeed(&t, speed_of(baud));
    cfsetospeed(&t, speed_of(baud));
    tcsetattr(fd, TCSANOW, &t);
    tcflush(fd, TCIFLUSH);
    return fd;
}

static void send_last(dlms_hdlc_port *p) {
    size_t off = 0;
    while (off < p->last_len) {
        ssize_t n = iochan_write(p->ch, p->last + off, p->last_len - off);
        if (n <= 0) {
            log_warn(MOD, "hdlc %s: cannot send: %s", p->srv->cfg->hdlc_device, n < 0 ? strerror(errno) : "closed");
            return;
        }
        off += (size_t)n;
    }
}

static void frame(dlms_hdlc_port *p, uint8_t control, bool segmented, const uint8_t *info, size_t len) {
    p->last_len = hdlc_encode(p->last, sizeof p->last, &p->client, &p->addr, control, segmented, info, len);
    send_last(p);
}

/* ---- the station ---------------------------------------------------------------------- */

static void send_segment(dlms_hdlc_port *p) {
    size_t left = p->resp_len - p->resp_off, len = left < p->max_tx ? left : p->max_tx;
    frame(p, hdlc_ctrl_i(p->vr, p->vs, true), len < left, p->resp + p->resp_off, len);
    p->resp_off += len;
    p->vs = (p->vs + 1) & 7;
}

static void on_snrm(dlms_hdlc_port *p, const hdlc_frame *f) {
    hdlc_params c;
    p->client = f->src;
    if (!hdlc_params_decode(f->info, f->info_len, &c)) {
        frame(p, HDLC_FRMR, false, NULL, 0);
        return;
    }
    size_t own = p->srv->cfg->hdlc_max_info;
    p->max_tx = c.max_info_rx < own ? c.max_info_rx : own; /* what the client takes */
    p->max_rx = c.max_info_tx < own ? c.max_info_tx : own;
    if (p->max_tx < 16) p->max_tx = 16;
    p->connected = true;
    p->vs = p->vr = 0;
    p->req_len = p->resp_len = p->resp_off = 0;
    dlms_session_reset(&p->session); /* a new link: no association */
    hdlc_params mine = {.max_info_tx = (uint16_t)p->max_tx, .max_info_rx = (uint16_t)p->max_rx,
                        .window_tx = 1, .window_rx = 1};
    uint8_t info[32];
    frame(p, HDLC_UA, false, info, hdlc_params_encode(info, sizeof info, &mine));
}

static void on_request(dlms_hdlc_port *p) {
    size_t len = p->req_len;
    p->req_len = 0;
    if (len < LLC_LEN || memcmp(p->req, HDLC_LLC_REQUEST, 2) != 0) {
        log_debug(MOD, "hdlc: an I-frame without the LLC request header dropped");
        frame(p, hdlc_ctrl_rr(p->vr, true), false, NULL, 0);
        return;
    }
    size_t n = dlms_session_handle(&p->session, (uint8_t)p->client.upper, p->req + LLC_LEN, len - LLC_LEN,
                                   p->resp + LLC_LEN, REQ_MAX - LLC_LEN);
    if (!n) {
        frame(p, hdlc_ctrl_rr(p->vr, true), false, NULL, 0);
        return;
    }
    memcpy(p->resp, HDLC_LLC_RESPONSE, LLC_LEN);
    p->resp_len = LLC_LEN + n;
    p->resp_off = 0;
    send_segment(p);
}

static void on_info(dlms_hdlc_port *p, const hdlc_frame *f) {
    if (hdlc_ctrl_ns(f->control) != p->vr) { /* a repeat: our answer was lost */
        send_last(p);
        return;
    }
    if (f->info_len > p->max_rx || p->req_len + f->info_len > REQ_MAX) {
        frame(p, HDLC_FRMR, false, NULL, 0);
        p->connected = false;
        dlms_session_reset(&p->session);
        return;
    }
    p->vr = (p->vr + 1) & 7;
    memcpy(p->req + p->req_len, f->info, f->info_len);
    p->req_len += f->info_len;
    if (f->segmented) frame(p, hdlc_ctrl_rr(p->vr, true), false, NULL, 0);
    else on_request(p);
}

static void on_frame(dlms_hdlc_port *p, const hdlc_frame *f) {
    hdlc_kind k = hdlc_control_kind(f->control);
    if (k == HDLC_KIND_SNRM) {
        on_snrm(p, f);
    } else if (k == HDLC_KIND_DISC) {
        bool was = p->connected;
        p->connected = false;
        p->client = f->src;
        dlms_session_reset(&p->session);
        frame(p, was ? HDLC_UA : HDLC_DM, false, NULL, 0);
    } else if (!p->connected || !hdlc_addr_equal(&f->src, &p->client)) {
        p->client = f->src;
        frame(p, HDLC_DM, false, NULL, 0);
    } else if (k == HDLC_KIND_I) {
        on_info(p, f);
    } else if (k == HDLC_KIND_RR) {
        if (p->resp_off < p->resp_len && hdlc_ctrl_nr(f->control) == p->vs) send_segment(p);
        else send_last(p); /* our last frame did not arrive: again */
    }
}

static bool for_us(const dlms_hdlc_port *p, const hdlc_addr *dest) {
    return dest->upper == p->addr.upper && (dest->size == 1 ? p->addr.lower == 0 : dest->lower == p->addr.lower);
}

static void on_readable(gw_loop *loop, int fd, unsigned events, void *arg) {
    dlms_hdlc_port *p = arg;
    hdlc_frame f;
    const char *why = "";
    size_t room = hdlc_stream_room(&p->rx);
    ssize_t n = iochan_read(p->ch, p->rx.buf + p->rx.len, room);
    if (n <= 0) return;
    p->rx.len += (size_t)n;
    hdlc_result r;
    while ((r = hdlc_stream_next(&p->rx, &f, NULL, NULL, &why)) != HDLC_NEED_MORE) {
        if (r == HDLC_BAD) log_debug(MOD, "hdlc: a frame dropped: %s", why);
        else if (for_us(p, &f.dest)) on_frame(p, &f);
    }
}

/* ---- open and close ---------------------------------------------------------------------- */

static uint32_t next_fc(void *arg) { return dlms_server_fc(((dlms_hdlc_port *)arg)->srv); }

static uint8_t get_object(void *arg, const cosem_ref *ref, const dlms_access *acc, bool identity_only,
                          axdr_writer *w) {
    dlms_hdlc_port *p = arg;
    p->objects.client = p->session.client ? p->session.client->sap : 0;
    return dlms_srv_objects_get(&p->objects, ref, acc, identity_only, w);
}

dlms_hdlc_port *dlms_hdlc_open(dlms_server *s, char *err, size_t cap) {
    const dlms_server_config *c = s->cfg;
    dlms_hdlc_port *p = calloc(1, sizeof *p);
    if (!p || !(p->req = malloc(REQ_MAX)) || !(p->resp = malloc(REQ_MAX))) {
        snprintf(err, cap, "dlms_server: out of memory");
        goto fail;
    }
    p->srv = s;
    if ((p->fd = open_tty(c->hdlc_device, c->hdlc_baud, err, cap)) < 0) goto fail;
    p->addr = hdlc_server_addr(c->logical, c->hdlc_physical, 0);
    p->objects = (dlms_srv_objects){.cfg = c, .hub = s->hub, .store = s->store};
    p->params = (dlms_srv_params){.cfg = c, .get = get_object, .arg = p, .random = dlms_server_random,
                                  .next_fc = next_fc};
    dlms_session_init(&p->session, &p->params);
    if (!(p->ch = iochan_open(p->fd, c->hdlc_device, false)) ||
        loop_add_fd(s->loop, p->fd, LOOP_READ, on_readable, p) < 0) {
        snprintf(err, cap, "dlms_server: hdlc %s: cannot watch the port", c->hdlc_device);
        if (p->ch) iochan_close(p->ch);
        close(p->fd);
        goto fail;
    }
    log_info(MOD, "HDLC on %s at %lld baud (server address %u/%u)", c->hdlc_device, c->hdlc_baud, c->logical,
             c->hdlc_physical);
    return p;
fail:
    if (p) {
        free(p->req);
        free(p->resp);
    }
    free(p);
    return NULL;
}

void dlms_hdlc_close(dlms_hdlc_port *p) {
    if (!p) return;
    loop_del_fd(p->srv->loop, p->fd);
    iochan_close(p->ch);
    close(p->fd);
    dlms_session_reset(&p->session);
    free(p->req);
    free(p->resp);
    free(p);
}
