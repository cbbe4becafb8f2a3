/* dlms_server_tcp: the listening socket, the connections and their wrapper
 * framing (see dlms_server.h). Every byte goes through iochan.
 *
 * A wrapper PDU for another logical device than the server's is dropped; one
 * longer than max_pdu is read past (its bytes discarded) and refused with an
 * ExceptionResponse pdu-too-long; a header that is not version 1 closes the
 * connection (a TCP stream cannot find the next header again). A connection
 * silent for idle_timeout is closed; when max_connections are open, a new
 * connection is refused (closed at once). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/iochan.h"
#include "core/log.h"
#include "codec/dlms/dlms_wrapper.h"
#include "north/dlms_server/dlms_server.h"
#include "north/dlms_server/dlms_server_int.h"
#include "north/dlms_server/dlms_server_objects.h"
#include "north/dlms_server/dlms_server_session.h"

#define MOD "dlms_server"
#define FC_KEY "dlms_server/fc"
#define FC_RESERVE 1024 /* frame counters put aside per write of the state */

typedef struct conn conn;

struct conn {
    dlms_server *srv;
    int fd;
    iochan *ch;
    loop_timer_id idle;
    dlms_srv_objects objects;
    dlms_srv_params params;
    dlms_session session;
    uint8_t *rx;
    size_t rx_len, discard;
    uint16_t discard_src;
    uint8_t *out;             /* answer bytes the socket did not take yet */
    size_t out_len;
};

static size_t rx_cap(const dlms_server *s) { return WRAPPER_HEADER + s->cfg->max_pdu; }

/* ---- the session's hooks ----------------------------------------------------------------- */

void dlms_server_random(void *arg, uint8_t *out, size_t n) {
    (void)arg;
    size_t got = 0;
    while (got < n) {
        ssize_t r = getrandom(out + got, n - got, 0);
        if (r <= 0) break;
        got += (size_t)r;
    }
    for (; got < n; got++) out[got] = (uint8_t)(clock_mono_ns() >> (got % 8));
}

/* Frame counters never go back across a restart: the state keeps a value
 * ahead of every counter used, moved on FC_RESERVE at a time. */
uint32_t dlms_server_fc(dlms_server *s) {
    if (s->fc >= s->fc_reserved) {
        s->fc_reserved = s->fc + FC_RESERVE;
        if (s->state && !gw_state_put(s->state, FC_KEY, s->fc_reserved))
            log_warn(MOD, "the frame counter could not be kept in the store");
    }
    return s->fc++;
}

static uint32_t next_fc(void *arg) { return dlms_server_fc(((conn *)arg)->srv); }

static uint8_t get_object(void *arg, const cosem_ref *ref, const dlms_access *acc, bool identity_only,
                          axdr_writer *w) {
    conn *c = arg;
    c->objects.client = c->session.client ? c->session.client->sap : 0;
    return dlms_srv_objects_get(&c->objects, ref, acc, identity_only, w);
}

/* ---- connections -------------------------------------------------------------------------- */

static void close_conn(conn *c, const char *why) {
    dlms_server *s = c->srv;
    log_info(MOD, "%s: closed (%s)", iochan_name(c->ch), why);
    for (size_t i = 0; i < s->n_conns; i++)
        if (s->conns[i] == c) s->conns[i] = s->conns[--s->n_conns];
    loop_timer_cancel(s->loop, c->idle);
    loop_del_fd(s->loop, c->fd);
    iochan_close(c->ch);
    close(c->fd);
    dlms_session_reset(&c->session);
    free(c->rx);
    free(c->out);
    free(c);
}

static void on_idle(gw_loop *loop, void *arg) {
    (void)loop;
    conn *c = arg;
    c->idle = 0;
    close_conn(c, "idle");
}

static void arm_idle(conn *c) {
    loop_timer_cancel(c->srv->loop, c->idle);
    c->idle = loop_timer_after(c->srv->loop, c->srv->cfg->idle_timeout_ns, on_idle, c);
}

