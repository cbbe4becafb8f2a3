/* snmp_module: the SNMP v2c agent as a gateway module (core/module.h), section
 * `snmp:` (docs/snmp.md). */
#include "core/module.h"
#include "north/snmp/snmp_agent.h"
#include "north/snmp/snmp_config.h"

static bool parse(const cfg_node *section, const gw_parse_ctx *ctx, void **cfg, cfg_err *err) {
    snmp_config *c = NULL;
    bool ok = snmp_config_parse(section, &c, err);
    *cfg = c;
    return ok;
}

static bool does_work(const void *cfg) { (void)cfg; return true; /* it answers managers */ }

static void *start(void *cfg, const gw_services *svc, char *err, size_t cap) {
    return snmp_agent_start(cfg, svc->loop, svc->hub, svc->store, err, cap);
}

static void stop(void *running) { snmp_agent_stop(running); }
static void free_cfg(void *cfg) { snmp_config_free(cfg); }

const gw_module snmp_module = {.section = "snmp", .parse = parse, .does_work = does_work, .start = start,
                               .stop = stop, .free = free_cfg};
