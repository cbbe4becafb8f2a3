/* report_curl: what every libcurl report transport (http, smtp, ftp, sftp)
 * shares: libcurl's multi interface driven by the gateway's loop (curl names the
 * sockets to watch and when to call it back; curl_multi_socket_action does the
 * work, nothing blocks), one request in flight with the buffers it needs, the
 * options every request gets (timeout, allowed protocols, server verification)
 * and reading the keys every such transport has (timeout, ca_file, insecure,
 * username, password).
 *
 * Server verification is never off unless the configuration says `insecure:
 * true`, and then the gateway says so in its log at every start. */
#ifndef GW_REPORT_CURL_H
#define GW_REPORT_CURL_H
#include <curl/curl.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/config.h"
#include "core/loop.h"
#include "north/report/report_transport.h"

/* TLS on a protocol that has a plain form (SMTP, FTP): none, upgraded after
 * connecting (STARTTLS, FTP's AUTH TLS: "explicit"), or from the first byte
 * (smtps://, ftps://: "implicit"). BY_URL: the transport has no tls: key (HTTP
 * by its scheme, SFTP always SSH). */
typedef enum { RPT_TLS_BY_URL, RPT_TLS_NONE, RPT_TLS_EXPLICIT, RPT_TLS_IMPLICIT } rpt_tls_mode;

/* The keys every libcurl transport reads (rpt_curl_read_common). */
typedef struct rpt_curl_opts {
    rpt_tls_mode tls;           /* explicit: libcurl must get TLS or fail (CURLUSESSL_ALL) */
    int64_t timeout_ns;
    char *ca_file;              /* NULL: the system's CA store */
    bool insecure;              /* skip server verification (said in the log) */
    char *username, *password;  /* NULL: none */
} rpt_curl_opts;

/* How a request ended: rc from libcurl, the protocol's last response code
 * (HTTP status, SMTP/FTP reply), and a text for the log when rc != CURLE_OK. */
typedef void (*rpt_curl_done)(void *ctx, CURLcode rc, long response, const char *why);

typedef struct rpt_curl rpt_curl;

/* The common keys of transport.<what> (allowed key lists are the caller's). */
bool rpt_curl_read_common(const cfg_node *map, const char *what, rpt_curl_opts *o,
                          cfg_err *err);
void rpt_curl_opts_free(rpt_curl_opts *o);
/* url: and tls: of a protocol with a plain and a secure scheme ("smtp", "smtps"):
 * tls is none, <explicit_word> (the default with the plain scheme) or implicit
 * (the only one with the secure scheme). *url_out (malloc'd) has the scheme the
 * mode needs (implicit: the secure one); o->tls is set. */
bool rpt_curl_read_url_tls(const cfg_node *map, const char *what, const char *plain,
                           const char *secure, const char *explicit_word, rpt_curl_opts *o,
                           char **url_out, cfg_err *err);

rpt_curl *rpt_curl_new(void); /* NULL when libcurl cannot be set up */
void rpt_curl_free(rpt_curl *c);

/* A new request (the previous one must have ended): an easy handle with the URL,
 * the timeout, the allowed protocols ("smtp,smtps"), login and TLS options set;
 * NULL on failure. The caller adds its protocol's options to the handle. */
CURL *rpt_curl_begin(rpt_curl *c, const rpt_curl_opts *o, const char *protocols,
                     const char *url);
/* The request's body, copied; upload = sent through a read callback (SMTP, FTP,
 * SFTP) instead of as HTTP POST fields. false when out of memory. */
bool rpt_curl_body(rpt_curl *c, const char *body, size_t len, bool upload);
/* Append a line to one of the request's two string lists (headers, recipients,
 * quote commands); the list is freed with the request. */
bool rpt_curl_append(rpt_curl *c, int list, const char *line);
struct curl_slist *rpt_curl_list(rpt_curl *c, int list);
/* Hand the request to the loop; done runs once, after the request's handle and
 * buffers are freed (so it may begin the next one). false: nothing started
 * (the request is dropped, done does not run). */
bool rpt_curl_go(rpt_curl *c, gw_loop *loop, rpt_curl_done done, void *ctx);
/* Drop the request in flight, if any, without calling done. */
void rpt_curl_cancel(rpt_curl *c);

/* Log the warning an `insecure: true` transport gets at start. */
void rpt_curl_warn_insecure(const rpt_curl_opts *o, const char *what, const char *instance);
#endif

/* ---- the common part of a libcurl transport (report_curl_transport.c) ----
 * Every libcurl transport's struct starts with this; the kind's send is
 * rpt_curl_transport_send, which calls start. */
typedef struct rpt_curl_transport {
    rpt_transport base;
    const char *what; /* "smtp", for the log */
    char *url;        /* for the log; freed by rpt_curl_transport_release */
    rpt_curl_opts opts;
    rpt_curl *curl;
    int64_t id; /* the report in flight */
    /* begin the request for msg (rpt_curl_begin ... rpt_curl_go); false: it did not start */
    bool (*start)(struct rpt_curl_transport *t, const store_msg *msg);
} rpt_curl_transport;

/* calloc(size) with base.kind, what, start and a rpt_curl; NULL with err set. */
rpt_curl_transport *rpt_curl_transport_new(size_t size, const rpt_transport_kind *kind,
                                           bool (*start)(rpt_curl_transport *, const store_msg *),
                                           const cfg_node *map, cfg_err *err);
/* After reading the map: ok -> the transport (the insecure warning logged);
 * else kind->free(t) and NULL, err set. */
rpt_transport *rpt_curl_transport_parsed(rpt_curl_transport *t, bool ok, const char *instance,
                                         const cfg_node *map, cfg_err *err);
void rpt_curl_transport_send(rpt_transport *base, const store_msg *msg);
/* The rpt_curl_done of transports for which CURLE_OK means delivered. */
void rpt_curl_transport_done(void *ctx, CURLcode rc, long response, const char *why);
/* Free the common part's members (not t itself). */
void rpt_curl_transport_release(rpt_curl_transport *t);