/* Write what waits; the loop says when the socket takes more. */
static void flush_out(conn *c) {
    size_t off = 0;
    while (off < c->out_len) {
        ssize_t w = iochan_write(c->ch, c->out + off, c->out_len - off);
        if (w < 0 && (errno == EAGAIN || errno == EINTR)) break;
        if (w <= 0) {
            log_warn(MOD, "%s: cannot answer: %s", iochan_name(c->ch), w < 0 ? strerror(errno) : "closed");
            off = c->out_len; /* the read side sees the close */
            break;
        }
        off += (size_t)w;
    }
    memmove(c->out, c->out + off, c->out_len - off);
    c->out_len -= off;
    loop_mod_fd(c->srv->loop, c->fd, c->out_len ? LOOP_READ | LOOP_WRITE : LOOP_READ);
}

static void send_apdu(conn *c, uint16_t client, const uint8_t *apdu, size_t len) {
    uint8_t *grown = realloc(c->out, c->out_len + WRAPPER_HEADER + len);
    if (!grown) return;
    c->out = grown;
    size_t n = wrapper_encode(c->out + c->out_len, WRAPPER_HEADER + len, c->srv->cfg->logical, client, apdu, len);
    c->out_len += n;
    flush_out(c);
}

static void answer(conn *c, const wrapper_pdu *p) {
    size_t cap = DLMS_SRV_RESULT_MAX / 4;
    uint8_t *out = malloc(cap);
    if (!out) return;
    if (p->dst != c->srv->cfg->logical) {
        log_debug(MOD, "%s: APDU for logical device %u dropped", iochan_name(c->ch), p->dst);
    } else {
        /* a wPort beyond the 7-bit SAPs is no configured client's (not SAP & 0xFF) */
        uint8_t sap = p->src <= 0x7F ? (uint8_t)p->src : 0;
        size_t n = dlms_session_handle(&c->session, sap, p->apdu, p->len, out, cap);
        if (n) send_apdu(c, p->src, out, n);
    }
    free(out);
}

static void refuse_too_long(conn *c, uint16_t src) {
    uint8_t out[16];
    log_warn(MOD, "%s: an APDU longer than max_pdu %u refused", iochan_name(c->ch), c->srv->cfg->max_pdu);
    size_t n = dlms_session_too_long(&c->session, out, sizeof out);
    if (n) send_apdu(c, src, out, n);
}

/* Take the PDUs in rx; false when the connection was closed. */
static bool take_pdus(conn *c) {
    size_t off = 0;
    while (off < c->rx_len) {
        if (c->discard) {
            size_t n = c->rx_len - off < c->discard ? c->rx_len - off : c->discard;
            off += n;
            c->discard -= n;
            if (!c->discard) refuse_too_long(c, c->discard_src);
            continue;
        }
        wrapper_pdu p;
        const char *why = "";
        long used = wrapper_decode(c->rx + off, c->rx_len - off, &p, &why);
        if (used < 0) {
            close_conn(c, why);
            return false;
        }
        if (used == 0 && c->rx_len - off >= WRAPPER_HEADER) {
            size_t len = (size_t)c->rx[off + 6] << 8 | c->rx[off + 7];
            if (len > c->srv->cfg->max_pdu) { /* read past it */
                c->discard = WRAPPER_HEADER + len;
                c->discard_src = (uint16_t)(c->rx[off + 2] << 8 | c->rx[off + 3]);
                continue;
            }
        }
        if (used == 0) break;
        answer(c, &p);
        off += (size_t)used;
    }
    memmove(c->rx, c->rx + off, c->rx_len - off);
    c->rx_len -= off;
    return true;
}

static void on_conn(gw_loop *loop, int fd, unsigned events, void *arg) {
    (void)loop;
    (void)fd;
    (void)events;
    conn *c = arg;
    if (events & LOOP_WRITE) flush_out(c);
    if (!(events & LOOP_READ)) return;
    ssize_t n = iochan_read(c->ch, c->rx + c->rx_len, rx_cap(c->srv) - c->rx_len);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
        close_conn(c, n == 0 ? "closed by the client" : strerror(errno));
        return;
    }
    if (n < 0) return;
    c->rx_len += (size_t)n;
    arm_idle(c);
    take_pdus(c);
}

