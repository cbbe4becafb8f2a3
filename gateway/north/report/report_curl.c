/* report_curl: libcurl's multi interface on the gateway's loop, one request at
 * a time (report_curl.h). */
#include "north/report/report_curl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"

struct rpt_curl {
    CURLM *multi;
    gw_loop *loop;
    loop_timer_id timer;
    loop_timer_id poke; /* while a request runs: see on_poke */
    /* the request */
    CURL *easy;
    char *body;
    size_t len, sent;
    struct curl_slist *lists[2];
    rpt_curl_done done;
    void *ctx;
    char errbuf[CURL_ERROR_SIZE];
};

static int lib_users; /* curl_global_init once for all transports */

static void drop_request(rpt_curl *c) {
    if (c->loop)
        loop_timer_cancel(c->loop, c->poke);
    c->poke = 0;
    if (c->easy) {
        curl_multi_remove_handle(c->multi, c->easy);
        curl_easy_cleanup(c->easy);
    }
    for (int i = 0; i < 2; i++)
        curl_slist_free_all(c->lists[i]);
    free(c->body);
    c->easy = NULL;
    c->body = NULL;
    c->lists[0] = c->lists[1] = NULL;
    c->len = c->sent = 0;
}

/* The request ended: free it first, then tell the transport (which may begin
 * the next one from inside done). */
static void check_done(rpt_curl *c) {
    CURLMsg *msg;
    int left;
    while (c->easy && (msg = curl_multi_info_read(c->multi, &left))) {
        if (msg->msg != CURLMSG_DONE || msg->easy_handle != c->easy)
            continue;
        CURLcode rc = msg->data.result;
        long response = 0;
        char why[CURL_ERROR_SIZE + 32] = "";
        curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &response);
        if (rc != CURLE_OK)
            snprintf(why, sizeof why, "%s", c->errbuf[0] ? c->errbuf : curl_easy_strerror(rc));
        rpt_curl_done done = c->done;
        void *ctx = c->ctx;
        drop_request(c);
        done(ctx, rc, response, why);
    }
}

static void on_fd(gw_loop *loop, int fd, unsigned events, void *arg) {
    rpt_curl *c = arg;
    int running, mask = ((events & LOOP_READ) ? CURL_CSELECT_IN : 0) |
                        ((events & LOOP_WRITE) ? CURL_CSELECT_OUT : 0);
    curl_multi_socket_action(c->multi, fd, mask, &running);
    check_done(c);
}

static void on_timer(gw_loop *loop, void *arg) {
    rpt_curl *c = arg;
    int running;
    c->timer = 0;
    curl_multi_socket_action(c->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    check_done(c);
}

#define POKE_NS (100 * NS_PER_MS)

/* libcurl 7.88 (Debian 12) can stall an FTP upload on a reused connection
 * under the socket API: when the EPSV answer is read in the same call that
 * sent it, the data connection is set up but never started, and curl asks for
 * neither a socket nor a timer, so nothing calls it until the request times
 * out. Running every transfer's state machine now and then
 * (curl_multi_socket_all) starts it; it costs nothing when there is nothing
 * to do. */
static void on_poke(gw_loop *loop, void *arg) {
    rpt_curl *c = arg;
    int running;
    c->poke = 0;
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
    curl_multi_socket_all(c->multi, &running);
#pragma GCC diagnostic pop
    check_done(c);
    if (c->easy && !c->poke)
        c->poke = loop_timer_after(c->loop, POKE_NS, on_poke, c);
}

/* curl: watch (or stop watching) a socket. */
static int socket_cb(CURL *easy, curl_socket_t fd, int what, void *arg, void *sock_arg) {
    rpt_curl *c = arg;
    unsigned events = (what == CURL_POLL_IN || what == CURL_POLL_INOUT ? LOOP_READ : 0) |
                      (what == CURL_POLL_OUT || what == CURL_POLL_INOUT ? LOOP_WRITE : 0);
    if (!c->loop)
        return 0;
    if (what == CURL_POLL_REMOVE) {
        loop_del_fd(c->loop, fd);
        curl_multi_assign(c->multi, fd, NULL);
    } else if (!sock_arg) {
        /* A new socket. libcurl may have closed an earlier one with the same
         * number without a CURL_POLL_REMOVE (FTP's data connections do): that
         * stale watch would swallow this one's events, so replace it. */
        loop_del_fd(c->loop, fd);
        loop_add_fd(c->loop, fd, events, on_fd, c);
        curl_multi_assign(c->multi, fd, c); /* marks it as watched */
    } else {
        loop_mod_fd(c->loop, fd, events);
    }
    return 0;
}

/* curl: call me back in timeout_ms (-1: cancel). */
static int timer_cb(CURLM *multi, long timeout_ms, void *arg) {
    rpt_curl *c = arg;
    if (!c->loop)
        return 0;
    loop_timer_cancel(c->loop, c->timer);
    c->timer = 0;
    if (timeout_ms >= 0)
        c->timer = loop_timer_after(c->loop, (int64_t)timeout_ms * NS_PER_MS, on_timer, c);
    return 0;
}

rpt_curl *rpt_curl_new(void) {
    rpt_curl *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    if (lib_users++ == 0)
        curl_global_init(CURL_GLOBAL_DEFAULT);
    c->multi = curl_multi_init();
    if (!c->multi) {
        rpt_curl_free(c);
        return NULL;
    }
    curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, socket_cb);
    curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c);
    curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
    curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c);
    return c;
}

