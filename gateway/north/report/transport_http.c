/* transport http: POST each report to a URL (http:// or https://) through
 * libcurl on the gateway's loop (report_curl.c).
 *
 * Headers: Content-Type of the format, X-Report-Id (deduplicate by it),
 * X-Report-Name (the file name), X-Report-Template (CMe3100 numbering, 3xxx).
 * Delivered = HTTP status 2xx. Basic authentication with username/password. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "north/report/report_curl.h"
#include "north/report/report_transport.h"

/* Delivered only with a 2xx status: a 500 has reached the server, but it did
 * not take the report. */
static void done(void *ctx, CURLcode rc, long status, const char *why) {
    rpt_curl_transport *t = ctx;
    char text[CURL_ERROR_SIZE + 64];
    bool ok = rc == CURLE_OK && status >= 200 && status < 300;
    snprintf(text, sizeof text, "%s", why);
    if (rc == CURLE_OK && !ok)
        snprintf(text, sizeof text, "HTTP status %ld", status);
    if (!ok)
        log_warn("report", "http %s: %s", t->url, text);
    t->base.hooks.sent(t->base.hooks.ctx, t->id, ok, ok ? "" : text);
}

static bool add_header(rpt_curl_transport *t, const char *fmt, const char *value) {
    char line[512];
    snprintf(line, sizeof line, fmt, value);
    return rpt_curl_append(t->curl, 0, line);
}

static bool start_post(rpt_curl_transport *t, const store_msg *msg) {
    char id[32], template_no[16];
    snprintf(id, sizeof id, "%lld", (long long)msg->id);
    snprintf(template_no, sizeof template_no, "%d", t->base.template_no);
    CURL *e = rpt_curl_begin(t->curl, &t->opts, "http,https", t->url);
    if (!e || !rpt_curl_body(t->curl, msg->body, msg->len, false) ||
        !add_header(t, "Content-Type: %s", msg->content_type) ||
        !add_header(t, "X-Report-Id: %s", id) || !add_header(t, "X-Report-Name: %s", msg->name) ||
        (t->base.template_no && !add_header(t, "X-Report-Template: %s", template_no)) ||
        !add_header(t, "%s", "Expect:"))
        return false;
    curl_easy_setopt(e, CURLOPT_POST, 1L);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, rpt_curl_list(t->curl, 0));
    return rpt_curl_go(t->curl, t->base.loop, done, t);
}

static void http_free(rpt_transport *base) {
    rpt_curl_transport_release((rpt_curl_transport *)base);
    free(base);
}

static bool read_http(rpt_curl_transport *t, const cfg_node *map, cfg_err *err) {
    static const char *const keys[] = {"url",      "timeout",  "ca_file", "insecure",
                                       "username", "password", NULL};
    const char *url;
    if (!cfg_only_keys(map, keys, err) || !cfg_require(map, "url", CFG_SCALAR, err) ||
        !cfg_str(map, "url", NULL, &url, err) || !rpt_curl_read_common(map, "http", &t->opts, err))
        return false;
    if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)
        return cfg_fail(err, cfg_get(map, "url"),
                        "transport.http.url: expected http://... or https://...");
    t->url = strdup(url);
    return t->url != NULL;
}

static rpt_transport *http_parse(const cfg_node *map, const char *gateway, const char *instance,
                                 cfg_err *err) {
    rpt_curl_transport *t =
        rpt_curl_transport_new(sizeof *t, &transport_http_kind, start_post, map, err);
    return t ? rpt_curl_transport_parsed(t, read_http(t, map, err), instance, map, err) : NULL;
}

const rpt_transport_kind transport_http_kind = {.name = "http",
                                                .needs_loop = true,
                                                .template_prefix = 3,
                                                .parse = http_parse,
                                                .send = rpt_curl_transport_send,
                                                .free = http_free};
