/* web_config: the `web:` section (docs/web-api.md). */
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include "north/web/web_int.h"

#ifndef GWD_RELEASE
#define GWD_RELEASE "0.1.0"
#endif

static bool is_loopback(const char *ip) {
    struct in_addr a;
    return inet_pton(AF_INET, ip, &a) == 1 && (ntohl(a.s_addr) >> 24) == 127;
}

static bool parse_limits(const cfg_node *sec, web_config *c, cfg_err *err) {
    return cfg_int(sec, "max_connections", 256, 1, 4096, &c->max_connections, err) &&
           cfg_int(sec, "max_request", 1 << 20, 1024, 64 << 20, &c->max_request, err) &&
           cfg_int(sec, "max_headers", 64, 4, 1000, &c->max_headers, err) &&
           cfg_duration_ns(sec, "idle_timeout", 60 * 1000000000LL, &c->idle_timeout_ns, err) &&
           cfg_duration_ns(sec, "request_timeout", 10 * 1000000000LL, &c->request_timeout_ns, err) &&
           cfg_duration_ns(sec, "session_timeout", 600 * 1000000000LL, &c->session_timeout_ns, err);
}

static bool parse_login(const cfg_node *m, web_config *c, cfg_err *err) {
    static const char *const keys[] = {"max_failures", "block", NULL};
    if (m && (m->kind != CFG_MAP || !cfg_only_keys(m, keys, err)))
        return m->kind == CFG_MAP ? false : cfg_fail(err, m, "login must be a map");
    return cfg_int(m, "max_failures", 5, 1, 100, &c->login_failures, err) &&
           cfg_duration_ns(m, "block", 300 * 1000000000LL, &c->login_block_ns, err);
}

static bool positive(const cfg_node *sec, const char *key, int64_t v, cfg_err *err) {
    return v > 0 || cfg_fail(err, cfg_get(sec, key), "%s must be longer than 0", key);
}

bool web_config_parse(const cfg_node *sec, const char *gateway_name, web_config **out, cfg_err *err) {
    static const char *const keys[] = {"bind", "port", "tls", "state_dir", "max_connections",
                                       "max_request", "max_headers", "idle_timeout",
                                       "request_timeout", "session_timeout", "login",
                                       "initial_password", "listen_list", "keys_file", "ui_dir",
                                       NULL};
    *out = NULL;
    if (!sec)
        return true;
    if (sec->kind != CFG_MAP)
        return cfg_fail(err, sec, "web must be a map");
    web_config *c = calloc(1, sizeof *c);
    if (!c)
        return cfg_fail(err, sec, "out of memory");
    c->gateway_name = gateway_name;
    c->version = GWD_RELEASE;
    bool ok = cfg_only_keys(sec, keys, err) && cfg_str(sec, "bind", "0.0.0.0", &c->bind, err) &&
              cfg_int(sec, "port", 443, 0, 65535, &c->port, err) &&
              cfg_bool(sec, "tls", true, &c->tls, err) &&
              cfg_str(sec, "state_dir", "/var/lib/gwd/web", &c->state_dir, err) &&
              cfg_str(sec, "initial_password", "gwd-admin", &c->initial_password, err) &&
              cfg_str(sec, "listen_list", NULL, &c->listen_list, err) &&
              cfg_str(sec, "keys_file", NULL, &c->keys_file, err) &&
              cfg_str(sec, "ui_dir", NULL, &c->ui_dir, err) && parse_limits(sec, c, err) &&
              parse_login(cfg_get(sec, "login"), c, err) &&
              positive(sec, "idle_timeout", c->idle_timeout_ns, err) &&
              positive(sec, "request_timeout", c->request_timeout_ns, err) &&
              positive(sec, "session_timeout", c->session_timeout_ns, err);
    struct in_addr a;
    if (ok && inet_pton(AF_INET, c->bind, &a) != 1)
        ok = cfg_fail(err, cfg_get(sec, "bind"), "bind must be an IPv4 address");
    if (ok && !c->tls && !is_loopback(c->bind))
        ok = cfg_fail(err, cfg_get(sec, "tls"),
                      "tls: false (plain HTTP) is only allowed with a loopback bind (127.x.x.x)");
    if (ok && web_password_rule(c->initial_password))
        ok = cfg_fail(err, cfg_get(sec, "initial_password"), "%s",
                      web_password_rule(c->initial_password));
    if (ok && c->ui_dir && c->ui_dir[0] == '\0')
        ok = cfg_fail(err, cfg_get(sec, "ui_dir"), "ui_dir must be a folder");
    if (ok && c->state_dir[0] == '\0')
        ok = cfg_fail(err, cfg_get(sec, "state_dir"), "state_dir must be a folder");
    if (!ok) {
        free(c);
        return false;
    }
    *out = c;
    return true;
}

void web_config_free(web_config *c) { free(c); }