void rpt_curl_free(rpt_curl *c) {
    if (!c)
        return;
    drop_request(c);
    if (c->multi)
        curl_multi_cleanup(c->multi);
    if (c->loop)
        loop_timer_cancel(c->loop, c->timer);
    free(c);
    if (--lib_users == 0)
        curl_global_cleanup();
}

CURL *rpt_curl_begin(rpt_curl *c, const rpt_curl_opts *o, const char *protocols,
                     const char *url) {
    drop_request(c);
    CURL *e = c->easy = curl_easy_init();
    if (!e)
        return NULL;
    c->errbuf[0] = '\0';
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, protocols);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)(o->timeout_ns / NS_PER_MS));
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, c->errbuf);
    if (o->username)
        curl_easy_setopt(e, CURLOPT_USERNAME, o->username);
    if (o->password)
        curl_easy_setopt(e, CURLOPT_PASSWORD, o->password);
    if (o->ca_file)
        curl_easy_setopt(e, CURLOPT_CAINFO, o->ca_file);
    if (o->tls == RPT_TLS_EXPLICIT)
        curl_easy_setopt(e, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
    if (o->insecure) {
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    return e;
}

static size_t read_body(char *buf, size_t size, size_t n, void *arg) {
    rpt_curl *c = arg;
    size_t room = size * n, left = c->len - c->sent, k = left < room ? left : room;
    memcpy(buf, c->body + c->sent, k);
    c->sent += k;
    return k;
}

bool rpt_curl_body(rpt_curl *c, const char *body, size_t len, bool upload) {
    c->body = malloc(len ? len : 1);
    if (!c->easy || !c->body)
        return false;
    memcpy(c->body, body, len);
    c->len = len;
    c->sent = 0;
    if (upload) {
        curl_easy_setopt(c->easy, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(c->easy, CURLOPT_READFUNCTION, read_body);
        curl_easy_setopt(c->easy, CURLOPT_READDATA, c);
        curl_easy_setopt(c->easy, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
    } else {
        curl_easy_setopt(c->easy, CURLOPT_POSTFIELDS, c->body);
        curl_easy_setopt(c->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    }
    return true;
}

bool rpt_curl_append(rpt_curl *c, int list, const char *line) {
    struct curl_slist *l = curl_slist_append(c->lists[list], line);
    if (l)
        c->lists[list] = l;
    return l != NULL;
}

struct curl_slist *rpt_curl_list(rpt_curl *c, int list) {
    return c->lists[list];
}

bool rpt_curl_go(rpt_curl *c, gw_loop *loop, rpt_curl_done done, void *ctx) {
    c->loop = loop;
    c->done = done;
    c->ctx = ctx;
    if (!c->easy || curl_multi_add_handle(c->multi, c->easy) != CURLM_OK) {
        drop_request(c);
        return false;
    }
    if (loop)
        c->poke = loop_timer_after(loop, POKE_NS, on_poke, c);
    return true;
}

void rpt_curl_cancel(rpt_curl *c) {
    drop_request(c);
}

static bool dup_opt(const cfg_node *map, const char *key, char **out, cfg_err *err) {
    const char *v;
    if (!cfg_str(map, key, NULL, &v, err))
        return false;
    *out = v ? strdup(v) : NULL;
    return !v || *out;
}

bool rpt_curl_read_common(const cfg_node *map, const char *what, rpt_curl_opts *o,
                          cfg_err *err) {
    if (!cfg_duration_ns(map, "timeout", 30 * NS_PER_S, &o->timeout_ns, err) ||
        !cfg_bool(map, "insecure", false, &o->insecure, err) ||
        !dup_opt(map, "ca_file", &o->ca_file, err) ||
        !dup_opt(map, "username", &o->username, err) ||
        !dup_opt(map, "password", &o->password, err))
        return false;
    if (o->timeout_ns < NS_PER_MS)
        return cfg_fail(err, cfg_get(map, "timeout"), "transport.%s.timeout must be >= 1ms", what);
    if (o->insecure && o->ca_file)
        return cfg_fail(err, cfg_get(map, "insecure"),
                        "transport.%s: insecure: true and a ca_file contradict each other", what);
    return true;
}

void rpt_curl_opts_free(rpt_curl_opts *o) {
    free(o->ca_file);
    free(o->username);
    free(o->password);
    o->ca_file = o->username = o->password = NULL;
}

void rpt_curl_warn_insecure(const rpt_curl_opts *o, const char *what, const char *instance) {
    if (o->insecure)
        log_warn("report", "%s: transport %s does NOT verify the server (insecure: true)",
                 instance, what);
}

/* "smtp://host:25/x" -> its part after "scheme://", or NULL. */
static const char *after_scheme(const char *url, const char *scheme) {
    size_t n = strlen(scheme);
    return strncmp(url, scheme, n) == 0 && strncmp(url + n, "://", 3) == 0 ? url + n + 3 : NULL;
}

bool rpt_curl_read_url_tls(const cfg_node *map, const char *what, const char *plain,
                           const char *secure, const char *explicit_word, rpt_curl_opts *o,
                           char **url_out, cfg_err *err) {
    const char *url, *mode;
    if (!cfg_require(map, "url", CFG_SCALAR, err) || !cfg_str(map, "url", NULL, &url, err) ||
        !cfg_str(map, "tls", NULL, &mode, err))
        return false;
    const char *rest_plain = after_scheme(url, plain), *rest_secure = after_scheme(url, secure);
    const char *rest = rest_plain ? rest_plain : rest_secure;
    if (!rest || !*rest)
        return cfg_fail(err, cfg_get(map, "url"), "transport.%s.url: expected %s://host[:port]/... "
                        "or %s://host[:port]/...", what, plain, secure);
    if (!mode)
        o->tls = rest_secure ? RPT_TLS_IMPLICIT : RPT_TLS_EXPLICIT;
    else if (strcmp(mode, "implicit") == 0)
        o->tls = RPT_TLS_IMPLICIT;
    else if (strcmp(mode, explicit_word) == 0 && !rest_secure)
        o->tls = RPT_TLS_EXPLICIT;
    else if (strcmp(mode, "none") == 0 && !rest_secure)
        o->tls = RPT_TLS_NONE;
    else if (rest_secure)
        return cfg_fail(err, cfg_get(map, "tls"), "transport.%s.tls: a %s:// URL is implicit TLS; "
                        "use %s:// for %s or none", what, secure, plain, explicit_word);
    else
        return cfg_fail(err, cfg_get(map, "tls"), "transport.%s.tls: expected %s, implicit or none",
                        what, explicit_word);
    if (o->tls == RPT_TLS_NONE && (o->ca_file || o->insecure))
        return cfg_fail(err, cfg_get(map, "tls"),
                        "transport.%s: tls: none, yet ca_file/insecure are set", what);
    size_t cap = strlen(secure) + 3 + strlen(rest) + 1;
    *url_out = malloc(cap);
    if (!*url_out)
        return cfg_fail(err, map, "transport.%s: out of memory", what);
    snprintf(*url_out, cap, "%s://%s", o->tls == RPT_TLS_IMPLICIT ? secure : plain, rest);
    return true;
}
