/* web_module: the management plane (HTTPS REST API) as a gateway module
 * (core/module.h), section `web:` (docs/web-api.md). */
#include <sys/stat.h>
#include "core/module.h"
#include "core/preflight.h"
#include "north/web/web_int.h"

static bool parse(const cfg_node *section, const gw_parse_ctx *ctx, void **cfg, cfg_err *err) {
    web_config *c = NULL;
    bool ok = web_config_parse(section, ctx->gateway_name, &c, err);
    *cfg = c;
    return ok;
}

static bool does_work(const void *cfg) { return true; /* it answers clients */ }

/* The port can be bound and a written ui_dir is a folder. */
static bool check(const cfg_node *section, const void *cfg, cfg_err *err) {
    const web_config *c = cfg;
    char why[256];
    struct stat st;
    if (c && c->ui_dir && (stat(c->ui_dir, &st) != 0 || !S_ISDIR(st.st_mode)))
        return cfg_fail(err, cfg_get(section, "ui_dir"), "ui_dir %s is not a folder", c->ui_dir);
    if (c && c->port && !preflight_tcp_bindable(c->bind, c->port, why, sizeof why))
        return cfg_fail(err, preflight_port_node(section), "web: %s:%lld: %s", c->bind, c->port, why);
    return true;
}

static void *start(void *cfg, const gw_services *svc, char *err, size_t cap) {
    return web_server_start(cfg, svc, err, cap);
}

static void stop(void *running) { web_server_stop(running); }
static void free_cfg(void *cfg) { web_config_free(cfg); }

const gw_module web_module = {.section = "web", .parse = parse, .does_work = does_work,
                              .check = check, .start = start, .stop = stop, .free = free_cfg};
