/* libFuzzer target for the web API's request path: bytes (cut into pieces at
 * the first byte's choice) through the HTTP parser within limits, every
 * complete request through the route table, the access check of every role,
 * and the whole dispatch (authentication, CSRF, handlers) as an admin session
 * whose cookie the seeds carry. Whatever arrives: no crash, no leak, a status
 * from 200 to 505 for every request, and an error request never dispatched. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/clock.h"
#include "core/log.h"
#include "north/web/web_ctx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static web_server *server(void) {
    static web_server *srv;
    static web_config cfg = {.bind = "127.0.0.1", .state_dir = "/tmp/fuzz_web_state",
                             .gateway_name = "fuzz", .version = "0", .max_request = 8192,
                             .max_headers = 32, .session_timeout_ns = 600 * NS_PER_S};
    if (srv)
        return srv;
    log_set_level(LOG_LVL_ERROR);
    srv = calloc(1, sizeof *srv);
    srv->cfg = &cfg;
    srv->svc.hub = datahub_new();
    web_roles_defaults(&srv->users.roles);
    srv->users.n = 1;
    strcpy(srv->users.user[0].name, "admin");
    strcpy(srv->users.user[0].role, "admin");
    snprintf(srv->users_path, sizeof srv->users_path, "/tmp/fuzz_web_users.json");
    snprintf(srv->cert_path, sizeof srv->cert_path, "/tmp/fuzz_web_cert.pem");
    snprintf(srv->key_path, sizeof srv->key_path, "/tmp/fuzz_web_key.pem");
    web_sessions_init(&srv->sessions, cfg.session_timeout_ns);
    web_guard_init(&srv->guard, 5, 300 * NS_PER_S);
    uint8_t rnd[WEB_SESSION_RANDOM] = {0}; /* id 00..00, csrf 00..00 (the seeds' cookie) */
    web_session_new(&srv->sessions, "admin", clock_mono_ns(), rnd);
    dp p = {.id = "m1/0", .value = {.type = DP_DOUBLE, .d = 1.5}, .unit = "m3",
            .origin = {.meter = "m1", .record = 0}};
    datahub_publish(srv->svc.hub, &p);
    dh_meter m = {.name = "m1", .interface = "mbus", .status = "ok", .primary_address = 1};
    datahub_meter(srv->svc.hub, &m);
    return srv;
}

static void one_request(web_server *srv, web_request *r) {
    web_match m;
    web_route_match(web_routes, web_n_routes, r->method, r->path, &m);
    for (size_t i = 0; i < srv->users.roles.n; i++)
        web_role_allows(&srv->users.roles.role[i], r->method, r->path);
    web_response res;
    web_response_init(&res);
    srv->users.user[0].must_change = false; /* a password change may set it */
    web_dispatch(srv, r, "10.0.0.9", &res);
    if (res.status < 200 || res.status > 505)
        abort();
    size_t len;
    free(web_response_serialize(&res, &len));
    web_response_free(&res);
    if (srv->users.n == 0 || web_user_find(&srv->users, "admin") == NULL) { /* keep the caller */
        srv->users.n = 1;
        strcpy(srv->users.user[0].name, "admin");
        strcpy(srv->users.user[0].role, "admin");
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0)
        return 0;
    web_server *srv = server();
    size_t piece = 1 + data[0] % 64;
    const char *text = (const char *)data + 1;
    size_t left = size - 1;
    web_limits lim = {.max_request = 8192, .max_headers = 32};
    web_request r;
    web_request_init(&r, &lim);
    while (left > 0) {
        size_t n = web_request_feed(&r, text, left < piece ? left : piece);
        if (r.state == WEB_REQ_ERROR) {
            if (r.error_status < 400 || r.error_status > 505)
                abort();
            break;
        }
        if (r.state == WEB_REQ_DONE) {
            one_request(srv, &r);
            web_request_reset(&r);
        } else if (n == 0) {
            break;
        }
        text += n;
        left -= n;
    }
    web_request_free(&r);
    return 0;
}
