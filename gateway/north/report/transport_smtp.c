/* transport smtp: each report as an e-mail (report_mail.c builds the message:
 * the report attached in base64, X-Report-Id and a Message-ID made from the id)
 * sent through libcurl on the gateway's loop (report_curl.c). smtp:// upgrades
 * with STARTTLS unless tls: none (libcurl fails when the server offers no
 * STARTTLS, it never falls back to plain); smtps:// is TLS from the start.
 * Delivered = the server accepted the message (250 after DATA) for every
 * recipient. CMe3100 templates 1xxx. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "north/report/report_curl.h"
#include "north/report/report_mail.h"
#include "north/report/report_transport.h"

#define MAX_RECIPIENTS 16

typedef struct smtp_transport {
    rpt_curl_transport c;
    char *from;
    char *to[MAX_RECIPIENTS];
    size_t n_to;
} smtp_transport;

static bool start_mail(rpt_curl_transport *c, const store_msg *msg) {
    smtp_transport *t = (smtp_transport *)c;
    rpt_mail m = {t->from, t->to, t->n_to, c->base.gateway, c->base.instance,
                  c->base.template_no};
    size_t len;
    char *text = report_mail_build(&m, msg, &len), line[320];
    CURL *e = rpt_curl_begin(c->curl, &c->opts, "smtp,smtps", c->url);
    bool ok = text && e && rpt_curl_body(c->curl, text, len, true);
    free(text);
    for (size_t i = 0; ok && i < t->n_to; i++) {
        snprintf(line, sizeof line, "<%s>", t->to[i]);
        ok = rpt_curl_append(c->curl, 0, line);
    }
    if (!ok)
        return false;
    snprintf(line, sizeof line, "<%s>", t->from);
    curl_easy_setopt(e, CURLOPT_MAIL_FROM, line); /* libcurl copies option strings */
    curl_easy_setopt(e, CURLOPT_MAIL_RCPT, rpt_curl_list(c->curl, 0));
    return rpt_curl_go(c->curl, c->base.loop, rpt_curl_transport_done, c);
}

static void smtp_free(rpt_transport *base) {
    smtp_transport *t = (smtp_transport *)base;
    rpt_curl_transport_release(&t->c);
    for (size_t i = 0; i < t->n_to; i++)
        free(t->to[i]);
    free(t->from);
    free(t);
}

/* A bare address: something@something, nothing that could end a header or an
 * SMTP command. */
static bool address_ok(const char *a) {
    const char *at = strchr(a, '@');
    return at && at != a && at[1] && strcspn(a, " <>\r\n\t,;\"") == strlen(a);
}

static bool read_address(const cfg_node *node, const char *key, char **out, cfg_err *err) {
    if (node->kind != CFG_SCALAR || !address_ok(node->scalar))
        return cfg_fail(err, node, "transport.smtp.%s: expected an address such as gw@example.com",
                        key);
    *out = strdup(node->scalar);
    return *out || cfg_fail(err, node, "transport.smtp: out of memory");
}

/* to: one address or a list of them. */
static bool read_recipients(smtp_transport *t, const cfg_node *to, cfg_err *err) {
    if (to->kind == CFG_SCALAR)
        return read_address(to, "to", &t->to[t->n_to++], err);
    if (to->kind != CFG_SEQ || to->n == 0)
        return cfg_fail(err, to, "transport.smtp.to: expected an address or a list of them");
    if (to->n > MAX_RECIPIENTS)
        return cfg_fail(err, to->items[MAX_RECIPIENTS], "transport.smtp.to: at most %d recipients",
                        MAX_RECIPIENTS);
    for (size_t i = 0; i < to->n; i++)
        if (!read_address(to->items[i], "to", &t->to[t->n_to++], err))
            return false;
    return true;
}

static bool read_smtp(smtp_transport *t, const cfg_node *map, cfg_err *err) {
    static const char *const keys[] = {"url",     "tls",      "from",     "to",       "timeout",
                                       "ca_file", "insecure", "username", "password", NULL};
    const cfg_node *from = cfg_require(map, "from", CFG_SCALAR, err);
    const cfg_node *to = from ? cfg_get(map, "to") : NULL;
    if (from && !to)
        return cfg_fail(err, map, "transport.smtp: to is required (one address or a list)");
    return cfg_only_keys(map, keys, err) && from &&
           rpt_curl_read_common(map, "smtp", &t->c.opts, err) &&
           rpt_curl_read_url_tls(map, "smtp", "smtp", "smtps", "starttls", &t->c.opts, &t->c.url,
                                 err) &&
           read_address(from, "from", &t->from, err) && read_recipients(t, to, err);
}

static rpt_transport *smtp_parse(const cfg_node *map, const char *gateway, const char *instance,
                                 cfg_err *err) {
    smtp_transport *t = (smtp_transport *)rpt_curl_transport_new(
        sizeof *t, &transport_smtp_kind, start_mail, map, err);
    return t ? rpt_curl_transport_parsed(&t->c, read_smtp(t, map, err), instance, map, err) : NULL;
}

const rpt_transport_kind transport_smtp_kind = {.name = "smtp",
                                                .needs_loop = true,
                                                .template_prefix = 1,
                                                .parse = smtp_parse,
                                                .send = rpt_curl_transport_send,
                                                .free = smtp_free};
