/* transport http: POST each report to a URL (http:// or https://) with
 * libcurl's multi interface driven by the gateway's loop: curl tells which
 * sockets to watch (CURLMOPT_SOCKETFUNCTION -> loop fds) and when to call it
 * back (CURLMOPT_TIMERFUNCTION -> one loop timer); curl_multi_socket_action
 * does the work. Nothing blocks (Debian's libcurl resolves names in a thread).
 *
 * Headers: Content-Type of the format, X-Report-Id (deduplicate by it),
 * X-Report-Name (the file name). Delivered = HTTP status 2xx. */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "north/report/report_transport.h"

typedef struct http_transport {
    rpt_transport base;
    char *url, *ca_file;
    bool insecure;
    int64_t timeout_ns;
    CURLM *multi;
    CURL *easy; /* the request in flight, or NULL */
    struct curl_slist *headers;
    int64_t id;
    char *body;
    loop_timer_id timer;
    char errbuf[CURL_ERROR_SIZE];
} http_transport;

static int lib_users;

static void finish(http_transport *t, bool ok, const char *why) {
    curl_multi_remove_handle(t->multi, t->easy);
    curl_easy_cleanup(t->easy);
    curl_slist_free_all(t->headers);
    free(t->body);
    t->easy = NULL;
    t->headers = NULL;
    t->body = NULL;
    t->base.hooks.sent(t->base.hooks.ctx, t->id, ok, why);
}

static void check_done(http_transport *t) {
    CURLMsg *msg;
    int left;
    while (t->easy && (msg = curl_multi_info_read(t->multi, &left))) {
        if (msg->msg != CURLMSG_DONE || msg->easy_handle != t->easy)
            continue;
        long status = 0;
        char why[CURL_ERROR_SIZE + 64] = "";
        curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
        bool ok = msg->data.result == CURLE_OK && status >= 200 && status < 300;
        if (msg->data.result != CURLE_OK)
            snprintf(why, sizeof why, "%s", t->errbuf[0] ? t->errbuf
                                                         : curl_easy_strerror(msg->data.result));
        else if (!ok)
            snprintf(why, sizeof why, "HTTP status %ld", status);
        if (!ok)
            log_warn("report", "http %s: %s", t->url, why);
        finish(t, ok, why);
    }
}

static void on_fd(gw_loop *loop, int fd, unsigned events, void *arg) {
    http_transport *t = arg;
    int running, mask = ((events & LOOP_READ) ? CURL_CSELECT_IN : 0) |
                        ((events & LOOP_WRITE) ? CURL_CSELECT_OUT : 0);
    curl_multi_socket_action(t->multi, fd, mask, &running);
    check_done(t);
}

static void on_timer(gw_loop *loop, void *arg) {
    http_transport *t = arg;
    int running;
    t->timer = 0;
    curl_multi_socket_action(t->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    check_done(t);
}

/* curl: watch (or stop watching) a socket. */
static int socket_cb(CURL *easy, curl_socket_t fd, int what, void *arg, void *sock_arg) {
    http_transport *t = arg;
    unsigned events = (what == CURL_POLL_IN || what == CURL_POLL_INOUT ? LOOP_READ : 0) |
                      (what == CURL_POLL_OUT || what == CURL_POLL_INOUT ? LOOP_WRITE : 0);
    if (!t->base.loop)
        return 0;
    if (what == CURL_POLL_REMOVE) {
        loop_del_fd(t->base.loop, fd);
        curl_multi_assign(t->multi, fd, NULL);
    } else if (!sock_arg) {
        loop_add_fd(t->base.loop, fd, events, on_fd, t);
        curl_multi_assign(t->multi, fd, t); /* marks it as watched */
    } else {
        loop_mod_fd(t->base.loop, fd, events);
    }
    return 0;
}

/* curl: call me back in timeout_ms (-1: cancel). */
static int timer_cb(CURLM *multi, long timeout_ms, void *arg) {
    http_transport *t = arg;
    loop_timer_cancel(t->base.loop, t->timer);
    t->timer = 0;
    if (timeout_ms >= 0)
        t->timer = loop_timer_after(t->base.loop, (int64_t)timeout_ms * NS_PER_MS, on_timer, t);
    return 0;
}

static bool add_header(http_transport *t, const char *fmt, const char *value) {
    char line[512];
    snprintf(line, sizeof line, fmt, value);
    struct curl_slist *h = curl_slist_append(t->headers, line);
    if (h)
        t->headers = h;
    return h != NULL;
}

static bool start_request(http_transport *t, const store_msg *msg) {
    char id[32];
    snprintf(id, sizeof id, "%lld", (long long)msg->id);
    t->easy = curl_easy_init();
    t->body = malloc(msg->len ? msg->len : 1);
    if (!t->easy || !t->body)
        return false;
    memcpy(t->body, msg->body, msg->len);
    if (!add_header(t, "Content-Type: %s", msg->content_type) ||
        !add_header(t, "X-Report-Id: %s", id) || !add_header(t, "X-Report-Name: %s", msg->name) ||
        !add_header(t, "%s", "Expect:"))
        return false;
    t->errbuf[0] = '\0';
    CURL *e = t->easy;
    curl_easy_setopt(e, CURLOPT_URL, t->url);
    curl_easy_setopt(e, CURLOPT_POST, 1L);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, t->body);
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)msg->len);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->headers);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)(t->timeout_ns / NS_PER_MS));
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->errbuf);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    if (t->ca_file)
        curl_easy_setopt(e, CURLOPT_CAINFO, t->ca_file);
    if (t->insecure) {
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    return curl_multi_add_handle(t->multi, e) == CURLM_OK;
}

