/* vmbus_module: the Virtual M-Bus over TCP as a gateway module (core/module.h),
 * section `mbus_virtual:` (docs/mbus.md). */
#include "core/module.h"
#include "core/preflight.h"
#include "north/mbus_virtual/vmbus_config.h"
#include "north/mbus_virtual/vmbus_server.h"

static bool parse(const cfg_node *section, const gw_parse_ctx *ctx, void **cfg, cfg_err *err) {
    vmbus_config *c = NULL;
    bool ok = vmbus_config_parse(section, &c, err);
    *cfg = c;
    return ok;
}

static bool does_work(const void *cfg) {
    return true; /* it answers masters */
}

static bool check(const cfg_node *section, const void *cfg, cfg_err *err) {
    const vmbus_config *c = cfg;
    char why[256];
    if (c && !preflight_tcp_bindable(c->bind, c->port, why, sizeof why))
        return cfg_fail(err, preflight_port_node(section), "mbus_virtual: cannot bind %s:%lld: %s",
                        c->bind, c->port, why);
    return true;
}

static void *start(void *cfg, const gw_services *svc, char *err, size_t cap) {
    return vmbus_server_start(cfg, svc->loop, svc->hub, err, cap);
}

static void stop(void *running) {
    vmbus_server_stop(running);
}

static void free_cfg(void *cfg) {
    vmbus_config_free(cfg);
}

const gw_module mbus_virtual_module = {.section = "mbus_virtual", .parse = parse,
                                       .does_work = does_work, .check = check, .start = start,
                                       .stop = stop, .free = free_cfg};
