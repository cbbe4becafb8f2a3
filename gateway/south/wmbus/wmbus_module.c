/* wmbus_module: the wireless M-Bus radio modules as a gateway module
 * (core/module.h), section `wmbus:` (docs/configuration.md). */
#include <stdio.h>

#include "core/module.h"
#include "south/wmbus/wmbus_config.h"
#include "south/wmbus/wmbus_radio.h"

static bool parse(const cfg_node *section, const gw_parse_ctx *ctx, void **cfg, cfg_err *err) {
    *cfg = wmbus_config_parse(section, err); /* an empty configuration without a section */
    return *cfg != NULL;
}

static bool does_work(const void *cfg) {
    return ((const wmbus_config *)cfg)->n_modules > 0;
}

/* The key file of each radio module (their contents are read by the parse). */
static size_t key_files(const void *cfg, const char **out, size_t cap) {
    const wmbus_config *w = cfg;
    size_t n = 0;
    for (size_t i = 0; i < w->n_modules && n < cap; i++)
        if (w->modules[i].keys_path)
            out[n++] = w->modules[i].keys_path;
    return n;
}

static void *start(void *cfg, const gw_services *svc, char *err, size_t cap) {
    wmbus_receivers *radios = wmbus_receivers_start(cfg, svc->loop, svc->hub);
    if (!radios)
        snprintf(err, cap, "wmbus: out of memory");
    return radios;
}

static void stop(void *running) { wmbus_receivers_stop(running); }
static void free_cfg(void *cfg) { wmbus_config_free(cfg); }

const gw_module wmbus_module = {.section = "wmbus", .parse = parse, .does_work = does_work,
                                .key_files = key_files, .start = start, .stop = stop,
                                .free = free_cfg};
