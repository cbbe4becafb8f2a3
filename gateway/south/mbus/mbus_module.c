/* mbus_module: the wired M-Bus master as a gateway module (core/module.h),
 * section `mbus:` (docs/configuration.md). */
#include "core/module.h"
#include "core/preflight.h"
#include "south/mbus/mbus_config.h"
#include "south/mbus/mbus_master.h"
#include "south/serial/serial_port.h"

static bool parse(const cfg_node *section, const gw_parse_ctx *ctx, void **cfg, cfg_err *err) {
    *cfg = mbus_config_parse(section, err); /* an empty configuration without a section */
    return *cfg != NULL;
}

static bool does_work(const void *cfg) {
    return ((const mbus_config *)cfg)->n_segments > 0;
}

/* Each segment's port opens as a serial port. */
static bool check(const cfg_node *section, const void *cfg, cfg_err *err) {
    const mbus_config *mbus = cfg;
    char why[512];
    for (size_t i = 0; mbus && i < mbus->n_segments; i++) {
        const mbus_segment_cfg *seg = &mbus->segments[i];
        if (serial_probe(seg->device, why, sizeof why) != 0)
            return cfg_fail(err, cfg_get(section->items[i], "device"), "%s", why);
        if (seg->transparent.enabled &&
            !preflight_tcp_bindable(seg->transparent.bind, seg->transparent.port, why, sizeof why))
            return cfg_fail(err, preflight_port_node(cfg_get(section->items[i], "transparent")),
                            "%s: transparent: cannot bind %s:%d: %s", seg->name,
                            seg->transparent.bind, seg->transparent.port, why);
    }
    return true;
}

static void *start(void *cfg, const gw_services *svc, char *err, size_t cap) {
    return mbus_master_start(cfg, svc->loop, svc->hub, err, cap);
}

static void stop(void *running) { mbus_master_stop(running); }
static void free_cfg(void *cfg) { mbus_config_free(cfg); }

const gw_module mbus_module = {.section = "mbus", .parse = parse, .does_work = does_work,
                               .check = check, .start = start, .stop = stop, .free = free_cfg};
