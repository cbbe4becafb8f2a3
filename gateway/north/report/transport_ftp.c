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

#include "north/report/report_curl.h"
#include "north/report/report_transport.h"

static bool start_upload(rpt_curl_transport *t, const store_msg *msg) {
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
    return rpt_curl_go(t->curl, t->base.loop, rpt_curl_transport_done, t);
}

static void ftp_free(rpt_transport *base) {
    rpt_curl_transport_release((rpt_curl_transport *)base);
    free(base);
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

static bool read_ftp(rpt_curl_transport *t, const cfg_node *map, cfg_err *err) {
    static const char *const keys[] = {"url",      "tls",      "timeout",  "ca_file",
                                       "insecure", "username", "password", NULL};
    if (!cfg_only_keys(map, keys, err) || !rpt_curl_read_common(map, "ftp", &t->opts, err) ||
        !rpt_curl_read_url_tls(map, "ftp", "ftp", "ftps", "explicit", &t->opts, &t->url, err))
        return false;
    return as_directory(&t->url) || cfg_fail(err, map, "transport.ftp: out of memory");
}

static rpt_transport *ftp_parse(const cfg_node *map, const char *gateway, const char *instance,
                                cfg_err *err) {
    rpt_curl_transport *t =
        rpt_curl_transport_new(sizeof *t, &transport_ftp_kind, start_upload, map, err);
    return t ? rpt_curl_transport_parsed(t, read_ftp(t, map, err), instance, map, err) : NULL;
}

const rpt_transport_kind transport_ftp_kind = {.name = "ftp",
                                               .needs_loop = true,
                                               .template_prefix = 2,
                                               .parse = ftp_parse,
                                               .send = rpt_curl_transport_send,
                                               .free = ftp_free};
