/* web_int: the web server's parts as they see each other (not for other
 * modules). Layout of the folder:
 *   web_module.c     the gw_module row `web:`        web_config.c  the section
 *   web_server.c     listen, accept, connections     web_conn.c    one connection
 *   web_tls.c        OpenSSL context, memory BIOs    web_cert.c    the certificate
 *   web_http.c/web_url.c/web_response.c  HTTP (pure) web_route.c   matching (pure)
 *   web_routes.c     THE route table                 web_dispatch.c  auth, access, CSRF
 *   web_access.c     roles (pure)   web_session.c/web_guard.c  sessions, supervision (pure)
 *   web_users.c/web_password.c/web_token.c  accounts  web_hub.c  what the datahub told us
 *   web_cfgmode.c    the configuration mode's holder and staged text (pure)
 *   web_scans.c      API scans followed through the datahub
 *   web_api_*.c      the handlers, one file per resource
 *   web_static.c     the UI's files (every path outside /api/) */
#ifndef GW_WEB_INT_H
#define GW_WEB_INT_H
#include <stdbool.h>
#include <stdint.h>
#include <openssl/ssl.h>
#include "core/config.h"
#include "core/loop.h"
#include "core/services.h"
#include "north/web/web_cfgmode.h"
#include "north/web/web_http.h"
#include "north/web/web_scans.h"
#include "north/web/web_session.h"
#include "north/web/web_users.h"

#define MOD_WEB "web"

typedef struct web_config {
    const char *bind;
    long long port;
    bool tls;              /* false only when `tls: false` is written */
    const char *state_dir; /* certificate, key, users.json */
    const char *gateway_name;
    long long max_connections;
    long long max_request, max_headers;
    int64_t idle_timeout_ns, request_timeout_ns, session_timeout_ns;
    long long login_failures;
    int64_t login_block_ns;
    const char *initial_password; /* the first admin's, to be changed at the first login */
    const char *listen_list;      /* wireless M-Bus listen list file, NULL: not shown */
    const char *keys_file;        /* where an imported CSV key file goes, NULL: no import */
    const char *ui_dir;           /* the UI's files; NULL: beside the binary (web_static.h) */
    const char *version;
} web_config;

bool web_config_parse(const cfg_node *sec, const char *gateway_name, web_config **out, cfg_err *err);
void web_config_free(web_config *c);

/* ---- what the datahub told us (web_hub.c) ---- */
#define WEB_BUSES_MAX 32
#define WEB_EVENTS_KEPT 256
typedef struct web_bus {
    char source[64];
    int64_t last_cycle_ns;
    uint64_t cycles;
} web_bus;
typedef struct web_event {
    int64_t ts_ns;
    char source[64], kind[32], meter[64], text[192];
} web_event;
typedef struct web_meter_errors {
    char meter[64];
    uint64_t not_read, rejected;
} web_meter_errors;
typedef struct web_hub {
    datahub *hub;
    int subscription;
    web_bus bus[WEB_BUSES_MAX];
    size_t n_bus;
    web_event events[WEB_EVENTS_KEPT]; /* ring, for a gateway without a store */
    size_t n_events, next_event;
    uint64_t events_seen;
    web_meter_errors *errors;
    size_t n_errors, cap_errors;
} web_hub;
void web_hub_attach(web_hub *h, datahub *hub);
void web_hub_detach(web_hub *h);
const web_meter_errors *web_hub_errors(const web_hub *h, const char *meter);

/* ---- the server ---- */
typedef struct web_conn web_conn;
typedef struct web_server {
    const web_config *cfg;
    gw_services svc;
    int listen_fd, port;
    SSL_CTX *ssl; /* NULL: plain HTTP */
    web_conn *conns;
    size_t n_conns;
    int64_t started_mono_ns;
    web_users users;
    web_sessions sessions;
    web_guard guard;
    web_hub hub;
    web_cfgmode cfgmode; /* the configuration mode (web_api_config.c) */
    web_scans scans;     /* meter scans asked for through the API (web_api_scans.c) */
    char users_path[512], cert_path[512], key_path[512];
    char ui_root[512]; /* the folder of the UI's files ("" when there is none) */
    uint64_t requests, refused; /* answered, and answered 4xx/5xx before a handler */
    /* Fairness to the drivers in the same loop (web_conn.c): at most
     * WEB_WORK_PER_TURN connections are served per loop turn; the others are
     * parked (not read) until a zero-delay timer ends the turn. */
    unsigned turn_work;
    loop_timer_id turn_timer;
    web_conn *parked;
} web_server;
#define WEB_WORK_PER_TURN 16

web_server *web_server_start(const web_config *cfg, const gw_services *svc, char *err, size_t cap);
void web_server_stop(web_server *srv);
/* One whole request, answered into res (web_dispatch.c). */
void web_dispatch(web_server *srv, const web_request *req, const char *peer, web_response *res);
/* A datahub event from the web server (audit: logins, user changes, ...). */
void web_audit(web_server *srv, const char *kind, const char *text);
/* users.json written; false logged. */
bool web_users_persist(web_server *srv);

/* ---- TLS (web_tls.c, web_cert.c) ---- */
/* The context with the certificate and key of the state folder, made
 * (self-signed) when missing. NULL with err. */
SSL_CTX *web_tls_context(const web_config *cfg, const char *cert_path, const char *key_path,
                         char *err, size_t cap);
/* Make a self-signed certificate (EC P-256, 10 years from the gateway clock) and its key. */
bool web_cert_generate(const char *cn, const char *cert_path, const char *key_path, char *err,
                       size_t cap);
/* A PEM certificate (chain) and key that belong together; false with err. */
bool web_cert_check_pem(const char *cert_pem, const char *key_pem, char *err, size_t cap);
/* Subject, issuer, validity and SHA-256 fingerprint of the certificate file as JSON text. */
char *web_cert_describe(const char *cert_path);
#endif
