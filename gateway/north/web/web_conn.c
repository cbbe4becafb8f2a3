/* web_conn: one client connection (web_conn.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <openssl/err.h>
#include "core/clock.h"
#include "core/iochan.h"
#include "core/log.h"
#include "core/loop.h"
#include "north/web/web_conn.h"

#define READ_CHUNK 16384
#define OUT_HIGH_WATER (256 * 1024) /* stop reading while this much waits for the client */

struct web_conn {
    web_server *srv;
    web_conn *next;
    int fd;
    iochan *ch;
    char peer[48];
    SSL *ssl;
    BIO *rbio, *wbio;
    web_request req;
    char *out;
    size_t out_len, out_off;
    loop_timer_id idle_timer, req_timer;
    bool closing;   /* close once out is written */
    bool lingering; /* after an error answer: stop writing, read (and drop) until EOF */
    bool draining;
    bool parked; /* waiting for the next loop turn (web_int.h: fairness) */
    web_conn *next_parked;
};

#define LINGER_NS (2 * NS_PER_S)

static void arm_idle(web_conn *c);
static void update_events(web_conn *c);

/* ---- output ---- */

static void queue_out(web_conn *c, const char *data, size_t len) {
    if (c->out_off == c->out_len)
        c->out_off = c->out_len = 0;
    char *grown = realloc(c->out, c->out_len + len);
    if (!grown) {
        c->closing = true;
        return;
    }
    c->out = grown;
    memcpy(c->out + c->out_len, data, len);
    c->out_len += len;
}

/* What OpenSSL wrote into its memory BIO goes to the socket's queue. */
static void drain_tls(web_conn *c) {
    char buf[READ_CHUNK];
    int n;
    while (c->wbio && (n = BIO_read(c->wbio, buf, sizeof buf)) > 0)
        queue_out(c, buf, (size_t)n);
}

static void send_plain(web_conn *c, const char *data, size_t len) {
    if (!c->ssl) {
        queue_out(c, data, len);
        return;
    }
    while (len > 0) {
        int n = SSL_write(c->ssl, data, len > INT32_MAX ? INT32_MAX : (int)len);
        if (n <= 0) {
            c->closing = true;
            break;
        }
        data += n;
        len -= (size_t)n;
        drain_tls(c);
    }
    drain_tls(c);
}

static void flush_out(web_conn *c) {
    while (c->out_off < c->out_len) {
        ssize_t n = iochan_write(c->ch, c->out + c->out_off, c->out_len - c->out_off);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        if (n <= 0) {
            c->closing = true;
            c->out_off = c->out_len;
            break;
        }
        c->out_off += (size_t)n;
    }
}

static void send_response(web_conn *c, web_response *res) {
    size_t len;
    char *bytes = web_response_serialize(res, &len);
    if (bytes)
        send_plain(c, bytes, len);
    free(bytes);
    if (res->close || !bytes)
        c->closing = true;
}

/* ---- requests ---- */

static void answer_error(web_conn *c, int status, const char *text) {
    web_response res;
    web_response_init(&res);
    web_response_error(&res, status, text);
    res.close = true;
    c->lingering = true; /* the client may still be sending what we refused */
    send_response(c, &res);
    web_response_free(&res);
    c->srv->refused++;
}

static void on_request_timeout(gw_loop *loop, void *arg) {
    web_conn *c = arg;
    c->req_timer = 0;
    log_debug(MOD_WEB, "%s: request not complete in time", c->peer);
    answer_error(c, 408, "the request did not arrive in time");
    web_request_reset(&c->req);
    flush_out(c);
    update_events(c);
}

static void answer_request(web_conn *c) {
    web_response res;
    web_response_init(&res);
    web_dispatch(c->srv, &c->req, c->peer, &res);
    if (!c->req.keep_alive)
        res.close = true;
    size_t len;
    char *bytes = web_response_serialize(&res, &len);
    if (bytes) /* HEAD: the head that GET would send, without its body */
        send_plain(c, bytes, strcmp(c->req.method, "HEAD") == 0 ? len - res.body_len : len);
    if (res.close || !bytes)
        c->closing = true;
    free(bytes);
    web_response_free(&res);
    c->srv->requests++;
}

