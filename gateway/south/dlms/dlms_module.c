/* dlms_module: the DLMS/COSEM client as a gateway module (core/module.h),
 * section `dlms:` (docs/configuration.md, docs/dlms.md). */
#include "core/module.h"
#include "south/dlms/dlms_client.h"
#include "south/dlms/dlms_config.h"

static bool parse(const cfg_node *section, const gw_parse_ctx *ctx, void **cfg, cfg_err *err) {
    *cfg = dlms_config_parse(section, err); /* an empty configuration without a section */
    return *cfg != NULL;
}

static bool does_work(const void *cfg) {
    return ((const dlms_config *)cfg)->n_networks > 0;
}

/* With the state (frame counters, profile positions) before the loop runs. */
static void *start(void *cfg, const gw_services *svc, char *err, size_t cap) {
    dlms_client *c = dlms_client_start(cfg, svc->loop, svc->hub, err, cap);
    dlms_client_use_state(c, svc->state);
    return c;
}

static void stop(void *running) { dlms_client_stop(running); }
static void free_cfg(void *cfg) { dlms_config_free(cfg); }

const gw_module dlms_module = {.section = "dlms", .parse = parse, .does_work = does_work,
                               .start = start, .stop = stop, .free = free_cfg};
