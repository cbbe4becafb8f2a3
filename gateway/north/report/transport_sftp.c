/* transport sftp: each report uploaded as a file over SSH (SFTP), through
 * libcurl (built with libssh2 on Debian) on the gateway's loop (report_curl.c).
 *
 * Login with a password or a key (key_file, optionally public_key_file and its
 * passphrase). The server is always verified: its host key must be in
 * known_hosts or match host_key_sha256 (the base64 SHA-256 that
 * `ssh-keygen -lf` prints after "SHA256:"); only insecure: true skips that, and
 * the log says so at every start.
 *
 * As for FTP the report goes to <name>.tmp and is renamed to <name> when it is
 * complete. SFTP (version 3, OpenSSH) cannot rename onto an existing file, so a
 * same-named file left by an earlier delivery of this report (a redelivery
 * after a crash: same id, same bytes) is removed first; that removal may fail
 * (there is none, the usual case). CMe3100 templates 2xxx (CMe3100 lists sFTP
 * with FTP). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "north/report/report_curl.h"
#include "north/report/report_transport.h"

typedef struct sftp_transport {
    rpt_curl_transport c; /* c.url: the directory, ending in '/' */
    char *path;           /* its path as the server sees it, for the rename commands */
    char *key_file, *public_key_file, *passphrase, *known_hosts, *host_sha256;
} sftp_transport;

static void set_login(sftp_transport *t, CURL *e) {
    if (t->key_file) {
        curl_easy_setopt(e, CURLOPT_SSH_AUTH_TYPES, (long)CURLSSH_AUTH_PUBLICKEY);
        curl_easy_setopt(e, CURLOPT_SSH_PRIVATE_KEYFILE, t->key_file);
        if (t->public_key_file)
            curl_easy_setopt(e, CURLOPT_SSH_PUBLIC_KEYFILE, t->public_key_file);
        if (t->passphrase)
            curl_easy_setopt(e, CURLOPT_KEYPASSWD, t->passphrase);
    } else {
        curl_easy_setopt(e, CURLOPT_SSH_AUTH_TYPES,
                         (long)(CURLSSH_AUTH_PASSWORD | CURLSSH_AUTH_KEYBOARD));
    }
    if (t->known_hosts)
        curl_easy_setopt(e, CURLOPT_SSH_KNOWNHOSTS, t->known_hosts);
    if (t->host_sha256)
        curl_easy_setopt(e, CURLOPT_SSH_HOST_PUBLIC_KEY_SHA256, t->host_sha256);
}

static bool start_upload(rpt_curl_transport *c, const store_msg *msg) {
    sftp_transport *t = (sftp_transport *)c;
    char url[2048], rm[2048], mv[4096];
    snprintf(url, sizeof url, "%s%s.tmp", c->url, msg->name);
    snprintf(rm, sizeof rm, "*rm \"%s%s\"", t->path, msg->name); /* '*': may fail */
    snprintf(mv, sizeof mv, "rename \"%s%s.tmp\" \"%s%s\"", t->path, msg->name, t->path,
             msg->name);
    CURL *e = rpt_curl_begin(c->curl, &c->opts, "sftp", url);
    if (!e || !rpt_curl_body(c->curl, msg->body, msg->len, true) ||
        !rpt_curl_append(c->curl, 0, rm) || !rpt_curl_append(c->curl, 0, mv))
        return false;
    set_login(t, e);
    curl_easy_setopt(e, CURLOPT_POSTQUOTE, rpt_curl_list(c->curl, 0));
    curl_easy_setopt(e, CURLOPT_FTP_CREATE_MISSING_DIRS, (long)CURLFTP_CREATE_DIR_RETRY);
    return rpt_curl_go(c->curl, c->base.loop, rpt_curl_transport_done, c);
}

static void sftp_free(rpt_transport *base) {
    sftp_transport *t = (sftp_transport *)base;
    rpt_curl_transport_release(&t->c);
    free(t->path);
    free(t->key_file);
    free(t->public_key_file);
    free(t->passphrase);
    free(t->known_hosts);
    free(t->host_sha256);
    free(t);
}