/* Parse and answer what arrived; bytes of a next request wait for this one's answer. */
static void take_plaintext(web_conn *c, const char *data, size_t len) {
    while (len > 0 && !c->closing) {
        size_t n = web_request_feed(&c->req, data, len);
        if (c->req.started && !c->req_timer && c->req.state == WEB_REQ_MORE)
            c->req_timer = loop_timer_after(c->srv->svc.loop, c->srv->cfg->request_timeout_ns,
                                            on_request_timeout, c);
        if (c->req.state == WEB_REQ_MORE) {
            if (n < len) /* the parser stopped without an answer: treat as malformed */
                answer_error(c, 400, "malformed request");
            break;
        }
        loop_timer_cancel(c->srv->svc.loop, c->req_timer);
        c->req_timer = 0;
        if (c->req.state == WEB_REQ_ERROR)
            answer_error(c, c->req.error_status, c->req.error_text);
        else
            answer_request(c);
        web_request_reset(&c->req);
        data += n;
        len -= n;
    }
}

static void read_tls(web_conn *c, const char *data, size_t len) {
    BIO_write(c->rbio, data, (int)len);
    if (!SSL_is_init_finished(c->ssl)) {
        int r = SSL_do_handshake(c->ssl);
        drain_tls(c);
        if (r != 1) {
            int e = SSL_get_error(c->ssl, r);
            if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
                log_debug(MOD_WEB, "%s: TLS handshake failed", c->peer);
                ERR_clear_error();
                c->closing = true;
            }
            return;
        }
    }
    char buf[READ_CHUNK];
    for (;;) {
        int n = SSL_read(c->ssl, buf, sizeof buf);
        if (n > 0) {
            take_plaintext(c, buf, (size_t)n);
            continue;
        }
        int e = SSL_get_error(c->ssl, n);
        if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
            ERR_clear_error();
            c->closing = true; /* close_notify or a TLS error */
        }
        break;
    }
    drain_tls(c);
}

/* ---- the loop ---- */

static void on_idle(gw_loop *loop, void *arg) {
    web_conn *c = arg;
    c->idle_timer = 0;
    log_debug(MOD_WEB, "%s: idle, closed", c->peer);
    web_conn_close(c);
}

static void arm_idle(web_conn *c) {
    loop_timer_cancel(c->srv->svc.loop, c->idle_timer);
    c->idle_timer = loop_timer_after(c->srv->svc.loop, c->srv->cfg->idle_timeout_ns, on_idle, c);
}

/* The answer is out; closing now with unread bytes would make the kernel send
 * a reset that can destroy the answer in flight, so half-close and drain. */
static void start_draining(web_conn *c) {
    c->draining = true;
    shutdown(c->fd, SHUT_WR);
    loop_timer_cancel(c->srv->svc.loop, c->idle_timer);
    c->idle_timer = loop_timer_after(c->srv->svc.loop, LINGER_NS, on_idle, c);
    loop_mod_fd(c->srv->svc.loop, c->fd, LOOP_READ);
}

static void update_events(web_conn *c) {
    bool pending = c->out_off < c->out_len;
    if (c->draining)
        return;
    if (c->closing && !pending) {
        if (c->lingering)
            start_draining(c);
        else
            web_conn_close(c);
        return;
    }
    unsigned ev = pending ? LOOP_WRITE : 0;
    if (!c->closing && !c->parked && c->out_len - c->out_off < OUT_HIGH_WATER)
        ev |= LOOP_READ;
    loop_mod_fd(c->srv->svc.loop, c->fd, ev);
}

/* The turn is over: every parked connection is read again. */
static void on_turn_end(gw_loop *loop, void *arg) {
    web_server *srv = arg;
    srv->turn_timer = 0;
    srv->turn_work = 0;
    while (srv->parked) {
        web_conn *c = srv->parked;
        srv->parked = c->next_parked;
        c->parked = false;
        c->next_parked = NULL;
        update_events(c);
    }
}

