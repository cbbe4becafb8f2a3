/* modbus_client_module: the Modbus meters (the gateway as Modbus master) as a
 * gateway module (core/module.h), section `modbus:` (docs/configuration.md). */
#include "core/module.h"
#include "south/modbus/modbus_client.h"
#include "south/modbus/modbus_client_int.h"

static bool parse(const cfg_node *section, const gw_parse_ctx *ctx, void **cfg, cfg_err *err) {
    modbus_client_config *c = NULL;
    bool ok = modbus_client_config_parse(section, &c, err);
    *cfg = c;
    return ok;
}

static bool does_work(const void *cfg) {
    return ((const modbus_client_config *)cfg)->n_devices > 0;
}

static void *start(void *cfg, const gw_services *svc, char *err, size_t cap) {
    return modbus_client_start(cfg, svc->loop, svc->hub, err, cap);
}

static void stop(void *running) { modbus_client_stop(running); }
static void free_cfg(void *cfg) { modbus_client_config_free(cfg); }

const gw_module modbus_client_module = {.section = "modbus", .parse = parse,
                                        .does_work = does_work, .start = start, .stop = stop,
                                        .free = free_cfg};
