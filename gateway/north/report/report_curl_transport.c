/* report_curl_transport: what the libcurl transports (http, smtp, ftp, sftp)
 * do alike around their own request: make, send, log, free (report_curl.h). */
#include <stdio.h>
#include <stdlib.h>

#include "core/log.h"
#include "north/report/report_curl.h"

rpt_curl_transport *rpt_curl_transport_new(size_t size, const rpt_transport_kind *kind,
                                           bool (*start)(rpt_curl_transport *, const store_msg *),
                                           const cfg_node *map, cfg_err *err) {
    rpt_curl_transport *t = calloc(1, size);
    if (!t) {
        cfg_fail(err, map, "transport.%s: out of memory", kind->name);
        return NULL;
    }
    t->base.kind = kind;
    t->what = kind->name;
    t->start = start;
    t->curl = rpt_curl_new();
    if (!t->curl) {
        cfg_fail(err, map, "transport.%s: cannot initialise libcurl", kind->name);
        free(t);
        return NULL;
    }
    return t;
}

rpt_transport *rpt_curl_transport_parsed(rpt_curl_transport *t, bool ok, const char *instance,
                                         const cfg_node *map, cfg_err *err) {
    if (!ok) {
        if (!err->msg[0])
            cfg_fail(err, map, "transport.%s: out of memory", t->what);
        t->base.kind->free(&t->base);
        return NULL;
    }
    if (t->opts.tls == RPT_TLS_NONE)
        log_warn("report", "%s: transport %s sends in clear text (tls: none)", instance, t->what);
    rpt_curl_warn_insecure(&t->opts, t->what, instance);
    return &t->base;
}

void rpt_curl_transport_send(rpt_transport *base, const store_msg *msg) {
    rpt_curl_transport *t = (rpt_curl_transport *)base;
    char why[64];
    t->id = msg->id;
    if (!base->loop) {
        snprintf(why, sizeof why, "%s needs the event loop", t->what);
        base->hooks.sent(base->hooks.ctx, msg->id, false, why);
    } else if (!t->start(t, msg)) {
        rpt_curl_cancel(t->curl);
        snprintf(why, sizeof why, "cannot start the %s request", t->what);
        base->hooks.sent(base->hooks.ctx, msg->id, false, why);
    }
}

void rpt_curl_transport_done(void *ctx, CURLcode rc, long response, const char *why) {
    rpt_curl_transport *t = ctx;
    if (rc != CURLE_OK)
        log_warn("report", "%s %s: %s", t->what, t->url, why);
    t->base.hooks.sent(t->base.hooks.ctx, t->id, rc == CURLE_OK, why);
}

void rpt_curl_transport_release(rpt_curl_transport *t) {
    rpt_curl_free(t->curl);
    rpt_curl_opts_free(&t->opts);
    free(t->url);
}
