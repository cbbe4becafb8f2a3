/* modbus_server_module: the Modbus server (the gateway as Modbus slave) as a
 * gateway module (core/module.h), section `modbus_server:` (docs/configuration.md). */
#include "core/module.h"
#include "core/preflight.h"
#include "north/modbus/modbus_server.h"
#include "north/modbus/modbus_server_int.h"

static bool parse(const cfg_node *section, const gw_parse_ctx *ctx, void **cfg, cfg_err *err) {
    modbus_server_config *c = NULL;
    bool ok = modbus_server_config_parse(section, &c, err);
    *cfg = c;
    return ok;
}

static bool does_work(const void *cfg) { return true; /* it answers masters */ }

/* The TCP port can be bound. */
static bool check(const cfg_node *section, const void *cfg, cfg_err *err) {
    const modbus_server_config *m = cfg;
    char why[256];
    if (m && m->tcp && !preflight_tcp_bindable(m->bind, m->port, why, sizeof why))
        return cfg_fail(err, preflight_port_node(cfg_get(section, "tcp")),
                        "modbus_server: tcp %s:%lld: %s", m->bind, m->port, why);
    return true;
}

static void *start(void *cfg, const gw_services *svc, char *err, size_t cap) {
    return modbus_server_start(cfg, svc->loop, svc->hub, err, cap);
}

static void stop(void *running) { modbus_server_stop(running); }
static void free_cfg(void *cfg) { modbus_server_config_free(cfg); }

const gw_module modbus_server_module = {.section = "modbus_server", .parse = parse,
                                        .does_work = does_work, .check = check, .start = start,
                                        .stop = stop, .free = free_cfg};
