/* transport ftp: each report uploaded as a file to a directory of an FTP
 * server, through libcurl on the gateway's loop (report_curl.c): ftp:// with
 * AUTH TLS ("explicit" FTPS, the default; libcurl fails rather than fall back
 * to plain), ftps:// ("implicit" FTPS), or plain FTP with tls: none.
 *
 * The report goes to <name>.tmp and is renamed to <name> (RNFR/RNTO) when the
 * upload is complete, as the file transport does locally: the directory only
 * ever holds whole reports, and a redelivery after a crash replaces the same
 * name with the same bytes (one file per report id). Delivered = upload and
 * rename acknowledged. CMe3100 templates 2xxx. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "north/report/report_curl.h"
#include "north/report/report_transport.h"

typedef struct ftp_transport {
    rpt_transport base;
    char *url; /* the directory, ending in '/' */
    rpt_curl_opts opts;
    rpt_curl *curl;
    int64_t id;
} ftp_transport;

static void done(void *ctx, CURLcode rc, long reply, const char *why) {
    ftp_transport *t = ctx;
    if (rc != CURLE_OK)
        log_warn("report", "ftp %s: %s", t->url, why);
    t->base.hooks.sent(t->base.hooks.ctx, t->id, rc == CURLE_OK, why);
}

static bool start_upload(ftp_transport *t, const store_msg *msg) {
    char url[2048], rnfr[300], rnto[300];
    snprintf(url, sizeof url, "%s%s.tmp", t->url, msg->name);
    snprintf(rnfr, sizeof rnfr, "RNFR %s.tmp", msg->name);
    snprintf(rnto, sizeof rnto, "RNTO %s", msg->name);
    CURL *e = rpt_curl_begin(t->curl, &t->opts, "ftp,ftps", url);
    if (!e || !rpt_curl_body(t->curl, msg->body, msg->len, true) ||
        !rpt_curl_append(t->curl, 0, rnfr) || !rpt_curl_append(t->curl, 0, rnto))
        return false;
    curl_easy_setopt(e, CURLOPT_POSTQUOTE, rpt_curl_list(t->curl, 0));
    curl_easy_setopt(e, CURLOPT_FTP_CREATE_MISSING_DIRS, (long)CURLFTP_CREATE_DIR_RETRY);
    return rpt_curl_go(t->curl, t->base.loop, done, t);
}

static void ftp_send(rpt_transport *base, const store_msg *msg) {
    ftp_transport *t = (ftp_transport *)base;
    t->id = msg->id;
    if (!base->loop) {
        base->hooks.sent(base->hooks.ctx, msg->id, false, "ftp needs the event loop");
        return;
    }
    if (!start_upload(t, msg)) {
        rpt_curl_cancel(t->curl);
        base->hooks.sent(base->hooks.ctx, msg->id, false, "cannot start the FTP upload");
    }
}

static void ftp_free(rpt_transport *base) {
    ftp_transport *t = (ftp_transport *)base;
    rpt_curl_free(t->curl);
    rpt_curl_opts_free(&t->opts);
    free(t->url);
    free(t);
}

/* The URL names a directory: end it with '/' when it does not. */
static bool as_directory(char **url) {
    size_t n = strlen(*url);
    if (n && (*url)[n - 1] == '/')
        return true;
    char *dir = realloc(*url, n + 2);
    if (!dir)
        return false;
    dir[n] = '/';
    dir[n + 1] = '\0';
    *url = dir;
    return true;
}

static bool read_ftp(ftp_transport *t, const cfg_node *map, cfg_err *err) {
    static const char *const keys[] = {"url",      "tls",      "timeout",  "ca_file",
                                       "insecure", "username", "password", NULL};
    if (!cfg_only_keys(map, keys, err) || !rpt_curl_read_common(map, "ftp", &t->opts, err) ||
        !rpt_curl_read_url_tls(map, "ftp", "ftp", "ftps", "explicit", &t->opts, &t->url, err))
        return false;
    return as_directory(&t->url) || cfg_fail(err, map, "transport.ftp: out of memory");
}

static rpt_transport *ftp_parse(const cfg_node *map, const char *gateway, const char *instance,
                                cfg_err *err) {
    ftp_transport *t = calloc(1, sizeof *t);
    if (!t) {
        cfg_fail(err, map, "transport.ftp: out of memory");
        return NULL;
    }
    t->base.kind = &transport_ftp_kind;
    t->curl = rpt_curl_new();
    if (!t->curl || !read_ftp(t, map, err)) {
        if (!err->msg[0])
            cfg_fail(err, map, "transport.ftp: cannot initialise libcurl");
        ftp_free(&t->base);
        return NULL;
    }
    if (t->opts.tls == RPT_TLS_NONE)
        log_warn("report", "%s: transport ftp sends in clear text (tls: none)", instance);
    rpt_curl_warn_insecure(&t->opts, "ftp", instance);
    return &t->base;
}

const rpt_transport_kind transport_ftp_kind = {.name = "ftp",
                                               .needs_loop = true,
                                               .template_prefix = 2,
                                               .parse = ftp_parse,
                                               .send = ftp_send,
                                               .free = ftp_free};