static void http_send(rpt_transport *base, const store_msg *msg) {
    http_transport *t = (http_transport *)base;
    t->id = msg->id;
    if (!base->loop || !t->multi) {
        base->hooks.sent(base->hooks.ctx, msg->id, false, "http needs the event loop");
        return;
    }
    if (!start_request(t, msg)) {
        curl_easy_cleanup(t->easy);
        curl_slist_free_all(t->headers);
        free(t->body);
        t->easy = NULL;
        t->headers = NULL;
        t->body = NULL;
        base->hooks.sent(base->hooks.ctx, msg->id, false, "cannot start the HTTP request");
    }
}

static void http_free(rpt_transport *base) {
    http_transport *t = (http_transport *)base;
    if (t->easy) {
        curl_multi_remove_handle(t->multi, t->easy);
        curl_easy_cleanup(t->easy);
    }
    curl_slist_free_all(t->headers);
    if (t->multi)
        curl_multi_cleanup(t->multi);
    if (base->loop)
        loop_timer_cancel(base->loop, t->timer);
    free(t->body);
    free(t->url);
    free(t->ca_file);
    free(t);
    if (--lib_users == 0)
        curl_global_cleanup();
}


static bool read_http(http_transport *t, const cfg_node *map, cfg_err *err) {
    static const char *const keys[] = {"url", "timeout", "ca_file", "insecure", NULL};
    const char *url, *ca;
    if (!cfg_only_keys(map, keys, err) || !cfg_require(map, "url", CFG_SCALAR, err) ||
        !cfg_str(map, "url", NULL, &url, err) || !cfg_str(map, "ca_file", NULL, &ca, err) ||
        !cfg_bool(map, "insecure", false, &t->insecure, err) ||
        !cfg_duration_ns(map, "timeout", 30 * NS_PER_S, &t->timeout_ns, err))
        return false;
    if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)
        return cfg_fail(err, cfg_get(map, "url"),
                        "transport.http.url: expected http://... or https://...");
    if (t->timeout_ns < NS_PER_MS)
        return cfg_fail(err, cfg_get(map, "timeout"), "transport.http.timeout must be >= 1ms");
    t->url = strdup(url);
    t->ca_file = ca ? strdup(ca) : NULL;
    return t->url != NULL;
}

static rpt_transport *http_parse(const cfg_node *map, const char *gateway, const char *instance,
                                 cfg_err *err) {
    http_transport *t = calloc(1, sizeof *t);
    if (!t) {
        cfg_fail(err, map, "transport.http: out of memory");
        return NULL;
    }
    if (lib_users++ == 0)
        curl_global_init(CURL_GLOBAL_DEFAULT);
    t->base.kind = &transport_http_kind;
    t->multi = curl_multi_init();
    if (!t->multi || !read_http(t, map, err)) {
        if (!err->msg[0])
            cfg_fail(err, map, "transport.http: cannot initialise libcurl");
        http_free(&t->base);
        return NULL;
    }
    curl_multi_setopt(t->multi, CURLMOPT_SOCKETFUNCTION, socket_cb);
    curl_multi_setopt(t->multi, CURLMOPT_SOCKETDATA, t);
    curl_multi_setopt(t->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
    curl_multi_setopt(t->multi, CURLMOPT_TIMERDATA, t);
    return &t->base;
}

const rpt_transport_kind transport_http_kind = {
    .name = "http", .needs_loop = true, .parse = http_parse, .send = http_send, .free = http_free};