static void on_accept(gw_loop *loop, int fd, unsigned events, void *arg) {
    (void)events;
    dlms_server *s = arg;
    struct sockaddr_in peer;
    socklen_t plen = sizeof peer;
    int cfd = accept4(fd, (struct sockaddr *)&peer, &plen, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (cfd < 0) return;
    char name[64];
    snprintf(name, sizeof name, "tcp:%lld:%d", s->cfg->port, ntohs(peer.sin_port));
    if (s->n_conns >= (size_t)s->cfg->max_connections) {
        log_warn(MOD, "%s: refused: %lld connections open already", name, s->cfg->max_connections);
        close(cfd);
        return;
    }
    conn *c = calloc(1, sizeof *c);
    if (!c || !(c->rx = malloc(rx_cap(s))) || !(c->ch = iochan_open(cfd, name, false)) ||
        loop_add_fd(loop, cfd, LOOP_READ, on_conn, c) < 0) {
        if (c && c->ch) iochan_close(c->ch);
        if (c) free(c->rx);
        free(c);
        close(cfd);
        return;
    }
    c->srv = s;
    c->fd = cfd;
    c->objects = (dlms_srv_objects){.cfg = s->cfg, .hub = s->hub, .store = s->store};
    c->params = (dlms_srv_params){.cfg = s->cfg, .get = get_object, .arg = c, .random = dlms_server_random,
                                  .next_fc = next_fc};
    dlms_session_init(&c->session, &c->params);
    s->conns[s->n_conns++] = c;
    arm_idle(c);
    log_info(MOD, "%s: head-end %s connected", name, inet_ntoa(peer.sin_addr));
}

/* ---- start and stop ----------------------------------------------------------------------- */

static int listen_on(const dlms_server_config *cfg, char *err, size_t cap) {
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)cfg->port)};
    int one = 1, fd = -1;
    if (inet_pton(AF_INET, cfg->bind, &a.sin_addr) != 1) {
        snprintf(err, cap, "dlms_server: bind %s is not an IPv4 address", cfg->bind);
        return -1;
    }
    if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0 ||
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, 8) != 0) {
        snprintf(err, cap, "dlms_server: tcp %s:%lld: %s", cfg->bind, cfg->port, strerror(errno));
        if (fd >= 0) close(fd);
        return -1;
    }
    return fd;
}

dlms_server *dlms_server_start(const dlms_server_config *cfg, gw_loop *loop, datahub *hub, gw_store *store,
                               const gw_state *state, char *err, size_t cap) {
    dlms_server *s = calloc(1, sizeof *s);
    int64_t fc = 0;
    if (!s || !(s->conns = calloc((size_t)cfg->max_connections, sizeof *s->conns))) {
        snprintf(err, cap, "dlms_server: out of memory");
        goto fail;
    }
    *s = (dlms_server){.cfg = cfg, .loop = loop, .hub = hub, .store = store, .state = state, .conns = s->conns,
                       .fc = 1};
    if (gw_state_get(state, FC_KEY, &fc) && fc > 0 && fc < UINT32_MAX) s->fc = s->fc_reserved = (uint32_t)fc;
    s->listen_fd = -1;
    if (cfg->tcp && (s->listen_fd = listen_on(cfg, err, cap)) < 0) goto fail;
    if (cfg->tcp && loop_add_fd(loop, s->listen_fd, LOOP_READ, on_accept, s) < 0) {
        snprintf(err, cap, "dlms_server: cannot watch the listening socket");
        goto fail;
    }
    if (cfg->hdlc_device && !(s->hdlc = dlms_hdlc_open(s, err, cap))) goto fail;
    if (cfg->tcp)
        log_info(MOD, "listening on %s:%lld (DLMS/COSEM wrapper, logical device %u, %zu clients, %zu registers,"
                      " %zu profiles)", cfg->bind, cfg->port, cfg->logical, cfg->n_clients, cfg->n_regs,
                 cfg->n_profiles);
    return s;
fail:
    if (s && s->listen_fd >= 0) {
        loop_del_fd(loop, s->listen_fd);
        close(s->listen_fd);
    }
    if (s) free(s->conns);
    free(s);
    return NULL;
}

void dlms_server_stop(dlms_server *s) {
    if (!s) return;
    while (s->n_conns) close_conn(s->conns[0], "the gateway stops");
    dlms_hdlc_close(s->hdlc);
    if (s->listen_fd >= 0) {
        loop_del_fd(s->loop, s->listen_fd);
        close(s->listen_fd);
    }
    free(s->conns);
    free(s);
}