/* false: this turn's share is used up, c waits (parked) for the next one. */
static bool take_turn(web_conn *c) {
    web_server *srv = c->srv;
    if (!srv->turn_timer)
        srv->turn_timer = loop_timer_after(srv->svc.loop, 0, on_turn_end, srv);
    if (srv->turn_work < WEB_WORK_PER_TURN) {
        srv->turn_work++;
        return true;
    }
    c->parked = true;
    c->next_parked = srv->parked;
    srv->parked = c;
    return false;
}

static void on_io(gw_loop *loop, int fd, unsigned events, void *arg) {
    web_conn *c = arg;
    if ((events & LOOP_READ) && !c->draining && !take_turn(c))
        events &= ~(unsigned)LOOP_READ;
    if (events & LOOP_READ) {
        char buf[READ_CHUNK];
        ssize_t n = iochan_read(c->ch, buf, sizeof buf);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
            web_conn_close(c);
            return;
        }
        if (n > 0 && c->draining)
            return; /* dropped; the linger timer ends it */
        if (n > 0) {
            arm_idle(c);
            if (c->ssl)
                read_tls(c, buf, (size_t)n);
            else
                take_plaintext(c, buf, (size_t)n);
            if (c->closing && c->ssl && SSL_is_init_finished(c->ssl)) {
                SSL_shutdown(c->ssl);
                drain_tls(c);
            }
        }
    }
    flush_out(c);
    update_events(c);
}

web_conn *web_conn_new(web_server *srv, int fd, const char *peer, int peer_port) {
    web_conn *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    char name[64];
    snprintf(name, sizeof name, "tcp:%d:%d", srv->port, peer_port);
    c->srv = srv;
    c->fd = fd;
    snprintf(c->peer, sizeof c->peer, "%s", peer);
    web_limits lim = {.max_request = (size_t)srv->cfg->max_request,
                      .max_headers = (size_t)srv->cfg->max_headers};
    web_request_init(&c->req, &lim);
    c->ch = iochan_open(fd, name, false);
    if (srv->ssl) {
        c->ssl = SSL_new(srv->ssl);
        c->rbio = BIO_new(BIO_s_mem());
        c->wbio = BIO_new(BIO_s_mem());
        if (c->ssl && c->rbio && c->wbio) {
            SSL_set_bio(c->ssl, c->rbio, c->wbio); /* the SSL owns both now */
            SSL_set_accept_state(c->ssl);
        }
    }
    if (!c->ch || (srv->ssl && (!c->ssl || !c->rbio || !c->wbio)) ||
        loop_add_fd(srv->svc.loop, fd, LOOP_READ, on_io, c) < 0) {
        if (c->ssl && SSL_get_rbio(c->ssl))
            c->rbio = c->wbio = NULL;
        BIO_free(c->rbio);
        BIO_free(c->wbio);
        SSL_free(c->ssl);
        if (c->ch)
            iochan_close(c->ch);
        web_request_free(&c->req);
        free(c);
        return NULL;
    }
    c->next = srv->conns;
    srv->conns = c;
    srv->n_conns++;
    arm_idle(c);
    return c;
}

void web_conn_close(web_conn *c) {
    web_server *srv = c->srv;
    for (web_conn **p = &srv->parked; c->parked && *p; p = &(*p)->next_parked)
        if (*p == c) {
            *p = c->next_parked;
            break;
        }
    for (web_conn **p = &srv->conns; *p; p = &(*p)->next)
        if (*p == c) {
            *p = c->next;
            srv->n_conns--;
            break;
        }
    loop_timer_cancel(srv->svc.loop, c->idle_timer);
    loop_timer_cancel(srv->svc.loop, c->req_timer);
    loop_del_fd(srv->svc.loop, c->fd);
    iochan_close(c->ch);
    close(c->fd);
    SSL_free(c->ssl);
    web_request_free(&c->req);
    free(c->out);
    free(c);
}