static bool dup_key(const cfg_node *map, const char *key, char **out, cfg_err *err) {
    const char *v;
    if (!cfg_str(map, key, NULL, &v, err))
        return false;
    *out = v ? strdup(v) : NULL;
    return !v || *out || cfg_fail(err, map, "transport.sftp: out of memory");
}

/* sftp://host[:port]/dir[/]: the URL with a final '/', and the path decoded
 * for the rename commands ("/~/x/" stays: libcurl expands it to the home). */
static bool read_url(sftp_transport *t, const cfg_node *map, cfg_err *err) {
    const cfg_node *node = cfg_require(map, "url", CFG_SCALAR, err);
    if (!node)
        return false;
    const char *url = node->scalar, *host = url + 7;
    const char *path = strncmp(url, "sftp://", 7) == 0 ? strchr(host, '/') : NULL;
    if (!path || path == host)
        return cfg_fail(err, node, "transport.sftp.url: expected sftp://host[:port]/directory/");
    size_t n = strlen(url);
    bool slash = url[n - 1] == '/';
    t->c.url = malloc(n + 2);
    int plen = 0;
    char *decoded = curl_easy_unescape(NULL, path, 0, &plen);
    if (!t->c.url || !decoded) {
        curl_free(decoded);
        return cfg_fail(err, node, "transport.sftp: out of memory");
    }
    snprintf(t->c.url, n + 2, "%s%s", url, slash ? "" : "/");
    bool quotable = strcspn(decoded, "\"\r\n") == (size_t)plen;
    t->path = malloc((size_t)plen + 2);
    if (t->path)
        snprintf(t->path, (size_t)plen + 2, "%s%s", decoded, slash ? "" : "/");
    curl_free(decoded);
    if (!quotable)
        return cfg_fail(err, node, "transport.sftp.url: the path must not hold '\"' or line breaks");
    return t->path || cfg_fail(err, node, "transport.sftp: out of memory");
}

static bool read_sftp(sftp_transport *t, const cfg_node *map, cfg_err *err) {
    static const char *const keys[] = {"url",         "username",        "password",
                                       "key_file",    "public_key_file", "passphrase",
                                       "known_hosts", "host_key_sha256", "insecure",
                                       "timeout",     NULL};
    if (!cfg_only_keys(map, keys, err) || !cfg_require(map, "username", CFG_SCALAR, err) ||
        !rpt_curl_read_common(map, "sftp", &t->c.opts, err) || !read_url(t, map, err) ||
        !dup_key(map, "key_file", &t->key_file, err) ||
        !dup_key(map, "public_key_file", &t->public_key_file, err) ||
        !dup_key(map, "passphrase", &t->passphrase, err) ||
        !dup_key(map, "known_hosts", &t->known_hosts, err) ||
        !dup_key(map, "host_key_sha256", &t->host_sha256, err))
        return false;
    if (!t->key_file == !t->c.opts.password)
        return cfg_fail(err, map, "transport.sftp: give either password or key_file");
    if ((t->public_key_file || t->passphrase) && !t->key_file)
        return cfg_fail(err, cfg_get(map, t->passphrase ? "passphrase" : "public_key_file"),
                        "transport.sftp: public_key_file and passphrase go with key_file");
    if (!t->known_hosts && !t->host_sha256 && !t->c.opts.insecure)
        return cfg_fail(err, map, "transport.sftp: the server's host key must be verified: give "
                        "known_hosts or host_key_sha256 (or insecure: true, not recommended)");
    if (t->c.opts.insecure && (t->known_hosts || t->host_sha256))
        return cfg_fail(err, cfg_get(map, "insecure"),
                        "transport.sftp: insecure: true and a host key contradict each other");
    return true;
}

static rpt_transport *sftp_parse(const cfg_node *map, const char *gateway, const char *instance,
                                 cfg_err *err) {
    sftp_transport *t = (sftp_transport *)rpt_curl_transport_new(
        sizeof *t, &transport_sftp_kind, start_upload, map, err);
    return t ? rpt_curl_transport_parsed(&t->c, read_sftp(t, map, err), instance, map, err) : NULL;
}

const rpt_transport_kind transport_sftp_kind = {.name = "sftp",
                                                .needs_loop = true,
                                                .template_prefix = 2,
                                                .parse = sftp_parse,
                                                .send = rpt_curl_transport_send,
                                                .free = sftp_free};
