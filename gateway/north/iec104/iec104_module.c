/* iec104_module: the IEC 60870-5-104 server as a gateway module
 * (core/module.h), section `iec104:` (docs/configuration.md, docs/iec104.md). */
#include "core/module.h"
#include "core/preflight.h"
#include "north/iec104/iec104_int.h"
#include "north/iec104/iec104_server.h"

/* No section: no server (*cfg NULL, err empty). */
static bool parse(const cfg_node *section, const gw_parse_ctx *ctx, void **cfg, cfg_err *err) {
    err->msg[0] = '\0';
    *cfg = iec104_config_parse(section, err);
    return *cfg || !err->msg[0];
}

static bool does_work(const void *cfg) { return true; /* it answers masters */ }

/* The port can be bound (one a running gateway listens on fails, as the start would). */
static bool check(const cfg_node *section, const void *cfg, cfg_err *err) {
    const iec104_config *c = cfg;
    char why[256];
    if (c && !preflight_tcp_bindable(c->bind, c->port, why, sizeof why))
        return cfg_fail(err, preflight_port_node(section), "iec104: cannot bind %s:%d: %s",
                        c->bind, c->port, why);
    return true;
}

static void *start(void *cfg, const gw_services *svc, char *err, size_t cap) {
    return iec104_server_start(cfg, svc->loop, svc->hub, err, cap);
}

static void stop(void *running) { iec104_server_stop(running); }
static void free_cfg(void *cfg) { iec104_config_free(cfg); }

const gw_module iec104_module = {.section = "iec104", .parse = parse, .does_work = does_work,
                                 .check = check, .start = start, .stop = stop, .free = free_cfg};
