/* web_api_cert: the server certificate: shown, and replaced by an uploaded
 * PEM certificate (chain) and key. New connections use it at once. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "core/log.h"
#include "core/text_file.h"
#include "north/web/web_ctx.h"

void web_api_cert_get(web_ctx *c) {
    char *text = web_cert_describe(c->srv->cert_path);
    json_t *o = text ? json_loads(text, 0, NULL) : NULL;
    free(text);
    if (!o)
        web_reply_error(c, 404, c->srv->cfg->tls ? "no certificate" : "plain HTTP: no certificate");
    else
        web_reply_json(c, 200, o);
}

static void write_text(FILE *f, const void *arg) { fputs(arg, f); }

void web_api_cert_put(web_ctx *c) {
    json_t *b = web_body_object(c);
    if (!b)
        return;
    const char *cert = json_string_value(json_object_get(b, "certificate"));
    const char *key = json_string_value(json_object_get(b, "key"));
    char why[512];
    bool ok = cert && key;
    if (!ok)
        snprintf(why, sizeof why, "the body needs certificate and key (PEM)");
    ok = ok && web_cert_check_pem(cert, key, why, sizeof why);
    if (ok) {
        mode_t old = umask(077);
        ok = text_file_replace(c->srv->key_path, write_text, key, true, why, sizeof why) &&
             text_file_replace(c->srv->cert_path, write_text, cert, true, why, sizeof why);
        umask(old);
    }
    SSL_CTX *fresh = ok && c->srv->cfg->tls
                         ? web_tls_context(c->srv->cfg, c->srv->cert_path, c->srv->key_path, why, sizeof why)
                         : NULL;
    json_decref(b);
    if (!ok || (c->srv->cfg->tls && !fresh)) {
        web_reply_error(c, 400, why);
        return;
    }
    if (fresh) { /* connections open now keep their reference to the old one */
        SSL_CTX_free(c->srv->ssl);
        c->srv->ssl = fresh;
    }
    char text[96];
    snprintf(text, sizeof text, "user %s replaced the server certificate", c->user->name);
    web_audit(c->srv, "certificate_changed", text);
    web_api_cert_get(c);
}
